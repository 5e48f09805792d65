"""The list of all shares in the admin, with what needs attention."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Share
from ..sharing import assignable_roles


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
