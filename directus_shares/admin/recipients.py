"""A share's recipients on its admin page: each with its own link, uses, when it was opened and
its state, and buttons to revoke, re-enable or give it a new link (the rules are
:mod:`..sharing`'s). A list, not an inline: it adds no form fields to the share's own form; its
buttons post that form (and its CSRF token) to their own URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from ..models import Share, ShareRecipient
from ..sharing import reenable_recipient, revoke_recipient, rotate_recipient

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: What each button does, and what staff are told after it.
ACTIONS: dict[str, tuple[Any, StrOrPromise]] = {
    "revoke": (revoke_recipient, _("The link of %(address)s was revoked.")),
    "enable": (reenable_recipient, _("The link of %(address)s was switched on again.")),
    "rotate": (
        rotate_recipient,
        _("%(address)s has a new link; the old one no longer opens. Send it again."),
    ),
}


#: The most recipients a share's page lists (the fuller recipients admin comes with its own page).
SHOWN = 200


@dataclass(frozen=True)
class RecipientRow:
    """One recipient as the share's page lists it, with the buttons it offers."""

    recipient: ShareRecipient
    link: str
    uses: str
    buttons: list[tuple[str, StrOrPromise]]  # (action URL, label)


def recipient_rows(share: Share, request: HttpRequest, site_name: str) -> list[RecipientRow]:
    """The first :data:`SHOWN` recipients of ``share``, oldest first, for its admin page (one
    query)."""
    labels = {"revoke": _("Revoke"), "enable": _("Enable"), "rotate": _("New link")}
    rows = []
    for recipient in share.recipients.order_by("created_at", "pk")[:SHOWN]:
        wanted = ["enable" if recipient.is_revoked else "revoke", "rotate"]
        uses = str(recipient.times_used)
        if recipient.max_uses is not None:
            uses = f"{uses} / {recipient.max_uses}"
        rows.append(
            RecipientRow(
                recipient=recipient,
                link=request.build_absolute_uri(recipient.get_absolute_url()),
                uses=uses,
                buttons=[
                    (recipient_action_url(site_name, recipient, action), labels[action])
                    for action in wanted
                ],
            )
        )
    return rows


def recipient_action_url(site_name: str, recipient: ShareRecipient, action: str) -> str:
    opts = ShareRecipient._meta
    return reverse(
        f"{site_name}:{opts.app_label}_share_recipient_action",
        args=[quote(recipient.share_id), recipient.pk, action],
    )


def recipient_urls(model_admin: admin.ModelAdmin) -> list[URLPattern]:
    """The recipients' action URL of the share admin ``model_admin``."""
    opts = model_admin.opts

    def view(request: HttpRequest, object_id: str, recipient_id: int, action: str) -> HttpResponse:
        return recipient_action(model_admin, request, object_id, recipient_id, action)

    return [
        path(
            "<path:object_id>/recipients/<int:recipient_id>/<str:action>/",
            model_admin.admin_site.admin_view(view),
            name=f"{opts.app_label}_share_recipient_action",
        )
    ]


def recipient_action(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    object_id: str,
    recipient_id: int,
    action: str,
) -> HttpResponse:
    """Revoke, re-enable or rotate one recipient's link: POST, by those who may change the share
    (404 for shares the user does not manage, and for another share's recipient)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    share = model_admin.get_object(request, unquote(object_id))
    recipient = None if share is None else share.recipients.filter(pk=recipient_id).first()
    if share is None or recipient is None or action not in ACTIONS:
        raise Http404(_("No such recipient."))
    if not model_admin.has_change_permission(request, share):
        raise PermissionDenied
    change, done = ACTIONS[action]
    change(request.user, recipient)
    messages.success(request, done % {"address": recipient.address})
    opts = model_admin.opts
    url = reverse(
        f"{model_admin.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
        args=[quote(share.pk)],
    )
    return HttpResponseRedirect(url)
