"""A share's recipients in the admin: the table on the share's page (address, state, when they
opened it, uses, devices) with each recipient's buttons and the bulk actions, and the actions
themselves – one list, which the share's page and the Shares panel both run. The rules are
:mod:`..sharing`'s: this module only asks, acts on its answers and tells staff what happened.

The table is a list, not an inline: it adds no form fields to the share's own form; its check
boxes and buttons belong to a form of their own (``form=`` attributes), so pressing Enter in a
field of the share still saves the share.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from .. import sharing
from ..models import Share, ShareRecipient
from ..tasks import Delivery, queue_recipient_links

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: The name of the recipients' check boxes and of the bulk action's select.
SELECTED = "ds_recipient"
BULK_ACTION = "ds_recipient_action"


@dataclass(frozen=True)
class RecipientAction:
    """One thing staff may do to recipients' links, on one (its button) or many (the bulk
    action). ``change`` is :mod:`..sharing`'s function (``None``: nothing changes, the link is
    only mailed); ``skip`` says why a recipient is left as it is; ``done`` is the message,
    singular and plural, for those changed; ``mails`` whether the link is mailed afterwards."""

    label: StrOrPromise
    choice: StrOrPromise
    change: Callable[[Any, ShareRecipient], Any] | None
    done: StrOrPromise | None
    skip: Callable[[ShareRecipient], StrOrPromise | None] = lambda recipient: None
    mails: bool = False


def _unless_revoked(recipient: ShareRecipient) -> StrOrPromise | None:
    return _("already revoked") if recipient.is_revoked else None


def _unless_active(recipient: ShareRecipient) -> StrOrPromise | None:
    return None if recipient.is_revoked else _("not revoked")


def _unless_at_device_limit(recipient: ShareRecipient) -> StrOrPromise | None:
    return None if sharing.needs_a_device(recipient) else _("not at its device limit")


#: Every recipient action, in the order the buttons and the bulk select offer them.
ACTIONS: dict[str, RecipientAction] = {
    "resend": RecipientAction(
        label=_("Resend"),
        choice=_("Mail their links again"),
        change=None,
        done=None,
        mails=True,
    ),
    "revoke": RecipientAction(
        label=_("Revoke"),
        choice=_("Revoke their links"),
        change=sharing.revoke_recipient,
        done=ngettext_lazy(
            "The link of %(addresses)s was revoked.",
            "%(count)d links revoked: %(addresses)s.",
            "count",
        ),
        skip=_unless_revoked,
    ),
    "enable": RecipientAction(
        label=_("Enable"),
        choice=_("Switch their links on again"),
        change=sharing.reenable_recipient,
        done=ngettext_lazy(
            "The link of %(addresses)s was switched on again.",
            "%(count)d links switched on again: %(addresses)s.",
            "count",
        ),
        skip=_unless_active,
    ),
    "rotate": RecipientAction(
        label=_("New link"),
        choice=_("Give them new links"),
        change=sharing.rotate_recipient,
        done=ngettext_lazy(
            "New link for %(addresses)s; the old one no longer opens. Send it again.",
            "%(count)d new links; the old ones no longer open. Send them again: %(addresses)s.",
            "count",
        ),
    ),
    "rotate_send": RecipientAction(
        label=_("New link and send"),
        choice=_("Give them new links and mail them"),
        change=sharing.rotate_recipient,
        done=ngettext_lazy(
            "New link for %(addresses)s; the old one no longer opens.",
            "%(count)d new links; the old ones no longer open: %(addresses)s.",
            "count",
        ),
        mails=True,
    ),
    "allow_device": RecipientAction(
        label=_("Allow one more device"),
        choice=_("Allow one more device each"),
        change=sharing.allow_one_more_device,
        done=ngettext_lazy(
            "The link of %(addresses)s may open on one more device.",
            "%(count)d links may open on one more device: %(addresses)s.",
            "count",
        ),
        skip=_unless_at_device_limit,
    ),
}

#: The actions the Shares panel offers beside each recipient (the share's page offers all).
PANEL_ACTIONS = ("resend", "revoke", "enable", "rotate_send", "allow_device")


def offered_actions(recipient: ShareRecipient, *, panel: bool = False) -> list[str]:
    """The actions offered beside ``recipient``, in order: resend, revoke or enable, new link
    (on the panel only with sending: its card has no room to say "send it again"), and allow
    one more device when it needs one (:func:`..sharing.needs_a_device`)."""
    wanted = ["resend", "enable" if recipient.is_revoked else "revoke"]
    wanted += ["rotate_send"] if panel else ["rotate", "rotate_send"]
    if sharing.needs_a_device(recipient):
        wanted.append("allow_device")
    return wanted


def run_recipient_action(
    request: HttpRequest, name: str, recipients: Sequence[ShareRecipient]
) -> None:
    """Apply the action ``name`` to ``recipients`` (of one share) for ``request.user`` and say
    what became of each: one message for those changed, one naming those left as they were and
    why, and what became of the mails. Raises :class:`..sharing.SharingDenied` (403) when the
    user may not manage the share."""
    action = ACTIONS[name]
    changed: list[ShareRecipient] = []
    skipped: list[str] = []
    for recipient in recipients:
        reason = action.skip(recipient)
        if reason is not None:
            skipped.append(f"{recipient.address} ({reason})")
            continue
        if action.change is not None:
            try:
                action.change(request.user, recipient)
            except sharing.RecipientRefused as refused:  # changed meanwhile (a second click)
                skipped.append(f"{recipient.address} ({refused.messages[0]})")
                continue
        changed.append(recipient)
    if action.done is not None and changed:
        addresses = ", ".join(recipient.address for recipient in changed)
        messages.success(request, action.done % {"count": len(changed), "addresses": addresses})
    if skipped:
        messages.warning(
            request, gettext("Left as they were: %(skipped)s.") % {"skipped": "; ".join(skipped)}
        )
    if action.mails and changed:
        mail_links(request, changed)


def mail_links(request: HttpRequest, recipients: list[ShareRecipient]) -> None:
    """Queue each recipient's own link where :func:`..sharing.resend_refusal` allows it, name
    each one it refuses with the reason, and say what became of the mails."""
    to_mail = []
    for recipient in recipients:
        refusal = sharing.resend_refusal(request.user, recipient)
        if refusal is None:
            to_mail.append(recipient)
        else:
            # Not led by the address: the admin capitalises each message's first letter.
            messages.warning(
                request,
                gettext("Mail to %(address)s: %(refusal)s")
                % {"address": recipient.address, "refusal": refusal},
            )
    if to_mail:
        delivery = queue_recipient_links(
            to_mail[0].share,
            to_mail,
            absolute_url=request.build_absolute_uri,
            sender=request.user,
        )
        say_delivered(request, delivery)


def say_delivered(request: HttpRequest, delivery: Delivery) -> None:
    """The messages after "Send link" or a resend: to whom it was sent, or queued for, and each
    address that failed. Queued mails are sent by a worker later; their failures are logged
    there, not shown here – so the message says so instead of claiming they were sent."""
    if delivery.sent:
        messages.success(
            request,
            _("The link was sent to %(addresses)s.") % {"addresses": ", ".join(delivery.sent)},
        )
    if delivery.queued:
        count = len(delivery.queued)
        messages.success(
            request,
            ngettext(
                "The link is queued for %(count)d address and will be sent shortly: "
                "%(addresses)s. If the mail fails then, the server logs it; it is not shown here.",
                "The link is queued for %(count)d addresses and will be sent shortly: "
                "%(addresses)s. If a mail fails then, the server logs it; it is not shown here.",
                count,
            )
            % {"count": count, "addresses": ", ".join(delivery.queued)},
        )
    for address, error in delivery.failed.items():
        messages.error(
            request,
            _("Sending to %(address)s failed: %(error)s") % {"address": address, "error": error},
        )


# -- the table on the share's page --------------------------------------------------------------

#: The most recipients a share's page lists.
SHOWN = 200


@dataclass(frozen=True)
class RecipientRow:
    """One recipient as the share's page lists it, with the buttons it offers (none on a page
    the user may only view)."""

    recipient: ShareRecipient
    link: str
    uses: str
    device_count: int
    buttons: list[tuple[str, StrOrPromise]]  # (action URL, label)


def recipient_rows(
    share: Share, request: HttpRequest, site_name: str, *, can_change: bool
) -> list[RecipientRow]:
    """The first :data:`SHOWN` recipients of ``share``, oldest first, with their devices counted
    (one query). Their links only for users who manage the share (:func:`..sharing.may_manage`),
    their buttons only for those who may also change it."""
    manages = sharing.may_manage(request.user, share)
    recipients = ShareRecipient.objects.filter(share=share).with_device_count()
    rows = []
    for recipient in recipients.order_by("created_at", "pk")[:SHOWN]:
        recipient.share = share  # known: no query per recipient for its device limit
        wanted = offered_actions(recipient)
        rows.append(
            RecipientRow(
                recipient=recipient,
                link=request.build_absolute_uri(recipient.get_absolute_url()) if manages else "",
                uses=uses_label(recipient),
                device_count=recipient.device_count,
                buttons=[
                    (recipient_action_url(site_name, recipient, action), ACTIONS[action].label)
                    for action in wanted
                ]
                if can_change and manages
                else [],
            )
        )
    return rows


def uses_label(recipient: ShareRecipient) -> str:
    """``"1 / 3"`` – uses of the recipient's own limit – or ``"1"`` without one."""
    if recipient.max_uses is None:
        return str(recipient.times_used)
    return f"{recipient.times_used} / {recipient.max_uses}"


def bulk_choices() -> list[tuple[str, StrOrPromise]]:
    """The bulk select's options: every action's ``(name, choice label)``."""
    return [(name, action.choice) for name, action in ACTIONS.items()]


def recipient_counts(shares: Sequence[Share]) -> dict[int, dict[str, int]]:
    """``{share id: {"total": …, "opened": …, "forwarded": …}}`` – its recipients, those who
    opened their link and those whose link was flagged as forwarded – for the shares that have
    recipients (one query)."""
    rows = (
        ShareRecipient.objects.filter(share__in=shares)
        .order_by()
        .values("share")
        .annotate(
            total=Count("pk"),
            opened=Count("pk", filter=Q(first_opened_at__isnull=False)),
            forwarded=Count("pk", filter=Q(forwarded_at__isnull=False)),
        )
    )
    return {
        row["share"]: {key: row[key] for key in ("total", "opened", "forwarded")} for row in rows
    }


#: The most recipients a share's card in the Shares panel lists; all are on the share's page.
PANEL_SHOWN = 5


def first_recipients(
    shares: Sequence[Share], count: int = PANEL_SHOWN
) -> dict[int, list[ShareRecipient]]:
    """The first ``count`` recipients of each of ``shares``, oldest first, each with its share
    set and its devices counted (one query, at most ``count`` rows per share however many it
    has)."""
    by_pk = {share.pk: share for share in shares}
    place = Window(
        RowNumber(),
        partition_by=[F("share")],
        order_by=[F("created_at").asc(), F("pk").asc()],
    )
    rows = (
        ShareRecipient.objects.filter(share__in=list(by_pk))
        .with_device_count()
        .annotate(place=place)
        .filter(place__lte=count)
        .order_by("share", "place")
    )
    found: dict[int, list[ShareRecipient]] = {}
    for recipient in rows:
        recipient.share = by_pk[recipient.share_id]  # known: no query per recipient
        found.setdefault(recipient.share_id, []).append(recipient)
    return found


# -- the share admin's URLs and views ------------------------------------------------------------


def recipient_action_url(site_name: str, recipient: ShareRecipient, action: str) -> str:
    opts = ShareRecipient._meta
    return reverse(
        f"{site_name}:{opts.app_label}_share_recipient_action",
        args=[quote(recipient.share_id), recipient.pk, action],
    )


def recipients_bulk_url(site_name: str, share: Share) -> str:
    return reverse(
        f"{site_name}:{Share._meta.app_label}_share_recipients_bulk", args=[quote(share.pk)]
    )


def recipient_urls(model_admin: admin.ModelAdmin) -> list[URLPattern]:
    """The recipients' action URLs of the share admin ``model_admin``: one recipient's button,
    and the bulk action."""
    label = model_admin.opts.app_label
    wrap = model_admin.admin_site.admin_view

    def one(request: HttpRequest, object_id: str, recipient_id: int, action: str) -> HttpResponse:
        return recipients_action(model_admin, request, object_id, action, [recipient_id])

    def bulk(request: HttpRequest, object_id: str) -> HttpResponse:
        action = request.POST.get(BULK_ACTION, "")
        selected = [int(v) for v in request.POST.getlist(SELECTED) if v.isascii() and v.isdigit()]
        return recipients_action(model_admin, request, object_id, action, selected, bulk=True)

    return [
        path(
            "<path:object_id>/recipients/bulk/",
            wrap(bulk),
            name=f"{label}_share_recipients_bulk",
        ),
        path(
            "<path:object_id>/recipients/<int:recipient_id>/<str:action>/",
            wrap(one),
            name=f"{label}_share_recipient_action",
        ),
    ]


def recipients_action(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    object_id: str,
    action: str,
    recipient_ids: list[int],
    *,
    bulk: bool = False,
) -> HttpResponse:
    """Run ``action`` on the share's recipients ``recipient_ids``: POST, by those who may change
    the share (404 for shares the user does not manage, and for another share's recipient or an
    unknown action on a button; a bulk action without a choice or a selection says so)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    share = model_admin.get_object(request, unquote(object_id))  # only the shares they manage
    if share is None:
        raise Http404(_("No such share."))
    if not model_admin.has_change_permission(request, share):
        raise PermissionDenied
    recipients = list(share.recipients.filter(pk__in=recipient_ids).order_by("created_at", "pk"))
    opts = model_admin.opts
    change_url = reverse(
        f"{model_admin.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
        args=[quote(share.pk)],
    )
    back = HttpResponseRedirect(change_url)  # its top, where the messages are
    if bulk and action not in ACTIONS:
        messages.warning(request, gettext("No action selected."))
    elif bulk and not recipients:
        messages.warning(request, gettext("Select the recipients to act on first."))
    elif not recipients or action not in ACTIONS:
        raise Http404(_("No such recipient."))
    else:
        run_recipient_action(request, action, recipients)
    return back
