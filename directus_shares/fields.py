"""What can never be shared, whatever a role allows: some models, and some fields of any model.

A model declares its secrets with ``NEVER_SHARED_FIELDS = ["api_key"]`` (like Django's
``REQUIRED_FIELDS``); models you do not own get theirs from the ``NEVER_SHARED_FIELDS`` setting,
``{"app_label.model": ["field", …]}``. Both win over every role's allow-list.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models

from .conf import get_config

#: Models whose rows are never shown or shared: they hold secrets or describe the site itself.
NEVER_SHARED_MODELS = frozenset(
    {
        "admin.logentry",
        "auth.permission",
        "contenttypes.contenttype",
        "guardian.groupobjectpermission",
        "guardian.userobjectpermission",
        "sessions.session",
    }
)
_OWN_APP = "directus_shares"

Relation = models.Field | models.ForeignObjectRel


def is_shareable_model(model: type[models.Model]) -> bool:
    """Whether objects of ``model`` may be shared or shown through a share at all."""
    opts = model._meta
    return opts.app_label != _OWN_APP and opts.label_lower not in NEVER_SHARED_MODELS


def declared_never_shared(model: type[models.Model]) -> frozenset[str]:
    """Field names ``model`` and the settings declare never shareable (also of its parents)."""
    names = set(getattr(model, "NEVER_SHARED_FIELDS", ()))
    configured = get_config()["NEVER_SHARED_FIELDS"]
    for cls in (model, *model._meta.get_parent_list()):
        names.update(configured.get(cls._meta.label_lower, ()))
    return frozenset(names)


def is_secret(model: type[models.Model], field: Relation) -> bool:
    """Whether ``field`` of ``model`` may not even be filtered on: declared never shared, a
    password hash, raw bytes, or a relation to a model that is never shared."""
    if field.name in declared_never_shared(model):
        return True
    if field.is_relation:
        related = field.related_model
        return related is not None and not is_shareable_model(related)
    if issubclass(model, AbstractBaseUser) and field.name == "password":
        return True
    return isinstance(field, models.BinaryField)


def is_never_shown(model: type[models.Model], field: Relation) -> bool:
    """Whether ``field`` of ``model`` is never shown: a secret, or a generated primary key (an
    auto-increment or UUID is internal, not content; a slug or code people type is shown)."""
    if is_secret(model, field):
        return True
    return bool(
        getattr(field, "primary_key", False)
        and (isinstance(field, models.AutoField) or not field.editable)
    )
