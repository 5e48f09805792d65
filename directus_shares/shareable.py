"""What can never be shared, whatever a role allows: some models, and some fields of any model.

A model declares its secrets with ``NEVER_SHARED_FIELDS = ["api_key"]`` (like Django's
``REQUIRED_FIELDS``); models you do not own get theirs from the ``NEVER_SHARED_FIELDS`` setting,
``{"app_label.model": ["field", …]}``. Both win over every role's allow-list.
"""

from __future__ import annotations

import contextlib
import functools
from typing import cast

from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.db import models

from .conf import derived_from_settings, get_config

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
#: Whatever ``Model._meta.get_fields()`` lists.
AnyField = Relation | GenericForeignKey


def is_shareable_model(model: type[models.Model]) -> bool:
    """Whether objects of ``model`` may be shared or shown through a share at all."""
    opts = model._meta
    assert opts.concrete_model is not None  # set on every model class as it is created
    related = {model, opts.concrete_model, *opts.get_parent_list()}  # proxies and MTI children
    return not any(
        cls._meta.app_label == _OWN_APP or cls._meta.label_lower in NEVER_SHARED_MODELS
        for cls in related
    )


def declared_never_shared(model: type[models.Model]) -> frozenset[str]:
    """Field names ``model`` and the settings declare never shareable (also of its parents)."""
    names = set(getattr(model, "NEVER_SHARED_FIELDS", ()))
    configured = _configured_never_shared()
    for cls in (model, *model._meta.get_parent_list()):
        names.update(configured.get(cls._meta.label_lower, ()))
    return frozenset(names)


@derived_from_settings
@functools.cache
def _configured_never_shared() -> dict[str, frozenset[str]]:
    """The ``NEVER_SHARED_FIELDS`` setting by each model's ``label_lower``: the setting may
    name a model as Django does anywhere else (``"auth.User"`` as well as ``"auth.user"``)."""
    resolved: dict[str, set[str]] = {}
    for label, names in get_config()["NEVER_SHARED_FIELDS"].items():
        with contextlib.suppress(LookupError, ValueError, TypeError):  # not a model: check E012
            label = apps.get_model(label)._meta.label_lower
        resolved.setdefault(label, set()).update(names)
    return {label: frozenset(names) for label, names in resolved.items()}


def is_secret(model: type[models.Model], field: AnyField) -> bool:
    """Whether ``field`` of ``model`` may not even be filtered on: declared never shared, a
    password hash, raw bytes, or a relation to a model that is never shared."""
    if field.name in declared_never_shared(model):
        return True
    if isinstance(field, models.ForeignObjectRel) and field.field.name in declared_never_shared(
        field.field.model
    ):
        return True  # the reverse side of a secret link reveals the same link
    if field.is_relation:
        related = field.related_model
        return isinstance(related, type) and not is_shareable_model(related)
    if issubclass(model, AbstractBaseUser) and field.name == "password":
        return True
    return isinstance(field, models.BinaryField)


def is_never_shown(model: type[models.Model], field: AnyField) -> bool:
    """Whether ``field`` of ``model`` is never shown: a secret, or a generated primary key (an
    auto-increment or UUID is internal, not content; a slug or code people type is shown)."""
    if is_secret(model, field):
        return True
    return bool(
        getattr(field, "primary_key", False)
        and (isinstance(field, models.AutoField) or not field.editable)
    )


@derived_from_settings
@functools.cache
def shown_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    """The concrete, non-relation fields of ``model`` a share may ever show, in model order
    (the same for every role: worked out once per process)."""
    return tuple(
        field
        for field in model._meta.concrete_fields
        if not field.is_relation and not is_never_shown(model, field)
    )


@derived_from_settings
@functools.cache
def followable_relations(model: type[models.Model]) -> tuple[Relation, ...]:
    """The relations of ``model`` a share may ever follow, forward ones first. Generic relations
    and multi-table parent links are not followed."""
    found = [
        relation
        for relation in model._meta.get_fields()
        if not isinstance(relation, GenericForeignKey)
        and relation.is_relation
        and relation.related_model is not None
        and not isinstance(relation, GenericRelation)
        and not getattr(relation.remote_field, "parent_link", False)
        and not getattr(relation, "parent_link", False)
        and not is_never_shown(model, relation)
    ]
    return tuple(sorted(found, key=lambda relation: isinstance(relation, models.ForeignObjectRel)))


def target_model(relation: Relation) -> type[models.Model]:
    """The model a followable relation leads to. Django resolves ``"self"`` and lazy references
    to model classes when the apps are loaded, and followable relations lead to a model; the
    stubs cannot know either."""
    return cast("type[models.Model]", relation.related_model)
