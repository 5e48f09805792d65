"""Options the management commands share."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.management.base import CommandError


def days_before(now: datetime, days: int) -> datetime:
    """The moment ``--older-than DAYS`` names: ``days`` days before ``now``.

    A negative count, or one that reaches back before the year 1, is a ``CommandError`` (the
    message a user sees), never an ``OverflowError`` traceback.
    """
    if days < 0:
        raise CommandError("--older-than must be 0 or more days.")
    try:
        return now - timedelta(days=days)
    except OverflowError:
        raise CommandError(f"--older-than {days} reaches back too far.") from None
