"""Signal receivers that keep shares consistent when what they point to changes."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import F
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils import timezone

from .models import Share


@receiver(pre_delete, sender=Group, dispatch_uid="directus_shares_revoke_on_role_delete")
def revoke_shares_of_deleted_role(sender: type[Group], instance: Group, **kwargs: Any) -> None:
    """Mark a deleted role's shares so they grant nothing instead of falling back to the
    public role, and revoke them: their owner sees why and can choose another role."""
    now = timezone.now()
    shares = Share.objects.filter(role=instance)
    shares.update(role_removed=True, updated_at=now)
    shares.filter(revoked_at__isnull=True).update(revoked_at=now, grant_epoch=F("grant_epoch") + 1)


@receiver(pre_delete, sender=get_user_model(), dispatch_uid="directus_shares_creator_deleted")
def flag_shares_of_deleted_creator(sender: type, instance: Any, **kwargs: Any) -> None:
    """Mark the shares a deleted user created: they stop opening ("no longer available") rather
    than pass for shares made by code, which no creator narrows. The object and the share stay;
    the admin shows why it no longer opens."""
    Share.objects.filter(created_by=instance).update(
        creator_removed=True, updated_at=timezone.now()
    )
