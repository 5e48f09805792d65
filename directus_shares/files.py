"""Share-scoped file links: a file field is offered as a link through the share, never as its
storage URL, and only while the share still shows that field of that object.

A link carries a *reference* – model, primary key and field – signed for the share as it is now
(:func:`signatures.share_reference`), so it cannot be forged, moved to another share,
or outlive a revocation, rotation or password change, and it expires with ``GRANT_MAX_AGE``. When
it is followed, the share's rights are asked again: the field must still be shown and the object
still readable through the share.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from django.apps import apps
from django.db import models
from django.http import FileResponse

from .models import Share
from .rights import ShareRights
from .signatures import share_reference, share_reference_payload

FileURL = Callable[[models.Model, str], str]


def file_reference(share: Share, instance: models.Model, field_name: str) -> str:
    """The signed reference to ``field_name`` of ``instance``, valid for ``share`` only."""
    return share_reference(share, [instance._meta.label_lower, str(instance.pk), field_name])


def serve_file(share: Share, rights: ShareRights, reference: str) -> FileResponse | None:
    """The file ``reference`` points to, as a download – or ``None`` when the reference is not
    valid for this share (forged, expired, another share's) or the share no longer shows it."""
    try:
        label, pk, field_name = share_reference_payload(share, reference)
        model = apps.get_model(label)
    except (ValueError, TypeError, LookupError):  # None, or not a reference's shape
        return None
    shared_object = model is share.shared_model and pk == share.object_pk
    access = rights.shared_object_access(model) if shared_object else rights.access(model)
    shown = {field.name for field in rights.visible_fields(model, shared_object=shared_object)}
    if access is None or field_name not in shown:
        return None
    instance = access.filter(model._default_manager.filter(pk=pk)).first()
    file = getattr(instance, field_name, None) if instance is not None else None
    if not isinstance(file, models.fields.files.FieldFile) or not file:
        return None
    try:
        handle = file.open("rb")
    except OSError:  # listed in the database, missing in storage
        return None
    return FileResponse(handle, as_attachment=True, filename=posixpath.basename(file.name))
