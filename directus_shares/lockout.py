"""Wrong passwords are limited per client address and per share, in Django's cache. A
recipient's own link (:attr:`.Share.via_recipient`) counts against a per-share window of its own
instead of the share's, so that a leaked recipient link cannot lock out the share's other links.

With a shared cache (Redis through Django's ``RedisCache``) the counters hold across processes and
hosts; a per-process ``LocMemCache`` in production is reported by system check
``directus_shares.W020``. Each limit is a fixed window: ``(wrong passwords, seconds)``, from the
first wrong password on. Once a limit's wrong passwords are reached no password is checked until
the window ends – a *lock*, answered 429 with the window's ``Retry-After``.

Two counters per limit, so that the limit counts wrong passwords and only those:

* **failures** – wrong passwords in the window (:func:`record_failure`); the only thing that locks.
* **under way** – attempts whose password is being checked right now (the slow Argon2 step).
  An attempt is counted here *before* its check (:func:`reserve_attempt`) and taken off after it,
  whatever the outcome (:func:`release_attempt`, or :func:`record_failure` after counting the
  failure).

An attempt's password is checked only while ``failures + under way <= allowed`` holds for it,
each counter read after its own increment. So however many attempts race in however many
processes, no more wrong passwords can be checked in a window than the limit allows (every check
under way might turn out to be one). When that room is taken by checks under way – not by
failures – an attempt *waits* for them (a check takes a fraction of a second) instead of being
refused: each ends as a failure (and the lock, if it is one, is then real) or frees its place.
A right password is never refused for attempts in flight, and nobody is told to wait for a lock
that does not exist.

The under-way counters are kept per :data:`CHECKING_SLICE` seconds of the clock and only the
current and neighbouring slices are read, so an attempt whose process died mid-check (a killed
worker) stops being counted within two minutes. An attempt that still finds no room after
``PASSWORD_CHECK_WAIT`` seconds (20) – only such a leftover, or a server too overloaded to finish
the checks before it in that time, can keep it waiting so long – gets the outage answer (503,
"try again in a minute"), never a 429.
A cache that fails or times out is an outage too (:class:`~directus_shares.outages.Outage`):
no password is checked without its limits.

When the per-share limit is reached the share is locked for everybody, its rightful recipient
too: its creator is told once per lock (the :data:`~directus_shares.signals.share_locked` signal
and a mail, queued by :func:`directus_shares.tasks.queue_lock_notice`), the admin and the API
show the lock (:func:`share_lock`, :func:`share_locks`) and its manager can end it
(:func:`unlock`).

Other requests that must be limited per client address count the same way, in fixed windows of
their own (:func:`count_request`): requests for one-time codes
(``VERIFICATION_CODE_REQUESTS_PER_ADDRESS``), which are refused, not waited for, past the limit.

A client address is an IPv4 address, or an IPv6 address's /64 network: the
addresses of one /64 share every per-address limit.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from ipaddress import IPv6Address, IPv6Network

from django.core.cache import cache

from .conf import get_config
from .models import Share
from .outages import PASSWORD_CHECKS, Outage, cache_calls
from .rights import Address
from .signals import share_locked
from .tasks import queue_lock_notice

_PREFIX = "directus_shares:pw"
#: Seconds of the clock per under-way counter. A check longer than one slice may stop being
#: counted; a password check takes well under a second.
CHECKING_SLICE = 30
#: Seconds between two looks while waiting (on average; jittered so that waiters spread out).
LOOK_EVERY = 0.05
#: Leading bits of an IPv6 address that the per-address limits count as one client (a /64).
IPV6_CLIENT_PREFIX = 64

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Window:
    """One limit: which one (``"share"`` or ``"addr"``, as the share_locked signal names it), on
    what, the failures it allows and how long it lasts."""

    name: str
    subject: str
    allowed: int
    seconds: int

    @property
    def key(self) -> str:
        """The cache key of the failures counted in the current window."""
        return f"{_PREFIX}:{self.name}:{self.subject}"

    @property
    def ends_key(self) -> str:
        """The cache key of when the current window ends (a timestamp)."""
        return f"{self.key}:ends"

    @property
    def told_key(self) -> str:
        """The cache key that says this window's lock was announced (and whether the share's
        creator was mailed): added once, atomically, by whoever reaches the limit first."""
        return f"{self.key}:told"

    def checking_key(self, slice_: int) -> str:
        """The cache key of the attempts under way that started in clock slice ``slice_``."""
        return f"{self.key}:checking:{slice_}"


@dataclass(frozen=True)
class Reservation:
    """An attempt for ``share`` from ``address``: its password may be checked, and it is counted
    as under way (``checking``: each limit and the key it is counted under) until
    :func:`release_attempt` or :func:`record_failure` – or, with ``retry_after`` (seconds) set,
    a limit is locked and nothing may be checked."""

    share: Share
    address: Address | None
    checking: tuple[tuple[_Window, str], ...] = ()
    retry_after: int | None = None


def _windows(share: Share, address: Address | None) -> list[_Window]:
    """The limits an attempt counts against: the share's – or, reached through a recipient's
    link, that link's own (the per-share limit, counted per recipient link, so that one leaked
    link cannot lock out the others; a new link or a revocation starts it afresh) – and the
    address's."""
    config = get_config()
    recipient = share.via_recipient
    if recipient is None:
        windows = [_share_window(share)]
    else:
        subject = f"{share.pk}:{recipient.pk}:{recipient.grant_epoch}"
        windows = [_Window("recipient", subject, *config["PASSWORD_ATTEMPTS_PER_SHARE"])]
    if address is not None:
        windows.append(_Window("addr", _client(address), *config["PASSWORD_ATTEMPTS_PER_ADDRESS"]))
    return windows


def _client(address: Address | None) -> str:
    """Whom ``address`` is counted as by the per-address limits: an IPv4 address itself, an IPv6
    address's /64 network (the smallest block a provider gives one customer, who could otherwise
    rotate through 2^64 addresses), and ``"unknown"`` for every address that is not known."""
    if address is None:
        return "unknown"
    if isinstance(address, IPv6Address):
        return str(IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)


def _wait(windows: list[_Window]) -> int:
    ends = cache.get_many([window.ends_key for window in windows])
    now = time.time()
    return max(max(int(ends.get(w.ends_key, now) - now) + 1, 1) for w in windows)


def _locked(windows: list[_Window]) -> int | None:
    failures = cache.get_many([window.key for window in windows])
    locked = [window for window in windows if failures.get(window.key, 0) >= window.allowed]
    return _wait(locked) if locked else None


def retry_after(share: Share, address: Address | None) -> int | None:
    """Seconds until ``share`` may be tried again from ``address``: its wrong passwords reached a
    limit; ``None``: not locked (attempts under way never lock). Raises
    :class:`~directus_shares.outages.Outage` when the cache fails."""
    with cache_calls():
        return _locked(_windows(share, address))


def reserve_attempt(share: Share, address: Address | None) -> Reservation:
    """Count an attempt as under way against each limit, so that its password may be checked –
    unless a limit is locked: then ``retry_after`` is set and nothing may be checked (429).

    While the room left by the failures is taken by checks under way, wait for them (see the
    module's description). Raises :class:`~directus_shares.outages.Outage` when the cache fails,
    or when there is still no room after ``PASSWORD_CHECK_WAIT`` seconds.
    """
    windows = _windows(share, address)
    deadline = time.monotonic() + get_config()["PASSWORD_CHECK_WAIT"]
    while True:
        with cache_calls():
            wait, taken = _look(windows)
            if wait is not None:  # wrong passwords reached a limit: nothing is checked
                return Reservation(share, address, retry_after=wait)
            room = all(count < window.allowed for window, count in zip(windows, taken, strict=True))
            checking = _start_checking(windows) if room else None
        if checking is not None:
            return Reservation(share, address, checking)
        if time.monotonic() >= deadline:
            raise Outage(PASSWORD_CHECKS)
        _pause()


def count_request(name: str, address: Address | None, limit: tuple[int, int]) -> int | None:
    """Count one request of the kind ``name`` from ``address`` against ``limit`` (requests,
    seconds: a fixed window from the first request on); ``None`` while it is within the limit,
    else the seconds until the window ends (the request is refused). Requests from an unknown
    address (see :func:`.opening.client_address`) share one window. Raises
    :class:`~directus_shares.outages.Outage` when the cache fails: nothing is let through
    uncounted."""
    window = _Window(name, _client(address), *limit)
    with cache_calls():
        if _add_failure(window) <= window.allowed:
            return None
        return _wait([window])


def _look(windows: list[_Window]) -> tuple[int | None, tuple[int, ...]]:
    """One read of the limits, counting nothing: how long a lock lasts (``None``: no limit is
    locked) and, per limit, its failures plus the attempts under way."""
    slice_ = _slice()
    under_way = {
        window: [window.checking_key(slice_ + d) for d in (-1, 0, 1)] for window in windows
    }
    values = cache.get_many(
        [w.key for w in windows] + [k for keys in under_way.values() for k in keys]
    )
    locked = [window for window in windows if values.get(window.key, 0) >= window.allowed]
    if locked:
        return _wait(locked), ()
    return None, tuple(
        values.get(window.key, 0) + sum(values.get(key, 0) for key in under_way[window])
        for window in windows
    )


def release_attempt(reservation: Reservation) -> None:
    """The reserved attempt's password was right, or was never checked: it is no longer under
    way, and counts against nothing. A cache failure here is logged and let go: the count it
    leaves behind ends with its clock slice, and the visitor's right password stands."""
    try:
        _stop_checking(reservation.checking)
    except Exception as error:  # see cache_calls(): the cache's errors have no common class
        logger.warning("Could not end a password check under way (%s)", type(error).__name__)


def record_failure(reservation: Reservation) -> None:
    """The reserved attempt's password was wrong: count it as a failure against each limit, then
    end it as under way (in that order: see the module's description). Send
    :data:`~directus_shares.signals.share_locked` when it is the failure that reaches a limit.
    Raises :class:`~directus_shares.outages.Outage` when the cache fails."""
    with cache_calls():
        counts = [(window, _add_failure(window)) for window, _key in reservation.checking]
        _stop_checking(reservation.checking)
    for window, count in counts:
        if count == window.allowed:
            try:
                _announce_lock(reservation, window)
            except Exception:  # noqa: BLE001 - the failure is counted; only the notice is lost
                logger.warning("The cache did not answer: a share lock was not announced.")


def _start_checking(windows: list[_Window]) -> tuple[tuple[_Window, str], ...] | None:
    """Count one attempt under way against each limit and keep it there if every limit has
    room for one more check; else take it off again and return ``None`` (wait and look again).

    Each count is read after the attempt's own increment, the other slices' before the failures
    (a failing check counts its failure before it stops being under way): an attempt that races
    this one is seen by it, or sees it. Both are read in one ``get_many``, in that order – Redis
    answers it as one snapshot, which is stronger still.
    """
    slice_ = _slice()
    checking = tuple((window, window.checking_key(slice_)) for window in windows)
    under_way = [_increment(key, 3 * CHECKING_SLICE)[0] for _window, key in checking]
    neighbours = [w.checking_key(s) for w in windows for s in (slice_ - 1, slice_ + 1)]
    found = cache.get_many(neighbours + [window.key for window in windows])
    for window, count in zip(windows, under_way, strict=True):
        count += sum(found.get(window.checking_key(slice_ + d), 0) for d in (-1, 1))
        if found.get(window.key, 0) + count > window.allowed:
            _stop_checking(checking)
            return None
    return checking


def _stop_checking(checking: tuple[tuple[_Window, str], ...]) -> None:
    for _window, key in checking:
        with contextlib.suppress(ValueError):  # its slice ended: nothing left to take off
            cache.decr(key)


def _add_failure(window: _Window) -> int:
    """Count a wrong password (or a request) in ``window``, opening a new window if none is
    under way."""
    count, created = _increment(window.key, window.seconds)
    if created:
        cache.set(window.ends_key, time.time() + window.seconds, timeout=window.seconds)
    return count


def _increment(key: str, seconds: int) -> tuple[int, bool]:
    """Add one to the counter ``key`` (created to last ``seconds``); the new count, and whether
    this call created the counter."""
    created = cache.add(key, 0, timeout=seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # it expired between add() and incr()
        created, count = cache.add(key, 1, timeout=seconds), 1
    if count == 1 and not created:
        # Expired between incr()'s look and its increment (RedisCache looks first): the counter
        # it made has no expiry. Give it one, or it would never end.
        cache.touch(key, seconds)
        created = True
    return count, created


def _slice() -> int:
    """The current clock slice of the under-way counters."""
    return int(time.time() // CHECKING_SLICE)


def _pause() -> None:
    """Wait a little before looking again for room to check a password."""
    time.sleep(random.uniform(0.5, 1.5) * LOOK_EVERY)  # noqa: S311 – jitter, not a secret


# -- the share-wide lock: shown, announced once, ended by a manager ----------------------------

_SENDING, _MAILED, _NOT_MAILED = "sending", "mailed", "not mailed"


@dataclass(frozen=True)
class ShareLock:
    """A share locked for everybody by wrong passwords from any number of addresses: until when,
    and whether its creator was (or is being) mailed about it."""

    until: datetime
    owner_told: bool


def share_lock(share: Share) -> ShareLock | None:
    """The share-wide lock on ``share`` now; ``None`` when its per-share limit is not reached."""
    return share_locks([share]).get(share.pk)


def share_locks(shares: Iterable[Share]) -> dict[object, ShareLock]:
    """:func:`share_lock` of each share locked now, by primary key – one cache round trip.

    For showing only: when the cache does not answer, none (logged); the password step, which
    needs the cache, fails closed on its own.
    """
    windows = {share.pk: _share_window(share) for share in shares}
    keys = [key for w in windows.values() for key in (w.key, w.ends_key, w.told_key)]
    try:
        found = cache.get_many(keys) if keys else {}
    except Exception:  # noqa: BLE001 - a cache outage must not take the admin and the API down
        logger.warning("The cache did not answer: share locks cannot be shown.", exc_info=True)
        return {}
    now = time.time()
    locks: dict[object, ShareLock] = {}
    for pk, window in windows.items():
        if found.get(window.key, 0) >= window.allowed:
            ends = found.get(window.ends_key, now + window.seconds)
            told = found.get(window.told_key)
            locks[pk] = ShareLock(
                until=datetime.fromtimestamp(ends, tz=UTC),
                owner_told=told in (_SENDING, _MAILED),
            )
    return locks


def unlock(share: Share) -> bool:
    """End the per-share window of ``share`` (its count of wrong passwords starts again at 0);
    whether it was locked. Per-address windows are left alone: they span every share, and an
    address that guessed wrong stays limited until its own window ends."""
    window = _share_window(share)
    locked = cache.get(window.key, 0) >= window.allowed
    cache.delete_many([window.key, window.ends_key, window.told_key])
    return locked


def _share_window(share: Share) -> _Window:
    return _Window("share", str(share.pk), *get_config()["PASSWORD_ATTEMPTS_PER_SHARE"])


def _announce_lock(reservation: Reservation, window: _Window) -> None:
    """Send :data:`~directus_shares.signals.share_locked` once per lock – the first failure to
    reach the limit wins the atomic ``add`` in every process – and, when it is the share-wide
    lock, mail the share's creator. An address's own lock denies nobody else: no mail."""
    found = cache.get_many([window.key, window.ends_key])
    if found.get(window.key, 0) < window.allowed:  # given back meanwhile, or unlocked: no lock
        return
    ends = found.get(window.ends_key) or time.time() + window.seconds
    remaining = max(1, int(ends - time.time()) + 1)
    if not cache.add(window.told_key, _SENDING, timeout=remaining):
        return  # this lock was announced already
    for receiver, error in share_locked.send_robust(
        sender=Share, share=reservation.share, address=reservation.address, limit=window.name
    ):
        if isinstance(error, Exception):
            logger.error("A share_locked receiver failed: %r", receiver, exc_info=error)
    if window.name != "share":
        return
    mailed = queue_lock_notice(reservation.share, datetime.fromtimestamp(ends, tz=UTC))
    cache.set(window.told_key, _MAILED if mailed else _NOT_MAILED, timeout=remaining)
