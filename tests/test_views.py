"""The grant cookie that views.py sets and reads: what it carries, where it goes, what ends it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings

from directus_shares.models import Share
from directus_shares.views import has_grant, issue_grant
from tests.factories import ShareFactory
from tests.helpers import open_share

pytestmark = pytest.mark.django_db


def granted(share: Share, **request: object) -> HttpResponse:
    """A response on which ``share`` was granted to a visitor of ``RequestFactory().post``."""
    response = HttpResponse()
    issue_grant(RequestFactory().post(share.get_absolute_url(), **request), response, share)
    return response


def holding(response: HttpResponse, share: Share):
    """A request of a visitor who kept the cookies ``response`` set."""
    request = RequestFactory().get(share.get_absolute_url())
    request.COOKIES = {name: morsel.value for name, morsel in response.cookies.items()}
    return request


def test_the_grant_is_an_http_only_cookie_for_the_share_page_alone():
    share = ShareFactory()
    cookie = granted(share).cookies["directus_share_grant"]
    assert cookie["path"] == share.get_absolute_url()
    assert cookie["httponly"] is True and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 3600
    assert not cookie["secure"]  # a plain-HTTP site; see the next test
    assert granted(share, secure=True).cookies["directus_share_grant"]["secure"] is True


@override_settings(
    DIRECTUS_SHARES={
        "GRANT_COOKIE_NAME": "grant",
        "GRANT_COOKIE_SECURE": True,
        "GRANT_MAX_AGE": timedelta(minutes=5),
    }
)
def test_the_cookie_follows_the_settings():
    share = ShareFactory()
    response = granted(share)
    assert list(response.cookies) == ["grant"]
    cookie = response.cookies["grant"]
    assert cookie["secure"] is True and cookie["max-age"] == 300
    assert has_grant(holding(response, share), share)


def test_a_grant_holds_for_its_share_only_and_ends_with_a_new_password_or_link():
    share, other = ShareFactory(password="pw"), ShareFactory(password="pw")
    response = granted(share)
    assert has_grant(holding(response, share), share)
    assert not has_grant(holding(response, other), other)
    share.set_password("new")
    share.save()
    assert not has_grant(holding(response, share), share)
    response = granted(share)
    share.rotate_key()
    share.save()
    assert not has_grant(holding(response, share), share)
    assert not has_grant(RequestFactory().get("/"), share)  # no cookie at all


def test_the_grant_cookie_reveals_nothing_about_the_share():
    share = ShareFactory()
    visitor = Client()
    open_share(visitor, share)
    payload = signing.loads(
        visitor.cookies["directus_share_grant"].value, salt="directus_shares.grant"
    )
    assert isinstance(payload, str) and str(share.pk) != payload and share.key not in payload
