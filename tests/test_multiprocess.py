"""Uses and password lockouts hold across processes: real gunicorn workers on PostgreSQL or
MariaDB/MySQL, with the password counters in Redis, answering requests released at the same
moment – through a share's common link and through its recipients' own links.

The data is committed in pytest-django's test database (``transaction=True``), which the workers
use too (``bench/server.py`` starts them, ``tests/server_settings.py`` configures them).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.db import connection
from django.utils import timezone

from bench import rawhttp
from bench.server import (
    HOST,
    ROOT,
    Server,
    ServerConfig,
    database_url,
    redis_unavailable,
    serving,
)
from directus_shares import verification
from directus_shares.conf import get_config
from directus_shares.models import (
    AccessReason,
    Share,
    ShareAccess,
    ShareRecipient,
    VerificationCode,
)
from tests.factories import RecipientFactory, ShareFactory, UserFactory
from tests.helpers import opened_through
from tests.mail_backends import MAIL_DIR_VARIABLE, delivered

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 4
THREADS = 4
VISITORS = 40
MAX_USES = 5
WRONG_ATTEMPTS = 20
GRANTED = {"api": 200, "page": 303}
T = TypeVar("T")


def serve(mail_dir: Path, threads: int = 1) -> Iterator[Server]:
    """gunicorn with :data:`WORKERS` workers (gthread ones with ``threads``) on the test
    database, its mails written to ``mail_dir``, stopped when the generator is."""
    if connection.vendor not in ("postgresql", "mysql"):
        pytest.skip("needs worker processes on a server: set DATABASE_URL=postgres:// or mysql://")
    problem = redis_unavailable()
    if problem:
        pytest.skip(f"needs Redis as the workers' shared cache: {problem}")
    config = ServerConfig(
        database_url(connection.settings_dict),
        workers=WORKERS,
        threads=threads,
        extra_environment={MAIL_DIR_VARIABLE: str(mail_dir)},
    )
    with serving(config) as running:
        yield running


@pytest.fixture(scope="module")
def mail_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the workers' mails go, a file each (:class:`tests.mail_backends.DirectoryBackend`)."""
    return tmp_path_factory.mktemp("mails")


@pytest.fixture(scope="module")
def server(django_db_setup: None, mail_dir: Path) -> Iterator[Server]:
    """gunicorn with :data:`WORKERS` sync workers, stopped after the module."""
    yield from serve(mail_dir)


@pytest.fixture(scope="module")
def gthread_server(django_db_setup: None, mail_dir: Path) -> Iterator[Server]:
    """gunicorn with :data:`WORKERS` gthread workers of :data:`THREADS` threads each."""
    yield from serve(mail_dir, threads=THREADS)


def target(server: Server, source: str = HOST) -> rawhttp.Target:
    """Requests to ``server`` from the loopback address ``source`` (one per lockout test, so the
    per-address counters of one test never lock another)."""
    return rawhttp.Target(HOST, server.port, source)


def auth_path(share: Share) -> str:
    return f"/api/shares/open/{share.token}/auth/"


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` in a thread of its own: the browser tests' Playwright keeps an event
    loop running in the main thread for the whole session."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def together(to: rawhttp.Target, requests: list[bytes]) -> list[rawhttp.Reply]:
    return run_async(rawhttp.send_together(to, requests))


def first_opens(
    to: rawhttp.Target,
    share: Share,
    surface: str,
    visitors: int = VISITORS,
    cookies: dict[str, str] | None = None,
) -> list[bytes]:
    """One first open per visitor: the API's ``auth``, or the page's form (after its ``GET``,
    which counts nothing, for the CSRF cookie), with ``cookies`` and no other: without a device
    cookie, each visitor is a new browser (a new device, on a recipient's link). Through a
    recipient's link when ``share`` was reached through it (:func:`.helpers.opened_through`)."""
    cookies = cookies or {}
    carried = {"Cookie": rawhttp.cookie_header(cookies)} if cookies else {}
    if surface == "api":
        return [rawhttp.post_json(auth_path(share), {}, carried) for _ in range(visitors)]
    url = share.get_absolute_url()
    landings = together(to, [rawhttp.request("GET", url, headers=carried)] * visitors)
    assert {reply.status for reply in landings} == {200}
    csrf_tokens = [reply.cookies()["csrftoken"] for reply in landings]
    return [
        rawhttp.post_form(url, {"csrfmiddlewaretoken": token}, {**cookies, "csrftoken": token})
        for token in csrf_tokens
    ]


def access_rows(**where: Share | ShareRecipient) -> Counter[str]:
    """The access log's rows of a share (``share=``) or of a recipient's link (``recipient=``),
    counted by reason."""
    return Counter(ShareAccess.objects.filter(**where).values_list("reason", flat=True))


def assert_uses_exact(
    replies: list[rawhttp.Reply],
    surface: str,
    uses: int,
    refused: AccessReason,
    status: int = 410,
    **where: Share | ShareRecipient,
) -> None:
    """Of ``replies`` – the opens of one link, ``share=`` or ``recipient=`` in ``where`` – exactly
    ``uses`` were granted and the rest refused (``status``, logged as ``refused``): so say the
    link's count and its access-log rows."""
    statuses = Counter(reply.status for reply in replies)
    assert statuses == {GRANTED[surface]: uses, status: len(replies) - uses}
    (link,) = where.values()
    link.refresh_from_db()
    assert link.times_used == uses
    assert access_rows(**where) == {AccessReason.GRANTED: uses, refused: len(replies) - uses}
    assert ShareAccess.objects.filter(granted=True, **where).count() == uses


@pytest.mark.parametrize("surface", ["api", "page"])
def test_concurrent_first_opens_in_many_processes_grant_exactly_max_uses(server, surface):
    share = ShareFactory(max_uses=MAX_USES)
    to = target(server)
    replies = together(to, first_opens(to, share, surface))
    assert_uses_exact(replies, surface, MAX_USES, AccessReason.USED_UP, share=share)


def wrong_password_burst(to: rawhttp.Target, share: Share) -> list[rawhttp.Reply]:
    """:data:`WRONG_ATTEMPTS` wrong passwords for ``share``, all sent at the same moment."""
    requests = [
        rawhttp.post_json(auth_path(share), {"password": f"wrong {number}"})
        for number in range(WRONG_ATTEMPTS)
    ]
    return together(to, requests)


def assert_locked(reply: rawhttp.Reply) -> None:
    assert reply.status == 429 and reply.json()["code"] == "too_many_attempts"
    assert 0 < int(reply.header("Retry-After") or 0) <= 900


def test_wrong_passwords_from_one_address_lock_it_in_every_worker(server):
    limit = get_config()["PASSWORD_ATTEMPTS_PER_ADDRESS"][0]
    share = ShareFactory(password="right")
    to = target(server, "127.0.0.2")
    replies = wrong_password_burst(to, share)
    wrong = [reply for reply in replies if reply.status == 401]
    assert all(reply.json()["code"] == "wrong_password" for reply in wrong)
    assert len(wrong) == limit  # each attempt is counted before its check: none overtakes
    for reply in replies:
        if reply.status != 401:
            assert_locked(reply)
    right = rawhttp.post_json(auth_path(share), {"password": "right"})
    assert_locked(run_async(rawhttp.send(to, right)))
    assert Share.objects.get(pk=share.pk).times_used == 0
    rows = access_rows(share=share)  # every attempt is logged, none granted
    assert rows.total() == WRONG_ATTEMPTS + 1 and rows[AccessReason.GRANTED] == 0
    assert rows[AccessReason.WRONG_PASSWORD] == limit
    assert rows[AccessReason.LOCKED_OUT] == WRONG_ATTEMPTS + 1 - limit


def test_right_passwords_from_one_address_beyond_the_limit_all_get_their_use(gthread_server):
    """As many right passwords at once as 4×4 gthread workers answer – more than the address may
    send wrong ones: those beyond the limit wait for the checks under way, none is told of a
    lock (429), and every one gets a use while there are uses."""
    limit = get_config()["PASSWORD_ATTEMPTS_PER_ADDRESS"][0]
    visitors, max_uses = WORKERS * THREADS, 10
    assert visitors > limit
    share = ShareFactory(password="right", max_uses=max_uses)
    right = rawhttp.post_json(auth_path(share), {"password": "right"})
    replies = together(target(gthread_server, "127.0.0.3"), [right] * visitors)
    assert Counter(reply.status for reply in replies) == {200: max_uses, 410: visitors - max_uses}
    assert Share.objects.get(pk=share.pk).times_used == max_uses
    assert access_rows(share=share) == {
        AccessReason.GRANTED: max_uses,
        AccessReason.USED_UP: visitors - max_uses,
    }


# -- recipients' own links: their limits and the share's, across processes ---------------------

#: Opens through each recipient's link in one burst.
OPENS_EACH = 12


def opens_through(
    to: rawhttp.Target, recipients: list[ShareRecipient], surface: str
) -> tuple[list[ShareRecipient], list[bytes]]:
    """:data:`OPENS_EACH` first opens through each recipient's own link, interleaved, and the
    recipient each one goes through."""
    groups = [first_opens(to, opened_through(r), surface, OPENS_EACH) for r in recipients]
    return recipients * OPENS_EACH, [raw for row in zip(*groups, strict=True) for raw in row]


def codes(replies: list[rawhttp.Reply], status: int) -> set[str]:
    """The API's error codes of the ``status`` replies."""
    return {reply.json()["code"] for reply in replies if reply.status == status}


@pytest.mark.parametrize("surface", ["api", "page"])
def test_concurrent_opens_through_recipients_links_grant_exactly_each_ones_uses(server, surface):
    """Two recipients with uses of their own, on a share without a limit: each link counts
    exactly its uses, the share their sum; the rest are told the personal link is used up."""
    uses = 4
    share = ShareFactory(max_uses=None, devices_per_recipient=OPENS_EACH)  # no device refused
    recipients = [RecipientFactory(share=share, max_uses=uses) for _ in range(2)]
    to = target(server)
    through, requests = opens_through(to, recipients, surface)
    replies = together(to, requests)
    for recipient in recipients:
        mine = [reply for reply, r in zip(replies, through, strict=True) if r == recipient]
        refused = AccessReason.RECIPIENT_USED_UP
        assert_uses_exact(mine, surface, uses, refused, recipient=recipient)
    if surface == "api":
        assert codes(replies, 410) == {"recipient_used_up"}
    assert Share.objects.get(pk=share.pk).times_used == 2 * uses


def test_concurrent_opens_through_recipients_links_take_exactly_the_shares_uses(server):
    """Four recipients without limits of their own race for a share's uses: the share counts
    exactly its limit, the recipients' counts move with it (they add up to it, each matching its
    granted log rows); the rest are told the share is used up."""
    share = ShareFactory(max_uses=MAX_USES, devices_per_recipient=OPENS_EACH)
    recipients = [RecipientFactory(share=share) for _ in range(4)]
    to = target(server)
    _through, requests = opens_through(to, recipients, "api")
    replies = together(to, requests)
    assert_uses_exact(replies, "api", MAX_USES, AccessReason.USED_UP, share=share)
    assert codes(replies, 410) == {"used_up"}
    counted = [ShareRecipient.objects.get(pk=r.pk).times_used for r in recipients]
    assert sum(counted) == MAX_USES
    for recipient, count in zip(recipients, counted, strict=True):
        assert ShareAccess.objects.filter(recipient=recipient, granted=True).count() == count


@pytest.mark.parametrize("surface", ["api", "page"])
def test_concurrent_opens_from_new_devices_register_exactly_the_links_device_limit(
    server, mail_dir, surface
):
    """A recipient's link that may be opened on two devices, opened at once from many browsers
    new to it: exactly two devices are registered and counted, every other open is refused as
    forwarded and counts nothing; the link is flagged and its share's creator told once. The two
    browsers counted are the registered devices: each opens the link again."""
    devices = 2
    creator = UserFactory(email=f"creator-{surface}@example.org")
    share = ShareFactory(max_uses=None, devices_per_recipient=devices, created_by=creator)
    recipient = RecipientFactory(share=share)
    link, to = opened_through(recipient), target(server)
    replies = together(to, first_opens(to, link, surface, OPENS_EACH))
    forwarded = AccessReason.RECIPIENT_FORWARDED
    assert_uses_exact(replies, surface, devices, forwarded, 403, recipient=recipient)
    if surface == "api":
        assert codes(replies, 403) == {"recipient_forwarded"}
    assert recipient.devices.count() == devices and recipient.forwarded_at is not None
    assert Share.objects.get(pk=share.pk).times_used == devices
    notices = [mail for mail in delivered(mail_dir) if mail["To"] == creator.email]
    assert len(notices) == 1 and "forwarded" in notices[0]["Subject"]
    cookie = get_config()["DEVICE_COOKIE_NAME"]
    counted = [reply.cookies()[cookie] for reply in replies if reply.status != 403]
    again = [first_opens(to, link, surface, 1, {cookie: device})[0] for device in counted]
    assert {reply.status for reply in together(to, again)} == {GRANTED[surface]}
    recipient.refresh_from_db()
    assert (recipient.times_used, recipient.devices.count()) == (2 * devices, devices)


# -- one-time codes: tries counted in the database, across processes ----------------------------

#: One process: set up Django on the test database, load the share, say "ready", wait for "go",
#: then try a wrong code ``tries`` times and print each result.
_CODE_TRIER = """
import sys, django
django.setup()
from django.utils import timezone
from directus_shares import verification
from directus_shares.models import Share
share = Share.objects.get(pk=int(sys.argv[1]))
print("ready", flush=True)
sys.stdin.readline()
for _ in range(int(sys.argv[2])):
    print(verification.try_code(share, sys.argv[3], "000000", timezone.now()).result.value)
"""


def test_wrong_codes_from_many_processes_get_exactly_the_tries_allowed():
    """Processes of their own – no cache, no shared memory – trying one code at once: the
    conditional ``UPDATE`` lets exactly ``VERIFICATION_CODE_TRIES`` tries through."""
    if connection.vendor not in ("postgresql", "mysql"):
        pytest.skip("needs processes on a server: set DATABASE_URL=postgres:// or mysql://")
    processes, tries_each = 6, 4
    share = ShareFactory(allowed_addresses=["anna@example.org"])
    assert verification.issue_code(share, "anna@example.org", timezone.now()) is not None
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
    }
    arguments = [str(share.pk), str(tries_each), "anna@example.org"]
    triers = [
        subprocess.Popen(
            [sys.executable, "-c", _CODE_TRIER, *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=environment,
            cwd=ROOT,
        )
        for _ in range(processes)
    ]
    try:
        for trier in triers:
            assert trier.stdout is not None and trier.stdout.readline().strip() == "ready"
        for trier in triers:  # all released before any is waited for
            assert trier.stdin is not None
            trier.stdin.write("go\n")
            trier.stdin.flush()
        outputs = [trier.communicate(timeout=120)[0] for trier in triers]
    finally:
        for trier in triers:
            if trier.poll() is None:
                trier.kill()
    results = Counter(line for output in outputs for line in output.split())
    allowed = get_config()["VERIFICATION_CODE_TRIES"]
    assert results == {"wrong": allowed, "tries_used_up": processes * tries_each - allowed}
    assert VerificationCode.objects.get(share=share).tries == allowed
