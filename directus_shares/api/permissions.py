"""Who may manage which share through the API: the admin's rule, answered with 404 not 403."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework.permissions import BasePermission

from ..models import Share
from ..sharing import managed_shares, may_manage

__all__ = ["ManagesShare", "managed_shares", "may_manage"]


class ManagesShare(BasePermission):
    """Only the shares the user manages; any other answers 404, so existence does not leak."""

    def has_object_permission(self, request: Any, view: Any, obj: Share) -> bool:
        if not may_manage(request.user, obj):
            raise Http404
        return True
