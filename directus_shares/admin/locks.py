"""Shares locked by wrong passwords, as the admin shows them and ends them (Unlock)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ..lockout import ShareLock
from ..models import Share


def lock_label(lock: ShareLock) -> str:
    """The lock in words, for the list's "needs attention" column."""
    until = formats.localize(timezone.localtime(lock.until))  # as the admin shows times
    return _("locked by wrong passwords until %(time)s") % {"time": until}


def say_unlocked(request: HttpRequest, share: Share, was_locked: bool) -> None:
    """Tell the user what Unlock did."""
    if was_locked:
        messages.success(
            request,
            format_html(_("The share “{}” is unlocked: its password can be tried again."), share),
        )
    else:
        messages.info(request, format_html(_("The share “{}” was not locked."), share))
