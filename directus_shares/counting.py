"""The statement that counts one use of a share, as SQL written once per database.

Counting must be one conditional ``UPDATE`` (check and increment together, so concurrent opens
in any number of processes never pass ``max_uses``). Building that statement through the ORM
cost more than half a millisecond of CPU on every counted open – more than running it – so it is
written here from the model's own table and column names, quoted by the connection, and its
parameters are prepared by the fields themselves. It is the SQL twin of
``Share.objects.open_at(now).with_uses_left()``;
``tests/test_access.py::test_the_counting_sql_counts_exactly_the_shares_its_orm_twin_calls_open``
checks that both agree on every window edge and use count.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from django.db import connections, router
from django.db.models import Field

from .models import Share

#: SQL a statement can add to its ``WHERE``, and its parameters.
Condition = tuple[str, Sequence[Any]]

#: Besides the primary key, the fields the statement compares with the share's loaded values.
_MATCHED = ("key", "password", "grant_epoch")
_WINDOW = ("date_start", "date_end")


def count_use(share: Share, now: datetime, condition: Condition | None = None) -> bool:
    """Add one to ``share``'s ``times_used`` in the database if, at ``now``, it is open, has a use
    left, and still has the link, password and grants it was loaded with – and ``condition``
    holds (SQL and parameters, e.g. its object is readable); True when counted."""
    alias = router.db_for_write(Share)
    sql, values = with_condition(statement(alias), parameters(share, now, alias), condition)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.rowcount == 1


def with_condition(
    sql: str, values: list[Any], condition: Condition | None
) -> tuple[str, list[Any]]:
    """The counting ``UPDATE`` and its parameters with ``condition`` added to its ``WHERE``."""
    if condition is None:
        return sql, values
    return f"{sql} AND {condition[0]}", [*values, *condition[1]]


def parameters(share: Share, now: datetime, alias: str) -> list[Any]:
    """The parameters of :func:`statement` that count a use of ``share`` at ``now``."""
    connection = connections[alias]
    values = [
        field.get_db_prep_value(getattr(share, field.attname), connection)
        for field in _matched_fields()
    ]
    return values + [field.get_db_prep_value(now, connection) for field in _window_fields()]


@functools.cache
def _matched_fields() -> tuple[Field, ...]:
    return (Share._meta.pk, *(_share_field(name) for name in _MATCHED))


@functools.cache
def _window_fields() -> tuple[Field, ...]:
    return tuple(_share_field(name) for name in _WINDOW)


def _share_field(name: str) -> Field:
    """The share's column ``name`` (get_field()'s type also allows relations and generic keys)."""
    return cast(Field, Share._meta.get_field(name))


@functools.cache
def statement(alias: str) -> str:
    """The conditional ``UPDATE`` on the database ``alias``; it changes one row or none."""
    quote = connections[alias].ops.quote_name
    opts = Share._meta

    def column(name: str) -> str:
        return quote(_share_field(name).column)

    used, limit = column("times_used"), column("max_uses")
    start, end = (column(name) for name in _WINDOW)
    matched = " AND ".join(f"{quote(field.column)} = %s" for field in _matched_fields())
    return (
        f"UPDATE {quote(opts.db_table)} SET {used} = {used} + 1"  # noqa: S608 – names, not values
        f" WHERE {matched} AND {column('revoked_at')} IS NULL"
        f" AND ({start} IS NULL OR {start} <= %s) AND ({end} IS NULL OR {end} > %s)"
        f" AND ({limit} IS NULL OR {used} < {limit})"
    )
