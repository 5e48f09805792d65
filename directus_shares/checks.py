"""System checks: settings mistakes are reported by ``manage.py check``, not at request time."""

from __future__ import annotations

import importlib
import re
import sys
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import get_hasher
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import get_password_validators
from django.core.checks import CheckMessage, Error, Info, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections, models, router
from django.urls import NoReverseMatch, reverse

from . import conf


@register(Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``DIRECTUS_SHARES`` is a dict of known keys with values of the right type."""
    raw = conf.user_settings()
    if not isinstance(raw, dict):
        return [
            Error(
                f"{conf.SETTING_NAME} must be a dict, not {type(raw).__name__}.",
                hint=f"Write {conf.SETTING_NAME} = {{...}} with the keys listed in the docs.",
                id="directus_shares.E010",
            )
        ]
    messages: list[CheckMessage] = []
    for key, value in raw.items():
        if key in conf.REMOVED:
            messages.append(
                Warning(
                    f"{conf.SETTING_NAME}[{key!r}] no longer does anything.",
                    hint=conf.REMOVED[key],
                    id="directus_shares.W011",
                )
            )
        elif key not in conf.DEFAULTS:
            messages.append(
                Warning(
                    f"{conf.SETTING_NAME} has an unknown key {key!r}; it is ignored.",
                    hint="Known keys: " + ", ".join(sorted(conf.DEFAULTS)) + ".",
                    id="directus_shares.W010",
                )
            )
        elif not isinstance(value, conf.TYPES[key]) or (
            isinstance(value, bool) and bool not in conf.TYPES[key]
        ):
            expected = " or ".join(
                "None" if t is type(None) else t.__name__ for t in conf.TYPES[key]
            )
            messages.append(
                Error(
                    f"{conf.SETTING_NAME}[{key!r}] must be {expected}, not {type(value).__name__}.",
                    hint=f"The default is {conf.DEFAULTS[key]!r}.",
                    id="directus_shares.E011",
                )
            )
        elif problem := _value_problem(key, value):
            messages.append(
                Error(
                    f"{conf.SETTING_NAME}[{key!r}] {problem}.",
                    hint=_VALUE_HINTS.get(key, f"The default is {conf.DEFAULTS[key]!r}."),
                    id="directus_shares.E012",
                )
            )
    return messages


#: What to write instead, where the default value says too little.
_VALUE_HINTS = {
    "NEVER_SHARED_FIELDS": "Map each model's label ('app_label.model') to a list of its field "
    "names, e.g. {'auth.user': ['email', 'last_login']}.",
}

_COOKIE_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # an RFC 6265 token
_GRANT_MAX_AGE_RANGE = (timedelta(minutes=1), timedelta(days=400))  # browsers cap at 400 days


def _value_problem(key: str, value: Any) -> str | None:
    """What is wrong with a setting's value of the right type, or ``None``."""
    if key == "GRANT_MAX_AGE":
        age = value if isinstance(value, timedelta) else timedelta(seconds=value)
        if not _GRANT_MAX_AGE_RANGE[0] <= age <= _GRANT_MAX_AGE_RANGE[1]:
            return "must be between one minute and 400 days"
    elif key in ("MAX_PASSWORD_LENGTH", "RELATED_OBJECTS_LIMIT") and value < 1:
        return "must be at least 1"
    elif key in ("PASSWORD_ATTEMPTS_PER_ADDRESS", "PASSWORD_ATTEMPTS_PER_SHARE"):
        if len(value) != 2 or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in value
        ):
            return "must be (attempts, seconds), two whole numbers of at least 1"
    elif key in ("RELATED_DEPTH", "TRUSTED_PROXY_COUNT", "PASSWORD_CHECK_WAIT") and value < 0:
        return "must be 0 or more"
    elif key == "FORWARDED_FOR_HEADER" and not value:
        return "must name a request.META key, such as 'HTTP_X_FORWARDED_FOR'"
    elif key == "NEVER_SHARED_FIELDS":
        return _never_shared_fields_problem(value)
    elif key == "PASSWORD_VALIDATORS":
        return _password_validators_problem(value)
    elif key == "ACCESS_LOG_ADDRESSES" and value not in conf.ACCESS_LOG_ADDRESS_MODES:
        return "must be one of " + ", ".join(map(repr, conf.ACCESS_LOG_ADDRESS_MODES))
    elif key == "PUBLIC_ROLE" and value == "":
        return "must name a group, or be None for no public role"
    elif key == "GRANT_COOKIE_NAME":
        if not _COOKIE_NAME.match(value):
            return f"is not a valid cookie name: {value!r}"
        taken = {
            settings.SESSION_COOKIE_NAME: "SESSION_COOKIE_NAME",
            settings.CSRF_COOKIE_NAME: "CSRF_COOKIE_NAME",
            settings.LANGUAGE_COOKIE_NAME: "LANGUAGE_COOKIE_NAME",
        }
        if value in taken:
            return f"is already the {taken[value]}"
    return None


def _password_validators_problem(value: list[Any] | tuple[Any, ...]) -> str | None:
    """What keeps ``PASSWORD_VALIDATORS`` from making its validators, as Django would make
    those of ``AUTH_PASSWORD_VALIDATORS``."""
    for number, item in enumerate(value):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("NAME"), str)
            or not isinstance(item.get("OPTIONS", {}), dict)
            or set(item) - {"NAME", "OPTIONS"}
        ):
            return (
                f"[{number}] must be a dict {{'NAME': 'dotted.path', 'OPTIONS': {{...}}}}, "
                "as in AUTH_PASSWORD_VALIDATORS"
            )
        try:
            get_password_validators([item])
        except ImproperlyConfigured:
            return f"[{number}] names {item['NAME']!r}, which cannot be imported"
        except (TypeError, ValueError) as error:
            return f"[{number}] has OPTIONS its validator does not take: {error}"
    return None


def _never_shared_fields_problem(value: dict[Any, Any]) -> str | None:
    for label, names in value.items():
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError, TypeError):
            return f"names {label!r}, which is not an installed model ('app_label.model')"
        if not isinstance(names, list | tuple | set | frozenset) or not all(
            isinstance(name, str) for name in names
        ):
            return f"must map {label!r} to a list of field names"
        if unknown := sorted(set(names) - _field_names(model)):
            return f"names fields {model._meta.label} does not have: {unknown}"
    return None


def _field_names(model: type[models.Model]) -> set[str]:
    return {field.name for field in model._meta.get_fields()}


@register(Tags.models)
def check_never_shared_fields(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every name in a model's ``NEVER_SHARED_FIELDS`` is one of its fields (a typo there would
    silently share the secret it meant to hide)."""
    messages: list[CheckMessage] = []
    for model in apps.get_models():
        declared = getattr(model, "NEVER_SHARED_FIELDS", ())
        if isinstance(declared, str):
            declared = [declared]  # reported below: a string is not a list of names
            messages.append(
                Error(
                    f"{model._meta.label}.NEVER_SHARED_FIELDS must be a list of field names.",
                    hint=f"Write NEVER_SHARED_FIELDS = [{declared[0]!r}].",
                    obj=model,
                    id="directus_shares.E021",
                )
            )
            continue
        if unknown := sorted(set(declared) - _field_names(model)):
            messages.append(
                Error(
                    f"{model._meta.label}.NEVER_SHARED_FIELDS names fields it does not have: "
                    f"{', '.join(unknown)}.",
                    hint="Use the field names of the model (as in its Meta and forms).",
                    obj=model,
                    id="directus_shares.E020",
                )
            )
    return messages


@register(Tags.models)
def check_user_model(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The user model carries Django's permissions: a share never shows more than its creator
    may see, and that is read from ``is_superuser``, ``groups`` and ``user_permissions``."""
    user_model = get_user_model()
    names = _field_names(user_model)
    missing = [name for name in ("is_superuser", "groups", "user_permissions") if name not in names]
    if not missing:
        return []
    return [
        Error(
            f"{user_model._meta.label} has no {', '.join(missing)}: directus_shares cannot tell "
            "what a share's creator may see.",
            hint="Give the user model django.contrib.auth.models.PermissionsMixin.",
            obj=user_model,
            id="directus_shares.E030",
        )
    ]


@register(Tags.security, Tags.caches)
def check_lockout_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Password attempt limits live in the default cache: a per-process cache in production
    gives every process its own counters, multiplying what an attacker may try."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if settings.DEBUG or not backend.endswith(("LocMemCache", "DummyCache")):
        return []
    return [
        Warning(
            f"The default cache is {backend.rsplit('.', 1)[-1]}: share password attempts are "
            "counted per process, so several processes multiply the attempts allowed.",
            hint="Use a shared cache such as django.core.cache.backends.redis.RedisCache.",
            id="directus_shares.W020",
        )
    ]


@register(Tags.security)
def check_password_hasher(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The hasher for share passwords is configured and its library is installed."""
    algorithm = conf.get_config()["PASSWORD_HASHER"]
    if not isinstance(algorithm, str):
        return []  # reported by check_settings
    try:
        hasher = get_hasher(algorithm)
    except ValueError:
        return [
            Error(
                f"Share passwords are hashed with {algorithm!r}, but no hasher of PASSWORD_HASHERS "
                "has that algorithm.",
                hint='Add "django.contrib.auth.hashers.Argon2PasswordHasher" to PASSWORD_HASHERS.',
                id="directus_shares.E002",
            )
        ]
    # A hasher's ``library`` is "module" or ("name", "module"): the module it imports to hash.
    library = hasher.library
    module = library[1] if isinstance(library, tuple) else library
    try:
        if module:
            importlib.import_module(module)
    except ImportError as error:
        return [
            Error(
                f"The password hasher {algorithm!r} cannot load its library {module!r}: {error}",
                hint="pip install argon2-cffi (a dependency of directus-shares).",
                id="directus_shares.E003",
            )
        ]
    if algorithm != "argon2":
        return [
            Warning(
                f"Share passwords are hashed with {algorithm!r} instead of Argon2.",
                hint='Leave DIRECTUS_SHARES["PASSWORD_HASHER"] at its default, "argon2".',
                id="directus_shares.W002",
            )
        ]
    return []


@register(Tags.urls)
def check_urls_included(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The share page can be reversed, so links can be built."""
    try:
        reverse("directus_shares:share", kwargs={"token": "token"})
    except NoReverseMatch:
        return [
            Error(
                "The share page's URLs are not included, so no share link can be built.",
                hint=(
                    'Add path("share/", include("directus_shares.urls")) '
                    f"to {settings.ROOT_URLCONF}."
                ),
                id="directus_shares.E001",
            )
        ]
    return []


@register(Tags.admin)
def check_admin_opt_ins(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Say what to add when no admin page shows the Shares panel, or the group admin shows no
    share rules: the app changes no admin of another app unless the project asks it to."""
    if not apps.is_installed("django.contrib.admin"):
        return []
    from django.contrib.admin.sites import all_sites

    from .shareable import is_shareable_model

    # Not imported (the project turned autodiscovery off and never imported it): no admin can use
    # its mixins. Importing it here would register ShareAdmin on a site the project left alone.
    app_admin = sys.modules.get("directus_shares.admin")
    panel_mixin = getattr(app_admin, "SharesAdminMixin", None)
    rules_mixin = getattr(app_admin, "ShareRulesGroupAdminMixin", None)
    registered = [
        site.get_model_admin(model)
        for site in all_sites
        for model in apps.get_models()
        if site.is_registered(model)
    ]
    messages: list[CheckMessage] = []
    shareable = any(is_shareable_model(model_admin.model) for model_admin in registered)
    if shareable and not any(_is_a(m, panel_mixin) for m in registered):
        messages.append(
            Info(
                "No admin page has the Shares panel, so staff cannot share objects from the admin.",
                hint="Add SharesAdminMixin first to the ModelAdmin of each model to share, or "
                "call directus_shares.admin.add_shares_panel(admin.site) in your urls.py "
                "before admin.site.urls.",
                id="directus_shares.I040",
            )
        )
    groups = [m for m in registered if m.model is Group]
    if groups and not any(_is_a(m, rules_mixin) for m in groups):
        messages.append(
            Info(
                "The group admin does not show share rules, so what a role may see through "
                "shares cannot be set in the admin.",
                hint="Call directus_shares.admin.extend_group_admin(admin.site) in your admin.py "
                "or urls.py, or add ShareRulesGroupAdminMixin first to your own GroupAdmin.",
                id="directus_shares.I041",
            )
        )
    return messages


def _is_a(model_admin: Any, mixin: type | None) -> bool:
    return mixin is not None and isinstance(model_admin, mixin)


@register(Tags.database)
def check_public_role_exists(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """``PUBLIC_ROLE`` names a group that exists: else every share saved with "(public role)"
    grants nothing. A database check: it runs when checks are given the database (``manage.py
    check --database default``, ``migrate``), and says nothing before the auth tables exist."""
    raw = conf.user_settings()
    name = raw.get("PUBLIC_ROLE") if isinstance(raw, dict) else None
    alias = router.db_for_read(Group)
    if not isinstance(name, str) or not name or alias not in (databases or ()):
        return []
    try:
        if Group._meta.db_table not in connections[alias].introspection.table_names():
            return []
        exists = Group.objects.using(alias).filter(name=name).exists()
    except DatabaseError:  # not reachable: other checks and commands say so
        return []
    if exists:
        return []
    return [
        Warning(
            f"{conf.SETTING_NAME}['PUBLIC_ROLE'] names the group {name!r}, which does not "
            "exist: every share without a role of its own grants nothing.",
            hint=f"Create the group {name!r} and give it the rights shares should have, or set "
            "PUBLIC_ROLE to None.",
            id="directus_shares.W030",
        )
    ]


@register(Tags.compatibility)
def check_task_backend(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The app's mails (share links, lock notices) are queued on ``TASK_BACKEND`` and
    ``TASK_QUEUE``: that backend can be made, takes that queue and sends – a ``DummyBackend``
    keeps every mail queued forever."""
    from . import tasks

    config = conf.get_config()
    alias, queue = config["TASK_BACKEND"], config["TASK_QUEUE"]
    if not isinstance(alias, str) or not isinstance(queue, str):
        return []  # reported by check_settings
    try:
        backend = tasks.task_backends[alias]
    except ImproperlyConfigured as error:  # the framework's InvalidTaskBackend
        return [
            Error(
                f"The app's mails are queued on the task backend {alias!r}, which cannot be "
                f"used: {error}",
                hint=f"Name a backend of TASKS in {conf.SETTING_NAME}['TASK_BACKEND'] (default "
                "'default'), and give its BACKEND as a dotted path that can be imported.",
                id="directus_shares.E050",
            )
        ]
    if backend.queues and queue not in backend.queues:
        return [
            Error(
                f"The task backend {alias!r} does not take the queue {queue!r} that the app's "
                f"mails are queued on: its QUEUES are {sorted(backend.queues)}.",
                hint=f"Add {queue!r} to TASKS[{alias!r}]['QUEUES'], or set "
                f"{conf.SETTING_NAME}['TASK_QUEUE'] to one of its queues.",
                id="directus_shares.E051",
            )
        ]
    if isinstance(backend, tasks.DummyBackend):
        return [
            Warning(
                f"The task backend {alias!r} is a DummyBackend: share links and lock notices "
                "are queued but never sent.",
                hint=f"Use {tasks.FRAMEWORK}.backends.immediate.ImmediateBackend (the default) "
                "or a real queue with its worker (docs/deployment.md); silence "
                "directus_shares.W050 where that is meant, as in tests.",
                id="directus_shares.W050",
            )
        ]
    return []


#: Engines whose server can restart under a running site (SQLite has no server to restart).
_SERVER_ENGINES = ("django.db.backends.postgresql", "django.db.backends.mysql")


def keeps_connections_unchecked(database: dict[str, Any]) -> bool:
    """Whether a ``DATABASES`` entry of a database server keeps connections – persistent
    (``CONN_MAX_AGE`` not 0) or pooled (``OPTIONS["pool"]``) – without ``CONN_HEALTH_CHECKS``."""
    if not str(database.get("ENGINE", "")).startswith(_SERVER_ENGINES):
        return False
    kept = database.get("CONN_MAX_AGE", 0) != 0 or bool((database.get("OPTIONS") or {}).get("pool"))
    return kept and not database.get("CONN_HEALTH_CHECKS", False)


@register(Tags.compatibility)
def check_connections_survive_restarts(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """The database the shares live on checks a kept connection before reusing it: else, after
    the server restarts, every connection it cut fails one share request with a 503."""
    from .models import Share

    aliases = dict.fromkeys([router.db_for_read(Share), router.db_for_write(Share)])
    return [
        Warning(
            f"DATABASES[{alias!r}] keeps connections (CONN_MAX_AGE or a pool) without "
            "CONN_HEALTH_CHECKS: after the database restarts, each connection it cut fails one "
            "share request with a 503.",
            hint=f'Set "CONN_HEALTH_CHECKS": True in DATABASES[{alias!r}]: Django then checks a '
            "kept or pooled connection before reusing it.",
            id="directus_shares.W060",
        )
        for alias in aliases
        if alias in settings.DATABASES and keeps_connections_unchecked(settings.DATABASES[alias])
    ]


_CODE_LIFETIME_RANGE = (timedelta(minutes=1), timedelta(days=1))
_CODE_TRIES_RANGE = (1, 20)
#: The one-time codes' rate limits: setting, check id, and what the default allows.
_CODE_LIMITS = (
    (
        "VERIFICATION_CODES_PER_ADDRESS",
        "directus_shares.E072",
        "codes per e-mail address and share: three an hour",
    ),
    (
        "VERIFICATION_CODE_REQUESTS_PER_ADDRESS",
        "directus_shares.E073",
        "requests per client address, across shares: twenty an hour",
    ),
)


@register(Tags.security)
def check_verification_codes(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The one-time e-mail codes' settings (``VERIFICATION_*``) keep a code hard to guess and
    usable: a lifetime between a minute and a day, a few tries per code, positive request limits.
    A value of the wrong type is reported by :func:`check_settings` (E011) instead."""
    raw = conf.user_settings()
    if not isinstance(raw, dict):
        return []
    messages: list[CheckMessage] = []
    lifetime = raw.get("VERIFICATION_CODE_LIFETIME")
    if isinstance(lifetime, timedelta | int) and not isinstance(lifetime, bool):
        age = lifetime if isinstance(lifetime, timedelta) else timedelta(seconds=lifetime)
        if not _CODE_LIFETIME_RANGE[0] <= age <= _CODE_LIFETIME_RANGE[1]:
            messages.append(
                Error(
                    f"{conf.SETTING_NAME}['VERIFICATION_CODE_LIFETIME'] must be between one "
                    "minute and one day.",
                    hint="The default, 10 minutes, leaves time to read the mail; a longer life "
                    "gives a leaked code longer to be used.",
                    id="directus_shares.E070",
                )
            )
    tries = raw.get("VERIFICATION_CODE_TRIES")
    if (
        isinstance(tries, int)
        and not isinstance(tries, bool)
        and not _CODE_TRIES_RANGE[0] <= tries <= _CODE_TRIES_RANGE[1]
    ):
        messages.append(
            Error(
                f"{conf.SETTING_NAME}['VERIFICATION_CODE_TRIES'] must be between "
                f"{_CODE_TRIES_RANGE[0]} and {_CODE_TRIES_RANGE[1]}.",
                hint="A code has 6 digits: each try has a one in a million chance. The "
                "default is 5.",
                id="directus_shares.E071",
            )
        )
    for key, check_id, what in _CODE_LIMITS:
        limit = raw.get(key)
        if isinstance(limit, tuple | list) and (
            len(limit) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in limit)
        ):
            messages.append(
                Error(
                    f"{conf.SETTING_NAME}[{key!r}] must be ({what.split()[0]}, seconds), two "
                    "whole numbers of at least 1.",
                    hint=f"The default is {conf.DEFAULTS[key]!r}: {what}.",
                    id=check_id,
                )
            )
    return messages
