"""The fast path: which databases its one statement serves, and what it costs there. That it
reads exactly what the ORM route reads is held by ``tests/test_queries.py`` (every scenario there
compares both routes on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from directus_shares import fast_path, opening
from tests.factories import ShareFactory, UserFactory

pytestmark = pytest.mark.django_db

#: psycopg 3 keeps the parsed form of a statement up to this many bytes, and re-parses longer
#: ones on every run; SQLite has no such limit.
PSYCOPG_KEPT_STATEMENT_BYTES = 4096


def test_it_serves_postgresql_and_sqlite_and_every_other_database_takes_the_orm_route():
    assert fast_path.serves() is (connection.vendor in {"postgresql", "sqlite"})


class AuthElsewhere:
    def db_for_read(self, model, **hints):
        return "auth" if model is Group else None


def test_auth_tables_on_another_database_take_the_orm_route():
    with override_settings(DATABASE_ROUTERS=[AuthElsewhere()]):
        assert not fast_path.serves()  # one statement cannot join across databases


@pytest.mark.skipif(not fast_path.serves(), reason="the ORM route serves this database")
@pytest.mark.parametrize("public_role", [None, "Public"])
def test_a_share_and_all_its_rights_are_one_short_statement(public_role):
    creator = UserFactory()
    share = ShareFactory(created_by=creator)
    with CaptureQueriesContext(connection) as captured:
        found, rights = opening.find_share(share.token)
    assert found == share and rights is not None
    (statement,) = captured.captured_queries
    # Every request runs it: psycopg re-parsing 6 kB of SQL each time cost 2 % of an open.
    assert len(statement["sql"].encode()) <= PSYCOPG_KEPT_STATEMENT_BYTES or (
        connection.vendor == "sqlite"
    )
    assert fast_path.load_share("not-a-key", public_role) is None
