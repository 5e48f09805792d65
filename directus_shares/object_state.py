"""Whether a share's object still exists and lies within the rows the share may read.

Every visit asks this with one query (:func:`shared_object_state`) – or, when a use of a share
without a password is counted, inside the statement that counts it (:func:`readable_condition`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connections, models, router
from django.db.models import Exists, OuterRef, Value

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
        found = list(_readable(model, access, share.object_pk))
    except (ValidationError, ValueError):  # not a key of this model's type
        return ObjectState.GONE
    if not found:
        return ObjectState.GONE
    return ObjectState.VISIBLE if found[0] and access is not None else ObjectState.HIDDEN


def readable_condition(share: Share, rights: ShareRights, alias: str) -> Condition | None:
    """A condition that holds when the shared object exists and lies within the rows the share
    may read – for the counting statement on the database ``alias`` to check it, instead of a
    query of its own – or ``None`` when it must be asked apart with :func:`shared_object_state`
    (the object lives on another database, its model is gone or grants nothing, or the database
    cannot read the shares' table in a subquery of an ``UPDATE`` of it)."""
    model = share.shared_model
    if model is None or router.db_for_read(model) != alias:
        return None
    access = rights.shared_object_access(model)
    if access is None:
        return None
    if model is Share and not connections[alias].features.update_can_self_select:
        return None  # MySQL: a subquery may not read the table its UPDATE changes
    try:
        return Exists(access.filter(model._default_manager.all(), pk=share.object_pk))
    except (ValidationError, ValueError):  # not a key of this model's type
        return None


def _readable(
    model: type[models.Model], access: ModelAccess | None, object_pk: str
) -> models.QuerySet:
    """Whether the share may read the object, as one row if it exists – else none."""
    found = model._default_manager.filter(pk=object_pk)
    if access is None or access.rows is None:
        readable: Value | Exists = Value(access is not None)
    else:
        readable = Exists(access.filter(model._default_manager.all(), pk=OuterRef("pk")))
    # One row by its key: no ordering (the model's default one would only cost its ORDER BY).
    return found.annotate(readable=readable).values_list("readable", flat=True).order_by()[:1]
