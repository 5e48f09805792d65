"""The hand-written SQL of the per-request query returns exactly what the ORM would."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import assign_perm

from directus_shares import opening
from directus_shares.models import RoleSettings, Share
from directus_shares.queries import (
    LoadedShare,
    load_share,
    load_shares,
    load_with_orm,
    share_statement,
)
from tests.factories import GadgetFactory, RoleFactory, ShareFactory, UserFactory, rule
from tests.testapp.models import Code, Gadget, Label, Owner

pytestmark = pytest.mark.django_db


def comparable(loaded: LoadedShare | None) -> tuple | None:
    """What a loaded share says, in a form two loads can be compared in (rows unordered)."""
    if loaded is None:
        return None
    rows = sorted(
        json.dumps(
            [
                *row[:5],
                None if row[5] is None else bool(row[5]),  # SQLite's booleans are 0/1
                *(json.loads(v) if isinstance(v, str) else v for v in row[6:]),
            ],
            sort_keys=True,
        )
        for row in loaded.rows
    )
    share = tuple(getattr(loaded.share, f.attname) for f in Share._meta.concrete_fields)
    return (
        share,
        loaded.granting_group_id,
        loaded.creator_active,
        loaded.creator_superuser,
        loaded.allowed_networks,
        rows,
    )


def assert_sql_matches_orm(share: Share, public_role: str | None) -> LoadedShare:
    share = Share.objects.get(pk=share.pk)
    raw = load_share(share.key, public_role)
    assert comparable(raw) == comparable(load_with_orm(share.key, public_role)), share
    return raw


def test_share_row_matches_the_orm_field_for_field():
    now = timezone.now()
    share = ShareFactory(
        password="pw", max_uses=3, date_start=now - timedelta(days=1), date_end=now + timedelta(1)
    )
    share.revoke()
    raw = load_share(share.key, None).share
    orm = Share.objects.get(pk=share.pk)
    for field in Share._meta.concrete_fields:
        assert getattr(raw, field.attname) == getattr(orm, field.attname), field.name
    assert timezone.is_aware(raw.date_start) and timezone.is_aware(raw.revoked_at)
    assert load_share("not-a-key", None) is None


def test_an_empty_public_role_names_no_group():
    Group.objects.create(name="").permissions.add(Permission.objects.get(codename="view_gadget"))
    share = ShareFactory(role=None, created_by=None)
    with override_settings(DIRECTUS_SHARES={"PUBLIC_ROLE": ""}):
        _, rights = opening.find_share(share.token)
        assert not rights.can_view_model(Gadget)


@pytest.mark.parametrize("public_role", [None, "Public", "No such group"])
def test_the_granting_role_and_its_rights_match_the_orm(public_role):
    public = RoleFactory(name="Public", view=[Owner])
    RoleSettings.objects.create(role=public, allowed_networks="10.0.0.0/8")
    rule(public, Owner, fields=["name"], read_filter={"name__startswith": "A"})
    own = RoleFactory(view=[Gadget, Owner, Code], share=[Gadget])
    rule(own, Gadget, all_fields=True, share_filter={"colour": "g"})
    assign_perm("view_label", own, Label.objects.create(name="one"))
    own_role = ShareFactory(role=own)
    no_role = ShareFactory(role=None)
    role_deleted = ShareFactory(role=None)
    Share.objects.filter(pk=role_deleted.pk).update(role_removed=True)
    role_without_rights = ShareFactory(role=RoleFactory())
    with override_settings(DIRECTUS_SHARES={"PUBLIC_ROLE": public_role}):
        for share in (own_role, no_role, role_deleted, role_without_rights):
            assert_sql_matches_orm(share, public_role)
    loaded = load_share(own_role.key, None)
    role_rows = [row for row in loaded.rows if row[0] == "role"]
    assert len(role_rows) == 3 + 1 + 1 + 1  # view ×3, share, the rule, a guardian grant
    assert load_share(no_role.key, "Public").allowed_networks == "10.0.0.0/8"
    assert load_share(no_role.key, "Public").granting_group_id == public.pk
    assert load_share(role_deleted.key, "Public").granting_group_id is None


def test_the_creators_rights_match_the_orm():
    creator = UserFactory()
    creator.user_permissions.add(Permission.objects.get(codename="view_code"))
    team = RoleFactory(view=[Gadget, Label])
    rule(team, Gadget, fields=["name", "labels"], read_filter={"in_stock": True})
    other_team = RoleFactory(view=[Owner])
    creator.groups.add(team, other_team)
    assign_perm("view_gadget", creator, GadgetFactory())
    assign_perm("share_owner", other_team, Owner.objects.create(name="x"))
    shared = GadgetFactory()
    assign_perm("share_gadget", creator, shared)  # on the shared object itself
    assign_perm("view_gadget", team, shared)
    share = ShareFactory(
        content_object=shared,
        role=RoleFactory(view=[Gadget]),
        created_by=creator,
        creator_in_role=False,
        creator_may_share=False,
    )
    loaded = assert_sql_matches_orm(share, None)
    assert loaded.creator_active is True and loaded.creator_superuser is False
    kinds = sorted(((row[0], row[3], row[4]) for row in loaded.rows if row[0] != "role"), key=str)
    assert kinds == sorted(
        [
            ("user", "view_code", 0),
            ("user", "view_gadget", 1),
            ("user", "share_gadget", 1),
            ("user", "share_gadget", 2),
            ("group", "view_gadget", 0),
            ("group", "view_gadget", 1),
            ("group", "view_gadget", 2),
            ("group", "view_label", 0),
            ("group", None, 0),  # the team's rule
            ("group", "view_owner", 0),
            ("group", "share_owner", 1),
        ],
        key=str,
    )


@pytest.mark.parametrize(
    "creator, expected",
    [
        ({"is_active": False}, (False, False)),
        ({"is_superuser": True}, (True, True)),
        (None, (None, False)),
    ],
)
def test_creator_state_matches_the_orm(creator, expected):
    share = ShareFactory(created_by=None if creator is None else UserFactory(**creator))
    loaded = assert_sql_matches_orm(share, None)
    assert (loaded.creator_active, loaded.creator_superuser) == expected


#: psycopg 3 keeps the parsed form of a statement up to this many bytes, and re-parses longer
#: ones on every run (``psycopg._queries.MAX_CACHED_STATEMENT_LENGTH``); SQLite has no such limit.
PSYCOPG_KEPT_STATEMENT_BYTES = 4096


@pytest.mark.parametrize("public_role", [None, "Public"])
def test_the_statement_is_short_enough_for_psycopg_to_keep_parsed(public_role):
    """Every request runs it: parsing 6 kB of SQL again each time cost 24 µs (2 % of an open)."""
    sql, parameters = share_statement("default", "k" * 22, public_role)
    assert len(sql.encode()) <= PSYCOPG_KEPT_STATEMENT_BYTES
    assert parameters == [public_role, "k" * 22]  # the key once: the share row is read once


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
        assert comparable(loaded[share.pk]) == comparable(load_share(share.key, "Public")), share
    assert len(captured) <= 10  # a fixed number, whatever the page holds
