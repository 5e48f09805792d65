"""The share form's CSRF check (``csrf.py``): Django's own rules, with or without the site's
middleware, answered by a share page that logs no working link."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.test import Client, override_settings

from directus_shares.models import Share
from tests.factories import ShareFactory
from tests.helpers import open_share

pytestmark = pytest.mark.django_db


def csrf_client() -> Client:
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "b" * 32
    return client


@override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if "Csrf" not in m])
def test_the_form_is_csrf_protected_and_works_without_the_csrf_middleware():
    share = ShareFactory(password="pw")
    forged = Client(enforce_csrf_checks=True).post(share.get_absolute_url(), {"password": "pw"})
    assert forged.status_code == 403
    assert open_share(Client(enforce_csrf_checks=True), share, "pw").status_code == 303


@pytest.mark.parametrize(
    "fetch_site",
    [
        "same-origin",  # a page with a no-referrer policy of its own, or an old cached share page
        None,  # browsers from before Sec-Fetch-Site
        "same-site",  # a sibling subdomain that could have planted the CSRF cookie
        "cross-site",  # a foreign page posting with Origin: null (sandboxed frame)
    ],
)
def test_a_null_origin_is_refused_as_django_refuses_it(fetch_site):
    """The share page sends ``Referrer-Policy: same-origin``, so its own form posts with its real
    origin (browser test); ``Origin: null`` is a foreign origin to Django, whatever else the
    browser says – also from a share page loaded before the policy changed (reloading fixes it)."""
    share = ShareFactory(password="pw")
    headers = {"HTTP_ORIGIN": "null"}
    if fetch_site:
        headers["HTTP_SEC_FETCH_SITE"] = fetch_site
    response = csrf_client().post(
        share.get_absolute_url(),
        {"password": "pw", "csrfmiddlewaretoken": "b" * 32},
        secure=True,
        **headers,
    )
    assert response.status_code == 403
    assert "Reload the page, then submit it again." in response.content.decode()
    assert Share.objects.get(pk=share.pk).times_used == 0


def test_the_own_origin_with_the_token_opens_the_share():
    share = ShareFactory(password="pw")
    response = csrf_client().post(
        share.get_absolute_url(),
        {"password": "pw", "csrfmiddlewaretoken": "b" * 32},
        secure=True,
        HTTP_ORIGIN="https://testserver",
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert response.status_code == 303
    assert Share.objects.get(pk=share.pk).times_used == 1


@pytest.mark.parametrize("secure", [False, True])
def test_a_foreign_origin_or_a_missing_token_is_refused_with_a_share_page(caplog, secure):
    share = ShareFactory(password="pw")
    url = share.get_absolute_url()
    with caplog.at_level(logging.INFO):
        foreign = csrf_client().post(
            url,
            {"password": "pw", "csrfmiddlewaretoken": "b" * 32},
            secure=secure,
            HTTP_ORIGIN="https://evil.example",
            HTTP_SEC_FETCH_SITE="cross-site",
        )
        tokenless = csrf_client().post(
            url, {"password": "pw"}, secure=secure, HTTP_ORIGIN="https://testserver"
        )
    for response in (foreign, tokenless):
        assert response.status_code == 403
        content = response.content.decode()
        assert "<h1>Please try again</h1>" in content
        assert "Reload the page, then submit it again." in content
        assert 'class="ds-card ds-refused ds-refused-csrf"' in content
        assert response["Cache-Control"] == "no-store, private"
        assert response["Referrer-Policy"] == "same-origin"
    assert Share.objects.get(pk=share.pk).times_used == 0
    messages = [record.getMessage() for record in caplog.records]
    assert all(share.key not in message for message in messages)
    assert sum("Share refused (403, CSRF)" in message for message in messages) == 2
    # Django's own reason, on its security logger, with the link cut
    assert any(
        r.name == "django.security.csrf" and "Origin" in r.getMessage() for r in caplog.records
    )
    # Django's request line for the same 403 is left out: the app logged it already
    assert not any(record.name == "django.request" for record in caplog.records)


@override_settings(CSRF_FAILURE_VIEW="tests.test_csrf.project_failure_view")
def test_the_share_page_answers_a_rejection_not_the_projects_failure_view():
    share = ShareFactory()
    response = csrf_client().post(share.get_absolute_url(), {}, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert "Reload the page, then submit it again." in response.content.decode()
    assert "project failure" not in response.content.decode()


def project_failure_view(request, reason=""):
    from django.http import HttpResponseForbidden

    return HttpResponseForbidden("project failure")
