"""No working link in any log record: Django's request log (and what AdminEmailHandler and error
trackers read from it), the development server's and gunicorn's lines, and the app's own."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client
from django.utils.log import AdminEmailHandler
from django.views.debug import ExceptionReporter

from tests.factories import ShareFactory
from tests.helpers import database_fails_on, open_share

pytestmark = pytest.mark.django_db


class CapturedMail(AdminEmailHandler):
    """The admin e-mail Django would send (with its HTML report), kept instead of sent."""

    def __init__(self) -> None:
        super().__init__(include_html=True)
        self.sent: list[str] = []

    def send_mail(self, subject: str, message: str, *args: object, **kwargs: object) -> None:
        self.sent.append(f"{subject}\n{message}\n{kwargs.get('html_message') or ''}")


@pytest.fixture
def admin_mail() -> Iterator[CapturedMail]:
    handler = CapturedMail()
    request_logger = logging.getLogger("django.request")
    request_logger.addHandler(handler)
    yield handler
    request_logger.removeHandler(handler)


def everything_logged(records: list[logging.LogRecord]) -> str:
    """Each record as a formatter prints it (with its traceback), its request as an error report
    shows it, and the request's path, query and headers."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    parts = []
    for record in records:
        parts.append(formatter.format(record))
        request = getattr(record, "request", None)
        if request is not None:
            parts += [request.get_full_path(), repr(request), str(request.META)]
            parts.append(str(request.resolver_match))
            exc_info = record.exc_info or (None, None, None)
            reporter = ExceptionReporter(request, *exc_info, is_email=True)
            parts += [reporter.get_traceback_text(), reporter.get_traceback_html()]
    return "\n".join(parts)


def request_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(("django.request", "django.security"))]


def test_a_server_error_on_a_share_page_logs_and_mails_no_working_link(caplog, admin_mail):
    share = ShareFactory()
    object_table = connection.ops.quote_name(share.shared_model._meta.db_table)
    caplog.set_level(logging.INFO)
    client = Client(raise_request_exception=False)
    response = client.post(share.get_absolute_url(), {"password": "secret"})  # no CSRF check
    assert response.status_code == 303
    broke = RuntimeError("the disclosure broke")
    with database_fails_on(lambda sql: object_table in sql, raising=broke) as failed:
        response = client.get(share.get_absolute_url() + "?from=" + share.token)
    assert response.status_code == 500 and failed
    records = request_records(caplog)
    assert [r.levelname for r in records] == ["ERROR"]
    assert records[0].exc_info is not None  # the traceback is still there
    logged = everything_logged(records)
    assert "the disclosure broke" in logged
    assert share.token[:6] + "…" in logged
    assert share.token not in logged
    assert share.key not in logged
    assert len(admin_mail.sent) == 1
    assert "the disclosure broke" in admin_mail.sent[0]
    assert share.token not in admin_mail.sent[0]
    assert share.key not in admin_mail.sent[0]
    assert "directus_share_grant" in admin_mail.sent[0]  # the grant cookie, but not its value
    assert client.cookies["directus_share_grant"].value not in admin_mail.sent[0]


def test_an_api_server_error_logs_no_working_link(caplog, admin_mail):
    share = ShareFactory()
    object_table = connection.ops.quote_name(share.shared_model._meta.db_table)
    client = Client(raise_request_exception=False)
    broke = RuntimeError("the info broke")
    with database_fails_on(lambda sql: object_table in sql, raising=broke) as failed:
        response = client.get(f"/api/shares/open/{share.token}/info/")
    assert response.status_code == 500 and failed
    logged = everything_logged(request_records(caplog))
    assert "the info broke" in logged
    assert share.token not in logged and share.token not in admin_mail.sent[0]


@pytest.mark.parametrize(
    "path",
    [
        "/share/{token}/x/",
        "/share/{token}/files/x/y/",
        "/api/shares/open/{token}/item/2/",
        "/api/shares/open/{token}/",
    ],
)
def test_an_extra_path_segment_under_a_token_logs_no_working_link(client, caplog, path):
    share = ShareFactory()
    caplog.set_level(logging.INFO)
    response = client.get(path.format(token=share.token))
    assert response.status_code == 404
    records = caplog.records
    assert records, "Django (or the app, for the API's own 404) logs the 404"
    logged = everything_logged(records)
    assert share.token[:6] + "…" in logged
    assert share.token not in logged


@pytest.mark.parametrize("mistyped", ["dropped", "doubled"])
def test_a_link_one_character_off_is_redacted_too(client, caplog, mistyped):
    """A key one character short (or long) with the whole signature is one guess in 64 per
    position away from the working link: it must not reach a log line either."""
    share = ShareFactory()
    key, signature = share.token.split(".")
    near = key[:10] + key[11:] if mistyped == "dropped" else key[:10] + key[10] + key[10:]
    caplog.set_level(logging.INFO)
    response = client.get(f"/share/{near}.{signature}/")
    assert response.status_code == 404
    logged = everything_logged(caplog.records)
    assert near[:6] + "…" in logged
    assert signature not in logged and near not in logged


@pytest.mark.parametrize("dot", ["%2E", "%2e", "%2F"])
def test_a_percent_escaped_token_is_redacted_too(client, caplog, dot):
    share = ShareFactory()
    key, signature = share.token.split(".")
    caplog.set_level(logging.INFO)
    response = client.get(f"/share/{key}{dot}{signature}/x/")
    assert response.status_code == 404
    logged = everything_logged(caplog.records)
    assert key not in logged and signature not in logged


def test_an_unknown_format_on_the_api_logs_no_working_link(client, caplog):
    share = ShareFactory()
    caplog.set_level(logging.INFO)
    response = client.get(f"/api/shares/open/{share.token}/info/?format=xml")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_format"
    assert share.token not in caplog.text
    assert share.token not in everything_logged(caplog.records)


def test_a_refusal_is_logged_once_by_the_app_and_not_again_by_django(client, caplog):
    share = ShareFactory()
    share.revoke()
    caplog.set_level(logging.INFO)
    assert client.get(share.get_absolute_url()).status_code == 410
    assert client.get(f"/api/shares/open/{share.token}/info/").status_code == 410
    assert [r.name for r in caplog.records] == ["directus_shares.logs"] * 2
    assert share.token not in caplog.text


def test_a_referer_naming_the_share_is_redacted_on_another_paths_record(client, caplog):
    """Share pages send ``Referrer-Policy: same-origin``: a request the page makes to the site
    itself may name the link in its ``Referer`` (the app's templates say no-referrer on each
    element; a project's own template may not), and Django's 404 line carries that request."""
    share = ShareFactory()
    caplog.set_level(logging.INFO)
    referer = f"http://testserver/share/{share.token}/"
    assert client.get("/no-such-page/", HTTP_REFERER=referer).status_code == 404
    [record] = request_records(caplog)
    assert record.request.META["HTTP_REFERER"] == f"http://testserver/share/{share.token[:6]}…/"
    assert share.token not in everything_logged(caplog.records)


@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
def test_a_csrf_rejection_is_logged_by_django_and_the_app_without_the_link(caplog, origin):
    share = ShareFactory()
    caplog.set_level(logging.INFO)
    response = Client(enforce_csrf_checks=True).post(
        share.get_absolute_url(), HTTP_ORIGIN=origin, HTTP_REFERER=share.get_absolute_url()
    )
    assert response.status_code == 403
    assert [r.name for r in caplog.records] == ["django.security.csrf", "directus_shares.logs"]
    assert share.token not in everything_logged(caplog.records)


def test_the_development_servers_and_gunicorns_lines_are_redacted(caplog):
    share = ShareFactory()
    caplog.set_level(logging.INFO)
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /share/{share.token}/ HTTP/1.1", 200, 1234
    )
    # gunicorn's access log: the format with a mapping of atoms.
    logging.getLogger("gunicorn.access").info(
        '%(h)s "%(r)s" %(s)s',
        {"h": "127.0.0.1", "r": f"GET /share/{share.token}/ HTTP/1.1", "s": 200},
    )
    assert len(caplog.records) == 2
    assert share.token not in caplog.text
    assert caplog.text.count(share.token[:6] + "…") == 2


def test_the_filter_leaves_other_records_alone():
    from directus_shares.logs import ShareLinkFilter

    record = logging.LogRecord(
        "django.request", logging.WARNING, "", 0, "Not Found: %s", ("/x/",), None
    )
    assert ShareLinkFilter().filter(record)
    assert (record.msg, record.args) == ("Not Found: %s", ("/x/",))


def test_redact_cuts_every_token_and_nothing_else():
    from directus_shares.logs import redact

    share = ShareFactory()
    assert redact(f"a /share/{share.token}/ b {share.token}") == (
        f"a /share/{share.token[:6]}…/ b {share.token[:6]}…"
    )
    assert (
        redact("/share/short.token/ directus_shares.logs")
        == "/share/short.token/ directus_shares.logs"
    )


def test_every_security_logger_is_covered_once_the_middleware_is_loaded(client):
    from django.contrib.sessions.exceptions import SuspiciousSession

    from directus_shares.logs import ShareLinkFilter

    client.get("/share/nothing/")  # the first request of the process, in a test run or not
    security = logging.getLogger(f"django.security.{SuspiciousSession.__name__}")
    assert [f for f in security.filters if isinstance(f, ShareLinkFilter)]


# -- refusals ----------------------------------------------------------------------------------


def test_refusals_log_no_working_link(caplog):
    share = ShareFactory(password="pw")
    with caplog.at_level(logging.INFO):
        open_share(Client(), share, "wrong")
        share.revoke()
        Client().get(share.get_absolute_url())
    assert caplog.records, "refusals are logged"
    assert all(share.key not in record.getMessage() for record in caplog.records)
    assert any(
        "revoked" in r.getMessage() or "unavailable" in r.getMessage() for r in caplog.records
    )
