"""Each system check reports its misconfiguration with the exact message, id and hint."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.checks import WARNING, Error, Warning
from django.core.checks.registry import registry
from django.test import override_settings

from directus_shares import checks, tasks
from directus_shares.checks import check_task_backend, check_user_model
from directus_shares.conf import DEFAULTS
from tests.helpers import QUEUE_WITHOUT_WORKER

SHARED_CACHE = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}


def app_messages(tags=None, caches=SHARED_CACHE) -> list:
    """The app's check messages – with a shared cache, as production should have, unless
    ``caches`` says otherwise (the suite itself runs on a per-process cache)."""
    with override_settings(**({"CACHES": caches} if caches else {})):
        return [
            m
            # No database: Django 6.1 would otherwise ask every connection (JSONField support).
            for m in registry.run_checks(tags=tags, databases=[])
            if m.id and m.id.startswith("directus_shares.")
        ]


def test_a_correct_setup_has_no_messages():
    assert app_messages() == []


def test_a_per_process_cache_in_production_warns():
    local = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert app_messages(caches=local) == [
        Warning(
            "The default cache is LocMemCache: share password attempts are counted per "
            "process, so several processes multiply the attempts allowed.",
            hint="Use a shared cache such as django.core.cache.backends.redis.RedisCache.",
            id="directus_shares.W020",
        )
    ]
    with override_settings(DEBUG=True):
        assert app_messages(caches=local) == []


@override_settings(ROOT_URLCONF="tests.urls_without_shares")
def test_urls_not_included():
    assert app_messages() == [
        Error(
            "The share page's URLs are not included, so no share link can be built.",
            hint='Add path("share/", include("directus_shares.urls")) to '
            "tests.urls_without_shares.",
            id="directus_shares.E001",
        )
    ]


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"])
def test_argon2_hasher_missing():
    assert app_messages() == [
        Error(
            "Share passwords are hashed with 'argon2', but no hasher of PASSWORD_HASHERS has that "
            "algorithm.",
            hint='Add "django.contrib.auth.hashers.Argon2PasswordHasher" to PASSWORD_HASHERS.',
            id="directus_shares.E002",
        )
    ]


def test_argon2_library_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "argon2", None)  # how Python marks a module not importable
    assert app_messages() == [
        Error(
            "The password hasher 'argon2' cannot load its library 'argon2': import of argon2 "
            "halted; None in sys.modules",
            hint="pip install argon2-cffi (a dependency of directus-shares).",
            id="directus_shares.E003",
        )
    ]


@override_settings(DIRECTUS_SHARES={"PASSWORD_HASHER": "md5"})
def test_weaker_hasher_warns():
    assert app_messages() == [
        Warning(
            "Share passwords are hashed with 'md5' instead of Argon2.",
            hint='Leave DIRECTUS_SHARES["PASSWORD_HASHER"] at its default, "argon2".',
            id="directus_shares.W002",
        )
    ]


@override_settings(DIRECTUS_SHARES=["PUBLIC_ROLE", "Public"])
def test_setting_must_be_a_dict():
    assert app_messages() == [
        Error(
            "DIRECTUS_SHARES must be a dict, not list.",
            hint="Write DIRECTUS_SHARES = {...} with the keys listed in the docs.",
            id="directus_shares.E010",
        )
    ]


@override_settings(DIRECTUS_SHARES={"PUBLIK_ROLE": "Public"})
def test_unknown_key_warns():
    [message] = app_messages()
    assert message.id == "directus_shares.W010"
    assert message.msg == "DIRECTUS_SHARES has an unknown key 'PUBLIK_ROLE'; it is ignored."
    assert "PUBLIC_ROLE" in message.hint


@override_settings(DIRECTUS_SHARES={"ADMIN_PANEL_FOR_ALL_MODELS": True})
def test_the_removed_all_models_setting_says_what_replaces_it():
    assert app_messages() == [
        Warning(
            "DIRECTUS_SHARES['ADMIN_PANEL_FOR_ALL_MODELS'] no longer does anything.",
            hint="Call directus_shares.admin.add_shares_panel(admin.site) in your urls.py instead.",
            id="directus_shares.W011",
        )
    ]


# A project without the example's opt-ins: its own admin for a shareable model, Django's groups.
WITHOUT_OPT_INS = """
import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=[
        "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
        "django.contrib.sessions", "django.contrib.messages", "guardian", "directus_shares",
        "tests.testapp",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
)
django.setup()

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.core import checks
from django.core.checks.registry import registry

import directus_shares.admin
from tests.testapp.models import Gadget


class GadgetAdmin(admin.ModelAdmin):
    pass


admin.site.register(Gadget, GadgetAdmin)


def report():
    ids = [m.id for m in registry.run_checks(tags=["admin"]) if m.id.startswith("directus_shares")]
    group_admin, gadget_admin = (admin.site.get_model_admin(m) for m in (Group, Gadget))
    print(
        "Django's GroupAdmin" if type(group_admin) is GroupAdmin else "GroupAdmin subclass",
        "rules" if isinstance(group_admin, directus_shares.admin.ShareRulesGroupAdminMixin) else "",
        "panel" if isinstance(gadget_admin, directus_shares.admin.SharesAdminMixin) else "",
        *ids,
        sep="|",
    )


report()
for message in registry.run_checks(tags=["admin"]):
    if message.id.startswith("directus_shares"):
        print(message.level == checks.INFO, message.msg, message.hint, sep="|")
directus_shares.admin.add_shares_panel(admin.site)
report()
directus_shares.admin.extend_group_admin(admin.site)
report()
"""


def test_no_other_apps_admin_changes_until_asked_and_the_checks_say_what_to_add():
    result = subprocess.run(  # noqa: S603 - this interpreter, the script above
        [sys.executable, "-c", WITHOUT_OPT_INS],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.stdout.splitlines() == [
        "Django's GroupAdmin|||directus_shares.I040|directus_shares.I041",
        "True|No admin page has the Shares panel, so staff cannot share objects from the admin."
        "|Add SharesAdminMixin first to the ModelAdmin of each model to share, or call "
        "directus_shares.admin.add_shares_panel(admin.site) in your urls.py before "
        "admin.site.urls.",
        "True|The group admin does not show share rules, so what a role may see through shares "
        "cannot be set in the admin.|Call directus_shares.admin.extend_group_admin(admin.site) "
        "in your admin.py or urls.py, or add ShareRulesGroupAdminMixin first to your own "
        "GroupAdmin.",
        "GroupAdmin subclass||panel|directus_shares.I041",  # groups are shareable too
        "GroupAdmin subclass|rules|panel",
    ]


@override_settings(
    DIRECTUS_SHARES={"GRANT_MAX_AGE": "1h", "OPEN_UNLIMITED_ON_GET": 1, "MAX_PASSWORD_LENGTH": True}
)
def test_wrong_types_are_errors():
    assert app_messages() == [
        Error(
            "DIRECTUS_SHARES['GRANT_MAX_AGE'] must be timedelta or int, not str.",
            hint="The default is datetime.timedelta(seconds=3600).",
            id="directus_shares.E011",
        ),
        Error(
            "DIRECTUS_SHARES['OPEN_UNLIMITED_ON_GET'] must be bool, not int.",
            hint="The default is False.",
            id="directus_shares.E011",
        ),
        Error(
            "DIRECTUS_SHARES['MAX_PASSWORD_LENGTH'] must be int, not bool.",
            hint="The default is 1024.",
            id="directus_shares.E011",
        ),
    ]


@override_settings(DIRECTUS_SHARES={"ACCESS_LOG": "yes", "ACCESS_LOG_ADDRESSES": None})
def test_access_log_settings_of_the_wrong_type_are_errors():
    assert app_messages() == [
        Error(
            "DIRECTUS_SHARES['ACCESS_LOG'] must be bool, not str.",
            hint="The default is True.",
            id="directus_shares.E011",
        ),
        Error(
            "DIRECTUS_SHARES['ACCESS_LOG_ADDRESSES'] must be str, not NoneType.",
            hint="The default is 'truncated'.",
            id="directus_shares.E011",
        ),
    ]


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("GRANT_MAX_AGE", 0, "must be between one minute and 400 days"),
        ("GRANT_MAX_AGE", timedelta(days=10**6), "must be between one minute and 400 days"),
        ("MAX_PASSWORD_LENGTH", 0, "must be at least 1"),
        ("RELATED_OBJECTS_LIMIT", -5, "must be at least 1"),
        ("GRANT_COOKIE_NAME", "bad name;", "is not a valid cookie name: 'bad name;'"),
        ("GRANT_COOKIE_NAME", "sessionid", "is already the SESSION_COOKIE_NAME"),
        ("GRANT_COOKIE_NAME", "csrftoken", "is already the CSRF_COOKIE_NAME"),
        ("PUBLIC_ROLE", "", "must name a group, or be None for no public role"),
        ("RELATED_DEPTH", -1, "must be 0 or more"),
        (
            "PASSWORD_ATTEMPTS_PER_ADDRESS",
            (5,),
            "must be (attempts, seconds), two whole numbers of at least 1",
        ),
        (
            "PASSWORD_ATTEMPTS_PER_SHARE",
            (0, 60),
            "must be (attempts, seconds), two whole numbers of at least 1",
        ),
        (
            "ACCESS_LOG_ADDRESSES",
            "anonymised",
            "must be one of 'truncated', 'full', 'off'",
        ),
        ("TRUSTED_PROXY_COUNT", -1, "must be 0 or more"),
        ("PASSWORD_CHECK_WAIT", -0.5, "must be 0 or more"),
        (
            "FORWARDED_FOR_HEADER",
            "",
            "must name a request.META key, such as 'HTTP_X_FORWARDED_FOR'",
        ),
        (
            "NEVER_SHARED_FIELDS",
            {"testapp.nothing": ["x"]},
            "names 'testapp.nothing', which is not an installed model ('app_label.model')",
        ),
        (
            "NEVER_SHARED_FIELDS",
            {"testapp.gadget": "homepage"},
            "must map 'testapp.gadget' to a list of field names",
        ),
        (
            "NEVER_SHARED_FIELDS",
            {"testapp.gadget": ["homepage", "home_page"]},
            "names fields testapp.Gadget does not have: ['home_page']",
        ),
    ],
)
def test_values_out_of_range_are_errors(key, value, problem):
    hint = (
        "Map each model's label ('app_label.model') to a list of its field names, e.g. "
        "{'auth.user': ['email', 'last_login']}."
        if key == "NEVER_SHARED_FIELDS"  # its default, {}, would not say what to write
        else f"The default is {DEFAULTS[key]!r}."
    )
    with override_settings(DIRECTUS_SHARES={key: value}):
        assert app_messages() == [
            Error(f"DIRECTUS_SHARES[{key!r}] {problem}.", hint=hint, id="directus_shares.E012")
        ]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (
            ["django.contrib.auth.password_validation.MinimumLengthValidator"],
            "[0] must be a dict {'NAME': 'dotted.path', 'OPTIONS': {...}}, as in "
            "AUTH_PASSWORD_VALIDATORS",
        ),
        (
            [{"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
              "OPTION": {"min_length": 12}}],
            "[0] must be a dict {'NAME': 'dotted.path', 'OPTIONS': {...}}, as in "
            "AUTH_PASSWORD_VALIDATORS",
        ),
        (
            [{"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
             {"NAME": "myproject.validators.Missing"}],
            "[1] names 'myproject.validators.Missing', which cannot be imported",
        ),
        (
            [{"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
              "OPTIONS": {"length": 12}}],
            "[0] has OPTIONS its validator does not take: MinimumLengthValidator.__init__() got "
            "an unexpected keyword argument 'length'",
        ),
    ],
)  # fmt: skip
def test_password_validators_must_be_made_as_django_makes_them(value, problem):
    with override_settings(DIRECTUS_SHARES={"PASSWORD_VALIDATORS": value}):
        assert app_messages() == [
            Error(
                f"DIRECTUS_SHARES['PASSWORD_VALIDATORS'] {problem}.",
                hint=f"The default is {DEFAULTS['PASSWORD_VALIDATORS']!r}.",
                id="directus_shares.E012",
            )
        ]


def test_password_validators_of_the_wrong_type_are_reported():
    with override_settings(DIRECTUS_SHARES={"PASSWORD_VALIDATORS": "strong"}):
        assert [message.id for message in app_messages()] == ["directus_shares.E011"]
    with override_settings(DIRECTUS_SHARES={"PASSWORD_VALIDATORS": []}):  # none: allowed
        assert app_messages() == []


def test_never_shared_fields_of_a_model_must_exist(monkeypatch):
    from tests.testapp.models import Gadget, Label

    monkeypatch.setattr(Gadget, "NEVER_SHARED_FIELDS", ["homepage", "home_page"], raising=False)
    monkeypatch.setattr(Label, "NEVER_SHARED_FIELDS", "name", raising=False)
    assert app_messages() == [
        Error(
            "testapp.Label.NEVER_SHARED_FIELDS must be a list of field names.",
            hint="Write NEVER_SHARED_FIELDS = ['name'].",
            obj=Label,
            id="directus_shares.E021",
        ),
        Error(
            "testapp.Gadget.NEVER_SHARED_FIELDS names fields it does not have: home_page.",
            hint="Use the field names of the model (as in its Meta and forms).",
            obj=Gadget,
            id="directus_shares.E020",
        ),
    ]


def test_a_user_model_without_permissions_is_an_error():
    from tests.testapp.models import Owner  # a model without PermissionsMixin

    # Django's own auth checks would fail on this model first: run the app's check alone.
    with override_settings(AUTH_USER_MODEL="testapp.Owner"):
        messages = check_user_model()
    assert messages == [
        Error(
            "testapp.Owner has no is_superuser, groups, user_permissions: directus_shares "
            "cannot tell what a share's creator may see.",
            hint="Give the user model django.contrib.auth.models.PermissionsMixin.",
            obj=Owner,
            id="directus_shares.E030",
        )
    ]


@pytest.mark.django_db
def test_a_public_role_naming_no_group_warns_when_the_database_is_checked():
    def messages() -> list:
        return [
            m
            for m in registry.run_checks(tags=["database"], databases=["default"])
            if m.id and m.id.startswith("directus_shares.")
        ]

    with override_settings(DIRECTUS_SHARES={"PUBLIC_ROLE": "Public"}):
        assert messages() == [
            Warning(
                "DIRECTUS_SHARES['PUBLIC_ROLE'] names the group 'Public', which does not exist: "
                "every share without a role of its own grants nothing.",
                hint="Create the group 'Public' and give it the rights shares should have, or "
                "set PUBLIC_ROLE to None.",
                id="directus_shares.W030",
            )
        ]
        assert app_messages() == []  # no database given: nothing asked
        Group.objects.create(name="Public")
        assert messages() == []
    assert messages() == []  # no public role at all


# -- the task backend of the mails ----------------------------------------------------------------

IMMEDIATE = {"BACKEND": f"{tasks.FRAMEWORK}.backends.immediate.ImmediateBackend"}


def unusable_task_backend(error: str) -> Error:
    return Error(
        f"The app's mails are queued on the task backend 'mail', which cannot be used: {error}",
        hint="Name a backend of TASKS in DIRECTUS_SHARES['TASK_BACKEND'] (default 'default'), "
        "and give its BACKEND as a dotted path that can be imported.",
        id="directus_shares.E050",
    )


@override_settings(DIRECTUS_SHARES={"TASK_BACKEND": "mail"})
def test_mails_queued_on_a_task_backend_tasks_does_not_name_is_an_error():
    assert app_messages() == [unusable_task_backend("The connection 'mail' doesn't exist.")]


@override_settings(
    TASKS={"default": IMMEDIATE, "mail": {"BACKEND": "nowhere.MailBackend"}},
    DIRECTUS_SHARES={"TASK_BACKEND": "mail"},
)
def test_mails_queued_on_a_task_backend_that_cannot_be_imported_is_an_error():
    # Called alone: on Django 6 the framework's own check fails on such a backend before ours.
    assert check_task_backend() == [
        unusable_task_backend(
            "Could not find backend 'nowhere.MailBackend': No module named 'nowhere'"
        )
    ]


@override_settings(
    TASKS={"default": IMMEDIATE, "mail": {**IMMEDIATE, "QUEUES": ["outbox", "bulk"]}},
    DIRECTUS_SHARES={"TASK_BACKEND": "mail"},
)
def test_mails_queued_on_a_queue_their_backend_does_not_take_is_an_error():
    assert app_messages() == [
        Error(
            "The task backend 'mail' does not take the queue 'default' that the app's mails are "
            "queued on: its QUEUES are ['bulk', 'outbox'].",
            hint="Add 'default' to TASKS['mail']['QUEUES'], or set "
            "DIRECTUS_SHARES['TASK_QUEUE'] to one of its queues.",
            id="directus_shares.E051",
        )
    ]
    with override_settings(DIRECTUS_SHARES={"TASK_BACKEND": "mail", "TASK_QUEUE": "outbox"}):
        assert app_messages() == []


@override_settings(TASKS=QUEUE_WITHOUT_WORKER)
def test_a_dummy_task_backend_that_would_never_send_the_mails_warns():
    assert app_messages() == [
        Warning(
            "The task backend 'default' is a DummyBackend: share links and lock notices are "
            "queued but never sent.",
            hint=f"Use {tasks.FRAMEWORK}.backends.immediate.ImmediateBackend (the default) or a "
            "real queue with its worker (docs/deployment.md); silence directus_shares.W050 where "
            "that is meant, as in tests.",
            id="directus_shares.W050",
        )
    ]


SERVER = {"ENGINE": "django.db.backends.postgresql", "NAME": "shares"}


@pytest.mark.parametrize(
    ("database", "unchecked"),
    [
        ({**SERVER, "CONN_MAX_AGE": 600}, True),
        ({**SERVER, "CONN_MAX_AGE": None}, True),  # None: kept for ever
        ({**SERVER, "OPTIONS": {"pool": True}}, True),
        ({**SERVER, "ENGINE": "django.db.backends.mysql", "CONN_MAX_AGE": 60}, True),
        ({**SERVER, "CONN_MAX_AGE": 600, "CONN_HEALTH_CHECKS": True}, False),
        ({**SERVER, "OPTIONS": {"pool": {"max_size": 4}}, "CONN_HEALTH_CHECKS": True}, False),
        (SERVER, False),  # a connection per request: nothing kept
        ({"ENGINE": "django.db.backends.sqlite3", "CONN_MAX_AGE": 600}, False),  # no server
    ],
)
def test_kept_connections_without_health_checks_are_found(database, unchecked):
    assert checks.keeps_connections_unchecked(database) is unchecked


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")  # read only, by the check
def test_a_database_that_keeps_connections_unchecked_is_warned_about():
    """After a restart of the database server each unchecked kept connection would fail one
    share request with a 503 (tests/test_outages.py shows it with real workers)."""
    kept = {**settings.DATABASES["default"], **SERVER, "CONN_MAX_AGE": 600}
    kept.pop("CONN_HEALTH_CHECKS", None)
    with override_settings(DATABASES={**settings.DATABASES, "default": kept}):
        messages = [m for m in app_messages() if m.id == "directus_shares.W060"]
    assert [(m.level, m.msg, m.hint) for m in messages] == [
        (
            WARNING,
            "DATABASES['default'] keeps connections (CONN_MAX_AGE or a pool) without "
            "CONN_HEALTH_CHECKS: after the database restarts, each connection it cut fails one "
            "share request with a 503.",
            "Set \"CONN_HEALTH_CHECKS\": True in DATABASES['default']: Django then checks a kept "
            "or pooled connection before reusing it.",
        )
    ]
    checked = {**kept, "CONN_HEALTH_CHECKS": True}
    with override_settings(DATABASES={**settings.DATABASES, "default": checked}):
        assert not [m for m in app_messages() if m.id == "directus_shares.W060"]


# -- one-time e-mail codes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "check_id"),
    [
        ("VERIFICATION_CODE_LIFETIME", 30, "E070"),
        ("VERIFICATION_CODE_LIFETIME", timedelta(days=2), "E070"),
        ("VERIFICATION_CODE_TRIES", 0, "E071"),
        ("VERIFICATION_CODE_TRIES", 1000, "E071"),
        ("VERIFICATION_CODES_PER_ADDRESS", (3,), "E072"),
        ("VERIFICATION_CODES_PER_ADDRESS", (0, 3600), "E072"),
        ("VERIFICATION_CODES_PER_ADDRESS", [3, "hour"], "E072"),
        ("VERIFICATION_CODE_REQUESTS_PER_ADDRESS", (20,), "E073"),
        ("VERIFICATION_CODE_REQUESTS_PER_ADDRESS", (20, 0), "E073"),
        ("VERIFICATION_CODE_REQUESTS_PER_ADDRESS", (True, 3600), "E073"),
    ],
)
def test_bad_verification_code_settings_are_errors(key, value, check_id):
    with override_settings(DIRECTUS_SHARES={key: value}):
        [message] = app_messages()
    assert isinstance(message, Error)
    assert message.id == f"directus_shares.{check_id}"
    assert key in message.msg and message.hint


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("VERIFICATION_CODE_LIFETIME", timedelta(minutes=1)),
        ("VERIFICATION_CODE_LIFETIME", 86400),
        ("VERIFICATION_CODE_TRIES", 1),
        ("VERIFICATION_CODES_PER_ADDRESS", [10, 60]),
        ("VERIFICATION_CODE_REQUESTS_PER_ADDRESS", (1, 1)),
    ],
)
def test_verification_code_settings_at_their_limits_pass(key, value):
    with override_settings(DIRECTUS_SHARES={key: value}):
        assert app_messages() == []


@override_settings(DIRECTUS_SHARES={"VERIFICATION_CODE_TRIES": "5"})
def test_a_verification_setting_of_the_wrong_type_is_reported_once():
    [message] = app_messages()
    assert message.id == "directus_shares.E011"
