"""Whether the shared object exists and may be read, when its SQL is kept between visits.

The statement is built through the ORM once per model and row rule and then reused with only
the object's key changed: these tests make sure reuse never answers one object, rule or tenant
with another's answer.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.test import Client, override_settings
from django.utils import timezone
from guardian.shortcuts import assign_perm

from directus_shares import disclosure, object_state, opening, prepared, queries
from directus_shares.models import Share
from directus_shares.outcomes import ObjectState
from tests.factories import (
    GadgetFactory,
    OwnerFactory,
    RoleFactory,
    ShareFactory,
    permission,
    rule,
)
from tests.helpers import open_share
from tests.testapp.models import Badge, Gadget, Label, Ledger, Owner, Part, current_tenant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_kept_statements():
    prepared._statements.clear()
    yield
    prepared._statements.clear()


def state(share: Share) -> ObjectState:
    """As a visit sees it: the share and its rights loaded afresh."""
    found, rights = opening.find_share(Share.objects.get(pk=share.pk).token)
    assert found is not None and rights is not None
    return object_state.shared_object_state(found, rights)


def shares_of_a_green_only_role() -> tuple[Share, Share, Share]:
    role = RoleFactory(view=[Gadget], share=[Gadget])
    rule(role, Gadget, read_filter={"colour": "g"})
    green, red, gone = (
        ShareFactory(content_object=GadgetFactory(colour=colour), role=role)
        for colour in ("g", "r", "g")
    )
    Gadget.objects.filter(pk=gone.object_pk).delete()
    return green, red, gone


def test_one_kept_statement_still_tells_each_object_apart():
    green, red, gone = shares_of_a_green_only_role()
    assert [state(s) for s in (green, red, gone, green, red)] == [
        ObjectState.VISIBLE,
        ObjectState.HIDDEN,
        ObjectState.GONE,
        ObjectState.VISIBLE,
        ObjectState.HIDDEN,
    ]
    assert len(prepared._statements) == 1  # built once, reused for every later visit


def test_an_object_deleted_or_moved_out_of_the_rule_since_the_last_visit_is_seen_at_once():
    green, _red, _gone = shares_of_a_green_only_role()
    assert state(green) is ObjectState.VISIBLE
    Gadget.objects.filter(pk=green.object_pk).update(colour="r")
    assert state(green) is ObjectState.HIDDEN
    Gadget.objects.filter(pk=green.object_pk).delete()
    assert state(green) is ObjectState.GONE


def test_a_changed_rule_is_not_answered_with_the_old_statement():
    green, red, _gone = shares_of_a_green_only_role()
    assert (state(green), state(red)) == (ObjectState.VISIBLE, ObjectState.HIDDEN)
    green.role.share_rules.update(read_filter={"colour": "r"})
    assert (state(green), state(red)) == (ObjectState.HIDDEN, ObjectState.VISIBLE)


def test_a_role_without_a_rule_and_one_that_may_not_read_the_model_are_kept_apart():
    readable = ShareFactory()
    assert state(readable) is ObjectState.VISIBLE
    unreadable = ShareFactory(role=RoleFactory(share=[Gadget]))  # no view_gadget
    assert state(unreadable) is ObjectState.HIDDEN
    assert state(readable) is ObjectState.VISIBLE


@pytest.mark.parametrize("object_pk", ["not-a-number", "99999999999999999999", "-1"])
def test_a_key_that_cannot_be_a_row_is_gone_on_first_and_later_visits(object_pk):
    role = RoleFactory(view=[Owner], share=[Owner])
    existing = ShareFactory(content_object=OwnerFactory(), role=role)
    broken = ShareFactory(content_object=OwnerFactory(), role=role)
    Share.objects.filter(pk=broken.pk).update(object_pk=object_pk)
    assert state(broken) is ObjectState.GONE  # built through the ORM
    assert state(existing) is ObjectState.VISIBLE
    assert state(broken) is ObjectState.GONE  # through the kept statement


def test_a_default_manager_that_filters_by_the_request_is_asked_anew_each_visit():
    role = RoleFactory(view=[Ledger], share=[Ledger])
    share = ShareFactory(content_object=Ledger.objects.create(tenant="a", title="A's"), role=role)
    answers = []
    for tenant in ("a", "b", "a"):
        token = current_tenant.set(tenant)
        try:
            answers.append(state(share))
        finally:
            current_tenant.reset(token)
    assert answers == [ObjectState.VISIBLE, ObjectState.GONE, ObjectState.VISIBLE]
    assert not prepared._statements


def test_rule_values_of_different_types_are_different_rules():
    keys = {prepared.frozen(Q(colour=value)) for value in (1, 1.0, True, "1")}
    assert len(keys) == 4
    assert prepared.frozen(Q(colour="g") | Q(name__in=["a", "b"])) == prepared.frozen(
        Q(colour="g") | Q(name__in=["a", "b"])
    )
    assert prepared.frozen(Q(colour="g")) != prepared.frozen(~Q(colour="g"))


@pytest.mark.parametrize(
    "rows",
    [
        Q(name=Lower("colour")),
        Q(pk__in=Subquery(Gadget.objects.filter(pk=OuterRef("pk")).values("pk"))),
        Q(owner=object()),
    ],
    ids=["expression", "subquery", "object"],
)
def test_rules_holding_more_than_plain_values_are_never_kept(rows):
    with pytest.raises(prepared.NotPlain):
        prepared.frozen(rows)


def test_field_references_are_plain():
    assert prepared.frozen(Q(name=F("colour"))) != prepared.frozen(Q(name=F("owner")))


# -- the shared object and its linked rows, as the page and the API disclose them ----------------


def disclosed(share: Share) -> dict[str, object]:
    """The shared object's name and the names of the rows linked through each relation."""
    found, rights = opening.find_share(Share.objects.get(pk=share.pk).token)
    assert found is not None and rights is not None
    instance = disclosure.load_shared_object(found, rights)
    if instance is None:
        return {}
    shown = disclosure.disclose(instance, rights, depth=1)
    linked = {
        rel.name: sorted(o.by_name["name"].text for o in rel.objects) for rel in shown.relations
    }
    return {"name": shown.by_name["name"].text, **linked}


def gadget_with(role, name: str, parts: list[str], labels: list[str]) -> Share:
    gadget = GadgetFactory(name=name)
    for part in parts:
        Part.objects.create(gadget=gadget, name=part)
    gadget.labels.set(Label.objects.create(name=label) for label in labels)
    return ShareFactory(content_object=gadget, role=role)


def test_kept_statements_show_each_object_with_its_own_linked_rows():
    role = RoleFactory(view=[Gadget, Part, Label], share=[Gadget])
    a = gadget_with(role, "A", ["a1", "a2"], ["x"])
    b = gadget_with(role, "B", ["b1"], [])
    assert [disclosed(s) for s in (a, b, a)] == [
        {"name": "A", "parts": ["a1", "a2"], "labels": ["x"]},
        {"name": "B", "parts": ["b1"], "labels": []},
        {"name": "A", "parts": ["a1", "a2"], "labels": ["x"]},
    ]
    kinds = sorted(str(key[2][2]) for key in prepared._statements)
    assert kinds == ["linked", "linked", "shared object"]


def test_a_rule_on_linked_rows_changed_between_visits_applies_at_once():
    role = RoleFactory(view=[Gadget, Part], share=[Gadget])
    share = gadget_with(role, "A", ["keep", "drop"], [])
    made = rule(role, Part, all_fields=True, read_filter={"name": "keep"})
    assert disclosed(share)["parts"] == ["keep"]
    made.read_filter = {"name": "drop"}
    made.save()
    assert disclosed(share)["parts"] == ["drop"]


def test_a_shared_object_hidden_by_its_tenant_manager_is_not_loaded_from_a_kept_statement():
    role = RoleFactory(view=[Ledger], share=[Ledger])
    share = ShareFactory(content_object=Ledger.objects.create(tenant="a", title="A's"), role=role)
    found, rights = opening.find_share(share.token)
    loaded = []
    for tenant in ("a", "b", "a"):
        token = current_tenant.set(tenant)
        try:
            loaded.append(disclosure.load_shared_object(found, rights) is not None)
        finally:
            current_tenant.reset(token)
    assert loaded == [True, False, True]


@pytest.mark.parametrize(
    ("model", "name", "by_primary_key"),
    [
        (Gadget, "parts", True),  # reverse foreign key
        (Gadget, "labels", True),  # many-to-many
        (Label, "gadgets", True),  # many-to-many, from the other side
        (User, "+", False),  # a reverse foreign key to the username (Badge.holder)
    ],
)
def test_linked_rows_are_kept_only_when_found_by_the_primary_key(model, name, by_primary_key):
    rel = (
        Badge._meta.get_field("holder").remote_field if name == "+" else model._meta.get_field(name)
    )
    assert disclosure._found_by_primary_key(rel) is by_primary_key


def test_a_rule_on_a_date_part_follows_the_active_time_zone_on_every_visit():
    role = RoleFactory(view=[Gadget], share=[Gadget])
    rule(role, Gadget, read_filter={"released_at__year": 2025})
    late = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)  # already 2026 in Tokyo
    share = ShareFactory(content_object=GadgetFactory(released_at=late), role=role)
    seen = []
    for zone in ("UTC", "Asia/Tokyo", "UTC"):
        with timezone.override(zone):
            seen.append(state(share))
    assert seen == [ObjectState.VISIBLE, ObjectState.HIDDEN, ObjectState.VISIBLE]


def test_a_key_equal_to_a_rule_value_is_never_kept_and_still_answered_right():
    """Which parameter is the key cannot be told when a rule holds the same value: such a
    statement is built through the ORM every time."""
    first, second = OwnerFactory(), OwnerFactory()

    def rows(owner):
        return prepared.results(
            ("test", "key equal to a rule value"),
            lambda: Owner.objects.filter(Q(pk=owner.pk) | Q(pk__gt=first.pk)).order_by("pk"),
            owner.pk,
            Owner._meta.pk,
            "default",
        )

    assert rows(first) == [first, second]
    assert rows(second) == [second]
    assert list(prepared._statements.values()) == [prepared._UNKEPT]


# -- rights kept for the next visit ---------------------------------------------------------------


def shown_fields(share: Share) -> set[str]:
    found, rights = opening.find_share(Share.objects.get(pk=share.pk).token)
    assert found is not None and rights is not None
    instance = disclosure.load_shared_object(found, rights)
    return set() if instance is None else set(disclosure.disclose(instance, rights).by_name)


def test_a_permission_taken_from_the_role_ends_the_share_at_the_next_visit():
    share = ShareFactory()
    client = Client()
    assert open_share(client, share).status_code == 303
    assert client.get(share.get_absolute_url()).status_code == 200
    share.role.permissions.remove(permission("view", Gadget))
    refused = client.get(share.get_absolute_url())
    assert refused.status_code == 403
    assert "does not grant access to anything" in refused.content.decode()


def test_a_rules_field_list_changed_between_visits_applies_at_once():
    share = ShareFactory()
    made = rule(share.role, Gadget, fields=["name", "colour"])
    assert shown_fields(share) == {"name", "colour"}
    made.fields = ["name"]
    made.save()
    assert shown_fields(share) == {"name"}


def test_a_changed_setting_applies_to_rights_already_worked_out():
    share = ShareFactory()
    assert "homepage" in shown_fields(share)
    with override_settings(
        DIRECTUS_SHARES={"NEVER_SHARED_FIELDS": {"testapp.gadget": ["homepage"]}}
    ):
        assert "homepage" not in shown_fields(share)
    assert "homepage" in shown_fields(share)


def test_shares_with_the_same_rights_share_what_was_worked_out_and_no_more():
    first = ShareFactory()
    second = ShareFactory(role=first.role, created_by=first.created_by)  # another gadget
    other = ShareFactory()  # another role and creator: other rows
    rights = [opening.find_share(share.token)[1] for share in (first, second, other)]
    assert rights[0] is rights[1]
    assert rights[2] is not rights[0]


def test_linked_rows_seen_through_object_grants_are_kept_and_told_apart():
    """A role that may view some parts only (django-guardian grants on those parts): the row
    rule is a subquery of the grants, kept like plain values."""
    role = RoleFactory(view=[Gadget], share=[Gadget])
    a = gadget_with(role, "A", ["a granted", "a not"], [])
    b = gadget_with(role, "B", ["b granted", "b not"], [])
    for part in Part.objects.filter(name__endswith="granted"):
        assign_perm("view_part", role, part)
    assert [disclosed(s)["parts"] for s in (a, b, a)] == [
        ["a granted"],
        ["b granted"],
        ["a granted"],
    ]
    linked = [key for key in prepared._statements if key[2][2] == "linked"]
    assert linked and all(prepared._statements[key] is not prepared._UNKEPT for key in linked)


def test_rights_read_through_the_orm_are_kept_too():
    """Without the one statement (auth in another database) a rule's JSON comes as dicts and
    lists: the rights are still kept, and a changed rule is still seen."""
    share = ShareFactory()
    made = rule(share.role, Gadget, fields=["name"], read_filter={"colour": "g"})
    first = queries.share_rights(queries.load_with_orm(share.key, None))
    again = queries.share_rights(queries.load_with_orm(share.key, None))
    assert first is again
    assert [f.name for f in first.visible_fields(Gadget, shared_object=True)] == ["name"]
    made.fields = ["name", "colour"]
    made.save()
    changed = queries.share_rights(queries.load_with_orm(share.key, None))
    assert [f.name for f in changed.visible_fields(Gadget, shared_object=True)] == [
        "name",
        "colour",
    ]
