"""Counting one use of a share: one conditional ``UPDATE``, so concurrent opens in any number of
processes never pass ``max_uses``. Touches the share's ``times_used`` and nothing else."""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias

from django.db.models import Exists, F, Q

from .models import Share

#: What the counting ``UPDATE`` also requires of the database (e.g. that the object is readable).
Condition: TypeAlias = Q | Exists


def count_use(share: Share, now: datetime, condition: Condition | None = None) -> bool:
    """Add one to ``share``'s ``times_used`` in the database if, at ``now``, it is open, has a use
    left, and still has the link, password and grants it was loaded with – and ``condition``
    holds; True when counted."""
    loaded = Q(pk=share.pk, key=share.key, password=share.password, grant_epoch=share.grant_epoch)
    matched = Share.objects.open_at(now).with_uses_left()
    # One filter() call for the rest: each call clones the query once more.
    matched = matched.filter(loaded) if condition is None else matched.filter(loaded, condition)
    return matched.update(times_used=F("times_used") + 1) == 1
