"""Who may manage which share through the API: the admin's rule, answered with 404 not 403."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework.permissions import BasePermission

from ..models import Share, ShareQuerySet


def managed_shares(user: Any) -> ShareQuerySet:
    """The shares ``user`` may see and manage: every share for a superuser, else their own."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Share.objects.none()
    shares = Share.objects.all()
    return shares if user.is_superuser else shares.filter(created_by=user)


def may_manage(user: Any, share: Share) -> bool:
    """Whether ``user`` may see and manage ``share`` (the per-object twin of managed_shares)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or share.created_by_id == user.pk


class ManagesShare(BasePermission):
    """Only the shares the user manages; any other answers 404, so existence does not leak."""

    def has_object_permission(self, request: Any, view: Any, obj: Share) -> bool:
        if not may_manage(request.user, obj):
            raise Http404
        return True
