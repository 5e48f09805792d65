"""The read of one share with every right it needs, as right rows (:func:`load_share`;
:func:`.rights.share_rights` turns them into the share's rights) – the visitor's path reads a
share only through here (may touch the share, auth, guardian and role tables; reads only).

Two routes read the same rows: the ORM route (:func:`load_with_orm`, two queries, every database)
and the fast path (:func:`load_with_fast_path`), one hand-written statement on PostgreSQL and
SQLite, where it saves most of the lookup's CPU (docs/benchmarks.md, "The ORM route and the fast
path"); ``tests/test_queries.py`` holds both routes equal. This is the one module with
hand-written SQL, and no SQL string leaves it: it answers with model instances and rows.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models, router
from django.db.models import Case, F, Min, OuterRef, Subquery, Value, When
from django.db.models.functions import Cast

from .models import RoleRule, RoleSettings, Share, ShareRecipient
from .rights import RightRow


@dataclass
class LoadedShare:
    """The share row with what decides its rights, as :func:`load_share` reads them."""

    share: Share
    granting_group_id: int | None  # the role, or the public role; None: grants nothing
    creator_active: bool | None  # None: no creator row (none recorded, or deleted)
    creator_superuser: bool
    allowed_networks: str
    rows: list[RightRow]


def load_share(key: str, public_role: str | None) -> LoadedShare | None:
    """The share with link key ``key`` and every right it needs, or ``None`` if no share has
    that key. The role granted is its own, else the group named ``public_role`` – unless its
    role was deleted. One statement where :func:`fast_path_serves`, else :func:`load_with_orm`."""
    if fast_path_serves():
        return load_with_fast_path(key, public_role)
    return load_with_orm(key, public_role)


def load_recipient(key: str) -> tuple[ShareRecipient, str] | None:
    """The recipient with link key ``key`` and its share's link key (one indexed query), or
    ``None`` if no recipient has that key."""
    found = ShareRecipient.objects.filter(key=key).annotate(ds_share_key=F("share__key"))
    recipient = next(iter(found.order_by()[:1]), None)
    share_key = getattr(recipient, "ds_share_key", None)
    return None if recipient is None or share_key is None else (recipient, share_key)


# -- the ORM route: every database ----------------------------------------------------------------


def load_with_orm(key: str, public_role: str | None) -> LoadedShare | None:
    """:func:`load_share` through the ORM, on any database and routing: two queries (one when the
    share grants nothing and has no creator)."""
    share = Share.objects.filter(key=key).order_by().annotate(**_share_flags(public_role)).first()
    if share is None:
        return None
    granting = getattr(share, "ds_granting_group", None)
    found = getattr(share, "ds_creator_found", None) is not None
    active = None if not found else bool(getattr(share, "ds_creator_active", True))
    superuser = found and bool(getattr(share, "ds_creator_superuser", False))
    creator = share.created_by_id if found else None
    shared = (share.content_type_id, share.object_pk)
    return LoadedShare(
        share=share,
        granting_group_id=granting,
        creator_active=active,
        creator_superuser=superuser,
        allowed_networks=getattr(share, "ds_allowed_networks", None) or "",
        rows=right_rows(granting, creator, shared),
    )


def _share_flags(public_role: str | None) -> dict[str, Any]:
    """The annotations :func:`load_share` reads with the share row (one query)."""
    public: Any = Value(None)
    if public_role:
        public = Subquery(Group.objects.filter(name=public_role).values("pk")[:1])
    granting = Case(
        When(role__isnull=False, then=F("role_id")),
        When(role_removed=True, then=Value(None)),
        default=public,
        output_field=models.IntegerField(),
    )
    networks = RoleSettings.objects.filter(role_id=OuterRef("ds_granting_group"))
    flags: dict[str, Any] = {
        "ds_granting_group": granting,
        "ds_allowed_networks": Subquery(networks.values("allowed_networks")[:1]),
        "ds_creator_found": F("created_by__pk"),
        "ds_creator_superuser": F("created_by__is_superuser"),
    }
    if _user_has_is_active():  # else (AbstractBaseUser without the field): always active
        flags["ds_creator_active"] = F("created_by__is_active")
    return flags


@functools.cache
def _user_has_is_active() -> bool:
    try:
        get_user_model()._meta.get_field("is_active")
    except FieldDoesNotExist:
        return False
    return True


def right_rows(
    group_id: int | None, user_pk: Any, shared_object: tuple[int, str] | None
) -> list[RightRow]:
    """The right rows of the group ``group_id`` (who "role") and of the user ``user_pk`` (their
    own, "user", and each of their groups', "group"), with django-guardian grants on
    ``shared_object`` (content type id, object id): one query, none if both are ``None``."""
    branches = []
    if group_id is not None:
        branches += _holder_branches("role", [group_id], shared_object)
    if user_pk is not None:
        user_model = get_user_model()
        groups = user_model.groups.through.objects.filter(**{_user_key(): user_pk}).values(
            "group_id"
        )
        branches += _holder_branches("group", groups, shared_object)
        branches += _user_branches(user_pk, shared_object)
    if not branches:
        return []
    first, *others = branches
    rows = first.union(*others, all=True) if others else first
    return [
        (_WHO[who], None if who == 0 else group, content_type, codename, int(on_objects), *rule)
        for who, group, content_type, codename, on_objects, *rule in rows
    ]


def _user_key() -> str:
    """The through tables' key to the user (set on any user model)."""
    return str(get_user_model()._meta.model_name)


def _no_rule() -> list[Value]:
    """The rule columns of a row that is not a rule: NULLs (typed by the rules' branch)."""
    return [Value(None, output_field=_rule_field(name)) for name in _RULE_FIELDS]


def _rule_field(name: str) -> models.Field:
    field = RoleRule._meta.get_field(name)
    assert isinstance(field, models.Field)  # a column, not a relation
    return field


#: Who holds a right, as the number the query returns for it.
_WHO = ("role", "group", "user")
_RULE_FIELDS = ("all_fields", "fields", "read_filter", "share_filter")


def _row(
    queryset: models.QuerySet,
    who: str,
    group: Any,
    content_type: Any,
    codename: Any,
    on_objects: int,
    rule: Sequence[Any] | None = None,
) -> models.QuerySet:
    """``queryset`` as right rows: the columns of :data:`RightRow`, in its order. Numbers are
    cast to their column's type (PostgreSQL types a ``UNION``'s columns from its branches), and
    no text is a literal (MySQL would refuse to mix its collation with the columns')."""
    columns = {
        "ds_who": Cast(Value(_WHO.index(who)), models.IntegerField()),
        "ds_group": group,
        "ds_content_type": content_type,
        "ds_codename": codename,
        "ds_on_objects": Cast(Value(on_objects), models.IntegerField()),
        **{
            f"ds_{name}": value
            for name, value in zip(_RULE_FIELDS, rule or _no_rule(), strict=True)
        },
    }
    return queryset.order_by().annotate(**columns).values_list(*columns)


def _holder_branches(
    who: str, groups: Any, shared_object: tuple[int, str] | None
) -> list[models.QuerySet]:
    """The rules (first: their columns type the union), permissions and django-guardian grants
    of the groups ``groups`` (their ids, a list or a subquery), as ``who``."""
    rules = RoleRule.objects.filter(role_id__in=groups)
    no_codename = Value(None, output_field=models.CharField())  # text of any collation
    branches = [
        _row(
            rules,
            who,
            F("role_id"),
            F("content_type_id"),
            no_codename,
            0,
            [F(name) for name in _RULE_FIELDS],
        ),
        _row(
            Group.permissions.through.objects.filter(group_id__in=groups),
            who,
            F("group_id"),
            F("permission__content_type_id"),
            F("permission__codename"),
            0,
        ),
    ]
    if guardian_installed():
        grants = apps.get_model("guardian", "GroupObjectPermission").objects.filter(
            group_id__in=groups
        )
        branches += _grant_branches(grants, "group_id", who, F("group_id"), shared_object)
    return branches


def _user_branches(user_pk: Any, shared_object: tuple[int, str] | None) -> list[models.QuerySet]:
    """The user's own permissions and django-guardian grants, as "user"."""
    own = get_user_model().user_permissions.through.objects.filter(**{_user_key(): user_pk})
    no_group = Value(None, output_field=models.IntegerField())
    branches = [
        _row(own, "user", no_group, F("permission__content_type_id"), F("permission__codename"), 0),
    ]
    if guardian_installed():
        grants = apps.get_model("guardian", "UserObjectPermission").objects.filter(user_id=user_pk)
        branches += _grant_branches(grants, "user_id", "user", no_group, shared_object)
    return branches


def _grant_branches(
    grants: models.QuerySet,
    holder: str,
    who: str,
    group: Any,
    shared_object: tuple[int, str] | None,
) -> list[models.QuerySet]:
    """Which (model, permission) pairs ``grants`` give their ``holder`` (its column) on the
    shared object (``2``) and on some objects (``1``, once per holder – later matched in SQL, by
    a subquery). Once: the first grant of each, found by a subquery, not by ``DISTINCT`` (which
    would type PostgreSQL's NULLs)."""
    holder = (
        "group_id" if "group_id" in {f.attname for f in grants.model._meta.fields} else "user_id"
    )
    first = grants.values(holder, "content_type_id", "permission_id").annotate(first=Min("pk"))
    once = grants.filter(pk__in=first.values("first"))
    branches = [_row(once, who, group, F("content_type_id"), F("permission__codename"), 1)]
    if shared_object is not None:
        content_type_id, object_pk = shared_object
        on_shared = grants.filter(content_type_id=content_type_id, object_pk=object_pk)
        branches.append(
            _row(on_shared, who, group, F("content_type_id"), F("permission__codename"), 2)
        )
    return branches


# -- the fast path: one statement, on PostgreSQL and SQLite ---------------------------------------

#: The databases the statement is written for (Django's ``connection.vendor``).
FAST_PATH_VENDORS = frozenset({"postgresql", "sqlite"})


def fast_path_serves() -> bool:
    """Whether :func:`load_with_fast_path` may answer: the shares' database is one it is written
    for, the tables it joins live there too, and ``DIRECTUS_SHARES_FAST_PATH`` is not ``0`` (the
    benchmark's switch, read once per process)."""
    alias = router.db_for_read(Share)
    return (
        _switched_on()
        and connections[alias].vendor in FAST_PATH_VENDORS
        and all(router.db_for_read(model) == alias for model in _joined_models())
    )


@functools.cache
def _switched_on() -> bool:
    return os.environ.get("DIRECTUS_SHARES_FAST_PATH", "1") != "0"


def load_with_fast_path(key: str, public_role: str | None) -> LoadedShare | None:
    """:func:`load_share` in one statement: the share with link key ``key`` and every right it
    needs, or ``None`` if no share has that key. Only where :func:`fast_path_serves` says so."""
    alias = router.db_for_read(Share)
    connection = connections[alias]
    with connection.cursor() as cursor:
        # Named parameters: SQLite's cursor then fills in two names instead of rewriting every
        # "%s" of the long statement with a regular expression on each call.
        cursor.execute(_share_sql(alias), {"public_role": public_role, "key": key})
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
    return LoadedShare(
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
    if guardian_installed():
        joined += [apps.get_model("guardian", name) for name in _GUARDIAN_MODELS]
    return tuple(joined)


_GUARDIAN_MODELS = ("GroupObjectPermission", "UserObjectPermission")


@functools.cache
def _share_sql(alias: str) -> str:
    """The statement; its parameters are ``public_role`` (the public role's name) and ``key``
    (the link key).

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
        f" WHERE g.{col(Group._meta, 'name')} = %(public_role)s"
    )
    share_columns = [q(field.column) for field in share.concrete_fields]
    the_share = (
        f"s AS (SELECT {', '.join(share_columns)}, CASE WHEN {role} IS NOT NULL THEN {role}"  # noqa: S608
        f" WHEN {col(share, 'role_removed')} THEN NULL ELSE ({public_group}) END AS granting_group"
        f" FROM {q(share.db_table)} WHERE {col(share, 'key')} = %(key)s)"
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
    if guardian_installed():
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


@functools.cache
def guardian_installed() -> bool:
    """Whether django-guardian is installed: its object permissions are read then."""
    return apps.is_installed("guardian")
