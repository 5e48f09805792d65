"""Whether a visitor proved an address: one-time e-mail codes.

A code is 6 digits, bound to one share and one address, accepted for
``VERIFICATION_CODE_LIFETIME`` (10 minutes), for at most ``VERIFICATION_CODE_TRIES`` (5) tries,
and once. Only its keyed hash is stored (:func:`.signatures.code_hash`). Each try is counted by
one conditional ``UPDATE … SET tries = tries + 1 WHERE tries < limit`` *before* the code is
compared, so neither concurrent requests nor several processes get an extra try, and no cache is
involved. A right code is spent by another conditional ``UPDATE`` (``used_at IS NULL``), so it
opens once. A new code for the same share and address replaces the one before it; an address is
sent at most ``VERIFICATION_CODES_PER_ADDRESS`` codes per share and window; the codes before the
newest are kept only to count that limit (they are never accepted), and deleted when the share's
next code is issued past the window, or by ``directus_shares_purge`` (:func:`ended_codes`).

Codes are made the same way for addresses a share does not allow – only never mailed – so the
visitor's answers cannot tell listed addresses from others (:func:`.opening.request_code`).

This module decides nothing about the share itself; :mod:`directus_shares.opening` calls it in
its order and mails the code. A recipient's link of a share that verifies its recipients uses
the same functions with the recipient's own address.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q, QuerySet

from .conf import get_config, verification_code_lifetime
from .models import Share, VerificationCode
from .signatures import code_hash, code_matches

#: How many digits a code has.
CODE_DIGITS = 6
#: Longer input is cut here before it is hashed (it cannot be right anyway).
MAX_CODE_INPUT = 32
#: How long a code is kept after it expired or was used (:func:`ended_codes`).
ENDED_CODES_KEPT = timedelta(days=1)


class CodeCheck(enum.Enum):
    """What a try of a code came to."""

    RIGHT = "right"
    WRONG = "wrong"
    EXPIRED = "expired"
    USED = "used"
    TRIES_USED_UP = "tries_used_up"
    NOT_REQUESTED = "not_requested"


@dataclass(frozen=True)
class Tried:
    """A try of the code ``code_id`` (``None``: no code was requested): its ``result``."""

    result: CodeCheck
    code_id: int | None = None


@dataclass(frozen=True)
class EmailCode:
    """What a visitor sends to prove an address: the address and the code mailed to it."""

    email: str
    code: str


def new_code() -> str:
    """A fresh random code: ``CODE_DIGITS`` digits, from :mod:`secrets`."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def issue_code(share: Share, email: str, now: datetime) -> str | None:
    """A new code for ``share`` and the normalised ``email``, stored as its hash and replacing
    the one before; ``None`` when the address already had ``VERIFICATION_CODES_PER_ADDRESS``
    codes for this share within the window (nothing is stored then).

    The limit is kept under concurrency by counting after the insert: a code that finds itself
    past the limit is deleted again (two racing requests may both lose; neither gets a code too
    many). Codes of the share past both the window and their lifetime are deleted on the way.
    """
    limit, seconds = get_config()["VERIFICATION_CODES_PER_ADDRESS"]
    window_start = now - timedelta(seconds=seconds)
    lifetime = verification_code_lifetime()
    codes = VerificationCode.objects.filter(share=share)
    codes.filter(created_at__lt=min(window_start, now - lifetime)).delete()
    recent = codes.filter(email=email, created_at__gt=window_start)
    if recent.count() >= limit:
        return None
    code = new_code()
    made = VerificationCode.objects.create(
        share=share,
        email=email,
        code_hash=code_hash(share.pk, email, code),
        created_at=now,
        expires_at=now + lifetime,
    )
    if recent.filter(pk__lte=made.pk).count() > limit:  # others got in meanwhile
        made.delete()
        return None
    return code


def try_code(share: Share, email: str, code: str, now: datetime) -> Tried:
    """Try ``code`` against the newest code of ``share`` for the normalised ``email`` at ``now``.

    The try is counted first, in the database, and only if the code is still unused, unexpired
    and has tries left; then the code is compared in constant time. A right code is not spent
    here (:func:`spend_code` does that when the share opens), so a wrong password after it does
    not cost the visitor their code – only a try.
    """
    latest = (
        VerificationCode.objects.filter(share=share, email=email)
        .order_by("-created_at", "-pk")
        .only("pk", "code_hash")
        .first()
    )
    if latest is None:
        return Tried(CodeCheck.NOT_REQUESTED)
    counted = VerificationCode.objects.filter(
        pk=latest.pk,
        used_at__isnull=True,
        expires_at__gt=now,
        tries__lt=get_config()["VERIFICATION_CODE_TRIES"],
    ).update(tries=F("tries") + 1)
    if counted != 1:
        return Tried(_why_not_tried(latest.pk, now), latest.pk)
    given = "".join(code.split())[:MAX_CODE_INPUT]  # "123 456" is 123456
    right = code_matches(share.pk, email, given, latest.code_hash)
    return Tried(CodeCheck.RIGHT if right else CodeCheck.WRONG, latest.pk)


def _why_not_tried(code_id: int, now: datetime) -> CodeCheck:
    """Why the try of ``code_id`` was not counted: used, expired, or out of tries."""
    state = VerificationCode.objects.filter(pk=code_id).values("used_at", "expires_at").first()
    if state is None:  # deleted meanwhile (its share was)
        return CodeCheck.NOT_REQUESTED
    if state["used_at"] is not None:
        return CodeCheck.USED
    if state["expires_at"] <= now:
        return CodeCheck.EXPIRED
    return CodeCheck.TRIES_USED_UP


def spend_code(code_id: int, now: datetime) -> bool:
    """Mark the code ``code_id`` used if it is unused and unexpired at ``now``; True when this
    call spent it (of concurrent calls, exactly one does)."""
    unused = VerificationCode.objects.filter(pk=code_id, used_at__isnull=True, expires_at__gt=now)
    return unused.update(used_at=now) == 1


def ended_codes(now: datetime) -> QuerySet[VerificationCode]:
    """The codes nothing needs any more at ``now``: expired or used more than
    :data:`ENDED_CODES_KEPT` ago, and older than the ``VERIFICATION_CODES_PER_ADDRESS`` window
    they are counted in. Until then a visitor who comes back is told the code expired or was
    used (not that none was requested), and the resend limit holds."""
    ended = now - ENDED_CODES_KEPT
    _limit, seconds = get_config()["VERIFICATION_CODES_PER_ADDRESS"]
    return VerificationCode.objects.filter(
        Q(expires_at__lt=ended) | Q(used_at__lt=ended),
        created_at__lt=now - timedelta(seconds=seconds),
    )
