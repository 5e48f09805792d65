"""Whether the shared object exists and may be read, when its SQL is kept between visits.

The statement is built through the ORM once per model and row rule and then reused with only
the object's key changed: these tests make sure reuse never answers one object, rule or tenant
with another's answer.
"""

from __future__ import annotations

import pytest
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Lower

from directus_shares import access, object_state
from directus_shares.access import ObjectState
from directus_shares.models import Share
from tests.factories import GadgetFactory, OwnerFactory, RoleFactory, ShareFactory, rule
from tests.testapp.models import Gadget, Ledger, Owner, current_tenant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_kept_statements():
    object_state._statements.clear()
    yield
    object_state._statements.clear()


def state(share: Share) -> ObjectState:
    """As a visit sees it: the share and its rights loaded afresh."""
    found, rights = access.find_share(Share.objects.get(pk=share.pk).token)
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
    assert len(object_state._statements) == 1  # built once, reused for every later visit


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
    assert not object_state._statements


def test_rule_values_of_different_types_are_different_rules():
    keys = {object_state._frozen(Q(colour=value)) for value in (1, 1.0, True, "1")}
    assert len(keys) == 4
    assert object_state._frozen(Q(colour="g") | Q(name__in=["a", "b"])) == object_state._frozen(
        Q(colour="g") | Q(name__in=["a", "b"])
    )
    assert object_state._frozen(Q(colour="g")) != object_state._frozen(~Q(colour="g"))


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
    with pytest.raises(object_state._NotPlain):
        object_state._frozen(rows)


def test_field_references_are_plain():
    assert object_state._frozen(Q(name=F("colour"))) != object_state._frozen(Q(name=F("owner")))
