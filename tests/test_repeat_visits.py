"""Visit after visit: what one visit worked out (rights, object state, linked rows) never answers
another object, rule, tenant, time zone or setting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from guardian.shortcuts import assign_perm

from directus_shares import disclosure, object_state, opening, queries
from directus_shares.models import Share
from directus_shares.outcomes import ObjectState
from directus_shares.rights import share_rights
from tests.factories import (
    GadgetFactory,
    OwnerFactory,
    RoleFactory,
    ShareFactory,
    permission,
    rule,
)
from tests.helpers import open_share
from tests.testapp.models import Gadget, Label, Ledger, Owner, Part, current_tenant

pytestmark = pytest.mark.django_db


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


def test_visit_after_visit_each_object_is_told_apart():
    green, red, gone = shares_of_a_green_only_role()
    assert [state(s) for s in (green, red, gone, green, red)] == [
        ObjectState.VISIBLE,
        ObjectState.HIDDEN,
        ObjectState.GONE,
        ObjectState.VISIBLE,
        ObjectState.HIDDEN,
    ]


def test_an_object_deleted_or_moved_out_of_the_rule_since_the_last_visit_is_seen_at_once():
    green, _red, _gone = shares_of_a_green_only_role()
    assert state(green) is ObjectState.VISIBLE
    Gadget.objects.filter(pk=green.object_pk).update(colour="r")
    assert state(green) is ObjectState.HIDDEN
    Gadget.objects.filter(pk=green.object_pk).delete()
    assert state(green) is ObjectState.GONE


def test_a_changed_rule_applies_at_the_next_visit():
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
    assert state(broken) is ObjectState.GONE  # and on every later visit


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


def test_each_object_shows_its_own_linked_rows_visit_after_visit():
    role = RoleFactory(view=[Gadget, Part, Label], share=[Gadget])
    a = gadget_with(role, "A", ["a1", "a2"], ["x"])
    b = gadget_with(role, "B", ["b1"], [])
    assert [disclosed(s) for s in (a, b, a)] == [
        {"name": "A", "parts": ["a1", "a2"], "labels": ["x"]},
        {"name": "B", "parts": ["b1"], "labels": []},
        {"name": "A", "parts": ["a1", "a2"], "labels": ["x"]},
    ]


def test_a_rule_on_linked_rows_changed_between_visits_applies_at_once():
    role = RoleFactory(view=[Gadget, Part], share=[Gadget])
    share = gadget_with(role, "A", ["keep", "drop"], [])
    made = rule(role, Part, all_fields=True, read_filter={"name": "keep"})
    assert disclosed(share)["parts"] == ["keep"]
    made.read_filter = {"name": "drop"}
    made.save()
    assert disclosed(share)["parts"] == ["drop"]


def test_a_shared_object_hidden_by_its_tenant_manager_is_never_loaded():
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


def test_linked_rows_seen_through_object_grants_are_told_apart():
    """A role that may view some parts only (django-guardian grants on those parts): the row
    rule is a subquery of the grants."""
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


def test_rights_read_through_the_orm_are_kept_too():
    """Read through the ORM route (MariaDB, auth in another database) a rule's JSON comes as
    dicts and lists: the rights are still kept, and a changed rule is still seen."""
    share = ShareFactory()
    made = rule(share.role, Gadget, fields=["name"], read_filter={"colour": "g"})
    first = share_rights(queries.load_with_orm(share.key, None))
    again = share_rights(queries.load_with_orm(share.key, None))
    assert first is again
    assert [f.name for f in first.visible_fields(Gadget, shared_object=True)] == ["name"]
    made.fields = ["name", "colour"]
    made.save()
    changed = share_rights(queries.load_with_orm(share.key, None))
    assert [f.name for f in changed.visible_fields(Gadget, shared_object=True)] == [
        "name",
        "colour",
    ]
