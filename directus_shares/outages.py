"""When the cache or the database is away: which errors are an outage, and that they fail closed.

A share request that cannot reach the cache (where the password limits are counted) or the
database checks, counts and shows nothing. The page and the API answer **503** with
``Retry-After: 60`` (:data:`RETRY_AFTER`) and say "temporarily unavailable, try again in a
minute" instead of a 500: the visitor learns to come back, not that something is broken for
good. :func:`outage_of` is the one place that decides what an outage is; the page and the API
only render it (HTML or JSON) with the share responses' headers. Any other error stays a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest

from .logs import logger, redacted_path

#: Seconds a visitor is asked to wait when a share cannot be answered for an outage.
RETRY_AFTER = 60
#: What did not answer (:attr:`Outage.service`).
CACHE = "cache"
DATABASE = "database"
#: Password checks under way for longer than an attempt waits for them (see
#: :func:`directus_shares.lockout.reserve_attempt`): in practice a worker killed mid-check.
PASSWORD_CHECKS = "password checks"

#: Errors of Django's database layer that mean the database did not answer – refused or lost
#: connections, timeouts, a server shutting down – not that a statement is wrong.
DATABASE_ERRORS = (OperationalError, InterfaceError)


class Outage(Exception):
    """A ``service`` that an answer depends on did not answer: nothing was checked or counted."""

    retry_after = RETRY_AFTER

    def __init__(self, service: str) -> None:
        super().__init__(f"The {service} did not answer.")
        self.service = service


@contextmanager
def cache_calls() -> Iterator[None]:
    """Turn any failure of the cache inside the block into an :class:`Outage` of the cache.

    Django's cache backends pass their client's errors on as they are (redis-py's
    ``ConnectionError`` and ``TimeoutError``, pymemcache's socket errors), with no common base
    class but ``Exception``; keep the block to cache calls only.
    """
    try:
        yield
    except Exception as error:
        raise Outage(CACHE) from error


def outage_of(request: HttpRequest, error: BaseException) -> Outage | None:
    """The outage ``error`` means for a share request, logged (a warning, without the link), or
    ``None``: any other error is a fault of its own and stays a 500."""
    if isinstance(error, Outage):
        outage = error
    elif isinstance(error, DATABASE_ERRORS):
        outage = Outage(DATABASE)
    else:
        return None
    cause = error.__cause__ or error
    # The error's class, not its message or traceback: a share request's frames hold its token.
    logger.warning(
        "Share request not answered, the %s did not answer (%s): %s",
        outage.service,
        type(cause).__name__,
        redacted_path(request),
    )
    return outage
