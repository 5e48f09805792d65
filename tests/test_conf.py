"""Changing ``DIRECTUS_SHARES`` (as ``override_settings`` does) takes effect everywhere at once:
the app's one settings receiver clears every cache derived from the settings."""

from __future__ import annotations

import functools

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from directus_shares import conf
from directus_shares.fields import declared_never_shared, followable_relations, shown_fields
from directus_shares.sharing import validate_share_password
from tests.factories import GadgetFactory, OwnerFactory, RoleFactory, ShareFactory, rule
from tests.testapp.models import Gadget, Owner

OPEN_ON_GET = {"OPEN_UNLIMITED_ON_GET": True}  # the page renders on a GET: one request a visit


def test_get_config_follows_the_setting():
    assert conf.get_config()["PUBLIC_ROLE"] is None  # read, so cached, before the change
    with override_settings(DIRECTUS_SHARES={"PUBLIC_ROLE": "Public"}):
        assert conf.get_config()["PUBLIC_ROLE"] == "Public"
        assert conf.get_config()["RELATED_DEPTH"] == conf.DEFAULTS["RELATED_DEPTH"]
    assert conf.get_config()["PUBLIC_ROLE"] is None


def test_the_password_validators_follow_the_setting():
    with pytest.raises(ValidationError):
        validate_share_password("short")  # too short and too common for the defaults
    with override_settings(DIRECTUS_SHARES={"PASSWORD_VALIDATORS": []}):
        validate_share_password("short")
    with pytest.raises(ValidationError):
        validate_share_password("short")


def test_the_fields_a_share_may_show_follow_never_shared_fields():
    names = {field.name for field in shown_fields(Gadget)}
    assert "homepage" in names and "owner" in {r.name for r in followable_relations(Gadget)}
    never_shared = {"testapp.Gadget": ["homepage", "owner"]}
    with override_settings(DIRECTUS_SHARES={"NEVER_SHARED_FIELDS": never_shared}):
        assert declared_never_shared(Gadget) == {"homepage", "owner"}
        assert "homepage" not in {field.name for field in shown_fields(Gadget)}
        assert "owner" not in {relation.name for relation in followable_relations(Gadget)}
    assert {field.name for field in shown_fields(Gadget)} == names
    assert "owner" in {relation.name for relation in followable_relations(Gadget)}


@pytest.mark.django_db
def test_the_share_page_follows_never_shared_fields_between_visits():
    owner = OwnerFactory(name="owner-name")
    gadget = GadgetFactory(name="gadget-name", homepage="https://sentinel.example/", owner=owner)
    role = RoleFactory(view=[Gadget, Owner])
    rule(role, Gadget, all_fields=True)
    share = ShareFactory(content_object=gadget, role=role)

    def page(**settings: object) -> str:
        with override_settings(DIRECTUS_SHARES={**OPEN_ON_GET, **settings}):
            response = Client().get(share.get_absolute_url())
        assert response.status_code == 200
        return response.content.decode()

    assert "sentinel.example" in page() and "owner-name" in page()  # every cache filled
    hidden = page(NEVER_SHARED_FIELDS={"testapp.gadget": ["homepage", "owner"]})
    assert "gadget-name" in hidden
    assert "sentinel.example" not in hidden and "owner-name" not in hidden
    assert "sentinel.example" in page() and "owner-name" in page()


@pytest.mark.django_db
def test_the_share_page_follows_the_public_role():
    public = RoleFactory(name="Public", view=[Gadget])
    share = ShareFactory(role=None, content_object=GadgetFactory(name="public-gadget"))
    share.created_by.groups.add(public)  # a creator who may see what the public role sees
    url = share.get_absolute_url()
    with override_settings(DIRECTUS_SHARES={**OPEN_ON_GET, "PUBLIC_ROLE": "Public"}):
        assert "public-gadget" in Client().get(url).content.decode()
    with override_settings(DIRECTUS_SHARES=OPEN_ON_GET):
        assert "public-gadget" not in Client().get(url).content.decode()  # grants nothing
    with override_settings(DIRECTUS_SHARES={**OPEN_ON_GET, "PUBLIC_ROLE": "Public"}):
        assert "public-gadget" in Client().get(url).content.decode()


def test_a_cache_registered_with_conf_is_cleared_when_the_setting_changes():
    @conf.derived_from_settings
    @functools.cache
    def depth() -> int:
        return conf.get_config()["RELATED_DEPTH"]

    seen: list[str] = []
    conf.on_settings_change(lambda: seen.append("cleared"))
    assert depth() == conf.DEFAULTS["RELATED_DEPTH"]
    with override_settings(DIRECTUS_SHARES={"RELATED_DEPTH": 0}):
        assert depth() == 0
    assert depth() == conf.DEFAULTS["RELATED_DEPTH"]
    assert seen == ["cleared", "cleared"]  # entering and leaving the override
    with override_settings(LANGUAGE_CODE="de"):  # another setting: nothing derived from it
        assert seen == ["cleared", "cleared"]
