"""Every error of the API in one shape – ``{"code", "detail"}`` (and ``"errors"`` by field on a
validation error) – whatever raised it: a refusal, DRF itself, Django's limits on a request body,
an unknown ``?format=``, or a project's own ``EXCEPTION_HANDLER``."""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError
from django.test import Client, override_settings
from rest_framework.response import Response

from tests.factories import ShareFactory, UserFactory

pytestmark = pytest.mark.django_db

OPEN = "/api/shares/open/{token}/{endpoint}/"
TOO_MANY_FIELDS = {f"field{i}": "x" for i in range(2000)}  # DATA_UPLOAD_MAX_NUMBER_FIELDS: 1000


def assert_error(response, status: int, code: str, detail: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code and body["detail"] == detail
    return body


def assert_share_headers(response, *, referrer_policy: str = "no-referrer") -> None:
    """The API's JSON keeps ``no-referrer``; the page says ``same-origin`` (its form's Origin)."""
    assert response["Cache-Control"].startswith("no-store")
    assert response["Referrer-Policy"] == referrer_policy


def no_error_logged(caplog: pytest.LogCaptureFixture) -> bool:
    return not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_superuser=True))
    return client


def test_too_many_form_fields_on_auth_are_a_json_400_with_the_share_headers(client, caplog):
    share = ShareFactory(password="pw")
    url = OPEN.format(token=share.token, endpoint="auth")
    response = client.post(url, TOO_MANY_FIELDS)
    assert_error(response, 400, "request_too_large", "The request is too large.")
    assert_share_headers(response)
    assert no_error_logged(caplog)
    assert share.token not in caplog.text


def test_too_many_form_fields_on_the_page_are_a_400_with_the_share_headers(client, caplog):
    share = ShareFactory(password="pw")
    response = client.post(share.get_absolute_url(), TOO_MANY_FIELDS)
    assert response.status_code == 400
    assert response.content.decode() == "The request is too large."
    assert_share_headers(response, referrer_policy="same-origin")
    assert no_error_logged(caplog)


@pytest.mark.parametrize("endpoint", ["info", "item", "files/reference"])
def test_an_unknown_format_on_an_open_endpoint_is_a_json_404_with_the_share_headers(
    client, endpoint
):
    share = ShareFactory()
    response = client.get(OPEN.format(token=share.token, endpoint=endpoint) + "?format=xml")
    assert_error(
        response,
        404,
        "unknown_format",
        "This format is not available. Leave out “format” for JSON.",
    )
    assert_share_headers(response)


def test_an_unknown_format_on_auth_is_a_json_404_and_counts_nothing(client):
    share = ShareFactory()
    response = client.post(OPEN.format(token=share.token, endpoint="auth") + "?format=xml")
    assert_error(
        response,
        404,
        "unknown_format",
        "This format is not available. Leave out “format” for JSON.",
    )
    share.refresh_from_db()
    assert share.times_used == 0


def test_an_unknown_share_id_is_drfs_404_in_the_apis_shape(admin_client):
    response = admin_client.post("/api/shares/999999/revoke/")
    assert response.json() == {"code": "not_found", "detail": "Not found."}
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/shares/"), ("post", "/api/shares/{id}/revoke/")],
)
def test_the_database_away_is_a_503_for_managers_too_and_changes_nothing(
    admin_client, monkeypatch, caplog, method, path
):
    share = ShareFactory()

    def database_away(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("directus_shares.api.manage.managed_shares", database_away)
    response = getattr(admin_client, method)(path.format(id=share.pk))

    assert_error(
        response,
        503,
        "temporarily_unavailable",
        "The database did not answer. Please try again in a minute.",
    )
    assert response["Retry-After"] == "60"
    assert no_error_logged(caplog)
    share.refresh_from_db()
    assert not share.is_revoked


def test_a_validation_error_names_its_first_problem_and_lists_all_by_field(admin_client):
    share = ShareFactory()
    response = admin_client.patch(
        f"/api/shares/{share.pk}/",
        {"max_uses": 0, "date_start": "soon"},
        content_type="application/json",
    )
    body = response.json()
    assert response.status_code == 400 and set(body) == {"code", "detail", "errors"}
    assert set(body["errors"]) == {"max_uses", "date_start"}
    first = next(iter(body["errors"]))  # in the serializer's order of fields
    assert body["detail"] == body["errors"][first][0]
    assert body["code"] == {"date_start": "invalid", "max_uses": "min_value"}[first]


def body_detail(response) -> str:
    return response.json()["detail"]


def test_an_anonymous_manager_is_refused_in_the_apis_shape(client):
    response = client.get("/api/shares/")
    assert_error(
        response, 403, "not_authenticated", "Authentication credentials were not provided."
    )


def plain_handler(exc: Exception, context: dict) -> Response:
    return Response({"oops": str(exc)}, status=418)


@override_settings(REST_FRAMEWORK={"EXCEPTION_HANDLER": "tests.test_api_errors.plain_handler"})
def test_a_projects_exception_handler_does_not_change_the_apis_errors(client, admin_client):
    share = ShareFactory()
    response = client.post(OPEN.format(token=share.token, endpoint="auth"), "{", "application/json")
    assert_error(response, 400, "parse_error", body_detail(response))
    response = admin_client.post("/api/shares/999999/revoke/")
    assert response.json() == {"code": "not_found", "detail": "Not found."}


@pytest.mark.parametrize("rest", ["item/2/", "nothing/", "info/x", "files/a/b/"])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_any_other_path_under_a_link_token_is_the_apis_404(client, caplog, rest, method):
    share = ShareFactory()
    caplog.set_level(logging.INFO)
    response = getattr(client, method)(f"/api/shares/open/{share.token}/{rest}")
    assert_error(response, 404, "not_found", "Not found.")
    assert_share_headers(response)
    assert share.token not in caplog.text
