"""One request for a share, as the page and the API both see it.

A :class:`Visit` holds what every answer starts from – the share a link token points to, the
rights it grants, the moment of the request and the visitor's address – and asks
:func:`access.refusal_for` with them, so that every view decides in the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import router
from django.http import HttpRequest
from django.utils import timezone

from . import access, disclosure
from .counting import Condition
from .models import Share
from .networks import Address, client_address
from .object_state import readable_condition, shared_object_state
from .rights import ShareRights


@dataclass(frozen=True)
class Visit:
    """A visitor's request for ``share``: its ``rights``, the time ``now`` and the ``address``."""

    share: Share
    rights: ShareRights
    now: datetime
    address: Address | None

    def refusal(
        self, object_state: access.ObjectState | None = None, *, granted: bool = False
    ) -> access.Refusal | None:
        """Why the share does not open for this visit (see :func:`access.refusal_for`), or
        ``None``; ``object_state`` is looked up unless the caller already knows it."""
        if object_state is None:
            object_state = shared_object_state(self.share, self.rights)
        return access.refusal_for(
            self.share,
            now=self.now,
            rights=self.rights,
            address=self.address,
            object_state=object_state,
            granted=granted,
        )

    def refusal_before_counting(self) -> tuple[access.Refusal | None, Condition | None]:
        """:meth:`refusal` before a use is counted – and, for a share without a password, the
        condition on its object that the counting statement checks instead of a query of its own
        (``None``: checked here). A share with a password has its object checked first, so that
        no password is tried and no attempt counted for an object that is gone."""
        condition = None
        if not self.share.has_password:
            alias = router.db_for_write(Share)
            condition = readable_condition(self.share, self.rights, alias)
        return self.refusal(None if condition is None else access.ObjectState.VISIBLE), condition

    def shared_object(self, *, shown: bool) -> tuple[Any, access.ObjectState]:
        """The shared object, loaded for display when it is ``shown`` and visible, and its
        state for :meth:`refusal` (one query either way)."""
        instance = disclosure.load_shared_object(self.share, self.rights) if shown else None
        if instance is not None:
            return instance, access.ObjectState.VISIBLE
        return None, shared_object_state(self.share, self.rights)


def refusal_for_anyone(
    share: Share,
    now: datetime | None = None,
    *,
    rights: ShareRights | None = None,
    object_state: access.ObjectState | None = None,
) -> access.Refusal | None:
    """Why ``share`` would not open for a first visitor from a network it allows at ``now``,
    or ``None`` – the visitor's own decision (:func:`access.refusal_for`), with the share and
    its rights read afresh unless given (``rights`` from :func:`access.find_share_by_key`),
    and the object's state looked up unless given."""
    if rights is None:
        found, rights = access.find_share_by_key(share.key)
        if found is None or rights is None:
            return access.Refusal.UNKNOWN  # deleted or given a new link meanwhile
        share = found
    if object_state is None:
        object_state = shared_object_state(share, rights)
    return access.refusal_for(
        share,
        now=now or timezone.now(),
        rights=rights,
        address=None,
        object_state=object_state,
        any_address=True,
    )


def begin(request: HttpRequest, token: str) -> Visit | None:
    """The visit of the share ``token`` points to; ``None`` when the token is not a share's."""
    now = timezone.now()
    share, rights = access.find_share(token)
    if share is None or rights is None:
        return None
    return Visit(share, rights, now, client_address(request))
