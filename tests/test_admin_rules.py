"""The group's admin page edits a role's share rules; the shares list shows what needs attention."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from directus_shares.models import RoleRule, RoleSettings
from tests.factories import RoleFactory, ShareFactory, UserFactory, rule
from tests.testapp.models import Gadget

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_superuser=True))
    return client


def inline_data(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def group_form(name: str, rules: list[dict], settings: dict | None = None) -> dict:
    return {
        "name": name,
        **inline_data("share_settings", [settings] if settings else []),
        **inline_data("share_rules", rules),
    }


def test_the_group_page_shows_share_rules_and_settings(admin_client):
    role = RoleFactory(view=[Gadget])
    rule(role, Gadget, fields=["name"])
    content = admin_client.get(f"/admin/auth/group/{role.pk}/change/").content.decode()
    assert "share rules: what this role sees of each model through shares" in content.lower()
    assert "allowed networks" in content.lower()
    assert 'type="checkbox" name="share_rules-0-fields" value="name"' in content
    # Labelled as Django labels the fields beside it: capitalised (a <label>, or on Django 6.1,
    # which groups check boxes in a fieldset, a <legend>).
    assert re.search(r"<(label|legend)>Fields:</(label|legend)>", content)
    assert "fields:</label>" not in content and "fields:</legend>" not in content
    # A rule's fields are offered as check boxes of its model's shareable fields only.
    assert 'value="id"' not in content.split("share_rules-0-fields")[1][:2000]


def test_adding_a_role_with_rules_through_the_admin(admin_client):
    gadget_type = ContentType.objects.get_for_model(Gadget)
    response = admin_client.post(
        "/admin/auth/group/add/",
        group_form(
            "Reviewers",
            [
                {
                    "content_type": gadget_type.pk,
                    "fields": "name, colour",
                    "read_filter": '{"colour": "g"}',
                    "share_filter": "{}",
                }
            ],
            {"allowed_networks": "10.0.0.0/8", "assignable": "on"},
        ),
        follow=True,
    )
    assert response.status_code == 200
    role = Group.objects.get(name="Reviewers")
    saved = RoleRule.objects.get(role=role)
    assert (saved.fields, saved.read_filter, saved.all_fields) == (
        ["name", "colour"],
        {"colour": "g"},
        False,
    )
    settings = RoleSettings.objects.get(role=role)
    assert settings.allowed_networks == "10.0.0.0/8" and settings.assignable
    assert "has no rights yet" in response.content.decode()  # no view_… permission chosen


def test_invalid_rules_are_shown_next_to_their_fields_and_nothing_is_saved(admin_client):
    gadget_type = ContentType.objects.get_for_model(Gadget)
    response = admin_client.post(
        "/admin/auth/group/add/",
        group_form(
            "Broken",
            [
                {
                    "content_type": gadget_type.pk,
                    "fields": "name, secret_sauce",
                    "read_filter": '{"nope": 1}',
                    "share_filter": "{}",
                }
            ],
            {"allowed_networks": "10.0.0.300"},
        ),
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "has no shareable field secret_sauce" in content
    assert "testapp.Gadget has no field &#x27;nope&#x27;" in content
    assert "Not an IP address or CIDR range: 10.0.0.300" in content
    assert not Group.objects.filter(name="Broken").exists()


def test_a_role_created_in_the_admin_can_be_assigned_by_its_creator():
    from django.contrib.auth.models import Permission

    from directus_shares.sharing import assignable_roles

    staff = UserFactory()
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_group", "change_group", "view_group"])
    )
    client = Client()
    client.force_login(staff)
    response = client.post("/admin/auth/group/add/", group_form("Guests", []), follow=True)
    assert response.status_code == 200
    assert "has no rights yet" in response.content.decode()
    assert Group.objects.get(name="Guests") in assignable_roles(staff)


def test_the_shares_list_flags_shares_whose_creator_or_role_is_gone(admin_client):
    deleted = ShareFactory(name="Creator deleted")
    deleted.created_by.delete()
    inactive = ShareFactory(name="Creator inactive")
    type(inactive.created_by).objects.filter(pk=inactive.created_by_id).update(is_active=False)
    no_role = ShareFactory(name="Role deleted")
    no_role.role.delete()
    ShareFactory(name="Fine")
    content = admin_client.get("/admin/directus_shares/share/").content.decode()
    assert "its creator was deleted" in content
    assert "its creator was deactivated" in content
    assert "its role was deleted" in content
    assert content.count("its ") == 3


def test_a_second_rule_for_a_model_from_a_stale_form_is_refused_not_a_server_error(admin_client):
    """The group page lists the role's rules; a form loaded before another tab saved a rule for
    the same model posts it as a new one. The constraint "one rule per model" is reported on
    the page, and the first rule stays as it was."""
    role = RoleFactory(view=[Gadget])
    rule(role, Gadget, fields=["name"])
    gadget_type = ContentType.objects.get_for_model(Gadget)
    stale = group_form(
        role.name,
        [{"content_type": gadget_type.pk, "fields": "colour", "read_filter": "{}",
          "share_filter": "{}"}],
    )  # fmt: skip
    response = admin_client.post(f"/admin/auth/group/{role.pk}/change/", stale)
    assert response.status_code == 200
    assert "Share rule with this Role and Model already exists." in response.content.decode()
    assert list(RoleRule.objects.filter(role=role).values_list("fields", flat=True)) == [["name"]]


def test_the_group_admin_gains_share_rules_only_when_asked_and_keeps_the_projects_own():
    from django.contrib import admin
    from django.contrib.auth.admin import GroupAdmin

    from directus_shares.admin import ShareRulesGroupAdminMixin, extend_group_admin

    class ProjectGroupAdmin(GroupAdmin):
        list_per_page = 7

    site = admin.AdminSite(name="project")
    site.register(Group, ProjectGroupAdmin)
    assert type(site.get_model_admin(Group)) is ProjectGroupAdmin  # importing the app changed none
    extend_group_admin(site)
    extend_group_admin(site)  # twice is once
    extended = site.get_model_admin(Group)
    assert type(extended).__mro__[1:3] == (ShareRulesGroupAdminMixin, ProjectGroupAdmin)
    assert extended.list_per_page == 7

    empty = admin.AdminSite(name="no-groups")
    extend_group_admin(empty)  # nothing registered: Django's GroupAdmin with the rules
    fresh = empty.get_model_admin(Group)
    assert isinstance(fresh, ShareRulesGroupAdminMixin) and isinstance(fresh, GroupAdmin)
