"""The app's mails as tasks of Django's task framework, so that no request waits for the mail
server: a share's link to a batch of addresses (:func:`queue_share_link`), the notice that
wrong passwords locked a share (:func:`queue_lock_notice`), the notice that a recipient's link
was probably forwarded (:func:`queue_forwarded_notice`) and a visitor's one-time code
(:func:`queue_verification_code`).

The framework is Django's own ``django.tasks`` from Django 6.0 on, and its backport, the
``django-tasks`` package (``django_tasks``), on Django 5.2 – the same API. Where the tasks run is
the project's ``TASKS`` setting: without one, both use their ``ImmediateBackend``, which runs a
task at once in the request, and the answer still says which address failed. With a real queue
(docs/deployment.md) the request only queues the mail, and a worker sends it.

A task gets only ids and strings (JSON), reads the share again when it runs, and does nothing but
log when the share was deleted, revoked, expired or used up meanwhile. The queue's store never
holds a working link: the link is queued with a placeholder for its token, which the task puts
back from the share as it is then – a link rotated meanwhile goes out as the new one.

A one-time code is the exception: the worker must mail it, so its task carries the code itself.
It is good for ``VERIFICATION_CODE_LIFETIME`` (10 minutes) and once; a queue whose store others
can read should drop finished tasks' arguments (the table of codes itself holds only hashes).

The tasks' dotted paths (``directus_shares.tasks.mail_share_link``, ``….mail_lock_notice``,
``….mail_forwarded_notice``, ``….mail_verification_code``) are what a queue stores: they stay,
or tasks queued before an upgrade could not run after it.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

import django
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .conf import get_config
from .mail import (
    RECIPIENT_REVOKED_NOT_SENT,
    lock_notice_recipient,
    send_forwarded_notice,
    send_lock_notice,
    send_recipient_link,
    send_share_link,
    send_verification_code,
)
from .models import Share, ShareRecipient, ShareStatus

if TYPE_CHECKING or django.VERSION < (6, 0):  # the checker reads the backport's types
    import django_tasks as framework
    from django_tasks import TaskResult, TaskResultStatus, task, task_backends
    from django_tasks.backends.dummy import DummyBackend
else:
    import django.tasks as framework
    from django.tasks import TaskResult, TaskResultStatus, task, task_backends
    from django.tasks.backends.dummy import DummyBackend

__all__ = [
    "FRAMEWORK",
    "DummyBackend",
    "Delivery",
    "mail_forwarded_notice",
    "mail_lock_notice",
    "mail_recipient_links",
    "mail_share_link",
    "mail_verification_code",
    "queue_forwarded_notice",
    "queue_lock_notice",
    "queue_recipient_links",
    "queue_share_link",
    "queue_verification_code",
    "task_backends",
]

logger = logging.getLogger("directus_shares.tasks")

#: The task framework in use: ``"django.tasks"`` (Django 6) or ``"django_tasks"`` (the backport).
#: Its backends are ``f"{FRAMEWORK}.backends.immediate.ImmediateBackend"`` and so on.
FRAMEWORK: str = framework.__name__

#: Stands for the share's token in a queued link (the token itself never goes into the queue).
TOKEN_PLACEHOLDER = "{token}"

#: Statuses in which nobody could open the share: a queued link is then not sent. The share's own
#: status only – ``sharing.sending_refusal``, which the surfaces ask before queueing, also weighs
#: the object and the creator, but sits above this module (``lockout`` imports it).
_UNOPENABLE = (ShareStatus.REVOKED, ShareStatus.EXPIRED, ShareStatus.USED_UP)


@dataclass(frozen=True)
class Delivery:
    """What became of a batch of mails when the request answers: ``sent`` and ``failed``
    (address → error) when the task ran at once (an immediate backend), ``queued`` when a worker
    will send them later."""

    sent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    queued: list[str] = field(default_factory=list)


# -- the tasks ----------------------------------------------------------------------------------


@task()
def mail_share_link(
    share_id: int,
    link_template: str,
    recipients: list[str],
    *,
    sender_id: str,
    message: str,
    language: str | None,
    time_zone: str | None,
) -> dict[str, str | None]:
    """Send the link of share ``share_id`` to ``recipients``; ``{address: None}`` when sent, else
    the error or why nothing was sent. Rendered in the sender's ``language`` and ``time_zone``."""
    with translation.override(language), timezone.override(_zone(time_zone)):
        sending = _sending(share_id, sender_id)
        if isinstance(sending, _NotSent):
            return dict.fromkeys(recipients, sending.reason)
        link = link_template.replace(TOKEN_PLACEHOLDER, sending.share.token)
        return send_share_link(
            sending.share, link, recipients, sender=sending.sender, message=message
        )


@task()
def mail_recipient_links(
    share_id: int,
    recipient_ids: list[int],
    link_template: str,
    *,
    sender_id: str,
    message: str,
    language: str | None,
    time_zone: str | None,
) -> dict[str, str | None]:
    """Send each of the recipients ``recipient_ids`` of share ``share_id`` its own link;
    ``{address: None}`` when sent, else the error or why not (a recipient revoked meanwhile is
    not sent to; one deleted meanwhile is only logged: its address is gone with it)."""
    with translation.override(language), timezone.override(_zone(time_zone)):
        recipients = list(ShareRecipient.objects.filter(share_id=share_id, pk__in=recipient_ids))
        if len(recipients) < len(set(recipient_ids)):
            logger.warning(
                "Recipients of share %s were deleted before their links were sent.", share_id
            )
        sending = _sending(share_id, sender_id)
        if isinstance(sending, _NotSent):
            return {recipient.address: sending.reason for recipient in recipients}
        results: dict[str, str | None] = {}
        for recipient in recipients:
            if recipient.is_revoked:
                results[recipient.address] = str(RECIPIENT_REVOKED_NOT_SENT)
                continue
            link = link_template.replace(TOKEN_PLACEHOLDER, recipient.token)
            results.update(
                send_recipient_link(
                    sending.share, recipient, link, sender=sending.sender, message=message
                )
            )
        return results


@task()
def mail_lock_notice(share_id: int, until: str) -> bool:
    """Tell the creator of share ``share_id`` that wrong passwords locked it until ``until``
    (ISO 8601); whether the mail went out."""
    share = _load_share(share_id)
    if share is None:
        logger.warning("Share %s was deleted before its lock notice was sent: not sent.", share_id)
        return False
    return send_lock_notice(share, datetime.fromisoformat(until))


@task()
def mail_forwarded_notice(share_id: int, recipient_id: int) -> bool:
    """Tell the creator of share ``share_id`` that the link of its recipient ``recipient_id`` was
    probably forwarded; whether the mail went out (nothing is sent when either was deleted)."""
    share = _load_share(share_id)
    recipient = ShareRecipient.objects.filter(pk=recipient_id, share_id=share_id).first()
    if share is None or recipient is None:
        logger.warning(
            "Share %s or its recipient was deleted before the forwarded-link notice was sent: "
            "not sent.",
            share_id,
        )
        return False
    recipient.share = share
    return send_forwarded_notice(share, recipient)


@task()
def mail_verification_code(
    share_id: int, email: str, code: str, minutes: int, *, language: str | None
) -> bool:
    """Mail the one-time ``code`` for share ``share_id`` to ``email`` in the visitor's
    ``language``; whether it went out (nothing is sent for a share deleted meanwhile)."""
    share = _load_share(share_id)
    if share is None:
        logger.warning("Share %s was deleted before a code was mailed: not sent.", share_id)
        return False
    with translation.override(language):
        return send_verification_code(share, email, code, minutes)


# -- queueing them ------------------------------------------------------------------------------


def queue_share_link(
    share: Share, link: str, recipients: list[str], *, sender: Any, message: str = ""
) -> Delivery:
    """Queue the mail of ``share``'s ``link`` (absolute, as the request built it) to each of
    ``recipients`` from ``sender`` (a user): one task for the batch, on the ``TASK_BACKEND`` and
    ``TASK_QUEUE`` of the settings.

    Raises:
        ValueError: ``link`` does not carry ``share``'s token (it is not the share's own link).
    """
    template = link.replace(share.token, TOKEN_PLACEHOLDER)
    if TOKEN_PLACEHOLDER not in template:
        raise ValueError("The link to queue must be the share's own link.")
    result = _enqueue(
        mail_share_link, share.pk, template, list(recipients), **_sent_by(sender, message)
    )
    return _delivery(result, list(recipients))


def queue_recipient_links(
    share: Share,
    recipients: Sequence[ShareRecipient],
    *,
    absolute_url: Callable[[str], str],
    sender: Any,
    message: str = "",
) -> Delivery:
    """Queue the mail of each of ``recipients`` (of ``share``) with its own link, which
    ``absolute_url`` makes absolute as the request would: one task for the batch, as
    :func:`queue_share_link`; no token goes into the queue."""
    if not recipients:
        return Delivery()
    first = recipients[0]
    template = absolute_url(first.get_absolute_url()).replace(first.token, TOKEN_PLACEHOLDER)
    ids = [recipient.pk for recipient in recipients]
    result = _enqueue(mail_recipient_links, share.pk, ids, template, **_sent_by(sender, message))
    return _delivery(result, [recipient.address for recipient in recipients])


def _sent_by(sender: Any, message: str) -> dict[str, Any]:
    """The arguments of a queued link mail that say who sends it, with which note, in which
    language and time zone (the request's)."""
    return {
        "sender_id": str(sender.pk),
        "message": message,
        "language": translation.get_language(),
        "time_zone": timezone.get_current_timezone_name(),
    }


def _delivery(result: TaskResult[Any] | None, addresses: list[str]) -> Delivery:
    """What the request can tell of a link mail queued for ``addresses``: sent or failed per
    address when the task ran at once, else queued."""
    if result is None:
        return Delivery(failed=dict.fromkeys(addresses, _("The mail could not be queued.")))
    if result.status == TaskResultStatus.SUCCESSFUL:
        outcome: dict[str, str | None] = result.return_value or {}
        return Delivery(
            sent=[address for address, error in outcome.items() if error is None],
            failed={address: error for address, error in outcome.items() if error is not None},
        )
    if result.status == TaskResultStatus.FAILED:  # ran at once and raised (logged by the backend)
        return Delivery(failed=dict.fromkeys(addresses, _("Sending failed on the server.")))
    return Delivery(queued=addresses)


def queue_lock_notice(share: Share, until: datetime) -> bool:
    """Queue the mail that tells ``share``'s creator it is locked until ``until``; whether they are
    (or are being) told: ``False`` when nobody can be told, or when the mail failed at once."""
    return _queue_notice(share, mail_lock_notice, share.pk, until.isoformat())


def queue_forwarded_notice(share: Share, recipient: ShareRecipient) -> bool:
    """Queue the mail that tells ``share``'s creator that ``recipient``'s link was probably
    forwarded; whether they are (or are being) told, as :func:`queue_lock_notice`."""
    return _queue_notice(share, mail_forwarded_notice, share.pk, recipient.pk)


def _queue_notice(share: Share, mail_task: Any, *args: Any) -> bool:
    """Queue ``mail_task`` with ``args``, a notice to ``share``'s creator; whether they are (or
    are being) told."""
    if lock_notice_recipient(share) is None:
        return False
    result = _enqueue(mail_task, *args)
    if result is None or result.status == TaskResultStatus.FAILED:
        return False
    if result.status == TaskResultStatus.SUCCESSFUL:
        return bool(result.return_value)
    return True


def queue_verification_code(share: Share, email: str, code: str, minutes: int) -> None:
    """Queue the mail of the one-time ``code`` for ``share`` to ``email``, in the request's
    language. Its fate is not reported: the visitor is told the same whether or not a code goes
    out (a failure is logged)."""
    _enqueue(
        mail_verification_code,
        share.pk,
        email,
        code,
        minutes,
        language=translation.get_language(),
    )


def _enqueue(mail_task: Any, *args: Any, **kwargs: Any) -> TaskResult[Any] | None:
    """``mail_task`` enqueued with ``args`` on the configured backend and queue; ``None`` when it
    could not be (logged: a mail must not fail the request that sends it, nor a visitor's)."""
    config = get_config()
    try:
        routed = mail_task.using(backend=config["TASK_BACKEND"], queue_name=config["TASK_QUEUE"])
        result: TaskResult[Any] = routed.enqueue(*args, **kwargs)
    except Exception:  # noqa: BLE001 - reported to the caller as not sent, and logged
        logger.exception("Queueing %s failed", mail_task.name)
        return None
    return result


def _load_share(share_id: int) -> Share | None:
    return Share.objects.select_related("created_by", "content_type").filter(pk=share_id).first()


@dataclass(frozen=True)
class _Sendable:
    """A queued link may be sent: its share and its sender as the task finds them."""

    share: Share
    sender: AbstractBaseUser


@dataclass(frozen=True)
class _NotSent:
    """A queued link may no longer be sent, and why (the text each address is answered)."""

    reason: str


def _sending(share_id: int, sender_id: str) -> _Sendable | _NotSent:
    """Whether a queued link of share ``share_id`` from the user ``sender_id`` may still be sent:
    not (logged) when the share was deleted, nobody can open it any more, or the sender is
    gone."""
    share = _load_share(share_id)
    if share is None:
        logger.warning("Share %s was deleted before its link was sent: not sent.", share_id)
        return _NotSent(_("The share no longer exists."))
    status = share.status_at(timezone.now())
    if status in _UNOPENABLE:
        logger.warning("Share %s is %s: its queued link was not sent.", share_id, status.value)
        return _NotSent(_("Not sent: the share is now “%(status)s”.") % {"status": status.label})
    sender = get_user_model()._default_manager.filter(pk=sender_id).first()
    if sender is None:
        logger.warning("The sender of share %s's link no longer exists: not sent.", share_id)
        return _NotSent(_("The sender's account no longer exists."))
    return _Sendable(share, sender)


def _zone(name: str | None) -> tzinfo | None:
    """The time zone named ``name``; ``None`` (the default, ``TIME_ZONE``) for a name that
    ``zoneinfo`` does not know, such as a fixed offset's "UTC+01:00"."""
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
