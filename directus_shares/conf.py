"""The app's settings: one ``DIRECTUS_SHARES`` dict, read only through :func:`get_config`.

Its one ``setting_changed`` receiver clears every cache derived from the settings, here or
registered with :func:`derived_from_settings`. Every key is listed in ``docs/settings.md``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.contrib.auth.password_validation import get_password_validators
from django.core.signals import setting_changed
from django.dispatch import receiver

SETTING_NAME = "DIRECTUS_SHARES"

DEFAULTS: dict[str, Any] = {
    # Name of the Group whose rights a share without a role grants. None: such shares grant nothing.
    "PUBLIC_ROLE": None,
    # How long a visitor's granted access is remembered before the next open counts again.
    "GRANT_MAX_AGE": timedelta(hours=1),
    # Name of the signed cookie that remembers a grant (scoped to the share's own URL path).
    "GRANT_COOKIE_NAME": "directus_share_grant",
    # Send the grant cookie only over HTTPS; None follows SESSION_COOKIE_SECURE.
    "GRANT_COOKIE_SECURE": None,
    # Render passwordless shares without max uses on GET, without a click and without counting.
    "OPEN_UNLIMITED_ON_GET": False,
    # Longest password accepted; longer input is refused before it is hashed.
    "MAX_PASSWORD_LENGTH": 1024,
    # Name of the password hasher (from PASSWORD_HASHERS) used for share passwords.
    "PASSWORD_HASHER": "argon2",
    # Most linked objects shown per relation (e.g. comments of a report); the page says when more.
    "RELATED_OBJECTS_LIMIT": 50,
    # How many links deep the page follows relations from the shared object (0: the object only).
    "RELATED_DEPTH": 2,
    # Fields never shown through any share, for models you cannot give NEVER_SHARED_FIELDS:
    # {"app_label.model": ["field", ...]}.
    "NEVER_SHARED_FIELDS": {},
    # Proxies in front of the site that append to X-Forwarded-For. 0: the client address is
    # REMOTE_ADDR and the header is ignored (it is then whatever the client wrote).
    "TRUSTED_PROXY_COUNT": 0,
    # The request.META key of the header those proxies write.
    "FORWARDED_FOR_HEADER": "HTTP_X_FORWARDED_FOR",
    # Validators every new share password must pass in the admin and the API (and create_share),
    # in the format of AUTH_PASSWORD_VALIDATORS. They are called with user=None.
    "PASSWORD_VALIDATORS": [
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    ],
    # Wrong passwords allowed per client address (across shares) and per share: (count, seconds).
    # Past either, no password is checked (429) until the window ends. Counted in the cache.
    "PASSWORD_ATTEMPTS_PER_ADDRESS": (5, 15 * 60),
    "PASSWORD_ATTEMPTS_PER_SHARE": (50, 60 * 60),
    # Seconds a password attempt waits for room while the checks under way could still fill a
    # limit (they take a fraction of a second each); past it, 503 "try again in a minute".
    "PASSWORD_CHECK_WAIT": 20,
    # Store each attempt to open a share in the access log (the signal is sent either way).
    "ACCESS_LOG": True,
    # How much of the client address the access log keeps: "truncated" (IPv4 /24, IPv6 /48),
    # "full" or "off".
    "ACCESS_LOG_ADDRESSES": "truncated",
    # Where the app's mails are queued: an alias of TASKS and one of that backend's queues.
    "TASK_BACKEND": "default",
    "TASK_QUEUE": "default",
    # One-time e-mail codes (shares restricted to addresses or domains): how long a code is
    # accepted, how many tries one code allows, and how many codes one address may be sent per
    # share and window: (count, seconds).
    "VERIFICATION_CODE_LIFETIME": timedelta(minutes=10),
    "VERIFICATION_CODE_TRIES": 5,
    "VERIFICATION_CODES_PER_ADDRESS": (3, 60 * 60),
    # Code requests allowed from one client address (across shares and e-mail addresses) per
    # window: (count, seconds). Past it, 429 until the window ends. Counted in the cache.
    "VERIFICATION_CODE_REQUESTS_PER_ADDRESS": (20, 60 * 60),
    # Devices that may open one recipient's own link before the next is refused as a forwarded
    # link (a share's devices_per_recipient overrides it). None: forwarding is not caught.
    "DEVICES_PER_RECIPIENT": 2,
    # Name of the signed, HttpOnly cookie that tells a visitor's devices apart (a random id).
    "DEVICE_COOKIE_NAME": "directus_share_device",
}

#: The Python type(s) each setting must have; checked by system check directus_shares.E011.
TYPES: dict[str, tuple[type, ...]] = {
    "PUBLIC_ROLE": (str, type(None)),
    "GRANT_MAX_AGE": (timedelta, int),
    "GRANT_COOKIE_NAME": (str,),
    "GRANT_COOKIE_SECURE": (bool, type(None)),
    "OPEN_UNLIMITED_ON_GET": (bool,),
    "MAX_PASSWORD_LENGTH": (int,),
    "PASSWORD_HASHER": (str,),
    "PASSWORD_VALIDATORS": (list, tuple),
    "RELATED_OBJECTS_LIMIT": (int,),
    "RELATED_DEPTH": (int,),
    "NEVER_SHARED_FIELDS": (dict,),
    "TRUSTED_PROXY_COUNT": (int,),
    "FORWARDED_FOR_HEADER": (str,),
    "PASSWORD_ATTEMPTS_PER_ADDRESS": (tuple, list),
    "PASSWORD_ATTEMPTS_PER_SHARE": (tuple, list),
    "PASSWORD_CHECK_WAIT": (int, float),
    "ACCESS_LOG": (bool,),
    "ACCESS_LOG_ADDRESSES": (str,),
    "TASK_BACKEND": (str,),
    "TASK_QUEUE": (str,),
    "VERIFICATION_CODE_LIFETIME": (timedelta, int),
    "VERIFICATION_CODE_TRIES": (int,),
    "VERIFICATION_CODES_PER_ADDRESS": (tuple, list),
    "VERIFICATION_CODE_REQUESTS_PER_ADDRESS": (tuple, list),
    "DEVICES_PER_RECIPIENT": (int, type(None)),
    "DEVICE_COOKIE_NAME": (str,),
}

#: Keys that no longer do anything, with what to do instead; system check directus_shares.W011.
REMOVED: dict[str, str] = {
    "ADMIN_PANEL_FOR_ALL_MODELS": (
        "Call directus_shares.admin.add_shares_panel(admin.site) in your urls.py instead."
    ),
}

#: The values ``ACCESS_LOG_ADDRESSES`` may take; checked by system check directus_shares.E012.
ACCESS_LOG_ADDRESS_MODES = ("truncated", "full", "off")


def user_settings() -> Any:
    """The raw ``DIRECTUS_SHARES`` setting as the project wrote it (``{}`` when absent)."""
    return getattr(settings, SETTING_NAME, {})


class _Cached(Protocol):
    def cache_clear(self) -> None: ...


_CachedT = TypeVar("_CachedT", bound=_Cached)

#: What the settings receiver calls: one clear function per cache derived from the settings.
_clear_functions: list[Callable[[], object]] = []


def on_settings_change(clear: Callable[[], object]) -> None:
    """Call ``clear`` whenever ``DIRECTUS_SHARES`` changes (``override_settings`` in tests): for
    a cache that holds values derived from the settings."""
    _clear_functions.append(clear)


def derived_from_settings(cached: _CachedT) -> _CachedT:
    """Decorator for a ``functools.cache``'d function whose results depend on the settings: its
    cache is cleared whenever ``DIRECTUS_SHARES`` changes. Put it above ``@functools.cache``."""
    on_settings_change(cached.cache_clear)
    return cached


@derived_from_settings
@functools.cache
def get_config() -> dict[str, Any]:
    """The effective settings: the defaults overlaid with the project's ``DIRECTUS_SHARES``."""
    overrides = user_settings()
    return {**DEFAULTS, **(overrides if isinstance(overrides, dict) else {})}


def grant_max_age() -> timedelta:
    """``GRANT_MAX_AGE`` as a timedelta (an int is read as seconds)."""
    value = get_config()["GRANT_MAX_AGE"]
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


def verification_code_lifetime() -> timedelta:
    """``VERIFICATION_CODE_LIFETIME`` as a timedelta (an int is read as seconds)."""
    value = get_config()["VERIFICATION_CODE_LIFETIME"]
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


@derived_from_settings
@functools.cache
def password_validators() -> list[Any]:
    """The validator instances ``PASSWORD_VALIDATORS`` names, made once (some read files).

    Raises:
        django.core.exceptions.ImproperlyConfigured: a validator cannot be imported (also
            reported by system check directus_shares.E012).
    """
    return get_password_validators(get_config()["PASSWORD_VALIDATORS"])


@receiver(setting_changed)
def _forget_derived(*, setting: str, **kwargs: Any) -> None:
    """The app's one ``setting_changed`` receiver (as django-debug-toolbar has one)."""
    if setting == SETTING_NAME:
        for clear in _clear_functions:
            clear()
