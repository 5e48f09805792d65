"""When the cache or the database is away, a share answers 503 with Retry-After – never a 500,
never a password checked without its limits, never a working link in a log line."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.test import Client, RequestFactory, override_settings
from rest_framework.test import APIClient

from bench import rawhttp
from bench.server import HOST, ServerConfig, database_url, redis_unavailable, serving
from directus_shares import outages
from directus_shares.conf import get_config
from directus_shares.models import Share, ShareAccess
from tests.factories import ShareFactory
from tests.helpers import open_share
from tests.test_multiprocess import together

pytestmark = pytest.mark.django_db

PAGE_MESSAGE = "This share cannot be opened right now. Please try again in a minute."
API_DETAIL = PAGE_MESSAGE  # in words; Retry-After has the seconds
SHARE_HEADERS = {
    "page": {"Cache-Control": "no-store, private", "Referrer-Policy": "same-origin"},
    "api": {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
}


def unreachable_cache(error: str = "redis.exceptions.ConnectionError", **options):
    options = {"ERROR": error, **options}
    backend = {"BACKEND": "tests.caches.UnreachableCache", "OPTIONS": options}
    return override_settings(CACHES={"default": backend})


def open_on(surface: str, share: Share, password: str | None = None):
    """An open (the page's form or the API's ``auth``) with ``password``."""
    if surface == "page":
        return open_share(Client(), share, password)
    body = {} if password is None else {"password": password}
    return APIClient().post(f"/api/shares/open/{share.token}/auth/", body, format="json")


def assert_unavailable(response, surface: str) -> None:
    """503, Retry-After, the share responses' headers and the outage's message."""
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    for header, value in SHARE_HEADERS[surface].items():
        assert response[header] == value
    if surface == "page":
        assert PAGE_MESSAGE in response.content.decode()
    else:
        assert response.json() == {"code": "temporarily_unavailable", "detail": API_DETAIL}


def assert_no_link_logged(records: list[logging.LogRecord], share: Share) -> None:
    assert records, "the outage is logged"
    for record in records:
        logged = record.getMessage() + str(record.exc_info or "") + str(record.args)
        assert share.key not in logged and share.token not in logged


# -- the cache ------------------------------------------------------------------------------------


@pytest.mark.parametrize("surface", ["page", "api"])
@pytest.mark.parametrize(
    "error",
    ["redis.exceptions.ConnectionError", "redis.exceptions.TimeoutError", "builtins.Exception"],
)
def test_without_the_cache_a_password_attempt_answers_503_and_is_logged(caplog, surface, error):
    """No password is checked without its limits – the right one neither – but the visitor is
    asked to come back in a minute, and the owner sees the attempt in the access log."""
    share = ShareFactory(password="right")
    with unreachable_cache(error), caplog.at_level(logging.INFO):
        response = open_on(surface, share, "right")
    assert_unavailable(response, surface)
    assert Share.objects.get(pk=share.pk).times_used == 0
    [entry] = ShareAccess.objects.filter(share=share)
    assert (entry.reason, entry.granted) == ("service_unavailable", False)
    assert entry.get_reason_display() == "Not answered: the cache or the database was unavailable"
    assert_no_link_logged(caplog.records, share)
    assert any("the cache did not answer" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("surface", ["page", "api"])
def test_without_the_cache_a_code_request_answers_503_and_makes_no_code(surface, mailoutbox):
    """The requests of a client address are counted in the cache: without it none is made."""
    share = ShareFactory(allowed_addresses=["anna@example.org"])
    with unreachable_cache():
        if surface == "page":
            body = {"step": "email", "email": "anna@example.org"}
            response = Client().post(share.get_absolute_url(), body)
        else:
            body = {"email": "anna@example.org"}
            response = APIClient().post(f"/api/shares/open/{share.token}/code/", body)
    assert_unavailable(response, surface)
    assert mailoutbox == []
    [entry] = ShareAccess.objects.filter(share=share)
    assert entry.reason == "service_unavailable"


@pytest.mark.parametrize("surface", ["page", "api"])
def test_without_the_cache_a_share_without_a_password_still_opens(surface):
    """Only password attempts need the cache."""
    share = ShareFactory()
    with unreachable_cache():
        response = open_on(surface, share)
    assert response.status_code == {"page": 303, "api": 200}[surface]
    assert Share.objects.get(pk=share.pk).times_used == 1


@pytest.mark.parametrize("surface", ["page", "api"])
def test_a_cache_lost_after_a_right_password_was_checked_does_not_take_the_use(caplog, surface):
    """The cache answered the limits but not the end of the check (``decr``): the right password
    stands, and the count left under way ends with its clock slice."""
    share = ShareFactory(password="right")
    with unreachable_cache(FAIL=["decr"]), caplog.at_level(logging.WARNING):
        response = open_on(surface, share, "right")
    assert response.status_code == {"page": 303, "api": 200}[surface]
    assert Share.objects.get(pk=share.pk).times_used == 1
    assert "Could not end a password check under way (ConnectionError)" in caplog.messages


@pytest.fixture
def hung_redis() -> Iterator[str]:
    """A Redis URL whose server accepts connections and never answers (a stopped Redis)."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:  # closed: the test is over
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        server.close()
        for client in accepted:
            client.close()
        thread.join(timeout=5)


@pytest.mark.parametrize("surface", ["page", "api"])
def test_with_redis_hung_the_socket_timeout_ends_the_attempt_with_503(hung_redis, surface):
    """The socket timeouts that docs/deployment.md gives Django's RedisCache end the attempt
    (with redis-py's default of 5 s, every attempt would hold a worker that long)."""
    share = ShareFactory(password="right")
    hung = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": hung_redis,
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
    with override_settings(CACHES={"default": hung}):
        response = open_on(surface, share, "right")
    assert_unavailable(response, surface)
    assert ShareAccess.objects.get(share=share).reason == "service_unavailable"


# -- the database ---------------------------------------------------------------------------------


def database_away(error: type[Exception] = OperationalError):
    """Every statement on the default connection fails as it does while the server is away."""

    def refuse(execute, sql, params, many, context):
        raise error("server closed the connection unexpectedly")

    return connection.execute_wrapper(refuse)


def page_get(share: Share):
    return Client().get(share.get_absolute_url())


def api_info(share: Share):
    return APIClient().get(f"/api/shares/open/{share.token}/info/")


def api_item(share: Share):
    return APIClient().get(f"/api/shares/open/{share.token}/item/")


@pytest.mark.parametrize(
    ("surface", "request_share"),
    [
        ("page", page_get),
        ("page", lambda share: open_on("page", share, "right")),
        ("api", api_info),
        ("api", lambda share: open_on("api", share, "right")),
        ("api", api_item),
    ],
    ids=["page-get", "page-post", "api-info", "api-auth", "api-item"],
)
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_without_the_database_a_share_answers_503_and_logs_no_link(
    caplog, surface, request_share, error
):
    share = ShareFactory(password="right")
    with database_away(error), caplog.at_level(logging.INFO):
        response = request_share(share)
    assert_unavailable(response, surface)
    assert_no_link_logged(caplog.records, share)
    assert any("the database did not answer" in record.getMessage() for record in caplog.records)
    assert not any(record.name == "django.request" for record in caplog.records)


@pytest.mark.django_db(transaction=True)  # a failed UPDATE marks a test's transaction for rollback
def test_a_database_that_fails_while_counting_answers_503():
    """The checks passed and the count failed: the visitor is asked to come back, and the grant
    cookie issued before the count does not leave with the 503."""
    share = ShareFactory(max_uses=3)
    visitor = Client()
    visitor.get(share.get_absolute_url())
    visitor.cookies["csrftoken"] = "a" * 32

    def fail_the_count(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("UPDATE"):  # the count (the lookup may be a WITH)
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail_the_count):
        response = visitor.post(share.get_absolute_url(), {"csrfmiddlewaretoken": "a" * 32})
    assert_unavailable(response, "page")
    assert get_config()["GRANT_COOKIE_NAME"] not in response.cookies
    assert Share.objects.get(pk=share.pk).times_used == 0


def test_an_error_that_is_no_outage_stays_a_server_error():
    """A statement the database refuses is a bug, not an outage: it is not hidden as a 503."""
    request = RequestFactory().get("/share/x/")
    assert outages.outage_of(request, DatabaseError("syntax error")) is None
    assert outages.outage_of(request, ValueError("bug")) is None
    assert outages.outage_of(request, OperationalError("gone")).service == outages.DATABASE


# -- real restarts: gunicorn workers on PostgreSQL or MariaDB, with a Redis of the test's own ------

RESTART_WORKERS = 2
OPENS_PER_SHARE = 4


class PrivateRedis:
    """A ``redis-server`` of this test alone, on a free loopback port: stopping it disturbs no
    other test and no other run that uses the machine's Redis."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while redis_unavailable(self.url):
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server on the PATH")
    redis = PrivateRedis(tmp_path)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


def drop_database_connections() -> int:
    """Cut every connection to the test database but this process's own, as a server restart
    does to the workers' persistent connections; how many were cut."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return len(cursor.fetchall())
        cursor.execute(
            "SELECT id FROM information_schema.processlist "
            "WHERE db = DATABASE() AND id <> CONNECTION_ID()"
        )
        ids = [row[0] for row in cursor.fetchall()]
        for connection_id in ids:
            cursor.execute(f"KILL CONNECTION {int(connection_id)}")
        return len(ids)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("connections", ["persistent", "as-the-demo"])
def test_workers_ride_out_a_database_restart_and_a_redis_restart(private_redis, connections):
    """Under real gunicorn workers with persistent connections, or the pool the demo and
    docs/deployment.md configure on PostgreSQL: after the database dropped every connection, each
    request still answers (Django's ``CONN_HEALTH_CHECKS`` replaces the dead ones, in the pool
    too); while Redis is down, password
    attempts answer 503 and open shares still open; once Redis is back, everything opens again
    without restarting a worker; no answer is a 500, and every use is counted exactly once."""
    if connection.vendor not in ("postgresql", "mysql"):
        pytest.skip("needs worker processes on a server: set DATABASE_URL=postgres:// or mysql://")
    if connections == "as-the-demo" and connection.vendor != "postgresql":
        pytest.skip("the demo's options differ from the workers' only on PostgreSQL (a pool)")
    open_share_ = ShareFactory()
    password_share = ShareFactory(password="right")
    config = ServerConfig(
        database_url(connection.settings_dict),
        redis_url=private_redis.url,
        workers=RESTART_WORKERS,
        extra_environment={"SERVER_DATABASE_AS_DEMO": "1"} if connections == "as-the-demo" else {},
    )

    def wave(to: rawhttp.Target) -> dict[str, list[int]]:
        """Every worker opens each share a few times at once; the statuses per share."""
        requests = [
            rawhttp.post_json(f"/api/shares/open/{share.token}/auth/", body)
            for share, body in [(open_share_, {}), (password_share, {"password": "right"})]
            for _ in range(OPENS_PER_SHARE)
        ]
        statuses = [reply.status for reply in together(to, requests)]
        return {"open": statuses[:OPENS_PER_SHARE], "password": statuses[OPENS_PER_SHARE:]}

    everything_opens = {"open": [200] * OPENS_PER_SHARE, "password": [200] * OPENS_PER_SHARE}
    with serving(config) as server:
        to = rawhttp.Target(HOST, server.port)
        assert wave(to) == everything_opens

        assert drop_database_connections() >= 1, "the workers keep their connections"
        assert wave(to) == everything_opens

        private_redis.stop()
        assert wave(to) == {"open": [200] * OPENS_PER_SHARE, "password": [503] * OPENS_PER_SHARE}

        private_redis.start()
        assert wave(to) == everything_opens

    assert Share.objects.get(pk=open_share_.pk).times_used == 4 * OPENS_PER_SHARE
    assert Share.objects.get(pk=password_share.pk).times_used == 3 * OPENS_PER_SHARE
    reasons = Counter(
        ShareAccess.objects.filter(share=password_share).values_list("reason", flat=True)
    )
    assert reasons == {"granted": 3 * OPENS_PER_SHARE, "service_unavailable": OPENS_PER_SHARE}
