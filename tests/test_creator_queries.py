"""The creator and staff side's reads (``creator_queries.py``): a page of shares reads, share by
share, what the visitor's read of one share reads (``tests/test_queries.py`` compares them in
every scenario there too)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm

from directus_shares.creator_queries import load_shares
from directus_shares.models import RoleSettings, Share
from tests.factories import GadgetFactory, RoleFactory, ShareFactory, UserFactory, rule
from tests.test_queries import assert_loads_match, comparable
from tests.testapp.models import Gadget, Label

pytestmark = pytest.mark.django_db


def test_a_page_of_shares_loads_the_same_rights_as_each_share_alone():
    """``load_shares`` (the admin's list) reads what the visitor's statement reads, share by
    share – own and group permissions, rules, guardian grants on some objects and on the shared
    one, the public role, a deleted role, networks, creator states."""
    creator = UserFactory()
    creator.user_permissions.add(Permission.objects.get(codename="view_code"))
    team = RoleFactory(view=[Gadget, Label])
    rule(team, Gadget, fields=["name", "labels"], read_filter={"in_stock": True})
    creator.groups.add(team)
    shared = GadgetFactory()
    assign_perm("share_gadget", creator, shared)
    assign_perm("view_gadget", team, shared)
    public = RoleFactory(name="Public", view=[Gadget])
    RoleSettings.objects.create(role=public, allowed_networks="10.0.0.0/8")
    shares = [
        ShareFactory(
            content_object=shared,
            role=RoleFactory(view=[Gadget]),
            created_by=creator,
            creator_in_role=False,
            creator_may_share=False,
        ),  # fmt: skip
        ShareFactory(content_object=shared, role=None, created_by=creator),
        ShareFactory(role=None, role_removed=True),
        ShareFactory(created_by=UserFactory(is_active=False)),
        ShareFactory(created_by=UserFactory(is_superuser=True)),
        ShareFactory(created_by=None),
    ]
    page = list(Share.objects.select_related("created_by").order_by("pk"))
    with CaptureQueriesContext(connection) as captured:
        loaded = load_shares(page, "Public")
    for share in shares:
        assert comparable(loaded[share.pk]) == comparable(assert_loads_match(share, "Public"))
    assert len(captured) <= 10  # a fixed number, whatever the page holds
