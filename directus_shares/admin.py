"""Admin: share rules on the group's page, and a list of all shares with what needs attention.

The group admin already registered (Django's, or a project's own) is extended, not replaced:
its class gains :class:`ShareRulesGroupAdminMixin`. Projects that register their group admin
after this app, or not at all, can add the mixin themselves.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .fields import is_shareable_model
from .models import RoleRule, RoleSettings, Share, shareable_field_names
from .sharing import assignable_roles


def shareable_content_types() -> list[int]:
    """Ids of the content types whose objects may be shared."""
    return [
        content_type.pk
        for content_type in ContentType.objects.all()
        if (model := content_type.model_class()) is not None and is_shareable_model(model)
    ]


class RoleRuleForm(forms.ModelForm):
    """The fields of a rule as check boxes once its model is known (as text before)."""

    class Meta:
        model = RoleRule
        fields = ["content_type", "all_fields", "fields", "read_filter", "share_filter"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["content_type"].queryset = ContentType.objects.filter(
            pk__in=shareable_content_types()
        ).order_by("app_label", "model")
        model = self.instance.content_type.model_class() if self.instance.content_type_id else None
        if model is not None:
            self.fields["fields"] = forms.MultipleChoiceField(
                label=_("fields"),
                required=False,
                choices=[(name, name) for name in shareable_field_names(model)],
                widget=forms.CheckboxSelectMultiple,
                help_text=RoleRule._meta.get_field("fields").help_text,
            )
        else:
            self.fields["fields"] = forms.CharField(
                label=_("fields"),
                required=False,
                help_text=_(
                    "Field names separated by commas. Once saved, they are offered as check boxes."
                ),
            )

    def clean_fields(self) -> list[str]:  # the form field named "fields", not Model.clean_fields
        value = self.cleaned_data.get("fields") or []
        if isinstance(value, str):
            value = [name.strip() for name in value.split(",") if name.strip()]
        return list(value)


class RoleRuleInline(admin.StackedInline):
    model = RoleRule
    form = RoleRuleForm
    extra = 0
    verbose_name = _("share rule (fields and rows of one model)")
    verbose_name_plural = _("share rules: what this role sees of each model through shares")


class RoleSettingsInline(admin.StackedInline):
    model = RoleSettings
    can_delete = False
    max_num = 1
    verbose_name_plural = _("sharing settings")


class ShareRulesGroupAdminMixin:
    """Adds the share rules and settings of a role to a group admin."""

    share_inlines = (RoleSettingsInline, RoleRuleInline)

    def get_inlines(self, request: HttpRequest, obj: Group | None) -> list[Any]:
        return [*super().get_inlines(request, obj), *self.share_inlines]  # type: ignore[misc]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        if not change:  # whoever creates a role may assign it (see sharing.assignable_roles)
            RoleSettings.objects.get_or_create(
                role=form.instance, defaults={"created_by": request.user}
            )

    def response_add(self, request: HttpRequest, obj: Group, *args: Any) -> HttpResponse:
        if not obj.permissions.exists():
            url = reverse("admin:auth_group_change", args=[obj.pk])
            messages.info(
                request,
                format_html(
                    _(
                        "The role “{}” has no rights yet: its shares show nothing until you "
                        'choose what it may see <a href="{}">on its page</a>.'
                    ),
                    obj,
                    url,
                ),
            )
        return super().response_add(request, obj, *args)  # type: ignore[misc]


@admin.register(Share)
class ShareAdmin(admin.ModelAdmin):
    """All shares, with why one no longer opens (the full share admin comes with the panel)."""

    list_display = [
        "__str__",
        "content_type",
        "object_pk",
        "role",
        "status_label",
        "times_used",
        "max_uses",
        "created_by",
        "attention",
    ]
    list_filter = ["role", "content_type", "creator_removed", "role_removed"]
    list_select_related = ["role", "content_type", "created_by"]
    search_fields = ["name"]
    readonly_fields = ["content_type", "object_pk", "times_used", "created_by", "attention"]
    fields = [
        "name",
        "content_type",
        "object_pk",
        "role",
        "date_start",
        "date_end",
        "max_uses",
        "times_used",
        "created_by",
        "attention",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # shares are made from their object's page (sharing.create_share)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Share]:
        """Superusers manage every share; other staff the shares they created."""
        shares = super().get_queryset(request)
        return shares if request.user.is_superuser else shares.filter(created_by=request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role":  # only roles this user may give (sharing.assignable_roles)
            kwargs["queryset"] = assignable_roles(request.user).order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("status"))
    def status_label(self, share: Share) -> str:
        return share.status_at(timezone.now()).label

    @admin.display(description=_("needs attention"))
    def attention(self, share: Share) -> str:
        """Why the share no longer opens although its own dates and uses would allow it."""
        problems = []
        if share.creator_removed:
            problems.append(_("its creator was deleted"))
        elif share.created_by is not None and not share.created_by.is_active:
            problems.append(_("its creator was deactivated"))
        if share.role_removed:
            problems.append(_("its role was deleted"))
        return "; ".join(str(problem) for problem in problems)


def _extend_group_admin(site: admin.AdminSite = admin.site) -> None:
    current = site._registry.get(Group)
    if current is None:
        site.register(Group, type("GroupAdmin", (ShareRulesGroupAdminMixin, GroupAdmin), {}))
    elif not isinstance(current, ShareRulesGroupAdminMixin):
        extended = type(type(current).__name__, (ShareRulesGroupAdminMixin, type(current)), {})
        site.unregister(Group)
        site.register(Group, extended)


_extend_group_admin()
