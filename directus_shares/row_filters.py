"""Row filters of a role: which objects of a model it may read or share, stored as data.

A filter is a JSON object of Django lookups, all of which must hold – ``{"status": "done"}`` or
``{"published_on__year__gte": 2024, "author__name__startswith": "A"}`` – checked against the
model when it is saved (:func:`row_filter_errors`) and applied as ``queryset.filter(**filter)``.
"""

from __future__ import annotations

import math
import re
from typing import Any, cast

from django.core.exceptions import (
    EmptyResultSet,
    FieldDoesNotExist,
    FieldError,
    ValidationError,
)
from django.db import DatabaseError, models, transaction
from django.db.models import Q
from django.db.models.constants import LOOKUP_SEP
from django.utils.translation import gettext as _

from .shareable import is_secret

JSONScalar = str | int | float | bool | None


def row_filter_q(spec: dict[str, Any] | None) -> Q | None:
    """The rows ``spec`` lets through as a ``Q`` (``None``: every row). A filter that is not a
    JSON object – saved by code that skipped validation – lets no row through."""
    if not spec:
        return None
    if not isinstance(spec, dict) or not all(isinstance(key, str) for key in spec):
        return Q(pk__in=[])
    return Q(**spec)


def row_filter_errors(model: type[models.Model], spec: Any) -> list[str]:
    """Why ``spec`` is not a valid row filter for ``model`` (empty when it is)."""
    if spec in (None, {}):
        return []
    if not isinstance(spec, dict):
        return [_('A filter is a JSON object of lookups, e.g. {"status": "done"}.')]
    errors = []
    for lookup, value in spec.items():
        if problem := _path_problem(model, lookup):
            errors.append(f"{lookup}: {problem}")
        elif not _is_json_value(value):
            errors.append(f"{lookup}: " + _("values are text, numbers, true/false, null or lists."))
        elif _has_nul(value):  # PostgreSQL stores it neither in JSON nor in text columns
            errors.append(f"{lookup}: " + _("Null characters are not allowed."))
        elif lookup.endswith(("__regex", "__iregex")) and (problem := _regex_problem(value)):
            errors.append(f"{lookup}: {problem}")
    if errors:
        return errors
    try:  # the lookups and value types as Django itself reads them …
        queryset = model._default_manager.filter(**spec)
        str(queryset.query)
    except EmptyResultSet:  # e.g. {"status__in": []}: valid, it lets no row through
        return []
    # OverflowError: a value no column type can hold (a datetime before year 1 in UTC, say).
    except (FieldError, ValidationError, ValueError, TypeError, OverflowError) as error:
        message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        return [message]
    try:  # … and as the database does (a regular expression it cannot compile, say)
        with transaction.atomic(using=queryset.db):
            queryset.exists()
    except DatabaseError as error:
        return [_("The database refuses this filter: %(error)s") % {"error": error}]
    return []


def _path_problem(model: type[models.Model], lookup: str) -> str | None:
    """What is wrong with the field path of ``lookup`` (``author__name__startswith``), if any."""
    if not isinstance(lookup, str) or not lookup or lookup.startswith(LOOKUP_SEP):
        return _("not a field lookup.")
    current: type[models.Model] | None = model
    previous: Any = None
    for part in lookup.split(LOOKUP_SEP):
        if current is None:  # past the last field: the rest are lookups/transforms
            break
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            if previous is not None and (previous.get_lookup(part) or previous.get_transform(part)):
                break  # ``author__exact``: a lookup on the relation itself; Django checks it
            return _("%(model)s has no field %(field)r.") % {
                "model": current._meta.label,
                "field": part,
            }
        if is_secret(current, field):
            return _("%(field)r can never be shared, so it cannot be filtered on either.") % {
                "field": part
            }
        previous = field
        related = field.related_model if field.is_relation else None
        current = cast("type[models.Model] | None", related)  # "self" is resolved by now
    return None


def _regex_problem(value: Any) -> str | None:
    """Why ``value`` is no regular expression (SQLite runs Python's; a database applies a filter
    only to the rows it reads, so an empty table cannot tell)."""
    try:
        re.compile(str(value))
    except re.error as error:
        return _("not a regular expression: %(error)s") % {"error": error}
    return None


def _is_json_value(value: Any) -> bool:
    if isinstance(value, list):
        return all(_is_json_scalar(item) for item in value)
    return _is_json_scalar(value)


def _is_json_scalar(value: Any) -> bool:
    # NaN and ±Infinity (also 1e400): Python's json reads them, but they are not JSON – neither
    # database stores them in a JSON column – and no lookup can compare with them.
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, JSONScalar)


def _has_nul(value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(isinstance(item, str) and "\x00" in item for item in values)
