"""A share read with every right it needs – through the ORM on any database, or in one statement
of :mod:`.fast_path` where that serves – and turned into the rights it grants (may touch the share,
auth, guardian and role tables; reads only)."""

from __future__ import annotations

import functools
import json
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Case, F, Min, OuterRef, Subquery, Value, When
from django.db.models.functions import Cast

from . import fast_path
from .conf import on_settings_change
from .models import RoleRule, RoleSettings, Share
from .rights import Holder, RuleData, ShareRights

# One row of rights: (who, group id, content type id, codename, on objects only – 1: some,
# 2: the shared object –, rule columns…)
# where ``who`` is "role", "user" (the creator's own) or "group" (one of the creator's groups).
RightRow = tuple[str, int | None, int, str | None, int, Any, Any, Any, Any]


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
    role was deleted. One statement where :mod:`.fast_path` serves, else :func:`load_with_orm`."""
    if fast_path.serves():
        found = fast_path.load_share(key, public_role)
        return None if found is None else LoadedShare(*found)
    return load_with_orm(key, public_role)


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
_NO_RULE = (None, None, None, None)


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
    if _guardian_installed():
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
    if _guardian_installed():
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
    rows = right_rows(group.pk, None, None)
    networks = RoleSettings.objects.filter(role=group).values_list("allowed_networks", flat=True)
    return ShareRights(
        holders_from_rows(rows, role_pk=group.pk)[0], allowed_networks=networks.first() or ""
    )


def holders_of_user(user: Any) -> list[Holder]:
    """The holders of ``user``'s rights – their own permissions and each group's (ORM)."""
    return holders_from_rows(right_rows(None, user.pk, None), user_pk=user.pk)


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


# -- a page of shares at once ---------------------------------------------------------------------


def load_shares(shares: Sequence[Share], public_role: str | None) -> dict[int, LoadedShare]:
    """:func:`load_share` for shares already read (a page of the admin's list; their
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
    targets = {
        "content_type_id__in": {s.content_type_id for s in shares},
        "object_pk__in": {s.object_pk for s in shares},
    }
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


@functools.cache
def _guardian_installed() -> bool:
    return apps.is_installed("guardian")
