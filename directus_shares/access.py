"""Whether a share opens: the one place that decides, in a fixed order, and counts uses.

Order of checks (documented in ``docs/lifecycle.md``):
unknown token → revoked or object gone → not yet open → expired → (visitor already granted:
open) → used up → grants nothing → password → counted use.
"""

from __future__ import annotations

import enum
from datetime import datetime

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from . import tokens
from .models import Share


class Refusal(enum.Enum):
    """Why a share does not open, with the HTTP status that says so."""

    UNKNOWN = ("unknown", 404, _("This share link does not exist."))
    UNAVAILABLE = ("unavailable", 410, _("This share is no longer available."))
    NOT_YET_OPEN = ("not_yet_open", 403, _("This share is not open yet."))
    EXPIRED = ("expired", 410, _("This share has expired."))
    USED_UP = ("used_up", 410, _("This share has been used up."))
    GRANTS_NOTHING = ("grants_nothing", 403, _("This share does not grant access to anything."))

    def __init__(self, code: str, status: int, title: str) -> None:
        self.code = code
        self.status = status
        self.title = title


def find_share(token: str) -> Share | None:
    """The share a link token points to, or ``None`` (forged, mistyped or rotated away)."""
    key = tokens.key_from_token(token)
    if key is None:
        return None
    return Share.objects.select_related("role").filter(key=key).first()


def refusal_for(
    share: Share | None,
    *,
    object_exists: bool,
    role_can_view: bool,
    now: datetime,
    granted: bool = False,
) -> Refusal | None:
    """Why ``share`` does not open for a visitor at ``now``, or ``None`` when it opens.

    ``role_can_view`` says whether the share's (effective) role may read the shared model at all.

    ``granted`` says the visitor already holds a valid grant: their use was counted, so a share
    that has since been used up by others still opens for them until the grant ends.
    """
    if share is None:
        return Refusal.UNKNOWN
    if share.is_revoked or not object_exists:
        return Refusal.UNAVAILABLE
    if share.date_start is not None and now < share.date_start:
        return Refusal.NOT_YET_OPEN
    if share.date_end is not None and now >= share.date_end:
        return Refusal.EXPIRED
    if not granted and share.uses_left == 0:
        return Refusal.USED_UP
    if not role_can_view:
        return Refusal.GRANTS_NOTHING
    return None


def consume_use(share: Share, now: datetime) -> bool:
    """Count one use of ``share`` if it is still open and has a use left; True when counted.

    The check and the increment are one conditional ``UPDATE``, so concurrent opens – in any
    number of processes – can never take more than ``max_uses`` between them.
    """
    counted = (
        Share.objects.filter(pk=share.pk, key=share.key, grant_epoch=share.grant_epoch)
        .open_at(now)
        .with_uses_left()
        .update(times_used=F("times_used") + 1)
    )
    if counted:
        share.times_used += 1  # the exact value may be higher already; only the view shows it
    return bool(counted)
