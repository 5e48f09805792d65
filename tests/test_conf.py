"""The app's settings (``conf.py``): defaults overlaid by ``DIRECTUS_SHARES``, reread whenever the
setting changes – and every cache derived from them cleared by the app's one settings receiver."""

from __future__ import annotations

import functools
from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import MinimumLengthValidator
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from directus_shares import conf
from directus_shares.conf import DEFAULTS, get_config, grant_max_age, password_validators
from directus_shares.shareable import declared_never_shared, followable_relations, shown_fields
from directus_shares.sharing import validate_share_password
from tests.factories import GadgetFactory, OwnerFactory, RoleFactory, ShareFactory, rule
from tests.testapp.models import Gadget, Owner

MINIMUM_LENGTH = "django.contrib.auth.password_validation.MinimumLengthValidator"
OPEN_ON_GET = {"OPEN_UNLIMITED_ON_GET": True}  # the page renders on a GET: one request a visit


def test_the_defaults_hold_for_every_key_the_project_leaves_out():
    with override_settings(DIRECTUS_SHARES={"MAX_PASSWORD_LENGTH": 64}):
        config = get_config()
    assert config["MAX_PASSWORD_LENGTH"] == 64
    assert {key: value for key, value in config.items() if key != "MAX_PASSWORD_LENGTH"} == {
        key: value for key, value in DEFAULTS.items() if key != "MAX_PASSWORD_LENGTH"
    }


def test_a_changed_setting_is_read_again_and_a_removed_one_gives_the_defaults_back():
    assert get_config() == DEFAULTS
    with override_settings(DIRECTUS_SHARES={"PUBLIC_ROLE": "Public"}):
        assert get_config()["PUBLIC_ROLE"] == "Public"
    assert get_config() == DEFAULTS


def test_a_setting_that_is_not_a_dict_gives_the_defaults():
    with override_settings(DIRECTUS_SHARES=["not", "a", "dict"]):  # system check E010 says so
        assert get_config() == DEFAULTS


def test_the_grant_max_age_may_be_seconds_or_a_timedelta():
    with override_settings(DIRECTUS_SHARES={"GRANT_MAX_AGE": 90}):
        assert grant_max_age() == timedelta(seconds=90)
    with override_settings(DIRECTUS_SHARES={"GRANT_MAX_AGE": timedelta(minutes=2)}):
        assert grant_max_age() == timedelta(minutes=2)


def test_the_password_validators_are_made_once_per_setting():
    validators = [{"NAME": MINIMUM_LENGTH, "OPTIONS": {"min_length": 12}}]
    with override_settings(DIRECTUS_SHARES={"PASSWORD_VALIDATORS": validators}):
        [made] = password_validators()
        assert isinstance(made, MinimumLengthValidator) and made.min_length == 12
        assert password_validators()[0] is made
    with override_settings(DIRECTUS_SHARES={"PASSWORD_VALIDATORS": []}):
        assert password_validators() == []


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
