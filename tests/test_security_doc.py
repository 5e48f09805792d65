"""docs/security.md names, for every guarantee, the test that proves it: those tests must exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECURITY_DOC = ROOT / "docs" / "security.md"
# `tests/test_x.py::test_y`, `tests/test_x.py` or `::test_y` (a test of the file named last).
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?(?:::(\w+))?`")


def references() -> list[tuple[str, str | None]]:
    found, current = [], None
    for path, name in REFERENCE.findall(SECURITY_DOC.read_text()):
        current = path or current
        if path or name:
            found.append((current, name or None))
    return found


def test_every_test_the_security_doc_names_exists():
    missing = []
    for path, name in references():
        source = ROOT / path
        if not source.is_file():
            missing.append(path)
        elif name and not re.search(rf"^def {name}\(", source.read_text(), re.MULTILINE):
            missing.append(f"{path}::{name}")
    assert references(), "the security doc names no tests"
    assert missing == []
