"""Wrong passwords are limited per client address and per share; past a limit nothing is checked."""

from __future__ import annotations

import ipaddress
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core import mail
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from bench.server import REDIS_URL, redis_unavailable
from directus_shares import lockout
from directus_shares.models import Share, ShareAccess
from directus_shares.outages import Outage
from directus_shares.signals import share_locked
from tests.factories import RecipientFactory, ShareFactory, UserFactory
from tests.held_checks import HeldChecks
from tests.helpers import (
    QUEUE_WITHOUT_WORKER,
    mail_backend,
    open_share,
    opened_through,
    queued_tasks,
    run_queued,
)

pytestmark = pytest.mark.django_db

TWO_PER_ADDRESS = {
    "PASSWORD_ATTEMPTS_PER_ADDRESS": (2, 900),
    "PASSWORD_ATTEMPTS_PER_SHARE": (50, 3600),
}


@override_settings(DIRECTUS_SHARES=TWO_PER_ADDRESS)
def test_past_the_limit_the_page_answers_429_and_checks_no_password(monkeypatch):
    share = ShareFactory(password="right")
    visitor = Client()
    for _ in range(2):
        assert open_share(visitor, share, "wrong").status_code == 403
    checked = []
    monkeypatch.setattr(Share, "check_password", lambda self, raw: checked.append(raw) or True)
    response = open_share(visitor, share, "right")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 900
    assert "Too many wrong passwords. Try again in 15 minutes." in response.content.decode()
    assert checked == []  # no password was even looked at
    assert Share.objects.get(pk=share.pk).times_used == 0


@override_settings(DIRECTUS_SHARES=TWO_PER_ADDRESS)
def test_the_address_limit_spans_shares_and_other_addresses_are_not_locked():
    first, second = ShareFactory(password="a"), ShareFactory(password="b")
    visitor = Client(REMOTE_ADDR="192.0.2.1")
    open_share(visitor, first, "wrong")
    open_share(visitor, second, "wrong")
    assert open_share(visitor, first, "a").status_code == 429
    assert open_share(Client(REMOTE_ADDR="192.0.2.2"), first, "a").status_code == 303


@override_settings(
    DIRECTUS_SHARES={
        "PASSWORD_ATTEMPTS_PER_SHARE": (3, 3600),
        "PASSWORD_ATTEMPTS_PER_ADDRESS": (50, 900),
    }
)
def test_the_share_limit_holds_against_many_addresses():
    share = ShareFactory(password="right")
    for number in range(3):
        open_share(Client(REMOTE_ADDR=f"198.51.100.{number}"), share, "wrong")
    assert open_share(Client(REMOTE_ADDR="203.0.113.9"), share, "right").status_code == 429


@override_settings(DIRECTUS_SHARES=TWO_PER_ADDRESS)
def test_a_correct_password_is_accepted_once_the_lockout_ends():
    share = ShareFactory(password="right")
    visitor = Client()
    for _ in range(2):
        open_share(visitor, share, "wrong")
    assert open_share(visitor, share, "right").status_code == 429
    cache.clear()  # the window ended (the cache expired the counters)
    assert open_share(visitor, share, "right").status_code == 303


@override_settings(DIRECTUS_SHARES=TWO_PER_ADDRESS)
def test_the_api_is_limited_by_the_same_counters_and_a_signal_reports_the_lockout():
    share = ShareFactory(password="right")
    locked = []
    share_locked.connect(lambda **kwargs: locked.append(kwargs), weak=False, dispatch_uid="t")
    try:
        client = APIClient()
        url = f"/api/shares/open/{share.token}/auth/"
        assert client.post(url, {"password": "wrong"}, format="json").status_code == 401
        open_share(Client(), share, "wrong")  # the page counts against the same address
        response = client.post(url, {"password": "right"}, format="json")
    finally:
        share_locked.disconnect(dispatch_uid="t")
    assert response.status_code == 429 and 1 <= int(response["Retry-After"]) <= 900
    assert response.json() == {  # in words, as the page says it; the header has the seconds
        "code": "too_many_attempts",
        "detail": "Too many wrong passwords. Try again in 15 minutes.",
    }
    assert [(k["share"], k["limit"]) for k in locked] == [(share, "addr")]


def test_shares_without_a_password_are_never_locked():
    share = ShareFactory()
    for _ in range(8):
        assert open_share(Client(), share).status_code == 303


@override_settings(DIRECTUS_SHARES=TWO_PER_ADDRESS)
def test_the_owner_sees_lockouts_in_the_access_log_apart_from_wrong_passwords():
    share = ShareFactory(password="right")
    visitor = Client(REMOTE_ADDR="192.0.2.7")
    for _ in range(2):
        open_share(visitor, share, "wrong")
    open_share(visitor, share, "right")  # locked out: refused without a check
    APIClient(REMOTE_ADDR="192.0.2.7").post(
        f"/api/shares/open/{share.token}/auth/", {"password": "right"}, format="json"
    )
    reasons = list(
        ShareAccess.objects.filter(share=share).order_by("pk").values_list("reason", flat=True)
    )
    assert reasons == ["wrong_password", "wrong_password", "locked_out", "locked_out"]
    entry = ShareAccess.objects.filter(reason="locked_out").first()
    assert entry.get_reason_display() == "Locked out: too many wrong passwords"
    assert not entry.granted


class CountingHasher:
    """Counts how often the share password hasher verifies a password (the slow step)."""

    def __init__(self, monkeypatch):
        self.verified = 0
        original = Argon2PasswordHasher.verify

        def verify(hasher, password, encoded):
            self.verified += 1
            return original(hasher, password, encoded)

        monkeypatch.setattr(Argon2PasswordHasher, "verify", verify)


def attempt_on_page(share: Share, password: str) -> int:
    return open_share(Client(), share, password).status_code


def attempt_in_api(share: Share, password: str) -> int:
    url = f"/api/shares/open/{share.token}/auth/"
    return APIClient().post(url, {"password": password}, format="json").status_code


@pytest.mark.parametrize("attempt", [attempt_on_page, attempt_in_api])
@pytest.mark.parametrize(
    ("password", "hashings"),
    [("a guess", 1), ("", 0), ("x" * 5000, 0)],
    ids=["a-guess", "empty", "over-long"],
)
def test_a_share_without_a_password_spends_the_same_hashing_on_an_attempt(
    monkeypatch, attempt, password, hashings
):
    """The time an answer takes is the time of its hashing: a share without a password does as
    much of it for a password attempt as a share with one, so timing does not tell them apart."""
    with_password, without = ShareFactory(password="right"), ShareFactory()
    counter = CountingHasher(monkeypatch)
    assert attempt(with_password, password) in (400, 401, 403)
    work_with_password, counter.verified = counter.verified, 0
    assert attempt(without, password) in (200, 303)  # no password to match: it opens
    assert counter.verified == work_with_password == hashings


@override_settings(DIRECTUS_SHARES=TWO_PER_ADDRESS)
def test_right_passwords_never_count_against_the_limits():
    """Each attempt is counted before its check and given back when it was right, so a visitor
    who opens many password shares is never locked out."""
    locked = []
    share_locked.connect(lambda **kwargs: locked.append(kwargs), weak=False, dispatch_uid="t")
    try:
        visitor = Client(REMOTE_ADDR="192.0.2.8")
        shares = [ShareFactory(password=f"right {n}") for n in range(4)]
        statuses = [
            open_share(visitor, share, f"right {n}").status_code for n, share in enumerate(shares)
        ]
        assert open_share(visitor, shares[0], "wrong").status_code == 403  # still checked
    finally:
        share_locked.disconnect(dispatch_uid="t")
    assert statuses == [303] * 4
    assert locked == []


@pytest.mark.parametrize("attempt", [attempt_on_page, attempt_in_api])
@pytest.mark.parametrize("password", ["", "x" * 5000], ids=["empty", "over-long"])
@override_settings(DIRECTUS_SHARES=TWO_PER_ADDRESS)
def test_only_wrong_passwords_count_not_empty_or_over_long_ones(attempt, password):
    """Pressing Enter before typing, or pasting something far too long, guesses nothing (neither
    reaches the hasher): it is refused with its own message and never locks the visitor out."""
    share = ShareFactory(password="right")
    statuses = [attempt(share, password) for _ in range(5)]  # the limit is two per address
    assert len(set(statuses)) == 1 and statuses[0] in (400, 401, 403), statuses  # never 429
    assert attempt(share, "right") in (200, 303)


# -- attempts under way ---------------------------------------------------------------------------


ADDRESS = ipaddress.ip_address("192.0.2.50")
NO_WAITING = {**TWO_PER_ADDRESS, "PASSWORD_CHECK_WAIT": 0}


@pytest.fixture(params=["locmem", "redis"])
def counters(request):
    """The cache the counters are kept in: Django's in-process cache, and Redis (skipped
    without one) under a key prefix of this test's own."""
    if request.param == "redis":
        url = os.environ.get("REDIS_URL", REDIS_URL)
        if problem := redis_unavailable(url):
            pytest.skip(problem)
        redis_cache = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"test-lockout-{uuid.uuid4().hex}",
        }
        with override_settings(CACHES={"default": redis_cache}):
            yield request.param
    else:
        yield request.param


def attempt_directly(share: Share, checks: HeldChecks, right: bool) -> str:
    """One password attempt as :mod:`directus_shares.opening` makes it, its check held."""
    reservation = lockout.reserve_attempt(share, ADDRESS)
    if reservation.retry_after is not None:
        return "locked"
    with checks.check():
        pass
    if right:
        lockout.release_attempt(reservation)
        return "opened"
    lockout.record_failure(reservation)
    return "wrong"


def in_threads(share: Share, checks: HeldChecks, rights: list[bool]) -> list[str]:
    with ThreadPoolExecutor(max_workers=len(rights)) as pool:
        return list(pool.map(lambda right: attempt_directly(share, checks, right), rights))


@override_settings(DIRECTUS_SHARES=TWO_PER_ADDRESS)
def test_right_passwords_are_never_refused_for_attempts_under_way(counters, monkeypatch):
    """Six right passwords at once against a limit of two: two are checked at a time, the others
    wait for room – none is refused, nothing is locked."""
    share = ShareFactory(password="right")
    checks = HeldChecks(monkeypatch, checking=2, waiting=4)
    assert in_threads(share, checks, [True] * 6) == ["opened"] * 6
    assert checks.most == 2
    assert lockout.retry_after(share, ADDRESS) is None


@override_settings(DIRECTUS_SHARES=TWO_PER_ADDRESS)
def test_wrong_passwords_under_way_never_outnumber_the_limit(counters, monkeypatch):
    """Six wrong passwords at once against a limit of two: exactly two are checked, the others
    find the address locked once those two failed – a real lock, reported once."""
    share = ShareFactory(password="right")
    locked = []
    share_locked.connect(lambda **kwargs: locked.append(kwargs), weak=False, dispatch_uid="t")
    checks = HeldChecks(monkeypatch, checking=2, waiting=4)
    try:
        results = in_threads(share, checks, [False] * 6)
    finally:
        share_locked.disconnect(dispatch_uid="t")
    assert sorted(results) == ["locked"] * 4 + ["wrong"] * 2
    assert checks.most == 2
    assert 1 <= lockout.retry_after(share, ADDRESS) <= 900
    assert [kwargs["limit"] for kwargs in locked] == ["addr"]


@override_settings(DIRECTUS_SHARES=TWO_PER_ADDRESS)
def test_a_wrong_password_under_way_delays_right_ones_and_refuses_none(counters, monkeypatch):
    """One wrong password and five right ones at once: the wrong one leaves room for one check
    at a time, and every right password opens."""
    share = ShareFactory(password="right")
    checks = HeldChecks(monkeypatch, checking=2, waiting=4)
    results = in_threads(share, checks, [False] + [True] * 5)
    assert results == ["wrong"] + ["opened"] * 5
    assert checks.most == 2
    assert lockout.retry_after(share, ADDRESS) is None  # one failure of two allowed


@override_settings(DIRECTUS_SHARES=NO_WAITING)
def test_an_attempt_left_under_way_by_a_dead_process_ends_with_its_clock_slice(monkeypatch):
    """A worker killed during a check never ends its attempt; the count ends with its slice."""
    share = ShareFactory(password="right")
    for _ in range(2):
        lockout.reserve_attempt(share, ADDRESS)  # never released: their processes died
    with pytest.raises(Outage):
        lockout.reserve_attempt(share, ADDRESS)
    later = time.time() + 2 * lockout.CHECKING_SLICE  # before the counters' own expiry
    monkeypatch.setattr(time, "time", lambda: later)
    assert lockout.reserve_attempt(share, ADDRESS).retry_after is None


@pytest.mark.parametrize("surface", ["page", "api"])
@override_settings(DIRECTUS_SHARES=NO_WAITING)
def test_an_attempt_kept_waiting_too_long_by_checks_under_way_answers_503(monkeypatch, surface):
    """A third attempt arrives while two checks are under way, and they do not end within
    PASSWORD_CHECK_WAIT (here: none): it is not checked, not told of a lock – it answers 503."""
    share = ShareFactory(password="right")
    checked, inner = [], []

    def slow_check(self, raw):  # the third attempt arrives during the first two checks
        checked.append(raw)
        if len(checked) == 2:
            inner.append(attempt_on(surface, share, "right"))
        return False

    monkeypatch.setattr(Share, "check_password", slow_check)
    assert attempt_on(surface, share, "first").status_code in (401, 403)
    assert attempt_on(surface, share, "second").status_code in (401, 403)
    [third] = inner
    assert checked == ["first", "second"]
    assert third.status_code == 503 and third["Retry-After"] == "60"
    if surface == "api":
        assert third.json()["code"] == "temporarily_unavailable"
    else:
        assert "Please try again in a minute." in third.content.decode()
    assert Share.objects.get(pk=share.pk).times_used == 0
    reasons = ShareAccess.objects.filter(share=share).values_list("reason", flat=True)
    assert sorted(reasons) == ["service_unavailable", "wrong_password", "wrong_password"]


def attempt_on(surface: str, share: Share, password: str):
    if surface == "page":
        return open_share(Client(), share, password)
    url = f"/api/shares/open/{share.token}/auth/"
    return APIClient().post(url, {"password": password}, format="json")


# -- the share-wide lock: its creator is told once, its managers can end it ------------------

THREE_PER_SHARE = {
    "PASSWORD_ATTEMPTS_PER_SHARE": (3, 3600),
    "PASSWORD_ATTEMPTS_PER_ADDRESS": (50, 900),
}


def stranger(number: int) -> Client:
    return Client(REMOTE_ADDR=f"198.51.100.{number}")


def lock_by_strangers(share: Share, first: int = 0) -> None:
    """Three wrong passwords from three addresses: the share-wide limit."""
    for number in range(first, first + 3):
        assert open_share(stranger(number), share, "wrong").status_code == 403


@pytest.fixture
def signals_sent():
    sent = []
    share_locked.connect(lambda **kwargs: sent.append(kwargs), weak=False, dispatch_uid="told")
    yield sent
    share_locked.disconnect(dispatch_uid="told")


def owned_share(**fields) -> Share:
    return ShareFactory(
        name="Board pack",
        password="right",
        created_by=UserFactory(email="owner@example.com", username="owner"),
        **fields,
    )


@override_settings(DIRECTUS_SHARES=THREE_PER_SHARE, LANGUAGE_CODE="en")
def test_a_share_wide_lock_tells_the_creator_once_by_mail_and_signal(signals_sent):
    share = owned_share()
    lock_by_strangers(share)
    for number in range(10, 14):  # more guesses, and the recipient with the right password
        assert open_share(stranger(number), share, "wrong").status_code == 429
    assert open_share(stranger(99), share, "right").status_code == 429
    assert attempt_in_api(share, "right") == 429
    assert [(s["share"], s["limit"]) for s in signals_sent] == [(share, "share")]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["owner@example.com"]
    assert message.subject == "Your share “Board pack” is locked after too many wrong passwords"
    assert "3 wrong passwords were entered for your share “Board pack”" in message.body
    assert "nobody can open it until" in message.body and "unlock it" in message.body
    assert "/unlock/" in message.body and f"Its id is {share.pk}." in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "<strong>To stop the guessing, nobody can open it" in html
    assert share.token not in message.body + str(message.alternatives)  # no working link


@override_settings(DIRECTUS_SHARES=THREE_PER_SHARE)
def test_two_processes_reaching_the_limit_tell_the_creator_once(signals_sent):
    """The "told" marker is an atomic cache add: a failure that finds the limit just reached
    again in the same window (as when two processes count past it around an expiry) stays
    quiet."""
    share = owned_share()
    for _ in range(3):
        lockout.record_failure(lockout.reserve_attempt(share, None))
    failures_key = f"directus_shares:pw:share:{share.pk}"  # the per-share failure counter
    cache.decr(failures_key)  # the count another process would see before its own failure
    lockout.record_failure(lockout.reserve_attempt(share, None))  # reaches the limit again
    assert len(signals_sent) == 1 and len(mail.outbox) == 1


@override_settings(DIRECTUS_SHARES=THREE_PER_SHARE)
def test_no_one_is_told_of_a_limit_that_attempts_given_back_undid(signals_sent):
    share = owned_share()
    early = [lockout.reserve_attempt(share, None) for _ in range(2)]
    last = lockout.reserve_attempt(share, None)
    lockout.release_attempt(early[0])  # that one was right: the share is not locked
    lockout.record_failure(last)
    assert signals_sent == [] and mail.outbox == []
    assert lockout.share_lock(share) is None


@override_settings(DIRECTUS_SHARES=TWO_PER_ADDRESS)
def test_an_address_lock_is_signalled_once_and_mails_nobody(signals_sent):
    share = owned_share()
    visitor = stranger(1)
    for _ in range(2):
        open_share(visitor, share, "wrong")
    for _ in range(3):
        assert open_share(visitor, share, "wrong").status_code == 429
    assert [(s["share"], s["limit"]) for s in signals_sent] == [(share, "addr")]
    assert mail.outbox == []
    assert lockout.share_lock(share) is None
    assert open_share(stranger(2), share, "right").status_code == 303  # nobody else is denied


@override_settings(DIRECTUS_SHARES=THREE_PER_SHARE)
def test_the_visitor_is_told_the_owner_was_notified():
    share = owned_share()
    lock_by_strangers(share)
    response = open_share(stranger(50), share, "right")
    assert response.status_code == 429 and int(response["Retry-After"]) > 3500
    assert (
        "Too many wrong passwords were entered for this share, so it is locked for everybody "
        "for 60 minutes. Its owner has been notified and can unlock it."
    ) in response.content.decode()
    answer = APIClient(REMOTE_ADDR="203.0.113.5").post(
        f"/api/shares/open/{share.token}/auth/", {"password": "right"}, format="json"
    )
    assert answer.status_code == 429 and int(answer["Retry-After"]) > 3500
    assert answer.json() == {
        "code": "too_many_attempts",
        "detail": "Too many wrong passwords were entered for this share, so it is locked for "
        "everybody for 60 minutes. Its owner has been notified and can unlock it.",
    }


@override_settings(DIRECTUS_SHARES=THREE_PER_SHARE, TASKS=QUEUE_WITHOUT_WORKER, LANGUAGE_CODE="en")
def test_with_a_real_queue_the_lock_notice_is_queued_and_the_worker_sends_it(signals_sent):
    share = owned_share()
    lock_by_strangers(share)  # the visitor's request does not wait for the mail server
    assert mail.outbox == [] and len(signals_sent) == 1
    (queued,) = queued_tasks()
    assert queued.task.module_path == "directus_shares.tasks.mail_lock_notice"
    assert "has been notified" in open_share(stranger(50), share, "right").content.decode()
    assert run_queued() == [True]
    assert [m.to for m in mail.outbox] == [["owner@example.com"]]
    assert mail.outbox[0].subject == (
        "Your share “Board pack” is locked after too many wrong passwords"
    )


@pytest.mark.parametrize("creator", ["without e-mail", "mail fails"])
@override_settings(DIRECTUS_SHARES=THREE_PER_SHARE)
def test_the_visitor_is_not_promised_a_notice_that_was_not_sent(creator, caplog, signals_sent):
    email = "" if creator == "without e-mail" else "fail@example.com"
    share = ShareFactory(password="right", created_by=UserFactory(email=email))
    with mail_backend("tests.mail_backends.FailingBackend"):
        lock_by_strangers(share)  # the third wrong password is answered 403, not a 500
    assert mail.outbox == [] and len(signals_sent) == 1
    assert ("mail server said no" in caplog.text) is (creator == "mail fails")
    content = open_share(stranger(50), share, "right").content.decode()
    assert "has been notified" not in content
    assert "Ask the person who sent you the link to unlock it." in content
    detail = (
        APIClient()
        .post(f"/api/shares/open/{share.token}/auth/", {"password": "right"}, format="json")
        .json()["detail"]
    )
    assert "Ask the person who sent you the link to unlock it." in detail


@override_settings(DIRECTUS_SHARES=THREE_PER_SHARE)
def test_a_failing_share_locked_receiver_does_not_fail_the_visitor(caplog):
    share = owned_share()

    def broken(**kwargs):
        raise RuntimeError("receiver bug")

    share_locked.connect(broken, weak=False, dispatch_uid="broken")
    try:
        lock_by_strangers(share)
    finally:
        share_locked.disconnect(dispatch_uid="broken")
    assert "A share_locked receiver failed" in caplog.text
    assert len(mail.outbox) == 1  # the creator is still told


@override_settings(DIRECTUS_SHARES=THREE_PER_SHARE)
def test_unlock_ends_the_share_wide_lock_and_a_new_lock_is_told_again(signals_sent):
    share = owned_share()
    lock_by_strangers(share)
    lock = lockout.share_lock(share)
    assert lock is not None and lock.owner_told
    assert lock.until > timezone.now() + timedelta(minutes=59)
    assert lockout.unlock(share) is True
    assert lockout.share_lock(share) is None and lockout.unlock(share) is False
    assert open_share(stranger(60), share, "right").status_code == 303
    lock_by_strangers(share, first=20)  # a new lock: a new notice
    assert len(signals_sent) == 2 and len(mail.outbox) == 2


@override_settings(
    DIRECTUS_SHARES={
        "PASSWORD_ATTEMPTS_PER_SHARE": (3, 3600),
        "PASSWORD_ATTEMPTS_PER_ADDRESS": (2, 900),
    }
)
def test_unlock_leaves_the_guessing_addresses_limited():
    share = owned_share()
    open_share(stranger(1), share, "wrong")
    open_share(stranger(1), share, "wrong")  # that address is at its own limit
    open_share(stranger(2), share, "wrong")  # and the share at its limit
    assert lockout.unlock(share)
    assert open_share(stranger(1), share, "right").status_code == 429
    assert open_share(stranger(3), share, "right").status_code == 303


@override_settings(DIRECTUS_SHARES=THREE_PER_SHARE)
def test_share_locks_looks_up_many_shares_at_once():
    locked, open_ = owned_share(), owned_share()
    lock_by_strangers(locked)
    locks = lockout.share_locks([locked, open_])
    assert list(locks) == [locked.pk]


# -- recipients' links: a per-share window of their own ------------------------------------------

THREE_PER_LINK = {
    "PASSWORD_ATTEMPTS_PER_SHARE": (3, 3600),
    "PASSWORD_ATTEMPTS_PER_ADDRESS": (50, 900),
}


@override_settings(DIRECTUS_SHARES=THREE_PER_LINK)
def test_a_leaked_recipient_link_locks_only_itself_not_the_share_nor_other_recipients():
    leaked = RecipientFactory(share=ShareFactory(password="right"))
    other = RecipientFactory(share=leaked.share)
    locked = []
    share_locked.connect(lambda **kwargs: locked.append(kwargs), weak=False, dispatch_uid="t")
    try:
        for number in range(3):
            guesser = Client(REMOTE_ADDR=f"198.51.100.{number}")
            assert open_share(guesser, opened_through(leaked), "wrong").status_code == 403
        refused = open_share(Client(), opened_through(leaked), "right")
    finally:
        share_locked.disconnect(dispatch_uid="t")

    assert refused.status_code == 429
    assert "locked for everybody" not in refused.content.decode()  # only this link is
    assert open_share(Client(), opened_through(other), "right").status_code == 303
    assert open_share(Client(), leaked.share, "right").status_code == 303
    assert [(k["share"], k["limit"]) for k in locked] == [(leaked.share, "recipient")]
    assert not mail.outbox  # one recipient's link: its creator is not mailed a share-wide lock
    assert lockout.share_lock(leaked.share) is None


@override_settings(DIRECTUS_SHARES=THREE_PER_LINK)
def test_guesses_on_the_common_link_do_not_lock_a_recipients_link():
    recipient = RecipientFactory(share=ShareFactory(password="right"))
    for number in range(3):
        open_share(Client(REMOTE_ADDR=f"198.51.100.{number}"), recipient.share, "wrong")
    assert open_share(Client(), recipient.share, "right").status_code == 429
    assert open_share(Client(), opened_through(recipient), "right").status_code == 303


@override_settings(DIRECTUS_SHARES=THREE_PER_LINK)
def test_a_new_link_for_the_recipient_starts_its_window_afresh():
    recipient = RecipientFactory(share=ShareFactory(password="right"))
    for number in range(3):
        open_share(Client(REMOTE_ADDR=f"198.51.100.{number}"), opened_through(recipient), "x")
    recipient.rotate_key()
    assert open_share(Client(), opened_through(recipient), "right").status_code == 303


# -- other requests limited per client address ----------------------------------------------------


def test_count_request_refuses_past_its_limit_until_the_window_ends(monkeypatch):
    here, there = ipaddress.ip_address("192.0.2.7"), ipaddress.ip_address("2001:db8::7")
    assert [lockout.count_request("codes", here, (2, 600)) for _ in range(2)] == [None, None]
    wait = lockout.count_request("codes", here, (2, 600))
    assert wait is not None and 1 <= wait <= 601
    # Other addresses, other kinds of request and the password limits count on their own.
    assert lockout.count_request("codes", there, (2, 600)) is None
    assert lockout.count_request("other", here, (2, 600)) is None
    assert lockout.retry_after(ShareFactory(password="pw"), here) is None
    later = time.time() + 601
    monkeypatch.setattr(time, "time", lambda: later)
    assert lockout.count_request("codes", here, (2, 600)) is None


def test_count_request_counts_unknown_addresses_together():
    assert lockout.count_request("codes", None, (1, 60)) is None
    assert lockout.count_request("codes", None, (1, 60)) is not None


def test_count_request_fails_closed_without_the_cache():
    backend = {"BACKEND": "tests.caches.UnreachableCache"}
    with override_settings(CACHES={"default": backend}), pytest.raises(Outage):
        lockout.count_request("codes", ipaddress.ip_address("192.0.2.7"), (2, 600))


# -- who counts as one client: an IPv4 address, an IPv6 /64 ---------------------------------------

ONE_64 = [ipaddress.ip_address("2001:db8:1:2::1"), ipaddress.ip_address("2001:db8:1:2:ffff::9")]
NEXT_64 = ipaddress.ip_address("2001:db8:1:3::1")
IPV4_NEIGHBOURS = [ipaddress.ip_address("192.0.2.1"), ipaddress.ip_address("192.0.2.2")]


def fail_once(share: Share, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    reservation = lockout.reserve_attempt(share, address)
    assert reservation.retry_after is None
    lockout.record_failure(reservation)


@override_settings(DIRECTUS_SHARES=TWO_PER_ADDRESS)
def test_wrong_passwords_from_one_ipv6_64_share_its_limit_and_other_64s_do_not(counters):
    first, second = ShareFactory(password="right"), ShareFactory(password="right")
    fail_once(first, ONE_64[0])
    fail_once(second, ONE_64[1])  # another address in the same /64, another share
    assert lockout.retry_after(first, ONE_64[0]) is not None
    assert lockout.retry_after(second, ONE_64[1]) is not None
    assert lockout.retry_after(first, NEXT_64) is None


@override_settings(DIRECTUS_SHARES=TWO_PER_ADDRESS)
def test_wrong_passwords_from_ipv4_addresses_count_per_address(counters):
    share = ShareFactory(password="right")
    fail_once(share, IPV4_NEIGHBOURS[0])
    fail_once(share, IPV4_NEIGHBOURS[1])
    assert lockout.retry_after(share, IPV4_NEIGHBOURS[0]) is None
    assert lockout.retry_after(share, IPV4_NEIGHBOURS[1]) is None


def test_code_requests_from_one_ipv6_64_share_its_limit_and_ipv4_counts_per_address(counters):
    assert lockout.count_request("codes", ONE_64[0], (1, 600)) is None
    assert lockout.count_request("codes", ONE_64[1], (1, 600)) is not None
    assert lockout.count_request("codes", NEXT_64, (1, 600)) is None
    assert lockout.count_request("codes", IPV4_NEIGHBOURS[0], (1, 600)) is None
    assert lockout.count_request("codes", IPV4_NEIGHBOURS[1], (1, 600)) is None
