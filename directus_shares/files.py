"""Share-scoped file links: a file field is offered as a link through the share, never as its
storage URL, and only while the share still shows that field of that object.

A link carries a *reference* – model, primary key and field – signed for the share as it is now
(:func:`signatures.share_reference`), so it cannot be forged, moved to another share, or outlive a
revocation, rotation or password change, and it expires with ``GRANT_MAX_AGE``. When it is
followed, the page is asked again: the object must still be one the page shows – the shared
object, or one linked to it through the relations the share follows
(:func:`disclosure.shown_objects`) – with that field shown.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from django.apps import apps
from django.db import models
from django.http import FileResponse

from .disclosure import shown_objects
from .models import Share
from .rights import ShareRights
from .signatures import share_reference, share_reference_payload

FileURL = Callable[[models.Model, str], str]


def file_reference(share: Share, instance: models.Model, field_name: str) -> str:
    """The signed reference to ``field_name`` of ``instance``, valid for ``share`` only."""
    return share_reference(share, [instance._meta.label_lower, str(instance.pk), field_name])


def serve_file(
    share: Share, rights: ShareRights, shared_object: models.Model, reference: str
) -> FileResponse | None:
    """The file ``reference`` points to, as a download – or ``None`` when the reference is not
    valid for this share (forged, expired, another share's) or the page of ``shared_object``
    (loaded by :func:`disclosure.load_shared_object`) no longer shows it."""
    payload = share_reference_payload(share, reference)
    if payload is None:  # forged, expired, another share's
        return None
    try:
        label, pk, field_name = payload
        model = apps.get_model(label)
    except (ValueError, TypeError, LookupError):  # not a reference's shape
        return None
    file = None
    for instance, is_shared_object in shown_objects(shared_object, rights, toward=model):
        if type(instance) is model and str(instance.pk) == pk:
            shown = rights.visible_fields(model, shared_object=is_shared_object)
            if field_name in {field.name for field in shown}:
                file = getattr(instance, field_name, None)
                break
    if not isinstance(file, models.fields.files.FieldFile) or not file.name:
        return None
    try:
        handle = file.open("rb")
    except OSError:  # listed in the database, missing in storage
        return None
    return FileResponse(handle, as_attachment=True, filename=posixpath.basename(file.name))
