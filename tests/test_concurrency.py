"""Uses are counted exactly when many visitors open a share at the same moment (PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from directus_shares import access
from directus_shares.models import Share
from tests.conftest import open_share
from tests.factories import ShareFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs concurrent writers on a real server: set DATABASE_URL=postgres://…",
    ),
]

VISITORS = 24
MAX_USES = 5


def run_at_once(count: int, action) -> list:
    """Run ``action`` in ``count`` threads released together; each thread has its own connection."""
    barrier = threading.Barrier(count)

    def worker(_: int):
        try:
            barrier.wait(timeout=30)
            return action()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(worker, range(count)))


def test_concurrent_first_opens_grant_exactly_max_uses():
    share = ShareFactory(max_uses=MAX_USES)
    clients = [Client() for _ in range(VISITORS)]
    for client in clients:  # landing page first, as browsers do; it counts nothing
        client.get(share.get_absolute_url())
    statuses = run_at_once(VISITORS, lambda: open_share(clients.pop(), share).status_code)
    assert statuses.count(303) == MAX_USES
    assert statuses.count(410) == VISITORS - MAX_USES
    share.refresh_from_db()
    assert share.times_used == MAX_USES


def test_concurrent_password_opens_grant_exactly_max_uses():
    share = ShareFactory(max_uses=3, password="race")
    clients = [Client() for _ in range(12)]
    statuses = run_at_once(12, lambda: open_share(clients.pop(), share, "race").status_code)
    assert statuses.count(303) == 3
    share.refresh_from_db()
    assert share.times_used == 3


def test_consume_use_under_contention_never_passes_the_limit():
    share = ShareFactory(max_uses=MAX_USES)
    results = run_at_once(VISITORS, lambda: access.consume_use(share, timezone.now()))
    assert results.count(True) == MAX_USES
    assert Share.objects.get(pk=share.pk).times_used == MAX_USES
