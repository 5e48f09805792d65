"""Password attempts are limited per client address and per share, in Django's cache.

With a shared cache (Redis through Django's ``RedisCache``) the counters hold across processes and
hosts; a per-process ``LocMemCache`` in production is reported by system check
``directus_shares.W020``. Each limit is a fixed window: ``(attempts, seconds)``. Past a limit no
password is checked until the window ends.

An attempt is counted *before* its password is checked (:func:`reserve_attempt`) and given back
when the password was right (:func:`release_attempt`): concurrent guesses in any number of
processes can never have more passwords checked between them than a limit allows.

When the per-share limit is reached the share is locked for everybody, its rightful recipient
too: its creator is told once per lock (the :data:`~directus_shares.signals.share_locked` signal
and a mail, see :func:`directus_shares.mail.send_lock_notice`), the admin and the API show the
lock (:func:`share_lock`, :func:`share_locks`) and its manager can end it (:func:`unlock`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.cache import cache

from .conf import get_config
from .mail import send_lock_notice
from .models import Share
from .networks import Address
from .signals import share_locked

_PREFIX = "directus_shares:pw"

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


@dataclass(frozen=True)
class Reservation:
    """An attempt counted against every limit before its password is checked; ``retry_after``
    (seconds) is set when it is past a limit, and then nothing may be checked."""

    share: Share
    address: Address | None
    counts: tuple[tuple[_Window, int], ...] = ()
    retry_after: int | None = None


def _windows(share: Share, address: Address | None) -> list[_Window]:
    config = get_config()
    windows = [_Window("share", str(share.pk), *config["PASSWORD_ATTEMPTS_PER_SHARE"])]
    if address is not None:
        windows.append(_Window("addr", str(address), *config["PASSWORD_ATTEMPTS_PER_ADDRESS"]))
    return windows


def _wait(windows: list[_Window]) -> int:
    ends = cache.get_many([window.ends_key for window in windows])
    now = time.time()
    return max(max(int(ends.get(w.ends_key, now) - now) + 1, 1) for w in windows)


def retry_after(share: Share, address: Address | None) -> int | None:
    """Seconds until ``share`` may be tried again from ``address``; ``None``: not locked."""
    windows = _windows(share, address)
    failures = cache.get_many([window.key for window in windows])
    locked = [window for window in windows if failures.get(window.key, 0) >= window.allowed]
    return _wait(locked) if locked else None


def reserve_attempt(share: Share, address: Address | None) -> Reservation:
    """Count one attempt against each limit, atomically where the cache is shared – unless
    ``share`` is locked for ``address`` already. A reservation past a limit is given back at
    once: check nothing and answer 429."""
    wait = retry_after(share, address)
    if wait is not None:  # locked: nothing to count
        return Reservation(share, address, retry_after=wait)
    counts = tuple((window, _increment(window)) for window in _windows(share, address))
    over = [window for window, count in counts if count > window.allowed]
    if not over:
        return Reservation(share, address, counts)
    release_attempt(Reservation(share, address, counts))
    return Reservation(share, address, retry_after=_wait(over))


def release_attempt(reservation: Reservation) -> None:
    """Give a reserved attempt back: its password was right, or it was never checked."""
    for window, _count in reservation.counts:
        with contextlib.suppress(ValueError):  # the window ended: nothing left to give back
            cache.decr(window.key)


def record_failure(reservation: Reservation) -> None:
    """The reserved attempt's password was wrong: it stays counted. Send
    :data:`~directus_shares.signals.share_locked` when it is the one that reaches a limit."""
    for window, count in reservation.counts:
        if count == window.allowed:
            _announce_lock(reservation, window)


def _increment(window: _Window) -> int:
    if cache.add(window.key, 0, timeout=window.seconds):  # a new window
        cache.set(window.ends_key, time.time() + window.seconds, timeout=window.seconds)
    try:
        return cache.incr(window.key)
    except ValueError:  # the window ended between add() and incr()
        cache.add(window.key, 1, timeout=window.seconds)
        return 1


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
    return _windows(share, None)[0]


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
    mailed = send_lock_notice(reservation.share, datetime.fromtimestamp(ends, tz=UTC))
    cache.set(window.told_key, _MAILED if mailed else _NOT_MAILED, timeout=remaining)
