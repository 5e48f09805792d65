"""Uses are counted exactly when many visitors open a share at the same moment – through its
common link or its recipients' own links (PostgreSQL, MariaDB/MySQL)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from directus_shares import opening, verification
from directus_shares.models import (
    RecipientDevice,
    Share,
    ShareAccess,
    ShareRecipient,
    VerificationCode,
)
from directus_shares.outcomes import CodeRequested
from tests.factories import RecipientFactory, ShareFactory, UserFactory
from tests.held_checks import HeldChecks
from tests.helpers import open_share, opened_through

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor not in ("postgresql", "mysql"),
        reason="needs concurrent writers on a server: set DATABASE_URL=postgres://… or mysql://…",
    ),
]

VISITORS = 24
GRANTED = {"api": 200, "page": 303}
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


@pytest.mark.parametrize("surface", ["page", "api"])
@override_settings(
    DIRECTUS_SHARES={
        "PASSWORD_ATTEMPTS_PER_ADDRESS": (2, 900),
        "PASSWORD_ATTEMPTS_PER_SHARE": (50, 3600),
    }
)
def test_right_passwords_beyond_the_limit_from_one_address_are_never_refused(monkeypatch, surface):
    """Twelve right passwords at once from one address that may send two wrong ones: two are
    checked at a time while the others wait – every visitor gets a use while there are uses,
    then "used up"; nobody is told to wait for a lock (429)."""
    share = ShareFactory(max_uses=5, password="race")
    checks = HeldChecks(monkeypatch, checking=2, waiting=10)
    checks.hold_share_password_checks(monkeypatch, right="race")
    if surface == "page":
        clients = [Client() for _ in range(12)]
        statuses = run_at_once(12, lambda: open_share(clients.pop(), share, "race").status_code)
    else:
        url = f"/api/shares/open/{share.token}/auth/"
        body = {"password": "race"}
        statuses = run_at_once(12, lambda: APIClient().post(url, body, format="json").status_code)
    assert Counter(statuses) == {GRANTED[surface]: 5, 410: 7}
    assert checks.most == 2
    assert Share.objects.get(pk=share.pk).times_used == 5
    reasons = Counter(ShareAccess.objects.filter(share=share).values_list("reason", flat=True))
    assert reasons == {"granted": 5, "used_up": 7}


def test_consume_use_under_contention_never_passes_the_limit():
    share = ShareFactory(max_uses=MAX_USES)
    results = run_at_once(VISITORS, lambda: opening.consume_use(share, timezone.now()))
    assert results.count(True) == MAX_USES
    assert Share.objects.get(pk=share.pk).times_used == MAX_USES


@override_settings(DIRECTUS_SHARES={"DEVICES_PER_RECIPIENT": None})  # use limits alone
def test_concurrent_opens_of_one_recipients_link_grant_exactly_its_own_limit():
    recipient = RecipientFactory(share=ShareFactory(max_uses=None), max_uses=3)
    clients = [Client() for _ in range(12)]
    statuses = run_at_once(
        12, lambda: open_share(clients.pop(), opened_through(recipient)).status_code
    )
    assert Counter(statuses) == {303: 3, 410: 9}
    recipient.refresh_from_db()
    assert recipient.times_used == 3
    assert Share.objects.get(pk=recipient.share_id).times_used == 3


@override_settings(DIRECTUS_SHARES={"DEVICES_PER_RECIPIENT": None})  # use limits alone
def test_concurrent_opens_through_many_recipients_keep_both_limits_exact():
    """Four recipients (three uses each) and the common link race for a share's five uses: the
    share counts exactly five, the recipients' counts add up to the uses taken through them, and
    none passes its own limit."""
    share = ShareFactory(max_uses=MAX_USES)
    recipients = [RecipientFactory(share=share, max_uses=3) for _ in range(4)]
    links = [opened_through(r) for r in recipients for _ in range(5)] + [share] * 4
    visitors = [(Client(), link) for link in links]
    statuses = run_at_once(len(visitors), lambda: open_share(*visitors.pop()).status_code)
    assert statuses.count(303) == MAX_USES
    assert Share.objects.get(pk=share.pk).times_used == MAX_USES
    counted = [ShareRecipient.objects.get(pk=r.pk).times_used for r in recipients]
    assert all(count <= 3 for count in counted)
    common = ShareAccess.objects.filter(share=share, recipient=None, granted=True).count()
    assert sum(counted) + common == MAX_USES
    for recipient, count in zip(recipients, counted, strict=True):
        granted = ShareAccess.objects.filter(recipient=recipient, granted=True).count()
        assert granted == count


# -- devices: a recipient's link held to a device limit --------------------------------------------

DEVICE_LIMIT = 2


@pytest.mark.parametrize("surface", ["page", "api"])
def test_concurrent_new_devices_on_one_recipients_link_register_exactly_the_device_limit(
    mailoutbox, surface
):
    """Twelve new devices open one recipient's link at once, all past the read check: exactly
    ``DEVICE_LIMIT`` are registered and counted, every other one is refused as forwarded, and the
    creator is told once."""
    creator = UserFactory(email="owner@example.com")
    share = ShareFactory(created_by=creator, devices_per_recipient=DEVICE_LIMIT)
    recipient = RecipientFactory(share=share)
    through = opened_through(recipient)
    if surface == "page":
        clients = [Client() for _ in range(12)]
        for client in clients:  # landing page first, as browsers do: each gets its device cookie
            assert client.get(through.get_absolute_url()).status_code == 200
        statuses = run_at_once(12, lambda: open_share(clients.pop(), through).status_code)
    else:
        url = f"/api/shares/open/{through.token}/auth/"
        statuses = run_at_once(12, lambda: APIClient().post(url, {}, format="json").status_code)
    assert Counter(statuses) == {GRANTED[surface]: DEVICE_LIMIT, 403: 12 - DEVICE_LIMIT}
    assert RecipientDevice.objects.filter(recipient=recipient).count() == DEVICE_LIMIT
    recipient.refresh_from_db()
    assert recipient.times_used == DEVICE_LIMIT and recipient.is_forwarded
    assert Share.objects.get(pk=share.pk).times_used == DEVICE_LIMIT
    reasons = Counter(ShareAccess.objects.filter(share=share).values_list("reason", flat=True))
    assert reasons == {"granted": DEVICE_LIMIT, "recipient_forwarded": 12 - DEVICE_LIMIT}
    assert [message.to for message in mailoutbox] == [["owner@example.com"]]


def test_one_new_device_opening_twice_at_once_is_registered_once():
    """A double submit from one browser: one device, however the two requests interleave."""
    recipient = RecipientFactory(share=ShareFactory(devices_per_recipient=1))
    through = opened_through(recipient)
    browser = Client()
    browser.get(through.get_absolute_url())
    cookie = browser.cookies["directus_share_device"].value
    clients = [Client(HTTP_COOKIE=f"directus_share_device={cookie}") for _ in range(6)]
    statuses = run_at_once(6, lambda: open_share(clients.pop(), through).status_code)
    assert statuses == [303] * 6
    assert RecipientDevice.objects.filter(recipient=recipient).count() == 1
    assert not ShareRecipient.objects.get(pk=recipient.pk).is_forwarded


# -- one-time codes: tries and the single use are counted in the database -----------------------

ANNA = "anna@example.org"
CODE_TRIES = 5


def code_share_and_code(monkeypatch) -> tuple[Share, str]:
    """A share restricted to Anna's address, and the code she was sent (known to the test)."""
    monkeypatch.setattr(verification, "new_code", lambda: "424242")
    share = ShareFactory(allowed_addresses=[ANNA])
    assert isinstance(opening.request_code(code_request(), share.token, ANNA), CodeRequested)
    return share, "424242"


def code_request():
    return RequestFactory().post("/", REMOTE_ADDR="192.0.2.1")


def try_page_code(share: Share, code: str) -> int:
    client = Client()
    client.cookies["csrftoken"] = "a" * 32
    data = {"csrfmiddlewaretoken": "a" * 32, "email": ANNA, "code": code}
    return client.post(share.get_absolute_url(), data).status_code


def test_concurrent_wrong_codes_get_exactly_the_tries_allowed(monkeypatch):
    share, _code = code_share_and_code(monkeypatch)
    statuses = run_at_once(VISITORS, lambda: try_page_code(share, "000000"))
    assert Counter(statuses) == {403: CODE_TRIES, 429: VISITORS - CODE_TRIES}
    assert VerificationCode.objects.get().tries == CODE_TRIES
    reasons = Counter(ShareAccess.objects.filter(share=share).values_list("reason", flat=True))
    assert reasons == {
        "code_requested": 1,
        "wrong_code": CODE_TRIES,
        "code_tries_used_up": VISITORS - CODE_TRIES,
    }
    assert Share.objects.get(pk=share.pk).times_used == 0


def test_one_right_code_sent_many_times_at_once_opens_once(monkeypatch):
    share, code = code_share_and_code(monkeypatch)
    statuses = run_at_once(8, lambda: try_page_code(share, code))
    assert statuses.count(303) == 1
    assert set(statuses) - {303} <= {410, 429}  # used, or its tries went to the others
    assert Share.objects.get(pk=share.pk).times_used == 1
    assert ShareAccess.objects.filter(share=share, granted=True, email=ANNA).count() == 1
