"""All shares in the admin: filters, links to the shared objects, bulk revoke, the QR code."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import lockout
from ..conf import get_config
from ..creator_queries import load_shares
from ..disclosure import yes_no
from ..models import Share, ShareQuerySet, ShareRecipient, ShareStatus
from ..opening import refusal_for_anyone
from ..outcomes import ObjectState
from ..qr import qr_code_svg
from ..rights import share_rights
from ..sharing import (
    SHARE_OPTION_ORDER,
    attention_reasons,
    managed_shares,
    manages_every_share,
    offered_roles,
)
from .access_log import ShareAccessInline
from .forms import PUBLIC_ROLE_LABEL, ShareForm
from .locks import lock_label, say_unlocked
from .panel import SharesAdminMixin, warn_if_unopenable
from .recipients import (
    BULK_ACTION,
    SELECTED,
    bulk_choices,
    recipient_counts,
    recipient_rows,
    recipient_urls,
    recipients_bulk_url,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


STATUS = _("status")


class StatusFilter(admin.SimpleListFilter):
    """Active, not yet open, expired, used up or revoked – now."""

    title = STATUS
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Iterable[tuple[str, Any]]:
        return ShareStatus.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Share]) -> QuerySet[Share]:
        status = self.value()
        if status in ShareStatus.values:  # the admin's queryset comes from Share.objects
            return cast(ShareQuerySet, queryset).with_status(status, timezone.now())
        return queryset


class ObjectDeletedFilter(admin.SimpleListFilter):
    """Shares whose object was deleted (or whose model left the project): orphaned."""

    title = _("object deleted")
    parameter_name = "object_deleted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Iterable[tuple[str, Any]]:
        return [("1", yes_no(True)), ("0", yes_no(False))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Share]) -> QuerySet[Share]:
        shares = cast(ShareQuerySet, queryset)  # the admin's queryset comes from Share.objects
        if self.value() == "1":
            return shares.orphaned()
        if self.value() == "0":
            return shares.exclude(pk__in=shares.orphaned().values("pk"))
        return queryset


class RecipientsFilter(admin.SimpleListFilter):
    """Shares by what became of their recipients' own links: opened by none of them (it has
    recipients, and no link was used), opened by some, or flagged as forwarded."""

    title = _("recipients")
    parameter_name = "recipients"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Iterable[tuple[str, Any]]:
        return [
            ("none_opened", _("Opened by none")),
            ("some_opened", _("Opened by some")),
            ("forwarded", _("Forwarded")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Share]) -> QuerySet[Share]:
        recipients = ShareRecipient.objects.filter(share=OuterRef("pk"))
        opened = Exists(recipients.filter(times_used__gt=0))
        if self.value() == "none_opened":
            return queryset.filter(Exists(recipients), ~opened)
        if self.value() == "some_opened":
            return queryset.filter(opened)
        if self.value() == "forwarded":
            return queryset.filter(Exists(recipients.filter(forwarded_at__isnull=False)))
        return queryset


class PublicRoleFilter(admin.RelatedOnlyFieldListFilter):
    """The roles in use; shares without one are "(public role)", not Django's bare "-"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.empty_value_display = format_html("{}", PUBLIC_ROLE_LABEL)


class CreatorFilter(admin.RelatedOnlyFieldListFilter):
    """The creators of shares; shares without one (made by code, or the creator was deleted)
    are "(no creator)", not Django's bare "-"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.empty_value_display = format_html("{}", _("(no creator)"))


class ShareChangeList(ChangeList):
    """The changelist, with each page's shared objects loaded in one query per content type."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        attach_row_details(list(self.result_list), request, self.model_admin.admin_site)


def attach_row_details(shares: list[Share], request: HttpRequest, site: admin.AdminSite) -> None:
    """Set ``shared_object_html``, ``object_deleted``, ``link_url``, ``lock`` and
    ``recipient_counts`` on each share, with one query per model, one for the recipients (and
    one cache round trip)."""
    wanted: dict[type[models.Model], dict[Any, list[Share]]] = defaultdict(
        lambda: defaultdict(list)
    )
    locks = lockout.share_locks(shares)
    recipients = recipient_counts(shares)
    for share in shares:
        share.lock = locks.get(share.pk)
        share.recipient_counts = recipients.get(share.pk)
        share.link_url = request.build_absolute_uri(share.get_absolute_url())
        share.shared_object_html = _object_label(share, None)
        share.object_deleted = True  # until it is found
        model = share.content_type.model_class()  # selected with the share: no query
        if model is None:
            continue
        try:
            pk = model._meta.pk.to_python(share.object_pk)
        except ValidationError:  # a key its model cannot hold: there is nothing to find
            continue
        wanted[model][pk].append(share)
    for model, by_pk in wanted.items():
        model_admin = site.get_model_admin(model) if site.is_registered(model) else None
        for obj in model._base_manager.filter(pk__in=list(by_pk)):
            url = _change_url(model_admin, request, obj)
            for share in by_pk.get(obj.pk, []):
                share.shared_object_html = _object_label(share, obj, url)
                share.object_deleted = False
    attach_refusals(shares)


def attach_refusals(shares: list[Share]) -> None:
    """Set ``opening_refusal`` on each share: why a visitor would be refused now, by the
    visitor's own rule (:func:`.opening.refusal_for_anyone`) with the rights a visit reads
    (:func:`.creator_queries.load_shares`: a fixed number of queries for the whole page).

    The object itself is not looked at (only whether it was deleted): that the role's row filter
    leaves one object out is said on the share's own page and in the object's Shares panel.
    """
    loaded = load_shares(shares, get_config()["PUBLIC_ROLE"] or None)
    now = timezone.now()
    for share in shares:
        state = ObjectState.GONE if share.object_deleted else ObjectState.VISIBLE
        share.opening_refusal = refusal_for_anyone(
            share, now, rights=share_rights(loaded[share.pk]), object_state=state
        )


def object_deleted(share: Share) -> bool:
    """Whether the share's object no longer exists, or its model left the project – decided by
    :meth:`ShareQuerySet.orphaned`, as the list filter and the purge command decide it."""
    return Share.objects.filter(pk=share.pk).orphaned().exists()


def _is_share_id(value: str) -> bool:
    """Whether ``value`` can be a share's id (a positive 64-bit integer, as text)."""
    return (
        value.isascii() and value.isdigit() and 0 < int(value) <= models.BigIntegerField.MAX_BIGINT
    )


def _change_url(model_admin: Any, request: HttpRequest, obj: models.Model) -> str | None:
    """The object's admin page, if it has one this user may view."""
    if model_admin is None or not model_admin.has_view_permission(request, obj):
        return None
    opts = obj._meta
    try:
        return reverse(
            f"{model_admin.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
            args=[quote(obj.pk)],
        )
    except NoReverseMatch:
        return None


def _object_label(share: Share, obj: models.Model | None, url: str | None = None) -> str:
    model = share.content_type.model_class()
    kind = capfirst(model._meta.verbose_name if model else share.content_type.model)
    if obj is None:
        return format_html("{}: {} <em>({})</em>", kind, share.object_pk, _("not found"))
    if url is None:
        return format_html("{}: {}", kind, obj)
    return format_html('{}: <a href="{}">{}</a>', kind, url, obj)


@admin.register(Share)
class ShareAdmin(admin.ModelAdmin):
    """All shares a user may manage; a share's page shows its link and QR code."""

    form = ShareForm
    inlines = [ShareAccessInline]
    change_form_template = "admin/directus_shares/share/change_form.html"
    change_list_template = "admin/directus_shares/share/change_list.html"
    # The link and what needs attention first: at 1280 px, beside the admin's two sidebars,
    # the columns after them may need scrolling.
    list_display = [
        "__str__",
        "link",
        "status_label",
        "attention",
        "shared_object",
        "role",
        "uses",
        "recipients",
        "date_start",
        "date_end",
        "created_by",
    ]
    list_filter = [
        StatusFilter,
        ObjectDeletedFilter,
        RecipientsFilter,
        ("role", PublicRoleFilter),
        ("content_type", admin.RelatedOnlyFieldListFilter),
        ("created_by", CreatorFilter),
        "creator_removed",
        "role_removed",
    ]
    list_select_related = ["role", "content_type", "created_by"]
    search_fields = ["name"]
    actions = ["revoke_shares", "reenable_shares", "unlock_shares"]
    readonly_fields = [
        "content_type",
        "object_pk",
        "status_label",
        "times_used",
        "revoked_at",
        "created_by",
        "created_at",
        "attention",
    ]
    fields = [
        "name",
        "content_type",
        "object_pk",
        "role",
        *(name for name in SHARE_OPTION_ORDER if name != "name"),
        "new_password",
        "remove_password",
        "times_used",
        "status_label",
        "revoked_at",
        "created_by",
        "created_at",
        "attention",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # shares are made from their object's page (sharing.create_share)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Share]:
        """The shares the user manages (:func:`..sharing.managed_shares`)."""
        shares = cast(ShareQuerySet, super().get_queryset(request))  # Share's default manager
        return managed_shares(request.user, shares)

    def get_urls(self) -> list[Any]:
        """The share's own Unlock and its recipients' buttons (POSTs from its page) ahead of the
        admin's URLs."""
        name = f"{self.opts.app_label}_{self.opts.model_name}_unlock"
        unlock = path(
            "<path:object_id>/unlock/", self.admin_site.admin_view(self.unlock_view), name=name
        )
        return [unlock, *recipient_urls(self), *super().get_urls()]

    def unlock_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """End the share's lock after too many wrong passwords: POST, by those who may change
        it (404 for shares the user does not manage, as on every share page)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        share = self.get_object(request, unquote(object_id))  # only the shares they manage
        if share is None:
            raise Http404(_("No such share."))
        if not self.has_change_permission(request, share):
            raise PermissionDenied
        say_unlocked(request, share, lockout.unlock(share))
        opts = self.opts
        url = reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
            args=[quote(share.pk)],
        )
        return HttpResponseRedirect(url)

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        """No creator filter for those who only ever see their own shares."""
        if manages_every_share(request.user):
            return self.list_filter
        return [f for f in self.list_filter if f != ("created_by", CreatorFilter)]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ShareChangeList

    def get_fields(self, request: HttpRequest, obj: Share | None = None) -> list[Any]:
        fields = list(super().get_fields(request, obj))
        if obj is None or not obj.has_password:
            fields.remove("remove_password")  # nothing to remove
        return fields

    def get_form(
        self, request: HttpRequest, obj: Share | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        """The share form, offering only roles the user may give (and the share's own)."""
        roles = offered_roles(request.user, obj)
        base = super().get_form(request, obj, change, **kwargs)

        # mypy cannot check a base class made at run time
        class RoleLimitedShareForm(base):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **form_kwargs: Any) -> None:
                super().__init__(*args, roles=roles, **form_kwargs)

        return RoleLimitedShareForm

    def save_model(self, request: HttpRequest, obj: Share, form: Any, change: bool) -> None:
        form.apply_password(obj)
        super().save_model(request, obj, form, change)
        warn_if_unopenable(request, obj)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """Name each share to be deleted, and count its access log rather than list it."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        summary = [
            ngettext("%(count)d access log entry", "%(count)d access log entries", len(item))
            % {"count": len(item)}
            if isinstance(item, list)
            else item
            for item in deleted
        ]
        return summary, counts, perms_needed, protected

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Share | None = None,
    ) -> HttpResponse:
        if obj is not None and obj.pk is not None:
            url = request.build_absolute_uri(obj.get_absolute_url())
            obj.object_deleted = object_deleted(obj)  # asked once, for the banner and the field
            context.update(
                share_link=url, share_qr_code=qr_code_svg(url), share_problems=self.attention(obj)
            )
            can_change = change and self.has_change_permission(request, obj)
            rows = recipient_rows(obj, request, self.admin_site.name, can_change=can_change)
            context["share_recipients"] = rows
            if can_change:
                context["share_lock"] = lockout.share_lock(obj)
            if can_change and not rows:
                context["share_recipients_none"] = True
                context["share_recipients_add_url"] = self.panel_url(request, obj)
            if can_change and rows:
                context.update(
                    share_recipients_bulk_url=recipients_bulk_url(self.admin_site.name, obj),
                    share_recipients_bulk_choices=bulk_choices(),
                    share_recipients_bulk_field=BULK_ACTION,
                    share_recipients_selected_field=SELECTED,
                )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def panel_url(self, request: HttpRequest, share: Share) -> str | None:
        """Where recipients are added: the Shares panel on the shared object's admin page (its
        Send link), if that page has the panel and this user may view it – none once the object
        is deleted (:attr:`.Share.object_deleted`, asked once already)."""
        if share.object_deleted:
            return None
        obj = share.content_object
        if not isinstance(obj, models.Model) or not self.admin_site.is_registered(type(obj)):
            return None
        model_admin = self.admin_site.get_model_admin(type(obj))
        if not isinstance(model_admin, SharesAdminMixin):
            return None
        url = _change_url(model_admin, request, obj)
        return f"{url}#shares" if url else None

    # -- columns ----------------------------------------------------------------------------------

    @admin.display(description=_("shared object"), ordering="content_type")
    def shared_object(self, share: Share) -> str:
        return getattr(share, "shared_object_html", "")  # set by ShareChangeList

    @admin.display(description=STATUS)
    def status_label(self, share: Share) -> StrOrPromise:
        return share.status_at(timezone.now()).label

    @admin.display(description=_("times used / max uses"), ordering="times_used")
    def uses(self, share: Share) -> str:
        return f"{share.times_used} / {share.max_uses if share.max_uses is not None else '∞'}"

    @admin.display(description=_("recipients"))
    def recipients(self, share: Share) -> str:
        """How many recipients opened their own links, and how many links look forwarded."""
        counts = getattr(share, "recipient_counts", None)  # set by ShareChangeList
        if counts is None:
            return ""
        text = ngettext(
            "%(total)s recipient, %(opened)s opened",
            "%(total)s recipients, %(opened)s opened",
            counts["total"],
        ) % {"total": counts["total"], "opened": counts["opened"]}
        if not counts["forwarded"]:
            return text
        forwarded = ngettext(
            "%(forwarded)s forwarded", "%(forwarded)s forwarded", counts["forwarded"]
        ) % {"forwarded": counts["forwarded"]}
        return format_html('{} <span class="ds-badge-forwarded">{}</span>', text, forwarded)

    @admin.display(description=_("link"))
    def link(self, share: Share) -> str:
        """The link, shortened (in full on hover), with a copy button."""
        url = getattr(share, "link_url", None)  # set by ShareChangeList
        if url is None:
            return ""
        return format_html(
            '<code class="ds-share-link" title="{}">…/{}…</code> '
            '<button type="button" class="button ds-copy-link" data-ds-copy="{}">{}</button> '
            '<span class="ds-copy-status" role="status"></span>',
            url,
            share.token[:8],
            url,
            _("Copy link"),
        )

    @admin.display(description=_("needs attention"))
    def attention(self, share: Share) -> str:
        """Why the share no longer opens although its own dates and uses would allow it."""
        if getattr(share, "object_deleted", None) is None:  # set by ShareChangeList
            share.object_deleted = object_deleted(share)
        needs_refusal = not (share.object_deleted or share.role_removed)  # else it says no more
        if needs_refusal and not hasattr(share, "opening_refusal"):  # set by ShareChangeList
            share.opening_refusal = refusal_for_anyone(share)
        problems: list[StrOrPromise] = list(
            attention_reasons(
                share,
                object_deleted=share.object_deleted,
                refusal=getattr(share, "opening_refusal", None),
            )
        )
        lock = getattr(share, "lock", None)  # set by ShareChangeList
        if lock is not None:
            problems.append(lock_label(lock))
        return "; ".join(str(problem) for problem in problems)

    # -- actions ----------------------------------------------------------------------------------

    def response_action(
        self, request: HttpRequest, queryset: QuerySet[Share], *args: Any, **kwargs: Any
    ) -> Any:
        """Django's, once the selected ids are known to be ids: a tampered selection (text, or a
        number no id column holds) makes Django's ``pk__in`` filter raise – a 500 – so it
        selects nothing instead, with Django's own message."""
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(_is_share_id(value) for value in selected):
            message = _(
                "Items must be selected in order to perform actions on them. No items have been "
                "changed."
            )
            self.message_user(request, message, messages.WARNING)
            return None  # back to the list
        # Django 6.1 added where the action was chosen (action_location): passed on as given.
        return super().response_action(request, queryset, *args, **kwargs)

    @admin.action(description=_("Revoke selected shares"), permissions=["change"])
    def revoke_shares(self, request: HttpRequest, queryset: QuerySet[Share]) -> None:
        """Switch the shares off; every grant made with them ends."""
        count = self._switch(queryset.filter(revoked_at__isnull=True), Share.revoke)
        message = ngettext("%(count)d share revoked.", "%(count)d shares revoked.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Re-enable selected shares"), permissions=["change"])
    def reenable_shares(self, request: HttpRequest, queryset: QuerySet[Share]) -> None:
        """Switch revoked shares on again; visitors open them anew."""
        count = self._switch(queryset.filter(revoked_at__isnull=False), Share.reenable)
        message = ngettext("%(count)d share re-enabled.", "%(count)d shares re-enabled.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Unlock selected shares"), permissions=["change"])
    def unlock_shares(self, request: HttpRequest, queryset: QuerySet[Share]) -> None:
        """End the locks wrong passwords put on the shares: their passwords can be tried again."""
        count = sum(lockout.unlock(share) for share in queryset)
        message = ngettext("%(count)d share unlocked.", "%(count)d shares unlocked.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @staticmethod
    def _switch(shares: QuerySet[Share], switch: Any) -> int:
        """Apply ``switch`` (revoke or re-enable) to each share, all or none; how many."""
        with transaction.atomic():
            selected = list(shares)
            for share in selected:
                switch(share)
        return len(selected)
