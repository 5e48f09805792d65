"""The query every share request starts with, as plain SQL: the share and its role's rights.

Building a query through the ORM costs several times more than running it (the benchmark
measured 0.55 ms against 0.05 ms for a role's permissions on SQLite), and one round trip to a
database server costs more than either: so the share row and the permissions of the group it
grants come back from one statement. The SQL is written from the models' own table and column
names, quoted by the connection; ``tests/test_queries.py`` checks it against the ORM and against
:func:`granting_role`, whose rule its ``CASE`` repeats.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import connections, router

from .models import Share

Permissions = frozenset[tuple[int, str]]  # (content type id, codename)


def share_and_permissions(key: str, public_role: str | None) -> tuple[Share, Permissions] | None:
    """The share with link key ``key`` (a unique-index lookup) and the permissions of the group
    it grants – its role, else the group named ``public_role`` unless its role was deleted –
    or ``None`` when no share has that key."""
    alias = router.db_for_read(Share)
    if router.db_for_read(Permission) != alias:  # auth lives elsewhere: two queries after all
        return _share_then_permissions(key, public_role)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(_share_sql(alias), [public_role, key])
        rows = cursor.fetchall()  # one row per permission; one row with NULLs when none
    if not rows:
        return None
    width = len(_SHARE_ATTNAMES)
    values = list(rows[0][:width])
    for position, column in _converted_columns(alias):
        # What the ORM does to each value (e.g. SQLite's datetime strings), on this connection.
        for convert in connection.ops.get_db_converters(column) + column.get_db_converters(
            connection
        ):
            values[position] = convert(values[position], column, connection)
    share = Share.from_db(alias, _SHARE_ATTNAMES, values)
    return share, frozenset((row[width], row[width + 1]) for row in rows if row[width] is not None)


def granting_role(share: Share, public_role: str | None) -> dict[str, Any] | None:
    """Which group's rights ``share`` grants – its own role (``{"group_id": …}``), else the
    configured public role (``{"group_name": …}``); ``None``: no group, it grants nothing."""
    if share.role_id is not None:
        return {"group_id": share.role_id}
    if share.role_removed:  # never widen a share whose role was deleted to the public role
        return None
    return {"group_name": public_role} if public_role else None


def _share_then_permissions(key: str, public_role: str | None) -> tuple[Share, Permissions] | None:
    share = Share.objects.filter(key=key).order_by().first()
    if share is None:
        return None
    role = granting_role(share, public_role)
    return share, frozenset() if role is None else role_permissions(**role)


def role_permissions(*, group_id: int | None = None, group_name: str | None = None) -> frozenset:
    """``(content type id, codename)`` of every permission a group holds, by id or by name."""
    alias = router.db_for_read(Permission)
    by_name = group_id is None
    with connections[alias].cursor() as cursor:
        cursor.execute(_permissions_sql(alias, by_name), [group_name if by_name else group_id])
        return frozenset((content_type_id, codename) for content_type_id, codename in cursor)


# Identifiers come from model metadata and are quoted by the connection; values are parameters.


@functools.cache
def _share_sql(alias: str) -> str:
    q = _quoted(alias)
    share, link, permission, group = (
        Share._meta,
        Group.permissions.through._meta,
        Permission._meta,
        Group._meta,
    )
    columns = ", ".join(f"s.{q(field.column)}" for field in share.concrete_fields)
    role, role_removed = (
        q(share.get_field("role").column),
        q(share.get_field("role_removed").column),
    )
    public_group = (
        f"SELECT g.{q(group.pk.column)} FROM {q(group.db_table)} g"  # noqa: S608
        f" WHERE g.{q(group.get_field('name').column)} = %s"
    )
    return (
        f"SELECT {columns}, p.{q(permission.get_field('content_type').column)},"  # noqa: S608
        f" p.{q(permission.get_field('codename').column)}"
        f" FROM {q(share.db_table)} s"
        f" LEFT JOIN {q(link.db_table)} gp ON gp.{q(link.get_field('group').column)} ="
        f" CASE WHEN s.{role} IS NOT NULL THEN s.{role} WHEN s.{role_removed} THEN NULL"
        f" ELSE ({public_group}) END"
        f" LEFT JOIN {q(permission.db_table)} p"
        f" ON p.{q(permission.pk.column)} = gp.{q(link.get_field('permission').column)}"
        f" WHERE s.{q(share.get_field('key').column)} = %s"
    )


@functools.cache
def _permissions_sql(alias: str, by_name: bool) -> str:
    q = _quoted(alias)
    link, permission, group = Group.permissions.through._meta, Permission._meta, Group._meta
    link_group = f"gp.{q(link.get_field('group').column)}"
    sql = (
        f"SELECT p.{q(permission.get_field('content_type').column)},"  # noqa: S608
        f" p.{q(permission.get_field('codename').column)}"
        f" FROM {q(permission.db_table)} p INNER JOIN {q(link.db_table)} gp"
        f" ON gp.{q(link.get_field('permission').column)} = p.{q(permission.pk.column)}"
    )
    if not by_name:
        return f"{sql} WHERE {link_group} = %s"
    return (
        f"{sql} INNER JOIN {q(group.db_table)} g ON g.{q(group.pk.column)} = {link_group}"
        f" WHERE g.{q(group.get_field('name').column)} = %s"
    )


_SHARE_ATTNAMES = [field.attname for field in Share._meta.concrete_fields]


@functools.cache
def _converted_columns(alias: str) -> list[tuple[int, Any]]:
    """Positions and columns of the share's fields whose values the backend converts."""
    connection = connections[alias]
    columns = []
    for position, field in enumerate(Share._meta.concrete_fields):
        column = field.get_col(Share._meta.db_table)
        if connection.ops.get_db_converters(column) + column.get_db_converters(connection):
            columns.append((position, column))
    return columns


def _quoted(alias: str) -> Callable[[str], str]:
    return connections[alias].ops.quote_name
