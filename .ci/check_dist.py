"""Check the built sdist and wheel against the work tree: both hold every file of the package that
git tracks (templates, static files and catalogs of every extension, migrations, py.typed) and
the LICENSE; the wheel holds nothing else of the repository (tests, example project, bench, docs)
and no byte code. The wheel's metadata names the license as an SPDX expression and has a valid
``Framework :: Django :: X.Y`` classifier for every Django that tox.ini tests.

Usage: python .ci/check_dist.py ARCHIVE...  (sdists ``*.tar.gz`` and wheels ``*.whl``, from the
repository root)
"""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path, PurePosixPath

from trove_classifiers import classifiers as KNOWN_CLASSIFIERS

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


def tested_djangos() -> set[str]:
    """The Django versions tox.ini tests, from its factor-conditional deps (``django52: …``)."""
    tox = configparser.ConfigParser()
    tox.read("tox.ini")
    factors = re.findall(r"^\s*django(\d)(\d+):", tox["testenv"]["deps"], re.MULTILINE)
    return {f"{major}.{minor}" for major, minor in factors}


def metadata_problems(kind: str, metadata: str) -> list[str]:
    message = Parser().parsestr(metadata)
    found = []
    if message["License-Expression"] != "BSD-3-Clause":
        found.append(f"{kind}: License-Expression is {message['License-Expression']!r}")
    classifiers = message.get_all("Classifier") or []
    if unknown := sorted(set(classifiers) - KNOWN_CLASSIFIERS):
        found.append(f"{kind}: unknown classifiers {unknown}")
    wanted = {f"Framework :: Django :: {version}" for version in tested_djangos()}
    if missing := sorted(wanted - set(classifiers)):
        found.append(f"{kind}: no classifier for a Django that tox.ini tests: {missing}")
    return found


def archive_problems(path: Path, expected: set[str]) -> list[str]:
    if path.name.endswith(".tar.gz"):
        return problems(path.name, sdist_names(path), expected, "LICENSE")
    names = wheel_names(path)
    (dist_info,) = {name.split("/", 1)[0] for name in names if ".dist-info/" in name}
    with zipfile.ZipFile(path) as archive:
        metadata = archive.read(f"{dist_info}/METADATA").decode()
    return problems(
        path.name, names, expected, f"{dist_info}/licenses/LICENSE"
    ) + metadata_problems(path.name, metadata)


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
