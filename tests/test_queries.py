"""The hand-written SQL of the per-request query returns exactly what the ORM would."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import override_settings
from django.utils import timezone

from directus_shares.conf import get_config
from directus_shares.models import Share
from directus_shares.queries import _share_then_permissions, granting_role, share_and_permissions
from tests.factories import RoleFactory, ShareFactory
from tests.testapp.models import Code, Gadget, Owner

pytestmark = pytest.mark.django_db


def orm_permissions(share: Share) -> frozenset:
    """What the ORM says ``share`` grants, by the rule of ``queries.granting_role``."""
    role = granting_role(share, get_config()["PUBLIC_ROLE"])
    if role is None:
        return frozenset()
    group_filter = {f"group__{'id' if 'group_id' in role else 'name'}": next(iter(role.values()))}
    return frozenset(
        Permission.objects.filter(**group_filter).values_list("content_type_id", "codename")
    )


def test_share_row_matches_the_orm_field_for_field():
    now = timezone.now()
    share = ShareFactory(
        password="pw", max_uses=3, date_start=now - timedelta(days=1), date_end=now + timedelta(1)
    )
    share.revoke()
    raw, _ = share_and_permissions(share.key, None)
    orm = Share.objects.get(pk=share.pk)
    for field in Share._meta.concrete_fields:
        assert getattr(raw, field.attname) == getattr(orm, field.attname), field.name
    assert timezone.is_aware(raw.date_start) and timezone.is_aware(raw.revoked_at)
    assert share_and_permissions("not-a-key", None) is None


def test_an_empty_public_role_names_no_group():
    from django.contrib.auth.models import Group

    Group.objects.create(name="").permissions.add(Permission.objects.get(codename="view_gadget"))
    share = ShareFactory(role=None)
    with override_settings(DIRECTUS_SHARES={"PUBLIC_ROLE": ""}):
        from directus_shares import access

        _, rights = access.find_share(share.token)
        assert not rights.can_view_share(share)


@pytest.mark.parametrize("public_role", [None, "Public", "No such group"])
def test_permissions_follow_the_granting_role_rule(public_role):
    RoleFactory(name="Public", view=[Owner])
    own_role = ShareFactory(role=RoleFactory(view=[Gadget, Owner, Code]))
    no_role = ShareFactory(role=None)
    role_deleted = ShareFactory(role=None)
    Share.objects.filter(pk=role_deleted.pk).update(role_removed=True)
    role_without_rights = ShareFactory(role=RoleFactory())
    with override_settings(DIRECTUS_SHARES={"PUBLIC_ROLE": public_role}):
        for share in (own_role, no_role, role_deleted, role_without_rights):
            share = Share.objects.get(pk=share.pk)
            found, permissions = share_and_permissions(share.key, public_role)
            assert found.pk == share.pk
            assert permissions == orm_permissions(share), share
            # The two-query path taken when a router keeps auth models in another database.
            assert _share_then_permissions(share.key, public_role)[1] == permissions
    assert len(share_and_permissions(own_role.key, None)[1]) == 3
    assert len(share_and_permissions(no_role.key, "Public")[1]) == 1
    assert share_and_permissions(role_deleted.key, "Public")[1] == frozenset()
