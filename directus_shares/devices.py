"""Telling a visitor's devices apart, and holding a recipient's own link to its device limit – how
a forwarded link is caught (docs/recipients.md, "Forwarded links").

A device is a browser: a random id in a signed, HttpOnly cookie (``DEVICE_COOKIE_NAME``), set
on every answer of a recipient's link – nothing of the browser itself is read. The database keeps
only a keyed hash of that id per recipient (:func:`device_keys`), so neither a dump nor a look
across recipients turns it back into a cookie or links one browser's rows.

A device that is not one of the recipient's and finds the link's devices full is refused
(:func:`refuses` – a read, before any code, password or count); a new device is registered in the
very transaction that counts its use (:func:`.counting.count_use`), exactly, however many open at
once. The first refusal flags the recipient and tells the share's creator once
(:func:`report_forwarded`).
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import TypeAlias

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from . import signatures, tasks
from .conf import get_config
from .models import RecipientDevice, Share, ShareRecipient
from .signals import share_forwarded

logger = logging.getLogger(__name__)

#: A device's stored keys: the one made with ``SECRET_KEY`` (stored), then its fallbacks'.
DeviceKeys: TypeAlias = tuple[str, ...]
_SALT = signatures.SALTS["device"]

#: How long a browser keeps the cookie: 400 days, the longest browsers allow.
COOKIE_MAX_AGE = int(timedelta(days=400).total_seconds())
#: The attribute the request remembers its device under (:func:`device_id`) until the answer
#: sets its cookie (:func:`set_cookie`); a request without it asked for no device.
REQUEST_ATTRIBUTE = "directus_shares_device"


def device_id(request: HttpRequest) -> str:
    """The id of the visitor's device: its signed cookie's, or – without a valid one (none,
    tampered with, too old, signed with a key no longer among ``SECRET_KEY_FALLBACKS``) – a new
    random id. The same id for the whole request; :func:`set_cookie` gives it to the browser."""
    device: str | None = getattr(request, REQUEST_ATTRIBUTE, None)
    if device is None:
        found = request.get_signed_cookie(
            get_config()["DEVICE_COOKIE_NAME"], None, salt=_SALT, max_age=COOKIE_MAX_AGE
        )
        device = found or secrets.token_urlsafe(32)
        setattr(request, REQUEST_ATTRIBUTE, device)
    return device


def set_cookie(request: HttpRequest, response: HttpResponseBase, *, secure: bool) -> None:
    """Set the device cookie on ``response`` when :func:`device_id` was asked for ``request``
    (only recipients' links held to a device limit ask): a new id, or the one the browser sent,
    signed afresh – with today's ``SECRET_KEY``, for another 400 days – so that a device in use
    outlives a key rotation and the cookie's age."""
    device: str | None = getattr(request, REQUEST_ATTRIBUTE, None)
    if device is None:
        return
    response.set_signed_cookie(
        get_config()["DEVICE_COOKIE_NAME"],
        device,
        salt=_SALT,
        max_age=COOKIE_MAX_AGE,
        path="/",  # one id per browser; what is stored is per recipient (device_keys)
        secure=secure,
        httponly=True,
        samesite="Lax",
    )


def device_keys(recipient: ShareRecipient, device: str) -> DeviceKeys:
    """What is stored of ``device`` for ``recipient`` (:func:`.signatures.device_keys`): a keyed
    hash, 64 hex characters, different for each recipient – the one to store first, then those
    made with ``SECRET_KEY_FALLBACKS``, by which a device stored before a key rotation is known."""
    return signatures.device_keys(recipient.pk, device)


def visitor_keys(request: HttpRequest, share: Share) -> DeviceKeys | None:
    """:func:`device_keys` of the visitor's device when ``share`` was reached through a
    recipient's link held to a device limit; ``None`` otherwise (nothing to tell apart, and no
    cookie is made)."""
    recipient = share.via_recipient
    if recipient is None or recipient.device_limit is None:
        return None
    return device_keys(recipient, device_id(request))


def refuses(share: Share, keys: DeviceKeys) -> bool:
    """Whether the device with ``keys`` may not open ``share``'s recipient link: it is not one of
    the recipient's and the link's devices are full (one query). Decides for showing and before
    checks; :func:`.counting.count_use` decides again, exactly, when the use is counted."""
    recipient = share.via_recipient
    limit = None if recipient is None else recipient.device_limit
    if recipient is None or limit is None:
        return False
    counts = RecipientDevice.objects.filter(recipient=recipient).aggregate(
        devices=Count("pk"), known=Count("pk", filter=Q(key__in=keys))
    )
    return not counts["known"] and counts["devices"] >= limit


def report_forwarded(request: HttpRequest, share: Share) -> None:
    """A device was refused on ``share``'s recipient link: flag the recipient as forwarded and,
    the first time since the link was made or staff allowed one more device, send
    :data:`~directus_shares.signals.share_forwarded` and queue a mail to the share's creator.
    One conditional ``UPDATE`` decides "the first time" across processes."""
    recipient = share.via_recipient
    if recipient is None:
        return
    now = timezone.now()
    unflagged = ShareRecipient.objects.filter(
        pk=recipient.pk, key=recipient.key, forwarded_at__isnull=True
    )
    if unflagged.update(forwarded_at=now) != 1:
        return  # flagged before (or given a new link meanwhile): told already
    recipient.forwarded_at = now
    for receiver, error in share_forwarded.send_robust(
        sender=Share, share=share, recipient=recipient, request=request
    ):
        if isinstance(error, Exception):
            logger.error("A share_forwarded receiver failed: %r", receiver, exc_info=error)
    tasks.queue_forwarded_notice(share, recipient)
