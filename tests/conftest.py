"""Fixtures pytest finds by name, and the check that the installed package is tested; the
steps tests share are plain functions in ``tests/helpers.py``."""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

import pytest
from django.test import Client, override_settings

import directus_shares


def pytest_configure(config: pytest.Config) -> None:
    """With ``DIRECTUS_SHARES_EXPECT_INSTALLED=1`` (.ci/run's run of the built wheel) the suite
    refuses to start unless ``directus_shares`` comes from site-packages: a checkout or an
    editable install on ``sys.path`` would test the tree instead of what users install."""
    if os.environ.get("DIRECTUS_SHARES_EXPECT_INSTALLED") != "1":
        return
    package = Path(directus_shares.__file__).resolve().parent
    site = {Path(sysconfig.get_path(name)).resolve() for name in ("purelib", "platlib")}
    if not any(package.is_relative_to(directory) for directory in site):
        raise pytest.UsageError(
            f"directus_shares is imported from {package}, not from site-packages ({sorted(site)})"
        )


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with no password attempts counted (the cache outlives a test)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def visitor() -> Client:
    """An anonymous browser with CSRF checks on, as a real visitor has."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def media(tmp_path):
    """A ``MEDIA_ROOT`` holding ``manuals/guide.pdf``."""
    (tmp_path / "manuals").mkdir()
    (tmp_path / "manuals" / "guide.pdf").write_bytes(b"%PDF-1.4 the manual")
    with override_settings(MEDIA_ROOT=tmp_path):
        yield tmp_path
