"""The Shares panel: ``SharesAdminMixin`` adds it to any ``ModelAdmin``'s change page.

It extends whatever change-form template the admin already uses (Django's, guardian's,
simple-history's, the project's own), so it composes with other admin mixins::

    class ReportAdmin(SharesAdminMixin, admin.ModelAdmin): ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import django
from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import select_template
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .. import lockout, sharing
from ..models import Share, ShareRecipient
from ..tasks import Delivery, queue_recipient_links, queue_share_link
from .forms import SendLinkForm, ShareForm
from .locks import say_unlocked
from .recipients import (
    ACTIONS,
    PANEL_ACTIONS,
    PANEL_SHOWN,
    first_recipients,
    offered_actions,
    recipient_counts,
    run_recipient_action,
    say_delivered,
    uses_label,
)

if TYPE_CHECKING:  # the admin it is mixed into
    from django.contrib.admin import ModelAdmin as _MixedInto
else:
    _MixedInto = object


class SharesAdminMixin(_MixedInto):
    """Adds a "Shares" panel to the change page and the views its menu opens."""

    shares_panel_template = "directus_shares/admin/change_form.html"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shares_base_template = self.change_form_template  # the template being extended
        # a class variable in the stubs; Django reads it from the instance
        self.change_form_template = self.shares_panel_template  # type: ignore[misc]

    # -- URLs ------------------------------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        opts = self.model._meta
        prefix = f"{opts.app_label}_{opts.model_name}_shares"
        wrap = self.admin_site.admin_view
        urls = [
            path("<path:object_id>/shares/new/", wrap(self.share_add_view), name=f"{prefix}_add"),
            *(
                path(
                    f"<path:object_id>/shares/<int:share_id>/{action}/",
                    wrap(getattr(self, f"share_{action}_view")),
                    name=f"{prefix}_{action}",
                )
                for action in ("change", "revoke", "reenable", "delete", "send", "unlock")
            ),
            path(
                "<path:object_id>/shares/<int:share_id>/recipients/<int:recipient_id>/<str:action>/",
                wrap(self.share_recipient_view),
                name=f"{prefix}_recipient",
            ),
        ]
        return urls + super().get_urls()

    def shares_url(self, action: str, obj: Any, share: Share | None = None) -> str:
        opts = self.model._meta
        args = [quote(obj.pk)] + ([share.pk] if share is not None else [])
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_shares_{action}",
            args=args,
        )

    # -- who sees what ---------------------------------------------------------------------------

    def shares_of(self, request: HttpRequest, obj: Any) -> QuerySet[Share]:
        """The object's shares ``request.user`` may manage (:func:`sharing.managed_shares_of`)."""
        return sharing.managed_shares_of(request.user, obj).select_related("role", "created_by")

    def shares_panel_visible(self, request: HttpRequest, obj: Any) -> bool:
        """Whether the panel shows (:func:`sharing.may_see_shares_of`)."""
        return sharing.may_see_shares_of(request.user, obj)

    # -- the panel on the change page ------------------------------------------------------------

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        obj = kwargs.get("obj")
        context["shares_base_template"] = self.shares_base_template or select_template(
            self._default_change_form_templates()
        )
        if obj is not None and kwargs.get("change") and self.shares_panel_visible(request, obj):
            context["shares_panel"] = self.shares_panel_context(request, obj)
        return super().render_change_form(request, context, *args, **kwargs)

    def _default_change_form_templates(self) -> list[str]:
        opts = self.model._meta
        return [
            f"admin/{opts.app_label}/{opts.model_name}/change_form.html",
            f"admin/{opts.app_label}/change_form.html",
            "admin/change_form.html",
        ]

    def shares_panel_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        now = timezone.now()
        shares = list(self.shares_of(request, obj))
        locks = lockout.share_locks(shares)
        recipients = recipient_counts(shares)
        listed = first_recipients(shares)
        rows = [
            {
                "share": share,
                "status": share.status_at(now),
                "lock": locks.get(share.pk),
                "recipients": recipients.get(share.pk),
                "recipients_url": (
                    self.share_admin_url(request, share) if share.pk in recipients else None
                ),
                "recipient_rows": [
                    self.panel_recipient(request, obj, recipient)
                    for recipient in listed.get(share.pk, [])
                ],
                "more_recipients": recipients.get(share.pk, {}).get("total", 0) > PANEL_SHOWN,
                "unopenable": sharing.unopenable_reason(share, now),
                "link": request.build_absolute_uri(share.get_absolute_url()),
                "urls": {
                    action: self.shares_url(action, obj, share)
                    for action in ("change", "revoke", "reenable", "delete", "send", "unlock")
                },
            }
            for share in shares
        ]
        return {
            "rows": rows,
            "can_create": sharing.can_share(request.user, obj),
            "add_url": self.shares_url("add", obj),
            "send_form": SendLinkForm(),
            "recipients_shown": PANEL_SHOWN,
        }

    def panel_recipient(
        self, request: HttpRequest, obj: Any, recipient: ShareRecipient
    ) -> dict[str, Any]:
        """One recipient as a share's card lists it: its link (the panel shows only shares the
        user manages) and its buttons."""
        wanted = offered_actions(recipient, panel=True)
        return {
            "recipient": recipient,
            "link": request.build_absolute_uri(recipient.get_absolute_url()),
            "uses": uses_label(recipient),
            "buttons": [
                (self.recipient_url(obj, recipient, action), ACTIONS[action].label)
                for action in wanted
            ],
        }

    def recipient_url(self, obj: Any, recipient: ShareRecipient, action: str) -> str:
        opts = self.model._meta
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_shares_recipient",
            args=[quote(obj.pk), recipient.share_id, recipient.pk, action],
        )

    def share_admin_url(self, request: HttpRequest, share: Share) -> str | None:
        """The share's own admin page, where its recipients are listed (``None`` when this
        admin site has no page for shares, or the user may not view it)."""
        if not self.admin_site.is_registered(Share):
            return None
        if not self.admin_site.get_model_admin(Share).has_view_permission(request, share):
            return None
        url = reverse(f"{self.admin_site.name}:directus_shares_share_change", args=[share.pk])
        return f"{url}#recipients"

    # -- views -----------------------------------------------------------------------------------

    def _shared_object(self, request: HttpRequest, object_id: str) -> Any:
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_or_change_permission(request, obj):
            raise Http404(sharing.NO_SUCH_OBJECT)
        return obj

    def _managed_share(self, request: HttpRequest, obj: Any, share_id: int) -> Share:
        return get_object_or_404(self.shares_of(request, obj), pk=share_id)

    def _back(self, obj: Any) -> HttpResponseRedirect:
        opts = self.model._meta
        url = reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
            args=[quote(obj.pk)],
        )
        return HttpResponseRedirect(f"{url}#shares")

    def share_add_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self._shared_object(request, object_id)
        refusal = sharing.sharing_refusal(request.user, obj)
        if refusal:
            raise PermissionDenied(refusal)
        form = ShareForm(request.POST or None, roles=sharing.offered_roles(request.user))
        if request.method == "POST" and form.is_valid():
            options = {name: form.cleaned_data[name] for name in sharing.SHARE_OPTIONS}
            try:
                share = sharing.create_share(
                    request.user,
                    obj,
                    role=form.cleaned_data["role"],
                    password=form.cleaned_data["new_password"] or None,
                    **options,
                )
            except sharing.SharingDenied as denied:
                form.add_error(None, str(denied))
            else:
                self._say_created(request, share)
                warn_if_unopenable(request, share)
                return self._back(obj)
        return self._form_page(request, obj, form, title=_("New share"))

    def _say_created(self, request: HttpRequest, share: Share) -> None:
        link = request.build_absolute_uri(share.get_absolute_url())
        message = format_html(_("The share “{}” was created: {}"), share, link)
        if share.role is not None and not share.role.permissions.exists():
            message = format_html(
                _("{} Its role “{}” has no rights yet: the link shows nothing until they are set."),
                message,
                share.role,
            )
        messages.success(request, message)

    def share_change_view(
        self, request: HttpRequest, object_id: str, share_id: int
    ) -> HttpResponse:
        obj = self._shared_object(request, object_id)
        share = self._managed_share(request, obj, share_id)
        roles = sharing.offered_roles(request.user, share)
        form = ShareForm(request.POST or None, instance=share, roles=roles)
        if request.method == "POST" and form.is_valid():
            share = form.save(commit=False)
            form.apply_password(share)
            share.save()
            messages.success(request, format_html(_("The share “{}” was saved."), share))
            warn_if_unopenable(request, share)
            return self._back(obj)
        unopenable = sharing.unopenable_reason(share)  # what saving it as it is would mean
        return self._form_page(
            request, obj, form, title=_("Edit share"), share=share, unopenable=unopenable
        )

    def _form_page(
        self,
        request: HttpRequest,
        obj: Any,
        form: ShareForm,
        *,
        title: str,
        share: Share | None = None,
        unopenable: str | None = None,
    ) -> TemplateResponse:
        self._offer_new_role(request, form)
        media = self.media + form.media
        return self._page(
            request,
            obj,
            "share_form",
            title,
            form=form,
            media=media,
            share=share,
            unopenable=unopenable,
        )

    def _page(
        self, request: HttpRequest, obj: Any, template: str, title: str, **context: Any
    ) -> TemplateResponse:
        """One of the panel's own pages, in the admin's frame, with a way back to ``obj``."""
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "original": obj,
            "back_url": self._back(obj).url,
            # Django 6.1's admin styles breadcrumbs as a list (ol.breadcrumbs), older ones a div.
            "breadcrumbs_as_list": django.VERSION >= (6, 1),
            **context,
        }
        return TemplateResponse(request, f"directus_shares/admin/{template}.html", context)

    def _offer_new_role(self, request: HttpRequest, form: ShareForm) -> None:
        """The admin's "+" beside the role: create a role on the fly, in a popup."""
        relation = Share._meta.get_field("role").remote_field
        if self.admin_site.is_registered(relation.model):
            form.fields["role"].widget = RelatedFieldWidgetWrapper(
                form.fields["role"].widget,
                relation,
                self.admin_site,
                can_add_related=request.user.has_perm("auth.add_group"),
                can_change_related=False,
                can_delete_related=False,
                can_view_related=False,
            )

    def share_revoke_view(
        self, request: HttpRequest, object_id: str, share_id: int
    ) -> HttpResponse:
        return self._switch(request, object_id, share_id, on=False)

    def share_reenable_view(
        self, request: HttpRequest, object_id: str, share_id: int
    ) -> HttpResponse:
        return self._switch(request, object_id, share_id, on=True)

    def _switch(
        self, request: HttpRequest, object_id: str, share_id: int, *, on: bool
    ) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        obj = self._shared_object(request, object_id)
        share = self._managed_share(request, obj, share_id)
        if on:
            share.reenable()
            messages.success(request, format_html(_("The share “{}” is enabled again."), share))
        else:
            share.revoke()
            messages.success(
                request,
                format_html(_("The share “{}” was revoked: its link no longer opens."), share),
            )
        return self._back(obj)

    def share_unlock_view(
        self, request: HttpRequest, object_id: str, share_id: int
    ) -> HttpResponse:
        """End the share's lock after too many wrong passwords (POST; its managers only)."""
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        obj = self._shared_object(request, object_id)
        share = self._managed_share(request, obj, share_id)
        say_unlocked(request, share, lockout.unlock(share))
        return self._back(obj)

    def share_recipient_view(
        self, request: HttpRequest, object_id: str, share_id: int, recipient_id: int, action: str
    ) -> HttpResponse:
        """Resend, revoke or re-enable one recipient's link from the panel (POST; 404 for a share
        the user does not manage, another share's recipient or another action)."""
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        obj = self._shared_object(request, object_id)
        share = self._managed_share(request, obj, share_id)
        recipient = share.recipients.filter(pk=recipient_id).first()
        if recipient is None or action not in PANEL_ACTIONS:
            raise Http404(_("No such recipient."))
        run_recipient_action(request, action, [recipient])
        return self._back(obj)

    def share_delete_view(
        self, request: HttpRequest, object_id: str, share_id: int
    ) -> HttpResponse:
        obj = self._shared_object(request, object_id)
        share = self._managed_share(request, obj, share_id)
        if request.method == "POST":
            name = str(share)
            share.delete()
            messages.success(request, format_html(_("The share “{}” was deleted."), name))
            return self._back(obj)
        return self._page(request, obj, "share_delete", _("Delete share"), share=share)

    def share_send_view(self, request: HttpRequest, object_id: str, share_id: int) -> HttpResponse:
        obj = self._shared_object(request, object_id)
        share = self._managed_share(request, obj, share_id)
        form = SendLinkForm(request.POST or None)
        if request.method == "POST" and (refusal := sharing.sending_refusal(share)):
            messages.error(request, refusal)
            return self._back(obj)
        if request.method == "POST" and form.is_valid():
            addresses, message = form.cleaned_data["recipients"], form.cleaned_data["message"]
            if form.cleaned_data["recipient_links"]:
                delivery = send_recipient_links(request, share, addresses, message)
            else:
                link = request.build_absolute_uri(share.get_absolute_url())
                delivery = queue_share_link(
                    share, link, addresses, sender=request.user, message=message
                )
            if delivery is not None:
                say_delivered(request, delivery)
                if not delivery.failed:
                    return self._back(obj)
        return self._page(request, obj, "share_send", _("Send the link"), share=share, form=form)


def send_recipient_links(
    request: HttpRequest, share: Share, addresses: list[str], message: str
) -> Delivery | None:
    """Send with links of their own ("Send link"): each address a recipient of ``share``
    (:func:`sharing.recipient_links_to_send`), each mailed its own link; a revoked recipient is
    named in a warning, not mailed. ``None`` (and an error message) when the addresses are
    refused."""
    try:
        recipients, revoked = sharing.recipient_links_to_send(request.user, share, addresses)
    except sharing.RecipientsRefused as refused:
        messages.error(request, " ".join(refused.messages))
        return None
    for address in revoked:
        messages.warning(
            request,
            _(
                "Not sent to %(address)s: their own link is revoked. Switch it on again on the "
                "share's page (Recipients) first."
            )
            % {"address": address},
        )
    return queue_recipient_links(
        share,
        recipients,
        absolute_url=request.build_absolute_uri,
        sender=request.user,
        message=message,
    )


def warn_if_unopenable(request: HttpRequest, share: Share) -> None:
    """A warning message when nobody could open ``share`` as saved (:func:`sharing.
    unopenable_reason`) – the panel's form and the share's own admin page both say it."""
    reason = sharing.unopenable_reason(share)
    if reason is not None:
        messages.warning(
            request,
            format_html(_("Nobody can open the share “{}”: {}."), share, reason),
        )
