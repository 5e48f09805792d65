"""Whether a share opens: the one place that decides, in a fixed order, and counts uses.

Order of checks (documented in ``docs/lifecycle.md``):
unknown token → network not allowed → revoked, object gone or creator gone → not yet open →
expired → (visitor already granted: skip the next step) → used up → grants nothing (also: the
object is outside the rows the share may read) → password → counted use.
"""

from __future__ import annotations

import enum
from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import tokens
from .access_log import record_counted_use
from .conf import get_config
from .counting import Condition, count_use
from .models import Share, ShareStatus
from .networks import Address, address_allowed
from .queries import load_share, share_rights
from .rights import ShareRights


class Refusal(enum.Enum):
    """Why a share does not open, with the HTTP status that says so."""

    UNKNOWN = ("unknown", 404, _("This share link does not exist."))
    FORBIDDEN_NETWORK = (
        "forbidden_network",
        403,
        _("This share cannot be opened from your network."),
    )
    UNAVAILABLE = ("unavailable", 410, _("This share is no longer available."))
    NOT_YET_OPEN = ("not_yet_open", 403, _("This share is not open yet."))
    EXPIRED = ("expired", 410, _("This share has expired."))
    USED_UP = ("used_up", 410, _("This share has been used up."))
    GRANTS_NOTHING = ("grants_nothing", 403, _("This share does not grant access to anything."))
    #: The role (and creator) may read the model, but a row filter leaves this object out. Same
    #: code and status as ``GRANTS_NOTHING`` (the API and the access log do not tell them apart);
    #: the page says which it is.
    OBJECT_NOT_GRANTED = (
        "grants_nothing",
        403,
        _("This share does not grant access to what it points to."),
    )

    def __init__(self, code: str, status: int, title: str) -> None:
        self.code = code
        self.status = status
        self.title = title


_REFUSAL_FOR_STATUS = {
    ShareStatus.REVOKED: Refusal.UNAVAILABLE,
    ShareStatus.NOT_YET_OPEN: Refusal.NOT_YET_OPEN,
    ShareStatus.EXPIRED: Refusal.EXPIRED,
    ShareStatus.USED_UP: Refusal.USED_UP,
}


def find_share(token: str) -> tuple[Share, ShareRights] | tuple[None, None]:
    """The share a link token points to and the rights it grants, with one query; ``(None,
    None)`` for a forged, mistyped or rotated-away token."""
    key = tokens.key_from_token(token)
    return (None, None) if key is None else find_share_by_key(key)


def find_share_by_key(key: str) -> tuple[Share, ShareRights] | tuple[None, None]:
    """:func:`find_share` for a share's link key (what staff are told is read the same way)."""
    public_role = get_config()["PUBLIC_ROLE"] or None  # "" names no group
    loaded = load_share(key, public_role)
    if loaded is None:
        return None, None
    return loaded.share, share_rights(loaded)


class ObjectState(enum.Enum):
    """The shared object as the share sees it."""

    VISIBLE = "visible"
    HIDDEN = "hidden"  # exists, but outside the rows the share may read
    GONE = "gone"


def refusal_for(
    share: Share | None,
    *,
    now: datetime,
    rights: ShareRights,
    address: Address | None,
    object_state: ObjectState,
    granted: bool = False,
    any_address: bool = False,
) -> Refusal | None:
    """Why ``share`` does not open for a visitor from ``address`` at ``now``, or ``None`` when it
    opens.

    ``granted`` says the visitor already holds a valid grant: their use was counted, so a share
    that has since been used up by others still opens for them until the grant ends.
    ``any_address`` decides for a visitor from a network the share allows (what staff are told).
    """
    if share is None:
        return Refusal.UNKNOWN
    if not any_address and not address_allowed(address, rights.allowed_networks):
        return Refusal.FORBIDDEN_NETWORK  # before anything else: such visitors learn nothing
    status = share.status_at(now)
    if (
        status is ShareStatus.REVOKED
        or object_state is ObjectState.GONE
        or rights.creator_unavailable
    ):
        return Refusal.UNAVAILABLE
    if status is ShareStatus.USED_UP and granted:
        status = ShareStatus.ACTIVE
    if status is not ShareStatus.ACTIVE:
        return _REFUSAL_FOR_STATUS[status]
    model = share.shared_model
    if model is None or not rights.can_view_model(model):
        return Refusal.GRANTS_NOTHING
    if object_state is ObjectState.HIDDEN:
        return Refusal.OBJECT_NOT_GRANTED
    return None


def opens_without_click(share: Share) -> bool:
    """Whether ``GET`` shows the object straight away, uncounted (``OPEN_UNLIMITED_ON_GET``)."""
    return bool(
        get_config()["OPEN_UNLIMITED_ON_GET"] and not share.has_password and share.max_uses is None
    )


def password_error(share: Share, password: str) -> str | None:
    """What is wrong with ``password`` for ``share``, or ``None`` when it is right.

    Over-long input is refused before it reaches the (deliberately slow) hasher.
    """
    if not password:
        return str(_("Enter the password."))
    if len(password) > get_config()["MAX_PASSWORD_LENGTH"]:
        return str(_("That password is too long."))
    if not share.check_password(password):
        return str(_("That password is not correct."))
    return None


def consume_use(
    share: Share,
    now: datetime,
    request: HttpRequest | None = None,
    condition: Condition | None = None,
) -> bool:
    """Count one use of ``share`` if it is still open and has a use left; True when counted.

    The check and the increment are one conditional ``UPDATE``, so concurrent opens – in any
    number of processes – can never take more than ``max_uses`` between them. It also re-checks
    that the link, password and grants are still those the visitor was checked against, and
    ``condition`` (from :meth:`.visits.Visit.refusal_before_counting`: the object is still
    readable). Given the visitor's ``request``, a counted use is also recorded as a granted
    access (on PostgreSQL by the same statement: :func:`.access_log.record_counted_use`).
    """
    if request is None:
        counted = count_use(share, now, condition)
    else:
        counted = record_counted_use(request, share, now, condition)
    if counted:
        share.times_used += 1  # at least; others may have counted meanwhile
    return counted
