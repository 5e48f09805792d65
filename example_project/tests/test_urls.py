"""The demo's API docs page (``/api/docs/``) works offline and under a strict
Content-Security-Policy: Swagger UI comes from drf-spectacular-sidecar's static files, its start-up
script is a file of its own, and nothing is loaded from another host."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("example_project.urls")]

REFERENCE = re.compile(r"""(?:src|href)=["']([^"']*)["']""")
EXTERNAL = re.compile(r"""(?:https?:)?//[\w.-]+""")


def references(page: str) -> list[str]:
    return [html.unescape(url) for url in REFERENCE.findall(page)]


def test_the_api_docs_page_references_no_other_host():
    response = Client().get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    urls = references(page)
    assert len(urls) == 5  # stylesheet, favicon, two bundles, the start-up script
    assert [url for url in urls if urlsplit(url).scheme or urlsplit(url).netloc] == []
    assert "<script>" not in page  # every script is a file: no 'unsafe-inline' needed


def test_swagger_ui_is_served_from_the_sidecar_static_files():
    urls = references(Client().get("/api/docs/").content.decode())

    static = [url for url in urls if url.startswith(settings.STATIC_URL)]
    assert len(static) == 4
    for url in static:
        found = finders.find(url.removeprefix(settings.STATIC_URL))
        assert found and "drf_spectacular_sidecar" in str(found)


def test_the_start_up_script_asks_only_this_site_for_the_schema():
    urls = references(Client().get("/api/docs/").content.decode())
    (script,) = [url for url in urls if url.startswith("/api/docs/")]

    response = Client().get(script)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    body = response.content.decode()
    assert '"/api/schema/"' in body
    assert '"validatorUrl": null' in body  # no badge from Swagger's online validator
    assert EXTERNAL.findall(body) == []
