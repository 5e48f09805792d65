"""Role rules are validated when saved, and share_<model> permissions exist for shareable models."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.test import override_settings

from directus_shares.models import RoleRule, RoleSettings, shareable_field_names
from directus_shares.row_filters import row_filter_errors
from tests.factories import RoleFactory
from tests.testapp.models import Gadget

pytestmark = pytest.mark.django_db


def rule_errors(**fields: object) -> dict[str, list[str]]:
    made = RoleRule(
        role=RoleFactory(), content_type=ContentType.objects.get_for_model(Gadget), **fields
    )
    try:
        made.full_clean()
    except ValidationError as error:
        return error.message_dict
    return {}


def test_a_valid_rule_has_no_errors():
    assert (
        rule_errors(
            fields=["name", "labels", "owner"],
            read_filter={"colour": "g", "owner__name__startswith": "A", "labels__name__in": ["x"]},
            share_filter={"in_stock": True, "released_at__year__gte": 2024},
        )
        == {}
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"fields": ["name", "nope"]}, "has no shareable field nope"),
        ({"fields": ["id"]}, "has no shareable field id"),  # a generated key is never shown
        ({"fields": "name"}, "A list of field names."),
        ({"read_filter": {"nope": 1}}, "has no field 'nope'"),
        ({"read_filter": {"colour__nope": 1}}, "Unsupported lookup 'nope'"),
        ({"read_filter": {"owner__nope": 1}}, "testapp.Owner has no field 'nope'"),
        ({"read_filter": {"released_at": "not a date"}}, "invalid format"),
        ({"share_filter": ["colour"]}, "A filter is a JSON object of lookups"),
        ({"share_filter": {"colour": {"a": 1}}}, "values are text, numbers"),
        ({"read_filter": {"name__regex": "("}}, "not a regular expression"),
    ],
)
def test_invalid_rules_say_what_is_wrong(fields, message):
    errors = rule_errors(**fields)
    assert any(message in text for texts in errors.values() for text in texts), errors


def test_never_shared_fields_can_be_neither_listed_nor_filtered_on():
    with override_settings(DIRECTUS_SHARES={"NEVER_SHARED_FIELDS": {"testapp.gadget": ["specs"]}}):
        assert "specs" not in shareable_field_names(Gadget)
        assert "has no shareable field specs" in rule_errors(fields=["specs"])["fields"][0]
        assert "can never be shared" in row_filter_errors(Gadget, {"specs__has_key": "x"})[0]
    assert "specs" in shareable_field_names(Gadget)


def test_filters_cannot_reach_into_secrets_of_other_models():
    errors = row_filter_errors(Gadget, {"owner__gadgets__owner__name": "x"})
    assert errors == []  # an ordinary path
    from django.contrib.auth.models import User

    assert "can never be shared" in row_filter_errors(User, {"password__startswith": "a"})[0]


def test_allowed_networks_are_validated():
    settings = RoleSettings(role=RoleFactory(), allowed_networks="10.0.0.0/8, 2001:db8::/32\nbad")
    with pytest.raises(ValidationError) as raised:
        settings.full_clean()
    assert raised.value.message_dict["allowed_networks"] == ["Not an IP address or CIDR range: bad"]


def test_share_permissions_exist_for_shareable_models_only():
    codenames = set(
        Permission.objects.filter(codename__startswith="share_").values_list(
            "content_type__app_label", "codename"
        )
    )
    assert ("testapp", "share_gadget") in codenames
    assert ("reports", "share_report") in codenames
    assert not {label for label, _ in codenames} & {"directus_shares", "sessions", "contenttypes"}
    assert ("auth", "share_permission") not in codenames
    permission = Permission.objects.get(codename="share_gadget")
    assert permission.name == "Can share gadget"


def test_share_permissions_are_created_again_after_migrate():
    from django.core.management import call_command

    Permission.objects.filter(codename="share_gadget").delete()
    call_command("migrate", verbosity=0)
    assert Permission.objects.filter(codename="share_gadget").exists()


def test_a_filter_saved_without_validation_lets_no_row_through():
    from directus_shares.row_filters import row_filter_q
    from tests.factories import GadgetFactory

    GadgetFactory()
    for broken in (["colour"], "colour=g", {1: "g"}):
        assert not Gadget.objects.filter(row_filter_q(broken)).exists()
    assert row_filter_q({}) is None
