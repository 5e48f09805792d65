"""The demo site's database settings: the recommended options per engine, and that they keep
concurrent writers on one SQLite file from failing."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db.utils import ConnectionHandler

from example_project import databases


def _connections(settings: dict) -> ConnectionHandler:
    return ConnectionHandler({"default": settings})


@pytest.fixture
def own_databases(django_db_blocker):
    """These tests open SQLite files of their own, not the suite's test database."""
    with django_db_blocker.unblock():
        yield


@pytest.mark.usefixtures("own_databases")
def test_sqlite_gets_wal_normal_sync_and_immediate_transactions(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_TUNING", raising=False)
    handler = _connections(databases.database(tmp_path / "db.sqlite3"))
    try:
        with handler["default"].cursor() as cursor:
            assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert cursor.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
            assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] == 20_000
        assert handler["default"].transaction_mode == "IMMEDIATE"
        # Kept between requests: closing the last connection would checkpoint the WAL each time.
        assert handler["default"].settings_dict["CONN_MAX_AGE"] == 600
    finally:
        handler.close_all()


def test_tuning_off_leaves_djangos_defaults(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_TUNING", "0")
    settings = databases.database(tmp_path / "db.sqlite3")
    assert "OPTIONS" not in settings


def test_postgres_gets_a_pool_and_prepared_statements(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://app@db.invalid:5432/app")
    for name in ("DATABASE_TUNING", "DATABASE_POOL", "DATABASE_SERVER_SIDE_BINDING"):
        monkeypatch.delenv(name, raising=False)
    pytest.importorskip("psycopg_pool")
    settings = databases.database(Path("unused"))
    assert settings["OPTIONS"]["pool"] == databases.POSTGRES_POOL
    assert settings["OPTIONS"]["server_side_binding"] is True
    assert settings["CONN_MAX_AGE"] == 0  # Django refuses a pool with persistent connections
    # Django then gives the pool psycopg_pool's check: dead connections are replaced, not used.
    assert settings["CONN_HEALTH_CHECKS"] is True


def test_postgres_without_pool_keeps_healthy_persistent_connections(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://app@db.invalid:5432/app")
    monkeypatch.setenv("DATABASE_POOL", "0")
    monkeypatch.setenv("DATABASE_SERVER_SIDE_BINDING", "0")
    settings = databases.database(Path("unused"))
    assert "pool" not in settings["OPTIONS"]
    assert "server_side_binding" not in settings["OPTIONS"]
    assert settings["CONN_MAX_AGE"] == 600 and settings["CONN_HEALTH_CHECKS"] is True


def test_mariadb_and_mysql_get_utf8mb4_read_committed_and_persistent_connections(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://app@db.invalid:3306/app")
    monkeypatch.delenv("DATABASE_TUNING", raising=False)
    settings = databases.database(Path("unused"))
    assert settings["ENGINE"] == "django.db.backends.mysql"
    assert settings["OPTIONS"] == databases.MYSQL_OPTIONS
    assert settings["OPTIONS"]["charset"] == "utf8mb4"
    assert settings["CONN_MAX_AGE"] == 600 and settings["CONN_HEALTH_CHECKS"] is True


def test_options_given_in_the_url_win(monkeypatch):
    settings = databases.tuned(
        {"ENGINE": "django.db.backends.sqlite3", "NAME": "x", "OPTIONS": {"timeout": 3}}
    )
    assert settings["OPTIONS"]["timeout"] == 3
    assert settings["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.usefixtures("own_databases")
def test_concurrent_read_then_write_transactions_never_see_database_is_locked(
    tmp_path: Path, monkeypatch
):
    """Each writer reads, then writes, in one transaction – the shape that fails at once with
    "database is locked" in SQLite's default (deferred) mode when two writers meet."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_TUNING", raising=False)
    settings = databases.database(tmp_path / "db.sqlite3")
    setup = _connections(settings)
    with setup["default"].cursor() as cursor:
        cursor.execute("CREATE TABLE counter (n integer)")
        cursor.execute("INSERT INTO counter VALUES (0)")
    setup.close_all()
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer() -> None:
        handler = _connections(settings)
        connection = handler["default"]
        try:
            start.wait()
            for _ in range(25):
                with connection.cursor() as cursor:
                    connection.set_autocommit(False)
                    # what atomic() sends with this connection's transaction_mode
                    cursor.execute(f"BEGIN {connection.transaction_mode or 'DEFERRED'}")
                    (n,) = cursor.execute("SELECT n FROM counter").fetchone()
                    cursor.execute("UPDATE counter SET n = %s", [n + 1])
                    connection.commit()
                    connection.set_autocommit(True)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            handler.close_all()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    check = _connections(settings)
    with check["default"].cursor() as cursor:
        assert cursor.execute("SELECT n FROM counter").fetchone()[0] == 200
    check.close_all()
