"""Reading a share with its rights: the ORM route (``load_with_orm``), the admin's page of shares
(``creator_queries.load_shares``) and – on the databases it serves – the fast path's one statement
(``load_with_fast_path``) read the same, right for right; which databases the fast path serves,
and what it costs there."""

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
from directus_shares.creator_queries import load_shares
from directus_shares.models import RoleSettings, Share
from directus_shares.queries import (
    FAST_PATH_VENDORS,
    LoadedShare,
    fast_path_serves,
    load_share,
    load_with_fast_path,
    load_with_orm,
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


def assert_loads_match(share: Share, public_role: str | None) -> LoadedShare:
    """Every route reads the same for ``share``: the ORM's, a page of shares' and – where it
    serves (SQLite, PostgreSQL) – the fast path's."""
    share = Share.objects.select_related("created_by").get(pk=share.pk)
    loaded = load_with_orm(share.key, public_role)
    assert comparable(loaded) == comparable(load_shares([share], public_role)[share.pk]), share
    if fast_path_serves():
        fast = load_with_fast_path(share.key, public_role)
        assert fast is not None
        assert comparable(fast) == comparable(loaded), share
    else:  # MariaDB/MySQL, Oracle …: the ORM route is the route
        assert connection.vendor not in FAST_PATH_VENDORS
    return loaded


def test_the_share_row_is_read_field_for_field():
    now = timezone.now()
    share = ShareFactory(
        password="pw", max_uses=3, date_start=now - timedelta(days=1), date_end=now + timedelta(1)
    )
    share.revoke()
    orm = Share.objects.get(pk=share.pk)
    for read in (load_share(share.key, None).share, load_with_orm(share.key, None).share):
        for field in Share._meta.concrete_fields:
            assert getattr(read, field.attname) == getattr(orm, field.attname), field.name
        assert timezone.is_aware(read.date_start) and timezone.is_aware(read.revoked_at)
    assert load_share("not-a-key", None) is None and load_with_orm("not-a-key", None) is None


def test_an_empty_public_role_names_no_group():
    Group.objects.create(name="").permissions.add(Permission.objects.get(codename="view_gadget"))
    share = ShareFactory(role=None, created_by=None)
    with override_settings(DIRECTUS_SHARES={"PUBLIC_ROLE": ""}):
        _, rights = opening.find_share(share.token)
        assert not rights.can_view_model(Gadget)


@pytest.mark.parametrize("public_role", [None, "Public", "No such group"])
def test_the_granting_role_and_its_rights_match_the_page_of_shares(public_role):
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
            assert_loads_match(share, public_role)
    loaded = load_with_orm(own_role.key, None)
    role_rows = [row for row in loaded.rows if row[0] == "role"]
    assert len(role_rows) == 3 + 1 + 1 + 1  # view ×3, share, the rule, a guardian grant
    assert load_with_orm(no_role.key, "Public").allowed_networks == "10.0.0.0/8"
    assert load_with_orm(no_role.key, "Public").granting_group_id == public.pk
    assert load_with_orm(role_deleted.key, "Public").granting_group_id is None


def test_the_creators_rights_match_the_page_of_shares():
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
    loaded = assert_loads_match(share, None)
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
def test_creator_state_matches_the_page_of_shares(creator, expected):
    share = ShareFactory(created_by=None if creator is None else UserFactory(**creator))
    loaded = assert_loads_match(share, None)
    assert (loaded.creator_active, loaded.creator_superuser) == expected


@pytest.mark.parametrize("public_role", [None, "Public"])
@pytest.mark.parametrize("rights", ["few", "many"])
def test_through_the_orm_a_share_and_its_rights_are_two_queries_however_many(public_role, rights):
    creator = UserFactory()
    team = RoleFactory(view=[Gadget, Label, Owner, Code])
    creator.groups.add(team, RoleFactory(view=[Owner]))
    share = ShareFactory(role=RoleFactory(view=[Gadget]), created_by=creator)
    if rights == "many":
        for _ in range(5):
            assign_perm("view_gadget", team, GadgetFactory())
            assign_perm("view_gadget", creator, GadgetFactory())
            rule(RoleFactory(view=[Gadget]), Gadget, all_fields=True)
            creator.groups.add(RoleFactory(view=[Code]))
    with CaptureQueriesContext(connection) as captured:
        load_with_orm(share.key, public_role)
    assert len(captured) == 2
    with CaptureQueriesContext(connection) as captured:
        load_with_orm("not-a-key", public_role)
    assert len(captured) == 1


def test_a_share_that_grants_nothing_and_has_no_creator_is_one_query():
    share = ShareFactory(role=None, role_removed=True, created_by=None)
    with CaptureQueriesContext(connection) as captured:
        loaded = load_with_orm(share.key, "Public")
    assert len(captured) == 1 and loaded is not None and loaded.rows == []


# -- the fast path's one statement ----------------------------------------------------------------

#: psycopg 3 keeps the parsed form of a statement up to this many bytes, and re-parses longer
#: ones on every run; SQLite has no such limit.
PSYCOPG_KEPT_STATEMENT_BYTES = 4096


def test_it_serves_postgresql_and_sqlite_and_every_other_database_takes_the_orm_route():
    assert fast_path_serves() is (connection.vendor in {"postgresql", "sqlite"})


class AuthElsewhere:
    def db_for_read(self, model, **hints):
        return "auth" if model is Group else None


def test_auth_tables_on_another_database_take_the_orm_route():
    with override_settings(DATABASE_ROUTERS=[AuthElsewhere()]):
        assert not fast_path_serves()  # one statement cannot join across databases


@pytest.mark.skipif(not fast_path_serves(), reason="the ORM route serves this database")
@pytest.mark.parametrize("public_role", [None, "Public"])
def test_a_share_and_all_its_rights_are_one_short_statement(public_role):
    creator = UserFactory()
    share = ShareFactory(created_by=creator)
    with CaptureQueriesContext(connection) as captured:
        found, rights = opening.find_share(share.token)
    assert found == share and rights is not None
    (statement,) = captured.captured_queries
    # Every request runs it: psycopg re-parsing 6 kB of SQL each time cost 2 % of an open.
    assert len(statement["sql"].encode()) <= PSYCOPG_KEPT_STATEMENT_BYTES or (
        connection.vendor == "sqlite"
    )
    assert load_with_fast_path("not-a-key", public_role) is None
