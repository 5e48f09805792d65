"""What the package names, it ships: every template and static file its code and templates refer
to is found the way Django finds it. .ci/run runs this suite against the installed wheel
(``DIRECTUS_SHARES_EXPECT_INSTALLED=1``, checked in conftest.py), where a file that the package
data rules leave out – the ``.txt`` mail templates once – fails here instead of in a user's
"Send link"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import get_template

import directus_shares

PACKAGE = Path(directus_shares.__file__).resolve().parent
TEMPLATE_NAME = re.compile(r"""["']((?:admin/)?directus_shares/[\w/.-]+\.(?:html|txt))["']""")
STATIC_NAME = re.compile(r"""{%\s*static\s+["'](directus_shares/[^"']+)["']""")


def sources(*patterns: str) -> list[Path]:
    return sorted(path for pattern in patterns for path in PACKAGE.rglob(pattern))


def named(pattern: re.Pattern[str], files: list[Path]) -> set[str]:
    return {name for path in files for name in pattern.findall(path.read_text(encoding="utf-8"))}


TEMPLATES = named(TEMPLATE_NAME, sources("*.py", "*.html", "*.txt"))
STATIC_FILES = named(STATIC_NAME, sources("*.html"))


def test_the_scan_finds_the_templates_and_static_files_the_app_uses():
    assert "directus_shares/email/share_link_subject.txt" in TEMPLATES
    assert "directus_shares/object.html" in TEMPLATES
    assert "directus_shares/share.css" in STATIC_FILES


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_the_package_names_is_found(name: str):
    assert get_template(name).origin.name.startswith(str(PACKAGE))


@pytest.mark.parametrize("name", sorted(STATIC_FILES))
def test_every_static_file_the_templates_name_is_found(name: str):
    found = finders.find(name)
    assert found and str(found).startswith(str(PACKAGE))
