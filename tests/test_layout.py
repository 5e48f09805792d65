"""The tests mirror the package: each module ``directus_shares/**/<name>.py`` has its own
``tests/test_<name>.py`` or ``tests/test_<package>_<name>.py``, so its tests are found by name."""

from __future__ import annotations

from pathlib import Path

import directus_shares

#: The package as imported – the tree, or the installed wheel when CI tests that.
PACKAGE = Path(directus_shares.__file__).resolve().parent
TESTS = Path(__file__).resolve().parent

#: Files that hold no decision of their own: Django's wiring and package markers.
WIRING = {"__init__.py", "apps.py", "urls.py"}

#: Modules tested in another file, each with that file and why it is the right place. Keep it
#: short: a module that grows decisions of its own gets its own test file instead.
TESTED_ELSEWHERE = {
    "object_state.py": "test_counting.py: the object checked in the counting statement",
    "outcomes.py": "test_opening.py: the outcomes opening.py returns",
    "attempts.py": "test_access_log.py: the log row each attempt writes, and its signal",
    "passwords.py": "test_lockout.py: password attempts and their limits",
    "admin/forms.py": "test_admin_shares.py, test_admin_rules.py: the forms on their admin pages",
    "admin/extend.py": "test_admin_panel.py, test_admin_rules.py: the two opt-ins",
    "admin/locks.py": "test_lockout.py: locks as the admin shows and ends them",
    "api/permissions.py": "test_api_manage.py: DRF permission classes, on every request",
    "api/serializers.py": "test_api_manage.py, test_api_open.py: what the API reads and writes",
    "models/share.py": "test_models.py: the Share model",
    "management/options.py": "test_purge.py, test_access_log.py: the commands' --older-than",
    "management/commands/directus_shares_prune_access_log.py": "test_access_log.py",
    "templatetags/directus_shares.py": "test_views.py: registers the tags views.py makes",
}


def modules() -> list[str]:
    """Every module of the package that decides something, relative to the package."""
    return sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name not in WIRING and "migrations" not in path.parts
    )


def mirrors(module: str) -> list[str]:
    """The test file names that may hold ``module``'s tests: ``test_<name>.py`` – unless a module
    of the package's top shares the name (``api/tokens.py`` and ``tokens.py``): then only
    ``test_<package>_<name>.py``."""
    *packages, name = module.removesuffix(".py").split("/")
    names = [f"test_{name}.py"] if not packages or not (PACKAGE / f"{name}.py").exists() else []
    if packages:
        names.append(f"test_{packages[-1]}_{name}.py")
    if packages[:2] == ["management", "commands"]:
        names.append(f"test_{name.removeprefix('directus_shares_')}.py")
    return names


def test_every_module_has_a_test_file_of_its_name():
    tests = {path.name for path in TESTS.glob("test_*.py")}
    missing = [
        f"{module} (expected {' or '.join(mirrors(module))})"
        for module in modules()
        if module not in TESTED_ELSEWHERE and not tests.intersection(mirrors(module))
    ]
    assert missing == []


def test_the_allow_list_names_only_modules_without_a_file_of_their_own():
    tests = {path.name for path in TESTS.glob("test_*.py")}
    assert sorted(set(TESTED_ELSEWHERE) - set(modules())) == []  # gone or renamed: drop them
    mirrored = [m for m in TESTED_ELSEWHERE if tests.intersection(mirrors(m))]
    assert mirrored == []
    for module, reason in TESTED_ELSEWHERE.items():
        named = [word.rstrip(",:") for word in reason.split() if word.startswith("test_")]
        assert named and all((TESTS / name).is_file() for name in named), module


def test_the_rule_matches_a_file_by_its_package_or_command_name():
    assert mirrors("qr.py") == ["test_qr.py"]
    assert mirrors("api/open.py") == ["test_open.py", "test_api_open.py"]
    assert mirrors("models/share.py") == ["test_share.py", "test_models_share.py"]
    assert "test_purge.py" in mirrors("management/commands/directus_shares_purge.py")
