"""Settings of the demo site. Every value can be changed through an environment variable.

``DATABASE_URL`` (any URL dj-database-url reads) replaces the SQLite file (each engine gets the
options docs/deployment.md recommends: see :mod:`example_project.databases`), ``REDIS_URL`` the
in-process cache, ``DJANGO_DEBUG=0`` turns debug off, ``DJANGO_ALLOWED_HOSTS`` adds hosts
(comma-separated) and ``DJANGO_SECRET_KEY`` replaces the demo key.
"""

from __future__ import annotations

import os
from pathlib import Path

import django

from example_project.databases import database

BASE_DIR = Path(__file__).resolve().parent

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "demo-only-insecure-secret-key-do-not-use-in-production"
)
ALLOWED_HOSTS = [
    "127.0.0.1",
    "localhost",
    "[::1]",
    *filter(None, os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")),
]

try:  # the OpenAPI schema of the share API (the "api" extra)
    import drf_spectacular  # noqa: F401

    SCHEMA_APPS = ["drf_spectacular"]
except ImportError:  # pragma: no cover
    SCHEMA_APPS = []
try:  # Swagger UI's files served as static files, not from a CDN (also in the "api" extra)
    import drf_spectacular_sidecar  # noqa: F401

    SCHEMA_APPS += ["drf_spectacular_sidecar"]
except ImportError:  # pragma: no cover
    pass

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "rest_framework",
    *SCHEMA_APPS,
    "directus_shares",
    "example_project.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Each browser's Accept-Language picks English or German (the app's catalog).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]


DATABASES = {"default": database(BASE_DIR / "db.sqlite3")}

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            # A Redis that hangs holds each request only this long (redis-py's default: 5 s),
            # and a share password attempt then answers 503 "try again in a minute".
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if os.environ.get("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

# Argon2 first: share passwords and user passwords are hashed with it.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]

LANGUAGE_CODE = "en-us"
# The languages the app has a catalog for: LocaleMiddleware picks one from Accept-Language.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
TIME_ZONE = "Europe/Berlin"  # not UTC, so the share page's time zone handling is visible
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# "Send link" mails are printed to the console (Django 6.1 configures mail through MAILERS).
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "shares@example.com"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    **({"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"} if SCHEMA_APPS else {}),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "directus_shares API",
    "DESCRIPTION": "Manage shares (authenticated) and open them (anonymous, with the link token).",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # No badge from Swagger's online validator: the docs page asks no other host for anything.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # /api/docs/ loads Swagger UI from drf-spectacular-sidecar's static files, not from a CDN.
    **(
        {
            "SWAGGER_UI_DIST": "SIDECAR",
            "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
            "REDOC_DIST": "SIDECAR",
        }
        if "drf_spectacular_sidecar" in SCHEMA_APPS
        else {}
    ),
}

DIRECTUS_SHARES = {"PUBLIC_ROLE": "Public"}
