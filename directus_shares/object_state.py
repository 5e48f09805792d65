"""Whether a share's object still exists and lies within the rows the share may read.

Every visit asks this, with one query. Building that query through the ORM cost more CPU than
running it, so once built its SQL is kept – per database, model and row rule – and later visits
only prepare the object's key. A statement is kept only when nothing but the key can differ from
one visit to the next: the rule holds plain values (no expressions or querysets, which are built
anew each time) and the model's default manager is Django's own (a custom one may filter by
something of the request's, such as a tenant). Anything else is asked through the ORM each time.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import uuid
from typing import Any

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections, models, router
from django.db.models import Exists, F, OuterRef, Q, Value

from .access import ObjectState
from .models import Share
from .rights import ModelAccess, ShareRights

#: Statements kept at most (distinct models × row rules); past it, the store starts afresh.
KEPT_STATEMENTS = 256

_statements: dict[tuple[Any, ...], tuple[str, tuple[Any, ...]]] = {}


def shared_object_state(share: Share, rights: ShareRights) -> ObjectState:
    """Whether the shared object exists and lies within the rows the share may read (one
    query)."""
    model = share.shared_model
    if model is None:
        return ObjectState.GONE
    access = rights.shared_object_access(model)
    try:
        readable = _ask(model, access, share.object_pk)
    except (ValidationError, ValueError):  # not a key of this model's type
        return ObjectState.GONE
    if readable is None:
        return ObjectState.GONE
    return ObjectState.VISIBLE if readable and access is not None else ObjectState.HIDDEN


def _ask(model: type[models.Model], access: ModelAccess | None, object_pk: str) -> bool | None:
    """``None`` if the object does not exist, else whether ``access`` lets the share read it."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    key = _statement_key(alias, model, access)
    kept = _statements.get(key) if key is not None else None
    if kept is not None:
        pk = _prepared_pk(model, object_pk, connection)
        if pk is None:
            return None
        sql, parameters = kept[0], (*kept[1], pk)
    else:
        try:
            sql, parameters = _query(model, access, object_pk).get_compiler(alias).as_sql()
        except EmptyResultSet:  # e.g. an integer key out of the column's range
            return None
        pk = _prepared_pk(model, object_pk, connection)
        if key is not None and parameters and parameters[-1] == pk:
            if len(_statements) >= KEPT_STATEMENTS:
                _statements.clear()
            _statements[key] = (sql, tuple(parameters[:-1]))
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        row = cursor.fetchone()
    return None if row is None else bool(row[0])


def _query(model: type[models.Model], access: ModelAccess | None, object_pk: str) -> Any:
    """One row if the object exists – whether the share may read it – else none; the object's
    key is the statement's last parameter."""
    found = model._default_manager.filter(pk=object_pk)
    if access is None or access.rows is None:
        readable: Any = Value(access is not None)
    else:
        readable = Exists(access.filter(model._default_manager.filter(pk=OuterRef("pk"))))
    return found.annotate(readable=readable).values_list("readable", flat=True)[:1].query


def _prepared_pk(model: type[models.Model], object_pk: str, connection: Any) -> Any:
    """``object_pk`` as the database receives it (``None``: no key of the column can equal it).

    Raises:
        ValueError, ValidationError: it is not a value of the key's type.
    """
    pk = model._meta.pk
    value = pk.get_db_prep_value(object_pk, connection, prepared=False)
    target = pk
    while target.is_relation:  # multi-table inheritance: the parent's key
        target = target.target_field
    if isinstance(value, int) and isinstance(target, models.IntegerField):
        low, high = connection.ops.integer_field_range(target.get_internal_type())
        if (low is not None and value < low) or (high is not None and value > high):
            return None
    return value


def _statement_key(
    alias: str, model: type[models.Model], access: ModelAccess | None
) -> tuple[Any, ...] | None:
    """What the statement depends on besides the key, or ``None`` if it must not be kept."""
    if not _plain_manager(model):
        return None
    if access is None or access.rows is None:
        return (alias, model, access is not None)
    try:
        rows = _frozen(access.rows)
    except _NotPlain:
        return None
    return (alias, model, True, access.compares_pk_text, rows)


@functools.cache
def _plain_manager(model: type[models.Model]) -> bool:
    """Whether ``model``'s default manager and queryset build queries as Django's own do."""
    manager = model._default_manager
    queryset = getattr(manager, "_queryset_class", None)
    return (
        type(manager).get_queryset is models.Manager.get_queryset
        and queryset is not None
        and all(
            getattr(queryset, name) is getattr(models.QuerySet, name)
            for name in ("__init__", "filter", "_filter_or_exclude", "annotate", "alias")
        )
    )


class _NotPlain(Exception):
    """A rule value that is not plain data."""


_PLAIN_TYPES = frozenset(
    {
        str, int, float, bool, type(None), decimal.Decimal, uuid.UUID,
        datetime.date, datetime.datetime, datetime.time, datetime.timedelta,
    }
)  # fmt: skip


def _frozen(value: Any) -> Any:
    """``value`` (a ``Q``, one of its conditions or a value) as a hashable key that tells apart
    values of different types (``1``, ``1.0`` and ``True`` are equal in Python).

    Raises:
        _NotPlain: it holds something else (an expression other than ``F``, a queryset …).
    """
    if isinstance(value, Q):
        return (Q, value.connector, value.negated, tuple(map(_frozen, value.children)))
    if type(value) in (list, tuple):
        return (type(value), tuple(map(_frozen, value)))
    if type(value) in (set, frozenset):
        return (frozenset, frozenset(map(_frozen, value)))
    if type(value) is F:
        return (F, value.name)
    if type(value) in _PLAIN_TYPES:
        return (type(value), value)
    raise _NotPlain
