"""The password step of opening a share, shared by the page and the API.

Past a lockout no password is checked (:mod:`~directus_shares.lockout`); each attempt is counted
as under way before its password is checked, and as a failure if it was wrong; every refusal
is written to the access log. A share without a password
spends the same hashing work on a password attempt as a share with one, so the time of the
answer does not tell them apart.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import get_hasher
from django.http import HttpRequest

from . import access, lockout
from .access_log import record_access
from .conf import get_config
from .models import AccessReason, Share
from .networks import client_address
from .outages import Outage


@dataclass(frozen=True)
class PasswordRefusal:
    """Why the password step refused: locked out (``retry_after`` seconds; ``share_lock`` when
    the share is locked for everybody, not only for this address), or a wrong, empty or
    over-long password (``message``)."""

    reason: AccessReason
    message: str = ""
    retry_after: int | None = None
    share_lock: lockout.ShareLock | None = None

    @property
    def locked_out(self) -> bool:
        return self.reason is AccessReason.LOCKED_OUT


def check_attempt(request: HttpRequest, share: Share, password: str) -> PasswordRefusal | None:
    """Check ``password`` for ``share`` as a visitor sent it; ``None`` when the share may open.

    Refusals are logged (``locked_out`` or ``wrong_password``) and wrong passwords counted.
    When the limits cannot be kept (the cache failed) the attempt is logged as
    ``service_unavailable`` and :class:`~directus_shares.outages.Outage` raised: nothing opens.
    """
    if not share.has_password:
        spend_like_a_check(password)
        return None
    try:
        return _check_within_limits(request, share, password)
    except Outage:  # no password is checked without its limits: the caller answers 503
        record_access(request, share, granted=False, reason=AccessReason.SERVICE_UNAVAILABLE)
        raise


def _check_within_limits(
    request: HttpRequest, share: Share, password: str
) -> PasswordRefusal | None:
    # Under way before the check, so concurrent guesses cannot overtake the limits.
    reservation = lockout.reserve_attempt(share, client_address(request))
    if reservation.retry_after is not None:  # no password is checked until the window ends
        record_access(request, share, granted=False, reason=AccessReason.LOCKED_OUT)
        return PasswordRefusal(
            AccessReason.LOCKED_OUT,
            retry_after=reservation.retry_after,
            share_lock=lockout.share_lock(share),
        )
    error = access.password_error(share, password)
    if error:
        lockout.record_failure(reservation)
        record_access(request, share, granted=False, reason=AccessReason.WRONG_PASSWORD)
        return PasswordRefusal(AccessReason.WRONG_PASSWORD, message=error)
    lockout.release_attempt(reservation)  # a right password does not count against the limits
    return None


def spend_like_a_check(password: str) -> None:
    """Do the work :func:`access.password_error` would do for ``password`` – verify it against
    a hash that matches nothing – so that a share without a password takes as long to answer."""
    if password and len(password) <= get_config()["MAX_PASSWORD_LENGTH"]:
        hasher_name = get_config()["PASSWORD_HASHER"]
        get_hasher(hasher_name).verify(password, _unmatchable_hash(hasher_name))


@functools.cache
def _unmatchable_hash(hasher_name: str) -> str:
    """A hash, made once per process and hasher, of a random password nobody knows."""
    hasher = get_hasher(hasher_name)
    return hasher.encode(secrets.token_urlsafe(32), hasher.salt())
