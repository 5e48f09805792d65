"""Property-based tests of the access decision: for any window, use limit, revocation, password,
grant and clock, a share opens or refuses exactly as docs/lifecycle.md's order of checks says.

The reference (:func:`expected`) is written from that document, not from the code. Hypothesis runs
derandomized and without an example database, so a failure reproduces as it is printed.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, NamedTuple
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.core.cache import cache
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from rest_framework.test import APIClient

from directus_shares import object_state, opening, passwords
from directus_shares.api.open import issue_access_token
from directus_shares.models import Share, ShareAccess
from directus_shares.outcomes import ObjectState
from tests.factories import ShareFactory
from tests.test_api_open import auth, item

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api_open_urls")]

PROPERTY_SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# -- the reference ---------------------------------------------------------------------------------

MAX_PASSWORD_LENGTH = 1024  # docs/settings.md's default
PASSWORD = "correct horse ☃"
ADDRESS = ipaddress.ip_address("192.0.2.1")


class Outcome(NamedTuple):
    """One answer to a visitor: a refusal code, ``counted`` or ``shown``, with the status of the
    share page and of the API (``POST …/auth/``; ``GET …/item/`` for a grant holder)."""

    code: str
    page: int
    api: int


UNAVAILABLE = Outcome("unavailable", 410, 410)
NOT_YET_OPEN = Outcome("not_yet_open", 403, 403)
EXPIRED = Outcome("expired", 410, 410)
USED_UP = Outcome("used_up", 410, 410)
SHOWN = Outcome("shown", 200, 200)  # a grant holder sees the object; nothing is counted
COUNTED = Outcome("counted", 303, 200)  # one use counted, a grant (or access token) handed out
PASSWORD_REQUIRED = Outcome("password_required", 403, 401)
WRONG_PASSWORD = Outcome("wrong_password", 403, 401)
PASSWORD_TOO_LONG = Outcome("password_too_long", 403, 400)
PASSWORD_REFUSALS = {PASSWORD_REQUIRED, WRONG_PASSWORD, PASSWORD_TOO_LONG}
SHARE_REFUSALS = {UNAVAILABLE, NOT_YET_OPEN, EXPIRED, USED_UP}  # what refusal_for decides here


@dataclass(frozen=True)
class Case:
    """A share as its fields stand, and a visitor who opens it at ``now``."""

    date_start: datetime | None
    date_end: datetime | None
    max_uses: int | None
    times_used: int
    revoked: bool
    password: str | None  # the share's
    given: str | None  # what the visitor sends; None: no password field at all
    granted: bool  # the visitor holds a valid grant (or access token)
    now: datetime


def expected(case: Case) -> Outcome:
    """The answer docs/lifecycle.md gives, check by check (the share's object is visible to its
    role and the visitor's network allowed, so checks 1, 1a and 7 pass)."""
    now = instant(case.now)
    if case.revoked:
        return UNAVAILABLE  # 2
    if case.date_start is not None and now < instant(case.date_start):
        return NOT_YET_OPEN  # 3
    if case.date_end is not None and now >= instant(case.date_end):
        return EXPIRED  # 4: the window includes its start and excludes its end
    if case.granted:
        return SHOWN  # 5: skips 6, and the password was given when the use was counted
    if case.max_uses is not None and case.times_used >= case.max_uses:
        return USED_UP  # 6
    if case.password is not None:  # 8
        if not case.given:
            return PASSWORD_REQUIRED
        if len(case.given) > MAX_PASSWORD_LENGTH:
            return PASSWORD_TOO_LONG
        if case.given != case.password:
            return WRONG_PASSWORD
    return COUNTED  # 10


def instant(moment: datetime) -> datetime:
    """``moment`` in UTC: Python compares two datetimes of one zone by their wall clocks, which
    is wrong around a change of the zone's offset."""
    return moment.astimezone(UTC)


def later(moment: datetime, by: timedelta, zone: tzinfo = UTC) -> datetime:
    """``by`` after ``moment`` in real time (not on the wall clock), written in ``zone``."""
    return (instant(moment) + by).astimezone(zone)


def at_decision_level(outcome: Outcome) -> tuple[str, int]:
    """What :func:`decide` can tell apart: a password refusal, not which one."""
    return ("password", outcome.page) if outcome in PASSWORD_REFUSALS else outcome[:2]


# -- strategies ------------------------------------------------------------------------------------

T0 = datetime(2030, 3, 31, 1, 0, tzinfo=UTC)  # Berlin's clocks go forward at this instant
PLAIN = Case(  # no window, no limit, no password; a visitor without a grant at T0
    date_start=None,
    date_end=None,
    max_uses=None,
    times_used=0,
    revoked=False,
    password=None,
    given=None,
    granted=False,
    now=T0,
)
ZONES = (UTC, ZoneInfo("Europe/Berlin"))  # the same instants, written in either zone
MICROSECOND = timedelta(microseconds=1)
ticks = st.sampled_from([timedelta(0), MICROSECOND, -MICROSECOND]) | st.integers(-600, 600).map(
    lambda minutes: timedelta(minutes=minutes)
)
durations = st.just(MICROSECOND) | st.integers(1, 600).map(lambda m: timedelta(minutes=m))
zones = st.sampled_from(ZONES)
moments = st.builds(functools.partial(later, T0), ticks, zones)
max_uses = st.none() | st.integers(1, 3)
WRONG_PASSWORDS = ("correct horse", "Correct horse ☃", f"{PASSWORD} ", "x" * MAX_PASSWORD_LENGTH)
TOO_LONG = PASSWORD + "x" * (MAX_PASSWORD_LENGTH + 1 - len(PASSWORD))
givens = st.sampled_from([PASSWORD, "", TOO_LONG, None, *WRONG_PASSWORDS])
sometimes = st.sampled_from([False, False, False, True])  # revoked, granted: not half the cases


@st.composite
def windows(draw: st.DrawFn) -> tuple[datetime | None, datetime | None]:
    """A start and an end the database accepts: either may be missing; the end is after the
    start, by as little as a microsecond."""
    start = draw(st.none() | moments)
    if start is None:
        return None, draw(st.none() | moments)
    if draw(st.booleans()):
        return start, None
    return start, later(start, draw(durations), draw(zones))


storable_windows = windows()
#: Windows open at T0, where a lifetime starts, so that its first steps do not all bounce off.
windows_open_at_t0 = st.tuples(
    st.none() | st.builds(later, st.just(T0), st.just(timedelta(0)) | durations.map(lambda d: -d)),
    st.none() | st.builds(later, st.just(T0), durations),
)


@st.composite
def inverted_windows(draw: st.DrawFn) -> tuple[datetime, datetime]:
    """A start and an end at or before it, which the database refuses."""
    start = draw(moments)
    return start, later(start, -draw(st.just(timedelta(0)) | durations), draw(zones))


@st.composite
def cases(
    draw: st.DrawFn,
    window: st.SearchStrategy = storable_windows,
    limit: st.SearchStrategy = max_uses,
    password_given: st.SearchStrategy = givens,
    without_password_given: st.SearchStrategy = givens,
) -> Case:
    """A share and a visitor, the clock on (or a microsecond off) one of the window's bounds, or
    anywhere."""
    start, end = draw(window)
    anchor = draw(st.sampled_from([T0, *(bound for bound in (start, end) if bound)]))
    password = draw(st.sampled_from([None, PASSWORD]))
    return Case(
        date_start=start,
        date_end=end,
        max_uses=draw(limit),
        times_used=draw(st.integers(0, 4)),  # above max_uses too: the limit may be lowered
        revoked=draw(sometimes),
        password=password,
        given=draw(password_given if password else without_password_given),
        granted=draw(sometimes),
        now=later(anchor, draw(ticks), draw(zones)),
    )


@st.composite
def unstorable_cases(draw: st.DrawFn) -> Case:
    """An end not after the start, or a limit of no uses at all."""
    if draw(st.booleans()):
        return draw(cases(window=inverted_windows(), limit=st.none() | st.integers(0, 3)))
    return draw(cases(limit=st.just(0)))


# -- helpers ---------------------------------------------------------------------------------------


@functools.cache
def cheap_argon2_hash(password: str) -> str:
    """An Argon2 hash at the lowest cost: the hasher reads the cost from the hash, so checking
    it takes microseconds instead of the default's half second."""
    hasher = Argon2PasswordHasher()
    hasher.time_cost, hasher.memory_cost, hasher.parallelism = 1, 8, 1
    return hasher.encode(password, hasher.salt())


@functools.cache
def argon2_hash(password: str) -> str:
    """The hash ``share.set_password`` stores, made once for the module."""
    return make_password(password, hasher="argon2")


@contextlib.contextmanager
def fresh_example() -> Iterator[None]:
    """One Hypothesis example: in a savepoint that is rolled back, no password attempt counted."""
    cache.clear()
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@contextlib.contextmanager
def clock_at(now: datetime) -> Iterator[None]:
    """``timezone.now()`` answers ``now`` for the views (and everything else) meanwhile."""
    with mock.patch("django.utils.timezone.now", return_value=now):
        yield


@pytest.fixture
def subject() -> Share:
    """A share whose gadget, role and creator every example's share reuses: the role may view
    the gadget and its creator may share it, so only the share's own fields decide."""
    return ShareFactory()


def share_fields(subject: Share, case: Case) -> dict[str, Any]:
    """The fields of a share of ``subject``'s object, role and creator, as ``case`` has them."""
    return {
        "content_type_id": subject.content_type_id,
        "object_pk": subject.object_pk,
        "role_id": subject.role_id,
        "created_by_id": subject.created_by_id,
        "date_start": case.date_start,
        "date_end": case.date_end,
        "max_uses": case.max_uses,
        "times_used": case.times_used,
        "revoked_at": T0 if case.revoked else None,
    }


def make_share(
    subject: Share, case: Case, hash_password: Callable[[str], str] = cheap_argon2_hash
) -> Share:
    """A new share with the case's fields (one ``INSERT``: ``subject`` set up role and creator)."""
    password = "" if case.password is None else hash_password(case.password)
    return Share.objects.create(**share_fields(subject, case), password=password)


def stored_times_used(share: Share) -> int:
    return Share.objects.values_list("times_used", flat=True).get(pk=share.pk)


def granted_accesses(share: Share) -> int:
    return ShareAccess.objects.filter(share=share, granted=True).count()


def decide(token: str, now: datetime, *, granted: bool, given: str | None) -> tuple[str, int]:
    """The app's decision, from the functions the page and the API call, in their order."""
    share, rights = opening.find_share(token)
    assert share is not None and rights is not None
    refusal = opening.refusal_for(
        share,
        now=now,
        rights=rights,
        address=ADDRESS,
        object_state=object_state.shared_object_state(share, rights),
        granted=granted,
    )
    if refusal is not None:
        return refusal.code, refusal.status
    if granted:
        return SHOWN.code, SHOWN.page
    if share.has_password and passwords.password_problem(share, given or "") is not None:
        return "password", 403
    if opening.consume_use(share, now):
        return COUNTED.code, COUNTED.page
    return "changed", 409


def api_answer(response) -> tuple[str, int]:
    """The outcome an API response reports: its error code, or what its body hands out."""
    body = response.json()
    if response.status_code != 200:
        return body["code"], response.status_code
    return ("counted" if "access_token" in body else "shown"), 200


# -- the decision ----------------------------------------------------------------------------------


@settings(PROPERTY_SETTINGS, max_examples=400)
@given(case=cases())
def test_the_decision_follows_the_documented_order(subject, case):
    """``refusal_for``, ``password_error`` and ``consume_use`` on a stored share."""
    want = expected(case)
    event(want.code)
    with fresh_example():
        share = make_share(subject, case)
        outcome = decide(share.token, case.now, granted=case.granted, given=case.given)
        assert outcome == at_decision_level(want)
        assert stored_times_used(share) == case.times_used + (want == COUNTED)


@settings(PROPERTY_SETTINGS, max_examples=200)
@given(case=cases())
def test_the_use_counter_counts_exactly_when_the_checks_let_a_visitor_in(subject, case):
    """The atomic ``UPDATE`` decides the window, revocation and uses in SQL: on each bound, to
    the microsecond and in any time zone, it must agree with the checks (and the document)."""
    case = replace(case, password=None, granted=False)
    want = expected(case)
    event(want.code)
    with fresh_example():
        share = make_share(subject, case)
        assert opening.consume_use(share, case.now) is (want == COUNTED)
        assert stored_times_used(share) == case.times_used + (want == COUNTED)


@settings(PROPERTY_SETTINGS, max_examples=60)
@given(case=unstorable_cases())
def test_an_end_before_the_start_or_no_uses_is_refused_by_the_database(subject, case):
    """Such a share cannot be saved; were one loaded anyway, the checks still follow the order."""
    with fresh_example():
        with pytest.raises(IntegrityError), transaction.atomic():
            make_share(subject, case)
        _, rights = opening.find_share(subject.token)
        refusal = opening.refusal_for(
            Share(**share_fields(subject, case)),
            now=case.now,
            rights=rights,
            address=ADDRESS,
            object_state=ObjectState.VISIBLE,
            granted=case.granted,
        )
        want = expected(case)
        got = None if refusal is None else (refusal.code, refusal.status)
        assert got == (want[:2] if want in SHARE_REFUSALS else None)


# -- end to end through the API --------------------------------------------------------------------


@settings(PROPERTY_SETTINGS, max_examples=40)
@given(
    case=cases(
        password_given=st.sampled_from([PASSWORD, "", TOO_LONG, None, WRONG_PASSWORDS[0]]),
        without_password_given=st.sampled_from([None, "", TOO_LONG]),  # nothing to hash
    )
)
@example(case=replace(PLAIN, password=PASSWORD, given=PASSWORD))
@example(case=replace(PLAIN, password=PASSWORD, given=WRONG_PASSWORDS[0]))
@example(case=replace(PLAIN, max_uses=1, times_used=1, granted=True))  # used up by others
@example(case=replace(PLAIN, date_start=T0, date_end=later(T0, MICROSECOND)))  # its only instant
@example(case=replace(PLAIN, date_end=T0, granted=True))  # a grant ends with the window
def test_the_api_answers_as_the_documented_order(subject, case):
    """``POST …/auth/``, or for a grant holder ``GET …/item/`` with an access token, at a frozen
    clock; the password share has the real Argon2 hash."""
    with fresh_example():
        share = make_share(subject, case, hash_password=argon2_hash)
        client = APIClient()
        with clock_at(case.now):
            if case.granted:
                response = item(client, share, issue_access_token(share))
            else:
                response = auth(client, share, case.given)
        want = expected(case)
        event(want.code)
        assert api_answer(response) == (want.code, want.api), response.content
        counted = int(want == COUNTED)
        assert stored_times_used(share) == case.times_used + counted
        assert granted_accesses(share) == counted


# -- through a share's lifetime --------------------------------------------------------------------


class ShareLifetime(RuleBasedStateMachine):
    """One share opened through the API again and again while it is revoked and re-enabled, its
    limit changed from a form loaded at the start, and the clock moved across its window."""

    def __init__(self, subject: Share) -> None:
        super().__init__()
        self.subject = subject
        cache.clear()
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.client = APIClient()
        self.now = T0
        self.tokens: list[tuple[str, bool]] = []  # access tokens handed out, and still valid?

    @initialize(window=windows_open_at_t0, limit=max_uses)
    def create(self, window: tuple[datetime | None, datetime | None], limit: int | None) -> None:
        start, end = window
        self.case = replace(PLAIN, date_start=start, date_end=end, max_uses=limit)
        self.share = make_share(self.subject, self.case)
        self.form_copy = Share.objects.get(pk=self.share.pk)  # an edit form, saved much later
        self.uses_when_limited = 0

    def expected_now(self, *, granted: bool = False) -> Outcome:
        return expected(replace(self.case, granted=granted, now=self.now))

    @rule()
    def open(self) -> None:
        want = self.expected_now()
        with clock_at(self.now):
            response = auth(self.client, self.share)
        assert api_answer(response) == (want.code, want.api), response.content
        if want == COUNTED:
            assert self.case.max_uses is None or self.case.times_used < self.case.max_uses
            self.case = replace(self.case, times_used=self.case.times_used + 1)
            self.tokens.append((response.json()["access_token"], True))

    @precondition(lambda self: self.tokens)
    @rule(pick=st.integers(0, 50))
    def view_with_access_token(self, pick: int) -> None:
        token, valid = self.tokens[pick % len(self.tokens)]
        want = self.expected_now(granted=valid)
        with clock_at(self.now):
            response = item(self.client, self.share, token)
        if want == COUNTED:  # no valid token, and the share is open: the page would ask first
            want = Outcome("token_invalid", 401, 401)
        assert api_answer(response) == (want.code, want.api), response.content

    @rule()
    def revoke(self) -> None:
        self.share.revoke()
        self.case = replace(self.case, revoked=True)
        self.tokens = [(token, False) for token, _valid in self.tokens]  # and stay ended

    @rule()
    def reenable(self) -> None:
        self.share.reenable()
        self.case = replace(self.case, revoked=False)

    @rule(limit=max_uses)
    def change_limit(self, limit: int | None) -> None:
        self.form_copy.max_uses = limit  # the copy's times_used is stale: it must not be saved
        self.form_copy.save()
        self.case = replace(self.case, max_uses=limit)
        self.uses_when_limited = self.case.times_used

    @rule(anchor=st.sampled_from(["now", "start", "end"]), tick=ticks)
    def move_clock(self, anchor: str, tick: timedelta) -> None:
        bound = {"start": self.case.date_start, "end": self.case.date_end}.get(anchor)
        self.now = later(bound or self.now, tick)

    @invariant()
    def uses_are_counted_exactly(self) -> None:
        stored = Share.objects.get(pk=self.share.pk)
        assert stored.times_used == self.case.times_used == granted_accesses(stored)
        assert stored.max_uses == self.case.max_uses
        if stored.max_uses is not None:
            # An editor may lower the limit below the uses spent; no use is counted past it.
            assert stored.times_used <= max(stored.max_uses, self.uses_when_limited)

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)


def test_uses_are_counted_exactly_through_a_share_lifetime(subject):
    run_state_machine_as_test(
        lambda: ShareLifetime(subject),
        settings=settings(PROPERTY_SETTINGS, max_examples=40, stateful_step_count=25),
    )
