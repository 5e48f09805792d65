"""The hand-written SQL of the two per-request queries returns exactly what the ORM would."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from directus_shares.models import Share
from directus_shares.queries import role_permissions, share_by_key
from tests.factories import RoleFactory, ShareFactory
from tests.testapp.models import Code, Gadget, Owner

pytestmark = pytest.mark.django_db


def orm_permissions(**group_filter) -> frozenset:
    return frozenset(
        Permission.objects.filter(
            **{f"group__{k}": v for k, v in group_filter.items()}
        ).values_list("content_type_id", "codename")
    )


def test_role_permissions_by_id_and_by_name_match_the_orm():
    role = RoleFactory(name="Mixed role", view=[Gadget, Owner, Code])
    RoleFactory(name="Other role", view=[Owner])
    by_id = role_permissions(group_id=role.pk)
    assert len(by_id) == 3
    assert by_id == orm_permissions(id=role.pk)
    assert role_permissions(group_name="Mixed role") == by_id
    assert role_permissions(group_name="No such role") == frozenset()
    assert role_permissions(group_id=role.pk + 1000) == frozenset()


def test_share_by_key_matches_the_orm_field_for_field():
    now = timezone.now()
    share = ShareFactory(
        password="pw", max_uses=3, date_start=now - timedelta(days=1), date_end=now + timedelta(1)
    )
    share.revoke()
    raw = share_by_key(share.key)
    orm = Share.objects.get(pk=share.pk)
    for field in Share._meta.concrete_fields:
        assert getattr(raw, field.attname) == getattr(orm, field.attname), field.name
    assert timezone.is_aware(raw.date_start) and timezone.is_aware(raw.revoked_at)
    assert share_by_key("not-a-key") is None
