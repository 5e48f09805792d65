"""The access log on a share's admin page: read-only, newest first, capped."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from ..models import ShareAccess
from .forms import BoundedInlineMixin


class NewestAccessesFormSet(BaseInlineFormSet):
    """The newest ``limit`` entries of one share; ``more_than_shown`` says whether older exist.

    One query (one row more than shown, instead of a ``COUNT``) however long the log is.
    """

    limit = 50

    def get_queryset(self) -> Any:
        if not hasattr(self, "_newest"):
            entries = super().get_queryset().select_related("recipient")  # its column
            rows = list(entries.order_by("-at", "-pk")[: self.limit + 1])
            self.more_than_shown = len(rows) > self.limit
            self._newest = rows[: self.limit]
        return self._newest


class ShareAccessInline(BoundedInlineMixin, admin.TabularInline):
    """Who tried to open the share, when, and whether it opened – for reading only.

    Whoever may see the share's admin page sees its log; nobody adds, edits or deletes entries
    here (old ones are pruned with ``manage.py directus_shares_prune_access_log``).
    """

    model = ShareAccess
    formset = NewestAccessesFormSet
    template = "directus_shares/admin/access_log_inline.html"
    fields = readonly_fields = ("at", "granted", "reason", "recipient", "address", "email")
    extra = 0
    max_num = NewestAccessesFormSet.limit  # all it ever shows
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        """Who may see the share may see its log (no separate ``view_shareaccess`` needed)."""
        if not self.admin_site.is_registered(self.parent_model):
            return super().has_view_permission(request, obj)
        parent = self.admin_site.get_model_admin(self.parent_model)
        return parent.has_view_or_change_permission(request, obj)
