"""The demo's settings: LocaleMiddleware lets each browser see the app's German catalog."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from example_project import settings as demo
from tests.factories import ShareFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("example_project.urls")]


@pytest.fixture(autouse=True)
def demo_middleware(settings: Any) -> None:
    """The demo's middleware (the suite's settings leave LocaleMiddleware out)."""
    settings.MIDDLEWARE = demo.MIDDLEWARE
    settings.LANGUAGES = demo.LANGUAGES


@pytest.mark.parametrize(
    ("accept_language", "lang", "button"),
    [("de-DE,de;q=0.9,en;q=0.5", "de", "Ansehen"), ("en-GB,en;q=0.9", "en", "View")],
)
def test_the_demo_share_page_follows_the_browsers_language(accept_language, lang, button):
    share = ShareFactory(name="")

    response = Client().get(share.get_absolute_url(), headers={"accept-language": accept_language})

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{lang}"' in page
    assert f'<button type="submit">{button}</button>' in page


def test_a_german_browser_is_refused_in_german_by_the_demo():
    response = Client().get("/share/nope/", headers={"accept-language": "de"})

    assert response.status_code == 404
    assert "<h1>Diesen Freigabelink gibt es nicht.</h1>" in response.content.decode()
