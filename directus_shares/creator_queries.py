"""The rights the creator and staff side reads, through the ORM: a user's own rights (what may
they share?), a role's rights alone, and the rights of a page of shares at once (the admin's
list) – the same rows the visitor's read of one share gets (:mod:`.queries`), in a fixed number
of queries however many shares, roles and creators there are. Reads only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from .models import RoleRule, RoleSettings, Share
from .queries import LoadedShare, guardian_installed, right_rows
from .rights import Holder, RightRow, ShareRights, holders_from_rows

_NO_RULE = (None, None, None, None)


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


# -- a page of shares at once ---------------------------------------------------------------------


def load_shares(shares: Sequence[Share], public_role: str | None) -> dict[int, LoadedShare]:
    """:func:`.queries.load_share` for shares already read (a page of the admin's list; their
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
    if guardian_installed():
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
    if not guardian_installed() or not shares:
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
    if guardian_installed():
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
