"""The query every share request starts with, as plain SQL: the share and every right it needs.

Building a query through the ORM costs several times more than running it (the benchmark
measured 0.55 ms against 0.05 ms for a role's permissions on SQLite), and one round trip to a
database server costs more than either: so the share row, its role's permissions and rules, and
its creator's – own, through groups, and through django-guardian – come back from one
``UNION ALL`` statement over the share row, found once by a unique-index lookup of its key. The
SQL is written from the models' own table and column names, quoted by the connection;
``tests/test_queries.py`` checks it against :func:`load_with_orm`, which reads the same rights
through the ORM (and serves projects whose auth tables live in another database).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models, router

from .conf import on_settings_change
from .models import RoleRule, RoleSettings, Share
from .rights import Holder, RuleData, ShareRights

# One row of rights: (who, group id, content type id, codename, on objects only – 1: some,
# 2: the shared object –, rule columns…)
# where ``who`` is "role", "user" (the creator's own) or "group" (one of the creator's groups).
RightRow = tuple[str, int | None, int, str | None, int, Any, Any, Any, Any]
_RIGHT_COLUMNS = 9


@dataclass
class LoadedShare:
    """The share row with what decides its rights, as one query returns them."""

    share: Share
    granting_group_id: int | None  # the role, or the public role; None: grants nothing
    creator_active: bool | None  # None: no creator row (none recorded, or deleted)
    creator_superuser: bool
    allowed_networks: str
    rows: list[RightRow]


def load_share(key: str, public_role: str | None) -> LoadedShare | None:
    """The share with link key ``key`` and every right it needs, or ``None`` if no share has
    that key. The role granted is its own, else the group named ``public_role`` – unless its
    role was deleted."""
    alias = router.db_for_read(Share)
    if any(router.db_for_read(model) != alias for model in _joined_models()):
        return load_with_orm(key, public_role)  # auth lives elsewhere: no joins across databases
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(*share_statement(alias, key, public_role))
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


def share_statement(alias: str, key: str, public_role: str | None) -> tuple[str, list[Any]]:
    """The SQL :func:`load_share` runs on the database ``alias``, with its parameters."""
    return _share_sql(alias), [public_role, key]


#: How many sets of rights are kept for the next visits (each with the answers it worked out).
KEPT_RIGHTS = 256

_kept_rights: dict[Hashable, ShareRights] = {}


def share_rights(loaded: LoadedShare) -> ShareRights:
    """What ``loaded`` shows: its granting group's rights, limited by its creator's.

    Rights are a function of the loaded rows and flags alone, so the rights built for the same
    ones are reused – with every answer (fields, relations, row filters) they already worked
    out – by the next visit of any share that loads them. A changed permission, rule, grant,
    role or creator loads other rows; a change of the ``DIRECTUS_SHARES`` setting clears them.
    """
    key = _rights_key(loaded, tuple(loaded.rows))
    try:
        rights = _kept_rights.get(key)
    except TypeError:  # read through the ORM: a rule's JSON comes as dicts and lists
        key = _rights_key(loaded, tuple(tuple(map(_hashable, row)) for row in loaded.rows))
        rights = _kept_rights.get(key)
    if rights is None:
        rights = _build_rights(loaded)
        if len(_kept_rights) >= KEPT_RIGHTS:
            _kept_rights.clear()
        _kept_rights[key] = rights
    return rights


def _rights_key(loaded: LoadedShare, rows: tuple[Any, ...]) -> tuple[Any, ...]:
    """Everything the rights depend on. The rows in the order the database returned them: the
    same statement returns the same rows in the same order (else it is a miss, not a mistake)."""
    share = loaded.share
    flags = (loaded.granting_group_id, loaded.creator_active, loaded.creator_superuser)
    return (*flags, loaded.allowed_networks, share.created_by_id, share.creator_removed, rows)


def _hashable(value: Any) -> Hashable:
    """A rule's JSON as text, the rest as is."""
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


on_settings_change(_kept_rights.clear)  # rights are derived from the settings too


def _build_rights(loaded: LoadedShare) -> ShareRights:
    share = loaded.share
    role = None
    if loaded.granting_group_id is not None:
        role = holders_from_rows(
            (row for row in loaded.rows if row[0] == "role"), role_pk=loaded.granting_group_id
        )[0]
    if share.created_by_id is None:
        creator, unavailable = None, share.creator_removed  # made by code, or creator deleted
    elif not loaded.creator_active:
        creator, unavailable = None, True  # deactivated
    elif loaded.creator_superuser:
        creator, unavailable = None, False
    else:
        creator = holders_from_rows(
            (row for row in loaded.rows if row[0] != "role"), user_pk=share.created_by_id
        )
        unavailable = False
    return ShareRights(
        role,
        creator,
        creator_unavailable=unavailable,
        allowed_networks=loaded.allowed_networks,
    )


def rights_of_role(group: Group) -> ShareRights:
    """What a share with role ``group`` shows when nothing else limits it (read with the ORM)."""
    rows = [("role", *row) for row in group_right_rows([group.pk])]
    networks = RoleSettings.objects.filter(role=group).values_list("allowed_networks", flat=True)
    return ShareRights(
        holders_from_rows(rows, role_pk=group.pk)[0], allowed_networks=networks.first() or ""
    )


def holders_of_user(user: Any) -> list[Holder]:
    """The holders of ``user``'s rights – their own permissions and each group's (ORM)."""
    return holders_from_rows(user_right_rows(user), user_pk=user.pk)


def holders_from_rows(
    rows: Iterable[RightRow], *, role_pk: int | None = None, user_pk: int | None = None
) -> list[Holder]:
    """Group right rows into holders: the role (``role_pk``), or a user's own rights
    (``user_pk``) followed by each of their groups."""
    holders: dict[tuple[str, int], Holder] = {}
    if role_pk is not None:
        holders[("group", role_pk)] = Holder("group", role_pk)
    if user_pk is not None:
        holders[("user", user_pk)] = Holder("user", user_pk)
    for who, group_id, content_type_id, codename, on_objects, *rule in rows:
        key = ("user", user_pk) if who == "user" else ("group", group_id or role_pk)
        holder = holders.setdefault(key, Holder(*key))  # type: ignore[arg-type]
        if codename is None:
            holder.rules[content_type_id] = _rule(*rule)
        elif on_objects == 2:
            holder.shared_object_permissions.add(codename)
        elif on_objects:
            holder.object_permissions.add((content_type_id, codename))
        else:
            holder.permissions.add((content_type_id, codename))
    return list(holders.values())


def _rule(all_fields: Any, fields: Any, read_filter: Any, share_filter: Any) -> RuleData:
    fields, read_filter, share_filter = (
        json.loads(value) if isinstance(value, str | bytes) else value
        for value in (fields, read_filter, share_filter)
    )
    return RuleData(
        all_fields=bool(all_fields),
        fields=frozenset(fields or ()),
        read_filter=read_filter or {},
        share_filter=share_filter or {},
    )


# -- the same through the ORM --------------------------------------------------------------------


def load_with_orm(key: str, public_role: str | None) -> LoadedShare | None:
    """:func:`load_share` through the ORM (several queries, any database routing)."""
    share = Share.objects.filter(key=key).order_by().first()
    if share is None:
        return None
    granting = _granting_group_id(share, public_role)
    user = share.created_by if share.created_by_id else None
    rows: list[RightRow] = []
    networks = ""
    shared = (share.content_type_id, share.object_pk)
    if granting is not None:
        rows += [("role", None, *row[1:]) for row in group_right_rows([granting], shared)]
        networks = (
            RoleSettings.objects.filter(role_id=granting)
            .values_list("allowed_networks", flat=True)
            .first()
            or ""
        )
    if user is not None:
        rows += user_right_rows(user, shared)
    return LoadedShare(
        share=share,
        granting_group_id=granting,
        creator_active=None if user is None else bool(getattr(user, "is_active", True)),
        creator_superuser=bool(getattr(user, "is_superuser", False)),
        allowed_networks=networks,
        rows=rows,
    )


def _granting_group_id(share: Share, public_role: str | None) -> int | None:
    if share.role_id is not None:
        return share.role_id
    if share.role_removed or not public_role:  # never widen a share whose role was deleted
        return None
    return Group.objects.filter(name=public_role).values_list("pk", flat=True).first()


def load_shares(shares: Sequence[Share], public_role: str | None) -> dict[int, LoadedShare]:
    """:func:`load_with_orm` for shares already read (a page of the admin's list; their
    ``created_by`` selected with them), by their pk – the same rows, in a fixed number of
    queries however many shares, roles and creators there are."""
    public = None
    if public_role and any(s.role_id is None and not s.role_removed for s in shares):
        public = Group.objects.filter(name=public_role).values_list("pk", flat=True).first()
    granting = {
        s.pk: s.role_id if s.role_id is not None else None if s.role_removed else public
        for s in shares
    }
    creators = {s.created_by_id: s.created_by for s in shares if s.created_by_id is not None}
    user_model = get_user_model()
    user_column = f"{user_model._meta.model_name}_id"
    groups_of: dict[int, list[int]] = {pk: [] for pk in creators}
    for user_pk, group_id in user_model.groups.through.objects.filter(
        **{f"{user_column}__in": list(creators)}
    ).values_list(user_column, "group_id"):
        groups_of[user_pk].append(group_id)
    group_ids = {g for g in granting.values() if g is not None}
    group_ids.update(g for ids in groups_of.values() for g in ids)
    of_group: dict[int, list[tuple[Any, ...]]] = {g: [] for g in group_ids}
    for row in group_right_rows(sorted(group_ids)):
        of_group[row[0]].append(row)
    own = _own_right_rows(list(creators), user_column)
    on_shared = _grants_on_shared_objects(shares, group_ids, list(creators))
    settings = RoleSettings.objects.filter(role_id__in=group_ids)
    networks = dict(settings.values_list("role_id", "allowed_networks"))
    loaded = {}
    for share in shares:
        target = (share.content_type_id, share.object_pk)
        group = granting[share.pk]
        user = creators.get(share.created_by_id) if share.created_by_id is not None else None
        rows: list[RightRow] = []
        if group is not None:
            rows += [("role", None, *row[1:]) for row in of_group[group]]
            rows += [("role", None, *row) for row in on_shared.get(("group", group, *target), [])]
        if user is not None:
            rows += own.get(user.pk, [])
            rows += [("user", None, *row) for row in on_shared.get(("user", user.pk, *target), [])]
            for group_id in groups_of[user.pk]:
                rows += [("group", *row) for row in of_group[group_id]]
                rows += [
                    ("group", group_id, *row)
                    for row in on_shared.get(("group", group_id, *target), [])
                ]
        loaded[share.pk] = LoadedShare(
            share=share,
            granting_group_id=group,
            creator_active=None if user is None else bool(getattr(user, "is_active", True)),
            creator_superuser=bool(getattr(user, "is_superuser", False)),
            allowed_networks=(networks.get(group) or "") if group is not None else "",
            rows=rows,
        )
    return loaded


_NO_RULE = (None, None, None, None)


def _own_right_rows(user_pks: list[Any], user_column: str) -> dict[Any, list[RightRow]]:
    """Each user's own permissions and django-guardian grants on some objects (one query each)."""
    rows: dict[Any, list[RightRow]] = {pk: [] for pk in user_pks}
    through = get_user_model().user_permissions.through.objects
    for user_pk, content_type_id, codename in through.filter(
        **{f"{user_column}__in": user_pks}
    ).values_list(user_column, "permission__content_type_id", "permission__codename"):
        rows[user_pk].append(("user", None, content_type_id, codename, 0, *_NO_RULE))
    if _guardian_installed():
        grants = apps.get_model("guardian", "UserObjectPermission").objects
        for user_pk, content_type_id, codename in (
            grants.filter(user_id__in=user_pks)
            .values_list("user_id", "content_type_id", "permission__codename")
            .distinct()
        ):
            rows[user_pk].append(("user", None, content_type_id, codename, 1, *_NO_RULE))
    return rows


def _grants_on_shared_objects(
    shares: Sequence[Share], group_ids: Iterable[int], user_pks: list[Any]
) -> dict[tuple[Any, ...], list[tuple[Any, ...]]]:
    """django-guardian grants on the shares' own objects, by (kind, holder, content type id,
    object id): ``(content type id, codename, 2, …)`` rows (one query per kind of holder)."""
    found: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    if not _guardian_installed() or not shares:
        return found
    targets = {"content_type_id__in": {s.content_type_id for s in shares},
               "object_pk__in": {s.object_pk for s in shares}}  # fmt: skip
    for kind, holders in (("group", list(group_ids)), ("user", user_pks)):
        model = apps.get_model("guardian", f"{kind.capitalize()}ObjectPermission")
        grants = model.objects.filter(**{f"{kind}_id__in": holders}, **targets)
        for holder, content_type_id, object_pk, codename in grants.values_list(
            f"{kind}_id", "content_type_id", "object_pk", "permission__codename"
        ):
            found.setdefault((kind, holder, content_type_id, object_pk), []).append(
                (content_type_id, codename, 2, *_NO_RULE)
            )
    return found


def user_right_rows(user: Any, shared_object: tuple[int, str] | None = None) -> list[RightRow]:
    """The right rows of ``user``: their own permissions and those of each of their groups
    (with their object grants on ``shared_object``, a content type id and object id)."""
    rows: list[RightRow] = [
        ("user", None, content_type_id, codename, 0, None, None, None, None)
        for content_type_id, codename in user.user_permissions.values_list(
            "content_type_id", "codename"
        )
    ]
    if _guardian_installed():
        grants = apps.get_model("guardian", "UserObjectPermission").objects.filter(user=user)
        rows += [
            ("user", None, content_type_id, codename, 1, None, None, None, None)
            for content_type_id, codename in grants.values_list(
                "content_type_id", "permission__codename"
            ).distinct()
        ]
        rows += [
            ("user", None, content_type_id, codename, 2, None, None, None, None)
            for content_type_id, codename in _on(grants, shared_object)
        ]
    group_ids = list(user.groups.values_list("pk", flat=True))
    return rows + [("group", *row) for row in group_right_rows(group_ids, shared_object)]


def _on(grants: Any, shared_object: tuple[int, str] | None) -> Any:
    """(content type id, codename) of ``grants`` on ``shared_object``."""
    if shared_object is None:
        return []
    content_type_id, object_pk = shared_object
    return grants.filter(content_type_id=content_type_id, object_pk=object_pk).values_list(
        "content_type_id", "permission__codename"
    )


def group_right_rows(
    group_ids: Sequence[int], shared_object: tuple[int, str] | None = None
) -> list[tuple[Any, ...]]:
    """Permissions, object permissions (also those on ``shared_object``) and rules of the
    groups, as ``(group id, …)`` rows."""
    through = Group.permissions.through.objects.filter(group_id__in=group_ids)
    rows: list[tuple[Any, ...]] = [
        (group_id, content_type_id, codename, 0, None, None, None, None)
        for group_id, content_type_id, codename in through.values_list(
            "group_id", "permission__content_type_id", "permission__codename"
        )
    ]
    if _guardian_installed():
        grants = apps.get_model("guardian", "GroupObjectPermission").objects
        rows += [
            (group_id, content_type_id, codename, 1, None, None, None, None)
            for group_id, content_type_id, codename in grants.filter(group_id__in=group_ids)
            .values_list("group_id", "content_type_id", "permission__codename")
            .distinct()
        ]
        if shared_object is not None:
            rows += [
                (group_id, content_type_id, codename, 2, None, None, None, None)
                for group_id, content_type_id, codename in grants.filter(
                    group_id__in=group_ids,
                    content_type_id=shared_object[0],
                    object_pk=shared_object[1],
                ).values_list("group_id", "content_type_id", "permission__codename")
            ]
    rows += [
        (rule.role_id, rule.content_type_id, None, 0, *_rule_values(rule))
        for rule in RoleRule.objects.filter(role_id__in=group_ids)
    ]
    return rows


def _rule_values(rule: RoleRule) -> tuple[Any, ...]:
    return rule.all_fields, rule.fields, rule.read_filter, rule.share_filter


def _joined_models() -> list[type[models.Model]]:
    """The models whose tables the one statement joins (they must share the share's database)."""
    joined: list[type[models.Model]] = [Permission, Group, get_user_model(), RoleRule, RoleSettings]
    if _guardian_installed():
        joined += [apps.get_model("guardian", name) for name in _GUARDIAN_MODELS]
    return joined


_GUARDIAN_MODELS = ("GroupObjectPermission", "UserObjectPermission")


@functools.cache
def _guardian_installed() -> bool:
    return apps.is_installed("guardian")


# -- the SQL -------------------------------------------------------------------------------------
# Identifiers come from model metadata and are quoted by the connection; values are parameters.


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
