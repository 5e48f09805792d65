"""Password attempts are limited per client address and per share, in Django's cache.

With a shared cache (Redis through Django's ``RedisCache``) the counters hold across processes and
hosts; a per-process ``LocMemCache`` in production is reported by system check
``directus_shares.W020``. Each limit is a fixed window: ``(attempts, seconds)``. Past a limit no
password is checked until the window ends.
"""

from __future__ import annotations

import time

from django.core.cache import cache

from .conf import get_config
from .models import Share
from .networks import Address
from .signals import share_locked

_PREFIX = "directus_shares:pw"


def _windows(share: Share, address: Address | None) -> list[tuple[str, int, int]]:
    """(cache key, allowed failures, window seconds) of each limit that applies."""
    config = get_config()
    attempts, seconds = config["PASSWORD_ATTEMPTS_PER_SHARE"]
    windows = [(f"{_PREFIX}:share:{share.pk}", attempts, seconds)]
    if address is not None:
        attempts, seconds = config["PASSWORD_ATTEMPTS_PER_ADDRESS"]
        windows.append((f"{_PREFIX}:addr:{address}", attempts, seconds))
    return windows


def retry_after(share: Share, address: Address | None) -> int | None:
    """Seconds until ``share`` may be tried again from ``address``; ``None``: not locked."""
    waits = []
    for key, allowed, _seconds in _windows(share, address):
        found = cache.get_many([key, f"{key}:ends"])
        failures, ends = found.get(key, 0), found.get(f"{key}:ends", 0)
        if failures >= allowed:
            waits.append(max(int(ends - time.time()) + 1, 1))
    return max(waits) if waits else None


def record_failure(share: Share, address: Address | None) -> None:
    """Count a wrong password against each limit (atomically where the cache is shared); send
    :data:`~directus_shares.signals.share_locked` when this failure reaches a limit."""
    for key, allowed, seconds in _windows(share, address):
        if cache.add(key, 0, timeout=seconds):  # a new window
            cache.set(f"{key}:ends", time.time() + seconds, timeout=seconds)
        try:
            failures = cache.incr(key)
        except ValueError:  # the window ended between add() and incr()
            cache.add(key, 1, timeout=seconds)
            failures = 1
        if failures == allowed:
            share_locked.send(sender=Share, share=share, address=address, limit=key.split(":")[2])
