"""Whether a share's object still exists and lies within the rows the share may read.

Every visit asks this, with one query whose SQL is kept between visits (see :mod:`.prepared`) –
or, when a use of a share without a password is counted, inside the statement that counts it
(:func:`readable_condition`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connections, models, router
from django.db.models import Exists, OuterRef, Value

from . import prepared
from .counting import Condition
from .models import Share
from .outcomes import ObjectState
from .rights import ModelAccess, ShareRights


def shared_object_state(share: Share, rights: ShareRights) -> ObjectState:
    """Whether the shared object exists and lies within the rows the share may read (one
    query)."""
    model = share.shared_model
    if model is None:
        return ObjectState.GONE
    access = rights.shared_object_access(model)
    try:
        found = _asked(
            prepared.results, share, model, access, router.db_for_read(model), raw_rows=True
        )
    except (ValidationError, ValueError):  # not a key of this model's type
        return ObjectState.GONE
    if not found:
        return ObjectState.GONE
    return ObjectState.VISIBLE if found[0][0] and access is not None else ObjectState.HIDDEN


def readable_condition(share: Share, rights: ShareRights, alias: str) -> Condition | None:
    """SQL that holds when the shared object exists and lies within the rows the share may read,
    with its parameters – for a statement on the database ``alias`` to check it, instead of a
    query of its own – or ``None`` when it must be asked apart with :func:`shared_object_state`
    (the object lives on another database, its model is gone or grants nothing, its statement
    is not one that can be kept)."""
    model = share.shared_model
    if model is None or router.db_for_read(model) != alias:
        return None
    access = rights.shared_object_access(model)
    if access is None:
        return None
    try:
        found = _asked(prepared.statement, share, model, access, alias)
    except (ValidationError, ValueError):  # not a key of this model's type
        return None
    if found is None:
        return None
    sql, parameters = found
    readable = connections[alias].ops.quote_name("readable")
    return f"EXISTS (SELECT 1 FROM ({sql}) o WHERE o.{readable})", parameters  # noqa: S608


def _asked(
    ask: Callable[..., Any],
    share: Share,
    model: type[models.Model],
    access: ModelAccess | None,
    alias: str,
    **options: Any,
) -> Any:
    """``ask`` (:func:`.prepared.results` or :func:`.prepared.statement`) about the one query of
    the object's state, kept per model and row rule."""
    return ask(
        prepared.statement_key(model, access, "object state"),
        lambda: _readable(model, access, share.object_pk),
        share.object_pk,
        model._meta.pk,
        alias,
        **options,
    )


def _readable(model: type[models.Model], access: ModelAccess | None, object_pk: str) -> Any:
    """One row if the object exists – whether the share may read it – else none."""
    found = model._default_manager.filter(pk=object_pk)
    if access is None or access.rows is None:
        readable: Any = Value(access is not None)
    else:
        readable = Exists(access.filter(model._default_manager.filter(pk=OuterRef("pk"))))
    return found.annotate(readable=readable).values_list("readable")[:1]
