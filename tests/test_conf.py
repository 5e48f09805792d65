"""The app's settings (``conf.py``): defaults overlaid by ``DIRECTUS_SHARES``, reread whenever the
setting changes."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.password_validation import MinimumLengthValidator
from django.test import override_settings

from directus_shares.conf import DEFAULTS, get_config, grant_max_age, password_validators

MINIMUM_LENGTH = "django.contrib.auth.password_validation.MinimumLengthValidator"


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
