"""The API's answer to :func:`..sharing.may_manage`: 404, not 403, so existence does not leak."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework.permissions import BasePermission

from ..models import Share
from ..sharing import may_manage


class ManagesShare(BasePermission):
    """Only the shares :func:`..sharing.may_manage` allows; any other answers 404."""

    def has_object_permission(self, request: Any, view: Any, obj: Share) -> bool:
        if not may_manage(request.user, obj):
            raise Http404
        return True
