"""Querysets compiled to SQL once and run again with one value changed.

Every visit of a share runs the same few queries – the shared object, its linked rows – for the
same model, rule and relation; only a key differs. Building each through the ORM cost several
times more CPU than running it, so the compiled statement is kept under a key that names
everything it depends on, and later runs put the new value in place of the old one and let the
ORM turn the rows into model instances (joined rows included) as usual.

A statement is kept only when that is safe: the rule holds plain values (an expression or a
queryset is built anew each time and may differ), the model's default manager and queryset are
Django's own (a custom one may filter by something of the request's, such as a tenant), and the
first run's value appears exactly once among its parameters (so it is known which to replace).
Anything else is built through the ORM each time, as before.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import functools
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from .rights import ModelAccess

#: Statements kept at most (models × rules × relations); past it, the store starts afresh.
KEPT_STATEMENTS = 256


@dataclass(frozen=True)
class _Statement:
    queryset: models.QuerySet  # never run itself: each run is a copy of it
    compiler: SQLCompiler  # compiled: knows the columns and how to build instances from rows
    sql: str
    parameters: tuple[Any, ...]
    position: int  # of the value that changes

    def parameters_with(self, value: Any) -> tuple[Any, ...]:
        """The statement's parameters with ``value`` in place of the first run's."""
        parameters = list(self.parameters)
        parameters[self.position] = value
        return tuple(parameters)


_UNKEPT: Any = object()  # a key whose statement cannot be kept
_statements: dict[Hashable, _Statement] = {}


def results(
    key: Hashable | None,
    build: Callable[[], models.QuerySet],
    value: Any,
    field: models.Field,
    alias: str,
    *,
    raw_rows: bool = False,
) -> list[Any]:
    """``list(build())``, where ``build`` makes a queryset that depends on nothing but ``key``
    and ``value`` (a value of ``field``, say an object's key): its SQL is kept under ``key``
    (``None``: never) and later calls with the same key only replace the value.

    ``raw_rows``: ``build`` makes a ``values_list()`` of values the caller takes as the database
    gives them (a flag, say), so a kept statement's rows come straight from the cursor, as tuples,
    without the ORM's conversions.

    Raises:
        ValueError, ValidationError: ``value`` is not one of ``field``'s type.
    """
    if key is None:
        return list(build())
    prepared = field.get_db_prep_value(value, connections[alias], prepared=False)
    kept = _kept(key, build, prepared, field, alias)
    if kept is _NO_ROWS:
        return []
    if isinstance(kept, models.QuerySet):  # not to be kept: built through the ORM
        return list(kept)
    if raw_rows:
        with connections[alias].cursor() as cursor:
            cursor.execute(kept.sql, kept.parameters_with(prepared))
            return cursor.fetchall()
    return list(_rerun(kept, prepared, alias))


def statement(
    key: Hashable | None,
    build: Callable[[], models.QuerySet],
    value: Any,
    field: models.Field,
    alias: str,
) -> tuple[str, tuple[Any, ...]] | None:
    """The SQL and parameters :func:`results` would run for ``value`` – to be part of another
    statement – or ``None`` when it would not run a kept statement (``key`` is ``None``, the
    statement cannot be kept, or no row can match).

    Raises:
        ValueError, ValidationError: ``value`` is not one of ``field``'s type.
    """
    if key is None:
        return None
    prepared = field.get_db_prep_value(value, connections[alias], prepared=False)
    kept = _kept(key, build, prepared, field, alias)
    if not isinstance(kept, _Statement):
        return None
    return kept.sql, kept.parameters_with(prepared)


_NO_ROWS: Any = object()  # what _kept() says when no row can match


def _kept(
    key: Hashable, build: Callable[[], models.QuerySet], prepared: Any, field: Any, alias: str
) -> _Statement | models.QuerySet | Any:
    """The statement kept under ``key`` (compiled and kept now if it is the first run); the
    queryset ``build`` makes when it cannot be kept; or ``_NO_ROWS``."""
    connection = connections[alias]
    if _out_of_range(prepared, field, connection):
        return _NO_ROWS  # no row's value can be equal (and SQLite could not even be asked)
    # Lookups such as __year on a datetime take the active time zone's name as a parameter.
    key = (alias, timezone.get_current_timezone_name(), key)
    kept = _statements.get(key)
    if kept is _UNKEPT:
        return build()
    if kept is not None:
        return kept
    queryset = build()
    compiler = queryset.query.get_compiler(using=alias)
    try:
        sql, parameters = compiler.as_sql()
    except EmptyResultSet:
        return _NO_ROWS
    positions = [
        index
        for index, parameter in enumerate(parameters)
        if type(parameter) is type(prepared) and parameter == prepared
    ]
    kept = (
        _Statement(queryset, compiler, sql, tuple(parameters), positions[0])
        if len(positions) == 1
        else _UNKEPT  # which parameter is the value is not known: build it every time
    )
    if len(_statements) >= KEPT_STATEMENTS:
        _statements.clear()
    _statements[key] = kept
    return queryset if kept is _UNKEPT else kept


def _rerun(kept: _Statement, value: Any, alias: str) -> models.QuerySet:
    """A queryset that runs ``kept``'s SQL with ``value``, and builds its results as usual."""
    statement = (kept.sql, kept.parameters_with(value))
    run = copy.copy(kept.compiler)
    run.connection = connections[alias]  # this thread's
    run.as_sql = lambda *args, **kwargs: statement  # type: ignore[method-assign]
    queryset = kept.queryset.all()
    # the first run's instance: not this run's (private QuerySet state the stubs leave out)
    queryset._known_related_objects = {}  # type: ignore[attr-defined]
    queryset.query.get_compiler = lambda *args, **kwargs: run  # type: ignore[method-assign]
    return queryset


def _out_of_range(value: Any, field: models.Field, connection: Any) -> bool:
    while isinstance(field, models.ForeignObject):  # a key to a parent (multi-table): its target
        field = field.target_field
    if not isinstance(value, int) or not isinstance(field, models.IntegerField):
        return False
    low, high = connection.ops.integer_field_range(field.get_internal_type())
    return (low is not None and value < low) or (high is not None and value > high)


def statement_key(
    model: type[models.Model], access: ModelAccess | None, *parts: Hashable
) -> Hashable | None:
    """The key of a statement on ``model``'s rows that ``access`` lets the share read, ``parts``
    naming whatever else shapes it; ``None`` when such a statement must not be kept."""
    if not plain_manager(model):
        return None
    if access is None or access.rows is None:
        rows: Hashable = access is not None
    else:
        try:
            rows = (frozen(access.rows), access.compares_pk_text)
        except NotPlain:
            return None
    return (model, rows, *parts)


@functools.cache
def plain_manager(model: type[models.Model]) -> bool:
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


class NotPlain(Exception):
    """A rule value that is not plain data."""


_PLAIN_TYPES = frozenset(
    {
        str, int, float, bool, type(None), decimal.Decimal, uuid.UUID,
        datetime.date, datetime.datetime, datetime.time, datetime.timedelta,
    }
)  # fmt: skip


def frozen(value: Any) -> Hashable:
    """``value`` (a ``Q``, one of its conditions or a value) as a hashable key that tells apart
    values of different types (``1``, ``1.0`` and ``True`` are equal in Python).

    Raises:
        NotPlain: it holds something else (an expression other than ``F``, a queryset …).
    """
    if isinstance(value, Q):
        return (Q, value.connector, value.negated, tuple(map(frozen, value.children)))
    if type(value) in (list, tuple):
        return (type(value), tuple(map(frozen, value)))
    if type(value) in (set, frozenset):
        return (frozenset, frozenset(map(frozen, value)))
    if type(value) is F:
        return (F, value.name)
    if type(value) is RawSQL:  # django-guardian grants on some objects (see rights.py)
        return (RawSQL, value.sql, frozen(tuple(value.params)))
    if type(value) in _PLAIN_TYPES:
        return (type(value), value)
    raise NotPlain
