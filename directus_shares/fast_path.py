"""The one place with hand-written SQL: a share and every right it needs in one statement.

:func:`.queries.load_share` reads the same through the ORM in two queries, on every database;
this statement serves it on PostgreSQL and SQLite only, where it saves most of the lookup's CPU
(docs/benchmarks.md, "The ORM route and the fast path"); ``tests/test_fast_path.py`` holds both
routes equal. No SQL leaves this module: it answers with model instances and rows.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, NamedTuple, cast

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models, router

from .models import RoleRule, RoleSettings, Share

#: The databases the statement is written for (Django's ``connection.vendor``).
VENDORS = frozenset({"postgresql", "sqlite"})


class ShareWithRights(NamedTuple):
    """What the statement reads: the fields of :class:`.queries.LoadedShare`, in its order."""

    share: Share
    granting_group_id: int | None
    creator_active: bool | None
    creator_superuser: bool
    allowed_networks: str
    rows: list[tuple[Any, ...]]


def serves() -> bool:
    """Whether :func:`load_share` may answer: the shares' database is one it is written for, the
    tables it joins live there too, and ``DIRECTUS_SHARES_FAST_PATH`` is not ``0`` (the
    benchmark's switch, read once per process)."""
    alias = router.db_for_read(Share)
    return (
        _switched_on()
        and connections[alias].vendor in VENDORS
        and all(router.db_for_read(model) == alias for model in _joined_models())
    )


@functools.cache
def _switched_on() -> bool:
    return os.environ.get("DIRECTUS_SHARES_FAST_PATH", "1") != "0"


def load_share(key: str, public_role: str | None) -> ShareWithRights | None:
    """:func:`.queries.load_share` in one statement: the share with link key ``key`` and every
    right it needs, or ``None`` if no share has that key. Only where :func:`serves` says so."""
    alias = router.db_for_read(Share)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(_share_sql(alias), [public_role, key])
        rows = cursor.fetchall()
    head = next((row for row in rows if row[0] == "share"), None)
    if head is None:
        return None
    width = len(_SHARE_ATTNAMES)
    values = list(head[1 : width + 1])
    for position, column in _converted_columns(alias):
        # What the ORM does to each value (e.g. SQLite's datetime strings), on this connection.
        for convert in connection.ops.get_db_converters(column) + column.get_db_converters(
            connection
        ):
            values[position] = convert(values[position], column, connection)
    granting, active, superuser, networks = head[width + 1 : width + 5]
    return ShareWithRights(
        share=Share.from_db(alias, _SHARE_ATTNAMES, values),
        granting_group_id=granting,
        creator_active=None if active is None else bool(active),
        creator_superuser=bool(superuser),
        allowed_networks=networks or "",
        rows=[(row[0], *row[width + 5 :]) for row in rows if row[0] != "share"],
    )


@functools.cache
def _joined_models() -> tuple[type[models.Model], ...]:
    """The models whose tables the one statement joins (they must share the share's database)."""
    joined: list[type[models.Model]] = [Permission, Group, get_user_model(), RoleRule, RoleSettings]
    if _guardian_installed():
        joined += [apps.get_model("guardian", name) for name in _GUARDIAN_MODELS]
    return tuple(joined)


_GUARDIAN_MODELS = ("GroupObjectPermission", "UserObjectPermission")


def _guardian_installed() -> bool:
    return apps.is_installed("guardian")  # read once per statement and database (cached callers)


@functools.cache
def _share_sql(alias: str) -> str:
    """The statement; its parameters are the public role's name, then the link key.

    Two common table expressions come first: ``s``, the share row – one unique-index lookup –
    with the id of the group it grants the rights of; and ``h``, the groups whose rights count:
    that role (``who`` "role") and each of the creator's groups ("group"). Each branch of the
    ``UNION ALL`` then reads one kind of right of them. Kept short: psycopg keeps the parsed form
    of statements up to 4 kB only (``tests/test_queries.py`` checks the length).
    """
    q = _quoted(alias)
    share = Share._meta
    user_model = get_user_model()
    user = user_model._meta
    user_key = cast(str, user.model_name)  # the through tables' key to the user: set on any model
    permission = Permission._meta
    group_link = Group.permissions.through._meta
    user_groups = user_model.groups.through._meta
    user_perms = user_model.user_permissions.through._meta
    rule, role_settings = RoleRule._meta, RoleSettings._meta

    def col(opts: Any, name: str) -> str:
        return q(opts.get_field(name).column)

    role, creator = col(share, "role"), f"s.{col(share, 'created_by')}"
    public_group = (
        f"SELECT g.{q(Group._meta.pk.column)} FROM {q(Group._meta.db_table)} g"  # noqa: S608
        f" WHERE g.{col(Group._meta, 'name')} = %s"
    )
    share_columns = [q(field.column) for field in share.concrete_fields]
    the_share = (
        f"s AS (SELECT {', '.join(share_columns)}, CASE WHEN {role} IS NOT NULL THEN {role}"  # noqa: S608
        f" WHEN {col(share, 'role_removed')} THEN NULL ELSE ({public_group}) END AS granting_group"
        f" FROM {q(share.db_table)} WHERE {col(share, 'key')} = %s)"
    )
    ug_group = f"ug.{col(user_groups, 'group')}"
    creator_groups = (
        f"JOIN {q(user_groups.db_table)} ug ON ug.{col(user_groups, user_key)} = {creator}"
    )
    holders = (
        f"h AS (SELECT 'role' AS who, {_typed_null(alias, Group._meta.pk)} AS g,"  # noqa: S608
        f" s.granting_group AS id FROM s"
        f" UNION ALL SELECT 'group', {ug_group}, {ug_group} FROM s {creator_groups})"
    )
    try:
        active = f"u.{col(user, 'is_active')}"
    except FieldDoesNotExist:  # AbstractBaseUser without the field: always active
        active = f"CASE WHEN u.{q(user.pk.column)} IS NULL THEN NULL ELSE 1 END"
    head = (
        # s.*: the share's columns, then its granting group
        f"SELECT 'share', s.*, {active}, u.{col(user, 'is_superuser')},"  # noqa: S608
        f" rs.{col(role_settings, 'allowed_networks')}, {_typed_nulls(alias)} FROM s"
        f" LEFT JOIN {q(user.db_table)} u ON u.{q(user.pk.column)} = {creator}"
        f" LEFT JOIN {q(role_settings.db_table)} rs"
        f" ON rs.{col(role_settings, 'role')} = s.granting_group"
    )
    share_nulls = ",".join(["NULL"] * (len(share_columns) + 4))

    def rights(who: str, group: str, columns: str, source: str) -> str:
        return f"SELECT {who}, {share_nulls}, {group}, {columns} FROM {source}"  # noqa: S608

    perm = f"p.{col(permission, 'content_type')}, p.{col(permission, 'codename')}"
    join_perm = f"JOIN {q(permission.db_table)} p ON p.{q(permission.pk.column)} ="
    no_rule = "NULL, NULL, NULL, NULL"
    rule_columns = ", ".join(
        f"r.{col(rule, name)}" for name in ("all_fields", "fields", "read_filter", "share_filter")
    )
    branches = [
        head,
        rights(
            "h.who",
            "h.g",
            f"{perm}, 0, {no_rule}",
            f"h JOIN {q(group_link.db_table)} gp ON gp.{col(group_link, 'group')} = h.id"
            f" {join_perm} gp.{col(group_link, 'permission')}",
        ),
        rights(
            "h.who",
            "h.g",
            f"r.{col(rule, 'content_type')}, NULL, 0, {rule_columns}",
            f"h JOIN {q(rule.db_table)} r ON r.{col(rule, 'role')} = h.id",
        ),
        rights(
            "'user'",
            "NULL",
            f"{perm}, 0, {no_rule}",
            f"s JOIN {q(user_perms.db_table)} up ON up.{col(user_perms, user_key)} ="
            f" {creator} {join_perm} up.{col(user_perms, 'permission')}",
        ),
    ]
    if _guardian_installed():
        branches += _guardian_branches(q, rights, creator, join_perm)
    return f"WITH {the_share}, {holders} " + " UNION ALL ".join(branches)


def _typed_null(alias: str, field: Any) -> str:
    """A NULL of ``field``'s type (``None``: an integer): PostgreSQL types a ``UNION``'s columns
    from its branches left to right, and would take an untyped NULL for text."""
    db_type = "integer" if field is None else field.cast_db_type(connections[alias])
    return f"CAST(NULL AS {db_type})"


def _typed_nulls(alias: str) -> str:
    """The right columns of the first branch as typed NULLs (see :func:`_typed_null`)."""
    permission, rule = Permission._meta, RoleRule._meta
    fields = [
        Group._meta.pk,
        permission.get_field("content_type").target_field,
        permission.get_field("codename"),
        None,  # on objects only: 0, 1 or 2
        *(rule.get_field(name) for name in ("all_fields", "fields", "read_filter", "share_filter")),
    ]
    return ", ".join(_typed_null(alias, field) for field in fields)


def _guardian_branches(
    q: Callable[[str], str], rights: Callable[..., str], creator: str, join_perm: str
) -> list[str]:
    """Which (model, permission) pairs the holders and the creator hold through django-guardian
    on the shared object (``2``) and on some objects (``1``) – the latter are matched in SQL
    later, by a subquery."""
    permission = Permission._meta
    by_group = apps.get_model("guardian", "GroupObjectPermission")._meta
    by_user = apps.get_model("guardian", "UserObjectPermission")._meta
    share_ct = q(Share._meta.get_field("content_type").column)
    share_pk = q(Share._meta.get_field("object_pk").column)

    def column(opts: Any, name: str) -> str:
        return f"o.{q(opts.get_field(name).column)}"

    def grants(opts: Any, holder: str, value: str, on_shared_object: bool = False) -> str:
        shared = (
            f" AND {column(opts, 'content_type')} = s.{share_ct}"
            f" AND {column(opts, 'object_pk')} = s.{share_pk}"
        )
        return (
            f"JOIN {q(opts.db_table)} o ON {column(opts, holder)} = {value}"
            f"{shared if on_shared_object else ''} {join_perm} {column(opts, 'permission')}"
        )

    def pair(opts: Any) -> str:  # named for the de-duplicating subquery
        return (
            f"{column(opts, 'content_type')} AS ct,"
            f" p.{q(permission.get_field('codename').column)} AS codename"
        )

    on_shared, on_some = "2, NULL, NULL, NULL, NULL", "1, NULL, NULL, NULL, NULL"
    # DISTINCT would type the result's NULLs as text (PostgreSQL): it de-duplicates in a
    # subquery, whose holder columns are typed (h's).
    return [
        rights(
            "h.who",
            "h.g",
            f"{pair(by_group)}, {on_shared}",
            f"h CROSS JOIN s {grants(by_group, 'group', 'h.id', True)}",
        ),
        rights(
            "'user'",
            "NULL",
            f"{pair(by_user)}, {on_shared}",
            f"s {grants(by_user, 'user', creator, True)}",
        ),
        rights(
            "d.who",
            "d.g",
            f"d.ct, d.codename, {on_some}",
            f"(SELECT DISTINCT h.who AS who, h.g AS g, {pair(by_group)}"  # noqa: S608
            f" FROM h {grants(by_group, 'group', 'h.id')}) d",
        ),
        rights(
            "'user'",
            "NULL",
            f"d.ct, d.codename, {on_some}",
            f"(SELECT DISTINCT {pair(by_user)} FROM s {grants(by_user, 'user', creator)}) d",  # noqa: S608
        ),
    ]


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
