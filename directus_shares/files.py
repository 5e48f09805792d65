"""Share-scoped file links: a file field is offered as a link through the share, never as its
storage URL, and only while the share still shows that field of that object.

A link carries a *reference* – model, primary key and field – signed with a salt bound to the
share as it is now (:func:`grants.fingerprint`), so it cannot be forged, moved to another share,
or outlive a revocation, rotation or password change, and it expires with ``GRANT_MAX_AGE``. When
it is followed, the share's rights are asked again: the field must still be shown and the object
still readable through the share.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from django.apps import apps
from django.core import signing
from django.db import models
from django.http import FileResponse

from .conf import grant_max_age
from .grants import fingerprint
from .models import Share
from .rights import ShareRights

FileURL = Callable[[models.Model, str], str]


def _salt(share: Share) -> str:
    return f"directus_shares.file.{fingerprint(share)}"


def file_reference(share: Share, instance: models.Model, field_name: str) -> str:
    """The signed reference to ``field_name`` of ``instance``, valid for ``share`` only."""
    payload = [instance._meta.label_lower, str(instance.pk), field_name]
    return signing.dumps(payload, salt=_salt(share), compress=True)


def serve_file(share: Share, rights: ShareRights, reference: str) -> FileResponse | None:
    """The file ``reference`` points to, as a download – or ``None`` when the reference is not
    valid for this share (forged, expired, another share's) or the share no longer shows it."""
    try:
        label, pk, field_name = signing.loads(reference, salt=_salt(share), max_age=grant_max_age())
        model = apps.get_model(label)
    except (signing.BadSignature, ValueError, TypeError, LookupError):
        return None
    shared_object = model is share.shared_model and pk == share.object_pk
    access = rights.shared_object_access(model) if shared_object else rights.access(model)
    shown = {field.name for field in rights.visible_fields(model, shared_object=shared_object)}
    if access is None or field_name not in shown:
        return None
    instance = access.filter(model._default_manager.filter(pk=pk)).first()
    file = getattr(instance, field_name, None) if instance is not None else None
    if not isinstance(file, models.fields.files.FieldFile) or not file.name:
        return None
    try:
        handle = file.open("rb")
    except OSError:  # listed in the database, missing in storage
        return None
    return FileResponse(handle, as_attachment=True, filename=posixpath.basename(file.name))
