"""What ``receivers.py`` does to shares when their role or their creator is deleted."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from directus_shares.models import ShareStatus
from directus_shares.outcomes import Refusal
from tests.factories import RoleFactory, ShareFactory
from tests.testapp.models import Gadget

pytestmark = pytest.mark.django_db


def test_deleting_a_role_revokes_its_shares_and_says_why_and_leaves_other_shares_alone():
    share, other = ShareFactory(), ShareFactory()
    epoch = share.grant_epoch
    share.role.delete()
    share.refresh_from_db()
    assert share.role is None and share.role_removed
    assert share.status is ShareStatus.REVOKED and share.grant_epoch == epoch + 1
    other.refresh_from_db()
    assert not other.role_removed and other.status is ShareStatus.ACTIVE


def test_an_already_revoked_share_keeps_the_moment_it_was_revoked():
    share = ShareFactory()
    share.revoke()
    share.refresh_from_db()
    revoked_at = share.revoked_at
    share.role.delete()
    share.refresh_from_db()
    assert share.role_removed and share.revoked_at == revoked_at


def test_deleting_a_creator_flags_their_shares_only_and_they_stop_opening():
    share, other = ShareFactory(), ShareFactory()
    share.created_by.delete()
    share.refresh_from_db()
    other.refresh_from_db()
    assert share.creator_removed and share.created_by is None
    assert not other.creator_removed
    response = Client().get(share.get_absolute_url())
    assert response.status_code == Refusal.UNAVAILABLE.status
    assert Client().get(other.get_absolute_url()).status_code == 200


def test_a_reenabled_share_of_a_deleted_role_grants_nothing_not_the_public_role():
    RoleFactory(name="Public", view=[Gadget])
    share = ShareFactory()
    share.role.delete()
    share.refresh_from_db()
    share.reenable()
    with override_settings(DIRECTUS_SHARES={"PUBLIC_ROLE": "Public"}):
        response = Client().get(share.get_absolute_url())
        assert response.status_code == Refusal.GRANTS_NOTHING.status
        share.role = RoleFactory(view=[Gadget])  # choosing a new role makes it work again
        share.save()
        share.created_by.groups.add(share.role)
        assert Client().get(share.get_absolute_url()).status_code == 200
