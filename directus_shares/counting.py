"""Counting one use of a share: one conditional ``UPDATE``, so concurrent opens in any number of
processes never pass ``max_uses``. Touches the share's ``times_used`` – and, for a share reached
through a recipient's link, that recipient's count and opening times and the device that opened
it – and nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeAlias

from django.db import router, transaction
from django.db.models import Exists, F, Q
from django.db.models.functions import Coalesce

from .models import RecipientDevice, Share, ShareRecipient

#: What the counting ``UPDATE`` also requires of the database (e.g. that the object is readable).
Condition: TypeAlias = Q | Exists


def count_use(
    share: Share,
    now: datetime,
    condition: Condition | None = None,
    device: Sequence[str] | None = None,
) -> bool:
    """Add one to ``share``'s ``times_used`` in the database if, at ``now``, it is open, has a use
    left, and still has the link, password and grants it was loaded with – and ``condition``
    holds; True when counted.

    Reached through a recipient's link (:attr:`.Share.via_recipient`), the share's statement
    runs first and the recipient's own conditional ``UPDATE`` (not revoked, a use left, same link
    and grants) after it, in one transaction: when the recipient's changes no row the share's is
    rolled back, so both counts move together or neither does. Share row, then recipient row:
    the order in which writing an access-log row checks its two foreign keys (MariaDB/MySQL lock
    both parent rows for it), so the two can never wait for each other in a cycle.

    ``device`` (:func:`.devices.device_keys`) is the visitor's device on a recipient's link held
    to a device limit: registered last, while the recipient's row is locked by its ``UPDATE`` –
    a new device past the limit rolls the whole count back (``False``)."""
    recipient = share.via_recipient
    if recipient is None:
        return _count_share_use(share, now, condition)
    alias = router.db_for_write(Share)
    with transaction.atomic(using=alias):
        if not _count_share_use(share, now, condition):
            return False
        if _count_recipient_use(recipient, share, now, alias) and (
            device is None or _register_device(recipient, device, now, alias)
        ):
            return True
        transaction.set_rollback(True, using=alias)
    return False


def _count_share_use(share: Share, now: datetime, condition: Condition | None) -> bool:
    loaded = Q(pk=share.pk, key=share.key, password=share.password, grant_epoch=share.grant_epoch)
    matched = Share.objects.open_at(now).with_uses_left()
    # One filter() call for the rest: each call clones the query once more.
    matched = matched.filter(loaded) if condition is None else matched.filter(loaded, condition)
    return matched.update(times_used=F("times_used") + 1) == 1


def _count_recipient_use(
    recipient: ShareRecipient, share: Share, now: datetime, alias: str
) -> bool:
    """Add one to ``recipient``'s count and set when it was opened, if it is still on, has a use
    left and has the link and grants it was loaded with."""
    loaded = Q(pk=recipient.pk, share_id=share.pk, key=recipient.key)
    matched = ShareRecipient.objects.using(alias).with_uses_left()
    changed = matched.filter(loaded, grant_epoch=recipient.grant_epoch).update(
        times_used=F("times_used") + 1,
        first_opened_at=Coalesce(F("first_opened_at"), now),
        last_opened_at=now,
    )
    return changed == 1


def _register_device(
    recipient: ShareRecipient, keys: Sequence[str], now: datetime, alias: str
) -> bool:
    """Note that the device with ``keys`` (stored as the first; the others, made with fallback
    secret keys, find it as it was stored before a key rotation) opened ``recipient``'s link at
    ``now``; ``False`` when it is a new device and the link's devices are full
    (:attr:`.ShareRecipient.device_limit`).

    Runs after the recipient's ``UPDATE``, whose row lock makes concurrent opens of the link wait
    here one by one; the devices are read with a locking read (``SELECT … FOR UPDATE``), which
    sees the rows the opens before it committed on PostgreSQL and MariaDB/MySQL alike, whatever
    the isolation level (a plain read keeps REPEATABLE READ's older snapshot on MariaDB)."""
    limit = recipient.device_limit
    devices = RecipientDevice.objects.using(alias).filter(recipient=recipient)
    stored = set(devices.select_for_update().values_list("key", flat=True))
    known = next((key for key in keys if key in stored), None)
    if known is not None:
        devices.filter(key=known).update(key=keys[0], last_seen_at=now)
        return True
    if limit is not None and len(stored) >= limit:
        return False
    devices.create(recipient=recipient, key=keys[0], first_seen_at=now, last_seen_at=now)
    return True
