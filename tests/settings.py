"""Settings for the test suite: the example project's, on a test database, plus the test app.

``DATABASE_URL`` picks the database (default: SQLite in memory).
"""

from __future__ import annotations

import os

import dj_database_url

from example_project.settings import *  # noqa: F403
from example_project.settings import INSTALLED_APPS, MIDDLEWARE, PASSWORD_HASHERS

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.urls"

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]
# One language, as most sites have; tests of the catalog add LocaleMiddleware themselves (the
# demo's own middleware is tested in example_project/tests).
MIDDLEWARE = [name for name in MIDDLEWARE if name != "django.middleware.locale.LocaleMiddleware"]
# MD5 last: only for fast user logins in tests; shares name "argon2" explicitly.
PASSWORD_HASHERS = [*PASSWORD_HASHERS, "django.contrib.auth.hashers.MD5PasswordHasher"]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "sqlite://:memory:"), conn_max_age=0
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    # MariaDB/MySQL as docs/deployment.md recommends: four-byte UTF-8 in one collation for the
    # tables and the connection (text the ORM casts takes the connection's), READ COMMITTED.
    DATABASES["default"]["OPTIONS"] = {
        "charset": "utf8mb4",
        "collation": "utf8mb4_unicode_ci",
        "isolation_level": "read committed",
        **DATABASES["default"].get("OPTIONS", {}),
    }
    DATABASES["default"]["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

DIRECTUS_SHARES: dict = {}
