"""Check the built sdist and wheel against the work tree: both hold every file of the package that
git tracks (templates, static files and catalogs of every extension, migrations, py.typed) and
the LICENSE; the wheel holds nothing else of the repository (tests, example project, bench, docs)
and no byte code.

Usage: python .ci/check_dist.py ARCHIVE...  (sdists ``*.tar.gz`` and wheels ``*.whl``, from the
repository root)
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

PACKAGE = "directus_shares"
STRAY_TOP = ("tests/", "example_project/", "bench/", "docs/", ".ci/")


def tracked() -> set[str]:
    """The package's files as git tracks them, without byte code."""
    output = subprocess.run(  # noqa: S603
        ["git", "ls-files", "-z", PACKAGE],  # noqa: S607 - git from PATH, as in .ci/run
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {
        name
        for name in output.split("\0")
        if name and "__pycache__" not in PurePosixPath(name).parts
    }


def sdist_names(path: Path) -> set[str]:
    """The sdist's file names, without the ``<name>-<version>/`` directory they sit in."""
    with tarfile.open(path) as archive:
        return {
            member.name.split("/", 1)[1]
            for member in archive.getmembers()
            if member.isfile() and "/" in member.name
        }


def wheel_names(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as archive:
        return {name for name in archive.namelist() if not name.endswith("/")}


def problems(kind: str, names: set[str], expected: set[str], license_name: str) -> list[str]:
    found = []
    if missing := sorted(expected - names):
        found.append(f"{kind} lacks {len(missing)} tracked files: {missing}")
    if license_name not in names:
        found.append(f"{kind} lacks {license_name}")
    if stray := sorted(name for name in names if name.startswith(STRAY_TOP)):
        found.append(f"{kind} ships files outside the package: {stray}")
    if compiled := sorted(name for name in names if name.endswith((".pyc", ".pyo"))):
        found.append(f"{kind} ships byte code: {compiled}")
    return found


def archive_problems(path: Path, expected: set[str]) -> list[str]:
    if path.name.endswith(".tar.gz"):
        return problems(path.name, sdist_names(path), expected, "LICENSE")
    names = wheel_names(path)
    (dist_info,) = {name.split("/", 1)[0] for name in names if ".dist-info/" in name}
    return problems(path.name, names, expected, f"{dist_info}/licenses/LICENSE")


def main(archives: list[Path]) -> int:
    expected = tracked()
    found = [problem for path in archives for problem in archive_problems(path, expected)]
    for problem in found:
        print(problem, file=sys.stderr)
    if found or not archives:
        return 1
    print(
        f"{len(archives)} archives ok: each holds all {len(expected)} tracked files of {PACKAGE}/"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main([Path(name) for name in sys.argv[1:]]))
