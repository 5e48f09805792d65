"""Whether a share's object still exists and lies within the rows the share may read.

Every visit asks this, with one query, whose SQL is kept between visits (see :mod:`.prepared`).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, router
from django.db.models import Exists, OuterRef, Value

from . import prepared
from .access import ObjectState
from .models import Share
from .rights import ModelAccess, ShareRights


def shared_object_state(share: Share, rights: ShareRights) -> ObjectState:
    """Whether the shared object exists and lies within the rows the share may read (one
    query)."""
    model = share.shared_model
    if model is None:
        return ObjectState.GONE
    access = rights.shared_object_access(model)
    try:
        found = prepared.results(
            prepared.statement_key(model, access, "object state"),
            lambda: _readable(model, access, share.object_pk),
            share.object_pk,
            model._meta.pk,
            router.db_for_read(model),
            raw_rows=True,
        )
    except (ValidationError, ValueError):  # not a key of this model's type
        return ObjectState.GONE
    if not found:
        return ObjectState.GONE
    return ObjectState.VISIBLE if found[0][0] and access is not None else ObjectState.HIDDEN


def _readable(model: type[models.Model], access: ModelAccess | None, object_pk: str) -> Any:
    """One row if the object exists – whether the share may read it – else none."""
    found = model._default_manager.filter(pk=object_pk)
    if access is None or access.rows is None:
        readable: Any = Value(access is not None)
    else:
        readable = Exists(access.filter(model._default_manager.filter(pk=OuterRef("pk"))))
    return found.annotate(readable=readable).values_list("readable")[:1]
