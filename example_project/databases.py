"""The demo site's database: ``DATABASE_URL`` (a SQLite file by default) with the settings that
docs/deployment.md recommends for its engine, each of which an environment variable turns off.

- SQLite: WAL journal, ``synchronous=NORMAL``, a 20 s busy timeout and ``IMMEDIATE`` transactions,
  so counted opens from several processes neither fail with "database is locked" nor wait for an
  fsync each; and persistent connections, because the last connection to close checkpoints the
  WAL (two fsyncs or more) and deletes it.
- PostgreSQL: Django's connection pool (``DATABASE_POOL=0``: persistent connections instead),
  its connections checked before reuse (``CONN_HEALTH_CHECKS``), and server-side binding with
  prepared statements (``DATABASE_SERVER_SIDE_BINDING=0`` turns them off, e.g. behind an old
  PgBouncer).
- MariaDB/MySQL: four-byte UTF-8 (``utf8mb4``) in the collation the database should have,
  ``READ COMMITTED`` (Django's default, spelled out) and persistent connections with health
  checks (Django has no pool for it).

``DATABASE_TUNING=0`` leaves every engine at Django's defaults (what the benchmarks call "as
Django ships").
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

SQLITE_OPTIONS: dict[str, Any] = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
SQLITE_CONN_MAX_AGE = 600
POSTGRES_POOL: dict[str, Any] = {"min_size": 1, "max_size": 4, "timeout": 10}
POSTGRES_PREPARED: dict[str, Any] = {"server_side_binding": True, "prepare_threshold": 5}
MYSQL_OPTIONS: dict[str, Any] = {
    "charset": "utf8mb4",
    "collation": "utf8mb4_unicode_ci",  # the database's too: text cast by the ORM takes this one
    "isolation_level": "read committed",
}


def _enabled(name: str) -> bool:
    return os.environ.get(name, "1") != "0"


def database(default_sqlite_path: Path) -> dict[str, Any]:
    """The ``DATABASES["default"]`` of the demo site, read from the environment."""
    if "DATABASE_URL" in os.environ:
        import dj_database_url  # only needed when a URL is given

        settings = dj_database_url.parse(os.environ["DATABASE_URL"])
    else:
        settings = {"ENGINE": "django.db.backends.sqlite3", "NAME": default_sqlite_path}
    return tuned(settings) if _enabled("DATABASE_TUNING") else settings


def tuned(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` with the recommended options of its engine added (see the module docstring)."""
    engine = settings["ENGINE"]
    options = dict(settings.get("OPTIONS") or {})
    settings = {**settings}
    if engine == "django.db.backends.sqlite3":
        options = {**SQLITE_OPTIONS, **options}
        settings["CONN_MAX_AGE"] = SQLITE_CONN_MAX_AGE
    elif engine == "django.db.backends.postgresql":
        if _enabled("DATABASE_SERVER_SIDE_BINDING"):
            options = {**POSTGRES_PREPARED, **options}
        if _enabled("DATABASE_POOL") and importlib.util.find_spec("psycopg_pool") is not None:
            options.setdefault("pool", POSTGRES_POOL)
            settings["CONN_MAX_AGE"] = 0  # the pool keeps the connections
        else:
            settings["CONN_MAX_AGE"] = 600
        # Checked before reuse: after a database restart the dead ones are replaced instead of
        # answering 503 (Django hands the pool psycopg_pool's check_connection for this).
        settings["CONN_HEALTH_CHECKS"] = True
    elif engine == "django.db.backends.mysql":
        options = {**MYSQL_OPTIONS, **options}
        settings["CONN_MAX_AGE"] = 600
        settings["CONN_HEALTH_CHECKS"] = True
    settings["OPTIONS"] = options
    return settings
