"""Recording attempts to open a share: the access log row and the ``share_accessed`` signal."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

from django.db import router, transaction
from django.http import HttpRequest

from . import counting
from .conf import get_config
from .counting import Condition
from .logs import logger
from .models import AccessReason, Share, ShareAccess
from .rights import Address
from .signals import share_accessed

#: The network a truncated address is kept as, per IP version.
TRUNCATED_PREFIX = {4: 24, 6: 48}
_GRANTED = str(AccessReason.GRANTED)


def loggable_address(address: Address | None) -> str:
    """``address`` as ``ACCESS_LOG_ADDRESSES`` allows it to be kept: in full, as its network
    (``"192.0.2.0/24"``, ``"2001:db8:1::/48"``), or ``""``."""
    mode = get_config()["ACCESS_LOG_ADDRESSES"]
    if address is None or mode == "off":
        return ""
    if mode == "full":
        return str(address)
    # Anything else (a typo is reported by check E012) keeps the default, the truncated form.
    network = ipaddress.ip_network((address, TRUNCATED_PREFIX[address.version]), strict=False)
    return str(network)


def record_access(
    request: HttpRequest,
    share: Share,
    *,
    granted: bool,
    reason: str,
    address: Address | None,
) -> None:
    """Log one attempt to open ``share`` from ``address`` (the visitor's, as
    :func:`.opening.client_address` reads it; unless ``ACCESS_LOG`` is off), then send
    :data:`~directus_shares.signals.share_accessed`.

    A failure to write, or of a receiver, is logged and swallowed: the visitor's page never
    breaks for it.
    """
    reason = str(reason)  # an AccessReason member is sent on as its plain code
    kept = loggable_address(address)
    if get_config()["ACCESS_LOG"]:
        entry = ShareAccess(share=share, granted=granted, reason=reason, address=kept)
        entry.recipient = share.via_recipient  # None: the share's common link
        entry.email = share.visitor_email  # the address proved (or tried) with a one-time code
        _write(entry)
    _announce(request, share, granted=granted, reason=reason, address=kept)


def record_counted_use(
    request: HttpRequest,
    share: Share,
    now: datetime,
    condition: Condition | None = None,
    *,
    address: Address | None,
    device: Sequence[str] | None = None,
) -> bool:
    """Count one use of ``share`` at ``now`` if ``condition`` holds – through a recipient's link,
    from ``device`` (:func:`.counting.count_use`) – and, when it was counted, record the granted
    access as :func:`record_access` does; True when counted. A broken log never takes a
    visitor's use: the row is written after the count."""
    counted = counting.count_use(share, now, condition, device)
    if counted:
        record_access(request, share, granted=True, reason=_GRANTED, address=address)
    return counted


def _write(entry: ShareAccess) -> None:
    try:
        alias = router.db_for_write(ShareAccess)
        with _own_savepoint(alias):
            _insert(entry, alias)
    except Exception:  # whatever fails, the page must not
        logger.exception(
            "Could not write the access log of share %s (%s)", entry.share_id, entry.reason
        )


def _announce(
    request: HttpRequest, share: Share, *, granted: bool, reason: str, address: str
) -> None:
    # Robust: by now a use may be counted, and a failing receiver must not take the visitor's
    # grant with it.
    for receiver, error in share_accessed.send_robust(
        sender=Share,
        share=share,
        recipient=share.via_recipient,
        granted=granted,
        reason=reason,
        address=address,
        email=share.visitor_email,
        request=request,
    ):
        if isinstance(error, Exception):
            logger.error("A share_accessed receiver failed: %r", receiver, exc_info=error)


def _own_savepoint(alias: str) -> AbstractContextManager[Any]:
    """Inside a transaction (``ATOMIC_REQUESTS``, a caller's ``atomic``), a savepoint: a failed
    write leaves that transaction usable. Outside one the write commits on its own, and a
    transaction around it would only cost two more round trips to the database."""
    if transaction.get_connection(alias).in_atomic_block:
        return transaction.atomic(using=alias)
    return nullcontext()


def _insert(entry: ShareAccess, alias: str) -> None:
    """Write ``entry`` with one ``INSERT`` (``bulk_create`` would wrap it in a transaction of its
    own: two more round trips on every counted open); ``post_save`` is sent as for any save."""
    entry.save(using=alias, force_insert=True)
