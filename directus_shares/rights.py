"""What a share may show: its role's rights, cut down to its creator's rights, per model.

Rights come from *holders*: the share's role (a group), and – for the creator – the user's own
permissions and each of their groups. A holder reaches a model through

* a model permission (``view_<model>`` / ``share_<model>``), narrowed by the holder's
  :class:`~directus_shares.models.RoleRule` for that model (fields; rows to read; rows to share),
* or django-guardian object permissions on single objects (with the same field list).

A person holds the union of their holders; a share shows the intersection of its role and its
creator (:class:`ShareRights`), so nobody hands out more than they may see, and a creator who
loses a right takes it from their shares with the next request. :mod:`.queries` reads a share's
holders as right rows (:data:`RightRow`); the rights built from the same rows are kept for the
next visits (:func:`share_rights`), so a changed right takes effect with the next read.

A role may also limit where its shares open from: its ``allowed_networks`` (see
:func:`address_allowed`).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connections, models, router
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Cast, Replace
from django.utils.translation import gettext as _

from .conf import on_settings_change
from .row_filters import row_filter_q
from .shareable import followable_relations, is_shareable_model, shown_fields, target_model

if TYPE_CHECKING:
    from typing_extensions import TypeIs

    from .queries import LoadedShare

Action = Literal["view", "share"]
Relation = models.Field | models.ForeignObjectRel
_PK_TEXT = "_directus_shares_pk_text"  # alias for matching guardian's text object ids

# One row of rights: (who, group id, content type id, codename, on objects only – 1: some,
# 2: the shared object –, rule columns…)
# where ``who`` is "role", "user" (the creator's own) or "group" (one of the creator's groups).
RightRow = tuple[str, int | None, int, str | None, int, Any, Any, Any, Any]


@dataclass(frozen=True)
class RuleData:
    """A :class:`~directus_shares.models.RoleRule` as plain data."""

    all_fields: bool = True
    fields: frozenset[str] = frozenset()
    read_filter: dict[str, Any] = field(default_factory=dict)
    share_filter: dict[str, Any] = field(default_factory=dict)

    def filter_for(self, action: Action) -> dict[str, Any]:
        """The row filter that applies to ``action``."""
        return self.read_filter if action == "view" else self.share_filter


@dataclass(frozen=True)
class ModelAccess:
    """How much of one model may be seen: which fields (``None``: all) and which rows
    (``None``: all)."""

    fields: frozenset[str] | None = None
    rows: Q | None = None
    compares_pk_text: bool = False  # rows refer to the primary key as text (guardian ids)

    def allows_field(self, name: str) -> bool:
        return self.fields is None or name in self.fields

    def union(self, other: ModelAccess) -> ModelAccess:
        """What either allows (one person's several roles) – but never a field on a row that no
        single grant allows it on. A field list holds for every row shown, so where both are
        limited to some rows, only the fields both allow are kept; where one covers every row,
        its fields (the other's extra fields hold only on the other's rows)."""
        rows = None if self.rows is None or other.rows is None else self.rows | other.rows
        if self.rows is None and other.rows is None:
            fields = _either(self.fields, other.fields)
        elif self.rows is None or other.rows is None:
            fields = self.fields if self.rows is None else other.fields
        else:
            fields = _both(self.fields, other.fields)
        return ModelAccess(fields, rows, self.compares_pk_text or other.compares_pk_text)

    def intersection(self, other: ModelAccess) -> ModelAccess:
        """What both allow (a share's role and its creator)."""
        if self.rows is None or other.rows is None:
            rows = other.rows if self.rows is None else self.rows
        elif self.rows == other.rows:  # the same filter twice (a role's read and share filter)
            rows = self.rows  # would only be compiled and checked twice per row
        else:
            rows = self.rows & other.rows
        return ModelAccess(
            _both(self.fields, other.fields), rows, self.compares_pk_text or other.compares_pk_text
        )

    def filter(self, queryset: QuerySet, **lookups: Any) -> QuerySet:
        """``queryset`` limited to the rows allowed – and to ``lookups`` (on single-valued
        fields, such as ``pk``), in the same ``filter()`` call: one clone of the query less."""
        if self.rows is None:
            return queryset.filter(**lookups) if lookups else queryset
        if self.compares_pk_text:
            queryset = queryset.alias(**{_PK_TEXT: Cast("pk", CharField())})
        return queryset.filter(self.rows, **lookups)


def _either(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    return None if a is None or b is None else a | b  # None: every field


def _both(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None or b is None:
        return b if a is None else a
    return a & b


@dataclass
class Holder:
    """One source of rights: a group, or a user's own permissions."""

    kind: Literal["group", "user"]
    pk: int
    permissions: set[tuple[int, str]] = field(default_factory=set)  # (content type id, codename)
    object_permissions: set[tuple[int, str]] = field(default_factory=set)  # on some objects
    shared_object_permissions: set[str] = field(default_factory=set)  # codenames on the shared one
    rules: dict[int, RuleData] = field(default_factory=dict)  # by content type id

    def access(
        self, model: type[models.Model], action: Action, *, shared_object: bool = False
    ) -> ModelAccess | None:
        """What this holder may ``action`` of ``model`` (``None``: nothing) – with
        ``shared_object``, of the share's own object only, whose object grants were read with
        the share (no subquery needed)."""
        content_type = ContentType.objects.get_for_model(model)
        codename = f"{action}_{content_type.model}"
        rule = self.rules.get(content_type.pk)
        fields = None if rule is None or rule.all_fields else rule.fields
        granted = None
        if (content_type.pk, codename) in self.permissions:
            spec = None if rule is None else rule.filter_for(action)
            granted = ModelAccess(fields, row_filter_q(spec))
            if granted.rows is None:
                return granted  # every row: single-object grants add nothing
        if shared_object:
            if codename in self.shared_object_permissions:
                return ModelAccess(fields)  # the query is for that one object anyway
        elif (content_type.pk, codename) in self.object_permissions:
            objects = ModelAccess(fields, self._object_rows(model, content_type, codename), True)
            granted = objects if granted is None else granted.union(objects)
        return granted

    def _object_rows(self, model: type[models.Model], content_type: Any, codename: str) -> Q:
        """Rows of ``model`` this holder was granted ``codename`` on through django-guardian, as
        a subquery of its object permissions (guardian stores object ids as text)."""
        pk = model._meta.pk
        while isinstance(pk, models.ForeignObject):  # multi-table inheritance: the parent's key
            pk = pk.target_field
        grants = apps.get_model("guardian", f"{self.kind}objectpermission")._default_manager
        granted = grants.filter(
            **{self.kind: self.pk, "content_type": content_type.pk},
            permission__codename=codename,
        )
        if not isinstance(pk, models.UUIDField):
            return Q(**{f"{_PK_TEXT}__in": granted.values("object_pk")})
        native = connections[router.db_for_read(model)].features.has_native_uuid_field
        as_key = (  # else stored as 32 hex digits, without dashes
            Cast("object_pk", models.UUIDField())
            if native
            else Replace("object_pk", Value("-"), Value(""))
        )
        return Q(pk__in=granted.annotate(ds_object_key=as_key).values("ds_object_key"))


def union_access(
    holders: Iterable[Holder],
    model: type[models.Model],
    action: Action,
    *,
    shared_object: bool = False,
) -> ModelAccess | None:
    """What any of ``holders`` allows (``None``: none of them allows anything)."""
    result: ModelAccess | None = None
    for holder in holders:
        access = holder.access(model, action, shared_object=shared_object)
        if access is not None:
            result = access if result is None else result.union(access)
    return result


class ShareRights:
    """What one share shows at one request: its role ∩ its creator, asked many times.

    ``creator`` is ``None`` where nothing limits the role: a superuser created the share, or code
    did (no creating user was recorded).
    """

    def __init__(
        self,
        role: Holder | None = None,
        creator: list[Holder] | None = None,
        *,
        creator_unavailable: bool = False,
        allowed_networks: str = "",
    ) -> None:
        self.role = role
        self.creator = creator
        self.creator_unavailable = creator_unavailable  # deleted or deactivated: nothing opens
        self.allowed_networks = allowed_networks
        self._answers: dict[tuple[Hashable, Any], Any] = {}

    def _memo(self, question: Hashable, subject: Any, answer: Callable[[], Any]) -> Any:
        key = (question, subject)
        if key not in self._answers:
            self._answers[key] = answer()
        return self._answers[key]

    def access(self, model: type[models.Model], action: Action = "view") -> ModelAccess | None:
        """What the share lets a visitor ``action`` of ``model`` (``None``: nothing)."""
        return self._memo(action, model, lambda: self._access(model, action))

    def _access(self, model: type[models.Model], action: Action) -> ModelAccess | None:
        if self.role is None or self.creator_unavailable or not is_shareable_model(model):
            return None
        granted = self.role.access(model, action)
        if granted is None or self.creator is None:
            return granted
        creator = union_access(self.creator, model, action)
        return None if creator is None else granted.intersection(creator)

    def can_view_model(self, model: type[models.Model]) -> bool:
        return self.access(model) is not None

    def shared_object_access(self, model: type[models.Model]) -> ModelAccess | None:
        """What the share lets a visitor see of the shared object's own model: what it may read,
        limited to the rows its creator may still share – a creator who loses the right to
        share an object takes it from their existing shares too."""
        return self._memo("shared object", model, lambda: self._shared_object_access(model))

    def _shared_object_access(self, model: type[models.Model]) -> ModelAccess | None:
        if self.role is None or self.creator_unavailable or not is_shareable_model(model):
            return None
        readable = self.role.access(model, "view", shared_object=True)
        if readable is None or self.creator is None:
            return readable
        creator = union_access(self.creator, model, "view", shared_object=True)
        shareable = union_access(self.creator, model, "share", shared_object=True)
        if creator is None or shareable is None:
            return None
        rows_only = ModelAccess(None, shareable.rows, shareable.compares_pk_text)
        return readable.intersection(creator).intersection(rows_only)

    def visible_fields(
        self, model: type[models.Model], *, shared_object: bool = False
    ) -> list[models.Field]:
        """The concrete, non-relation fields of ``model`` the share shows, in model order (of
        the shared object itself, with ``shared_object``)."""
        return self._memo(
            ("fields", shared_object), model, lambda: self._visible(model, False, shared_object)
        )

    def visible_relations(
        self, model: type[models.Model], *, shared_object: bool = False
    ) -> list[Relation]:
        """The relations of ``model`` the share may follow (forward first), to models it may
        read. Generic relations and multi-table parent links are not followed."""
        return self._memo(
            ("relations", shared_object), model, lambda: self._visible(model, True, shared_object)
        )

    def _visible(self, model: type[models.Model], relations: bool, shared_object: bool) -> list:
        access = self.shared_object_access(model) if shared_object else self.access(model)
        if access is None:
            return []
        if not relations:
            return [field for field in shown_fields(model) if access.allows_field(field.name)]
        return [
            relation
            for relation in followable_relations(model)
            if access.allows_field(relation.name) and self.can_view_model(target_model(relation))
        ]


def is_reverse(relation: Relation) -> TypeIs[models.ForeignObjectRel]:
    """Whether ``relation`` is the reverse side (e.g. a report's comments)."""
    return isinstance(relation, models.ForeignObjectRel)


# -- a share's rights from its right rows ---------------------------------------------------------


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


# -- networks -------------------------------------------------------------------------------------
# Which client addresses may open a role's shares. A role's ``allowed_networks`` is text –
# addresses or CIDR ranges, IPv4 or IPv6, separated by commas, spaces or new lines
# (``10.0.0.0/8, 2001:db8::/32``). Which address a request comes from is read by
# :func:`.opening.client_address`.

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_SEPARATORS = re.compile(r"[\s,;]+")


def parse_networks(text: str) -> list[Network]:
    """The networks listed in ``text`` (a bare address is a network of one).

    Raises:
        ValueError: naming each entry that is not an address or network.
    """
    networks, bad = [], []
    for entry in filter(None, _SEPARATORS.split(text or "")):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            bad.append(entry)
    if bad:
        raise ValueError(
            _("Not an IP address or CIDR range: %(entries)s") % {"entries": ", ".join(bad)}
        )
    return networks


def address_allowed(address: Address | None, allowed: str) -> bool:
    """Whether ``address`` lies in one of the ``allowed`` networks (no networks: any address).

    An unreadable list allows nothing: the admin form refuses one, so it means a broken database.
    """
    if not allowed or not allowed.strip():
        return True
    if address is None:
        return False
    try:
        networks = parse_networks(allowed)
    except ValueError:
        return False
    return any(address.version == network.version and address in network for network in networks)
