"""Whether a password a visitor sent is the share's; the lockout around it and the order of the
steps belong to :mod:`~directus_shares.opening`. A share without a password spends the same
hashing work on a password attempt, so the time of the answer does not tell them apart.
"""

from __future__ import annotations

import functools
import secrets

from django.contrib.auth.hashers import get_hasher

from .conf import get_config
from .models import Share
from .outcomes import PasswordProblemKind


def password_problem(share: Share, password: str) -> PasswordProblemKind | None:
    """What is wrong with ``password`` for ``share``, or ``None`` when it is right.

    Over-long input is refused before it reaches the (deliberately slow) hasher.
    """
    if not password:
        return PasswordProblemKind.MISSING
    if len(password) > get_config()["MAX_PASSWORD_LENGTH"]:
        return PasswordProblemKind.TOO_LONG
    if not share.check_password(password):
        return PasswordProblemKind.WRONG
    return None


def spend_like_a_check(password: str) -> None:
    """Do the work :func:`password_problem` would do for ``password`` – verify it against a hash
    that matches nothing – so that a share without a password takes as long to answer."""
    if password and len(password) <= get_config()["MAX_PASSWORD_LENGTH"]:
        hasher_name = get_config()["PASSWORD_HASHER"]
        get_hasher(hasher_name).verify(password, _unmatchable_hash(hasher_name))


@functools.cache
def _unmatchable_hash(hasher_name: str) -> str:
    """A hash, made once per process and hasher, of a random password nobody knows."""
    hasher = get_hasher(hasher_name)
    return hasher.encode(secrets.token_urlsafe(32), hasher.salt())
