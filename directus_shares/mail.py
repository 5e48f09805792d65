"""Sending a share's link by e-mail: one message per recipient, from the site's sender, with
the sharing user as Reply-To; each address reported on its own. And telling a share's creator
that wrong passwords locked it (:func:`send_lock_notice`) or that a recipient's link was
forwarded (:func:`send_forwarded_notice`); and a visitor's one-time code
(:func:`send_verification_code`).

These functions send at once, in the caller's process; the app's requests queue them as tasks
instead (:mod:`directus_shares.tasks`), so that no request waits for the mail server."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable
from datetime import datetime
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from .conf import get_config
from .models import Share, ShareRecipient

logger = logging.getLogger("directus_shares.mail")

#: Why a recipient's own link was not mailed (a send, a resend): the link is revoked.
RECIPIENT_REVOKED_NOT_SENT = gettext_lazy("Not sent: this recipient's link was revoked.")


def parse_recipients(recipients: str | Iterable[str]) -> tuple[list[str], list[str]]:
    """Split ``recipients`` – ``"a@x, b@y"`` or a list – into ``(valid, invalid)`` addresses.

    Addresses are stripped and each kept once, in the order given; empty ones are dropped.
    """
    if isinstance(recipients, str):
        recipients = recipients.split(",")
    addresses = dict.fromkeys(a.strip() for a in recipients if a.strip())
    valid, invalid = [], []
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            invalid.append(address)
        else:
            valid.append(address)
    return valid, invalid


def send_share_link(
    share: Share, link: str, recipients: list[str], *, sender: Any, message: str = ""
) -> dict[str, str | None]:
    """Send ``link`` to each of ``recipients``; ``{address: None}`` when sent, else the error.

    The message never contains the password; it names the share, the sender and the window.
    """
    context = {"share": share, "link": link, "sender": sender, "message": message}
    subject = render_to_string("directus_shares/email/share_link_subject.txt", context)
    text = render_to_string("directus_shares/email/share_link.txt", context)
    html = render_to_string("directus_shares/email/share_link.html", context)
    reply_to = [_named_address(sender)] if getattr(sender, "email", "") else []
    results: dict[str, str | None] = {}
    for address in recipients:
        email = EmailMultiAlternatives(
            subject=" ".join(subject.split()),  # one line
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            reply_to=reply_to,
        )
        email.attach_alternative(html, "text/html")
        try:
            # The project's default mail backend (EMAIL_BACKEND, or MAILERS on Django 6.1+).
            email.send()
        except Exception as error:  # noqa: BLE001 - reported per address, not swallowed
            logger.warning("Sending share %s to a recipient failed: %s", share.pk, error)
            results[address] = str(error) or type(error).__name__
        else:
            results[address] = None
    return results


def send_recipient_link(
    share: Share, recipient: ShareRecipient, link: str, *, sender: Any, message: str = ""
) -> dict[str, str | None]:
    """Send ``recipient`` its own ``link`` to ``share``, as :func:`send_share_link` does, the
    mail saying what that link allows (its uses left, say); ``share`` is left as it was."""
    reached = copy.copy(share)
    reached.via_recipient = recipient
    return send_share_link(reached, link, [recipient.address], sender=sender, message=message)


def send_lock_notice(share: Share, until: datetime) -> bool:
    """Tell the creator of ``share`` that wrong passwords locked it for everybody until
    ``until``; whether the mail went out (not when the creator is gone, inactive or has no
    address, nor when sending fails – that is logged).

    Sent in the site's language and time zone (``LANGUAGE_CODE``, ``TIME_ZONE``), not those of
    the visitor whose attempt locked it.
    """
    attempts, seconds = get_config()["PASSWORD_ATTEMPTS_PER_SHARE"]
    context = {"until": until, "attempts": attempts, "minutes": max(1, seconds // 60)}
    return _tell_creator(share, "share_locked", context, about="it is locked")


def send_forwarded_notice(share: Share, recipient: ShareRecipient) -> bool:
    """Tell the creator of ``share`` that ``recipient``'s own link was refused on one device more
    than it may be opened on – it was probably forwarded – and what staff can do (allow one more
    device, give a new link); whether the mail went out, as :func:`send_lock_notice`."""
    context = {"recipient": recipient, "limit": recipient.device_limit}
    about = "a recipient's link was forwarded"
    return _tell_creator(share, "share_forwarded", context, about=about)


def _tell_creator(share: Share, template: str, context: dict[str, Any], *, about: str) -> bool:
    """Mail the creator of ``share`` the notice ``template`` (with the share, its object and
    ``context``) in the site's language and time zone; whether it went out (not when nobody can
    be told, nor when sending fails – logged, saying what the notice was ``about``)."""
    creator = lock_notice_recipient(share)
    if creator is None:
        return False
    context = {
        **context,
        "share": share,
        "creator": creator,
        "shared_object": share.content_object,
        "model_name": share.content_type.name,
    }
    with translation.override(settings.LANGUAGE_CODE), timezone.override(None):
        email = _message(template, context, to=creator.email)
    try:
        email.send()  # the project's default mail backend, as for the share link
    except Exception as error:  # noqa: BLE001 - the visitor's request must not fail for it
        logger.warning("Telling the creator of share %s %s failed: %s", share.pk, about, error)
        return False
    return True


def lock_notice_recipient(share: Share) -> Any | None:
    """Whom a notice about ``share`` (a lock, a forwarded link) goes to: its creator while active
    and with an address; ``None`` when nobody can be told."""
    creator = share.created_by
    if creator is None or not creator.is_active or not getattr(creator, "email", ""):
        return None
    return creator


def send_verification_code(share: Share, email: str, code: str, minutes: int) -> bool:
    """Mail the one-time ``code`` for ``share`` to ``email``, saying it lives ``minutes``;
    whether it went out (a failure is logged, without the address or the code).

    Short, in the visitor's language (the request's), and naming nothing of the share: the link
    tells the reader what it is, and a mistyped address learns nothing from the mail.
    """
    message = _message("verification_code", {"code": code, "minutes": minutes}, to=email)
    try:
        message.send()  # the project's default mail backend, as for the share link
    except Exception as error:  # noqa: BLE001 - the answer must not tell a sent code apart
        logger.warning("Mailing a one-time code for share %s failed: %s", share.pk, error)
        return False
    return True


def _message(template: str, context: dict[str, Any], *, to: str) -> EmailMultiAlternatives:
    """The mail of ``template`` (``directus_shares/email/<template>_subject.txt``, ``.txt`` and
    ``.html``) to ``to``, from the site's sender."""
    subject = render_to_string(f"directus_shares/email/{template}_subject.txt", context)
    text = render_to_string(f"directus_shares/email/{template}.txt", context)
    html = render_to_string(f"directus_shares/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # one line
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(html, "text/html")
    return message


def _named_address(user: Any) -> str:
    """``user``'s address with their full name, when they have one ("Ada Lovelace <a@x.org>")."""
    get_full_name = getattr(user, "get_full_name", None)
    name = (get_full_name() if callable(get_full_name) else "") or ""
    return formataddr((name.strip(), user.email)) if name.strip() else user.email
