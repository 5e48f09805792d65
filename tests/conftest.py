from __future__ import annotations

import os
import re
import sysconfig
from pathlib import Path

import django
import pytest
from django.test import Client, override_settings

import directus_shares
from directus_shares.models import Share


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


def open_share(client: Client, share: Share, password: str | None = None):
    """Load the landing page, then submit it the way a browser does (with the CSRF token)."""
    url = share.get_absolute_url()
    client.get(url)
    if "csrftoken" not in client.cookies:  # a refusal page has no form, so it sets no CSRF cookie
        client.cookies["csrftoken"] = "a" * 32
    data = {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    if password is not None:
        data["password"] = password
    return client.post(url, data)


@pytest.fixture
def media(tmp_path):
    """A ``MEDIA_ROOT`` holding ``manuals/guide.pdf``."""
    (tmp_path / "manuals").mkdir()
    (tmp_path / "manuals" / "guide.pdf").write_bytes(b"%PDF-1.4 the manual")
    with override_settings(MEDIA_ROOT=tmp_path):
        yield tmp_path


def file_link(client: Client, share: Share, url: str | None = None) -> str:
    """The first share-scoped file link on the page at ``url`` (default: the share's link)."""
    content = client.get(url or share.get_absolute_url()).content.decode()
    match = re.search(r'href="([^"]*/files/[^"]*)"', content)
    assert match, "no share-scoped file link on the page"
    return match.group(1)


def downloaded(response) -> bytes:
    """The body of a file download."""
    return b"".join(response.streaming_content)


def mail_backend(path: str):
    """Use the mail backend ``path`` (MAILERS from Django 6.1 on, EMAIL_BACKEND before)."""
    if django.VERSION >= (6, 1):
        return override_settings(MAILERS={"default": {"BACKEND": path}})
    return override_settings(EMAIL_BACKEND=path)
