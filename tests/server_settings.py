"""Settings of the gunicorn workers that ``bench/server.py`` starts (the multi-process test and
the load benchmark): the suite's settings as a deployment runs them – ``DEBUG`` off, persistent
database connections, and a cache every worker shares, so password lockouts hold across them.

Environment: ``DATABASE_URL`` (read by :mod:`tests.settings`), ``REDIS_URL``,
``SERVER_CACHE_PREFIX`` (one per run), ``SERVER_CONN_MAX_AGE`` (seconds, default 600),
``SERVER_PREPARE_THRESHOLD`` (psycopg prepares a statement on this run of it on a connection,
with server-side binding; empty: Django's default, client-side binding and nothing prepared),
``SERVER_MEDIA_ROOT`` (uploads; the load benchmark keeps them in a temporary directory) and
``SERVER_MAIL_DIR`` (mails, a file each, for the test process to read:
:class:`tests.mail_backends.DirectoryBackend`; unset, they are printed to the log);
``SERVER_DATABASE_AS_DEMO=1`` gives the database the demo site's options instead
(``example_project/databases.py``: on PostgreSQL, Django's connection pool).
"""

from __future__ import annotations

import os

import django

from example_project.databases import tuned
from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, MEDIA_ROOT

DEBUG = False
if os.environ.get("SERVER_DATABASE_AS_DEMO"):
    DATABASES["default"] = tuned(DATABASES["default"])
else:
    DATABASES["default"].update(
        CONN_MAX_AGE=int(os.environ.get("SERVER_CONN_MAX_AGE", "600")), CONN_HEALTH_CHECKS=True
    )
if (
    os.environ.get("SERVER_PREPARE_THRESHOLD")
    and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
):  # psycopg's options
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "server_side_binding": True,
        "prepare_threshold": int(os.environ["SERVER_PREPARE_THRESHOLD"]),
    }
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "KEY_PREFIX": os.environ.get("SERVER_CACHE_PREFIX", "directus-shares-server"),
    }
}
MEDIA_ROOT = os.environ.get("SERVER_MEDIA_ROOT", MEDIA_ROOT)
# The machine running the suite may be far slower than a server (the Argon2 checks of a burst
# took 12 s on a busy 2-core CI host): attempts beyond the password limits wait longer for the
# checks before them than the default allows.
DIRECTUS_SHARES = {"PASSWORD_CHECK_WAIT": 60}
if os.environ.get("SERVER_MAIL_DIR"):
    if django.VERSION >= (6, 1):
        MAILERS = {"default": {"BACKEND": "tests.mail_backends.DirectoryBackend"}}
    else:
        EMAIL_BACKEND = "tests.mail_backends.DirectoryBackend"
