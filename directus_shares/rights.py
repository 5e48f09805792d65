"""What a share's role may read: model-level rights, asked of one object.

The role's Django ``view_<model>`` permission gates a model. Later rules (fields, rows, creator
rights) plug in here, so the page and the API keep asking one object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import Share
from .queries import role_permissions


class RoleRights:
    """The read rights of one role (loaded with the share by access.find_share), asked many times.

    Rights are read on every request, never cached between requests: a role that loses a right
    takes it away from its shares with the very next request.
    """

    def __init__(self, permissions: frozenset[tuple[int, str]] = frozenset()) -> None:
        self._permissions = permissions  # (content type id, codename) pairs
        self._answers: dict[tuple[str, type[models.Model]], Any] = {}  # asked once per model

    def _memo(self, question: str, model: type[models.Model], answer: Callable[[], Any]) -> Any:
        key = (question, model)
        if key not in self._answers:
            self._answers[key] = answer()
        return self._answers[key]

    @classmethod
    def for_group(cls, group: Group) -> RoleRights:
        """The rights of ``group`` (read from the database)."""
        return cls(role_permissions(group_id=group.pk))

    def can_view_share(self, share: Share) -> bool:
        """Whether the role may read the model of the object ``share`` points to."""
        model = share.shared_model
        return model is not None and self.can_view_model(model)

    def can_view_model(self, model: type[models.Model]) -> bool:
        """Whether the role holds ``view_<model>`` for ``model`` (never for shares themselves)."""
        return self._memo("view", model, lambda: self._holds_view(model))

    def _holds_view(self, model: type[models.Model]) -> bool:
        if issubclass(model, Share):
            return False  # a share's key and password hash are never disclosed
        content_type = ContentType.objects.get_for_model(model)  # cached; the concrete model's
        return (content_type.pk, f"view_{content_type.model}") in self._permissions

    def visible_fields(self, model: type[models.Model]) -> list[models.Field]:
        """The concrete, non-relation fields of ``model`` the role may read, in model order.

        Generated primary keys (auto-increment, UUIDs with a default) are internal and left out;
        natural keys people type (a slug, a code) are shown.
        """
        if not self.can_view_model(model):
            return []
        return self._memo(
            "fields",
            model,
            lambda: [
                field
                for field in model._meta.concrete_fields
                if not field.is_relation and not _never_shown(model, field)
            ],
        )

    def visible_relations(
        self, model: type[models.Model]
    ) -> list[models.Field | models.ForeignObjectRel]:
        """Relations of ``model`` that lead to a model the role may read: forward ones first."""
        if not self.can_view_model(model):
            return []
        return self._memo("relations", model, lambda: self._followable_relations(model))

    def _followable_relations(
        self, model: type[models.Model]
    ) -> list[models.Field | models.ForeignObjectRel]:
        relations = [
            field
            for field in model._meta.get_fields()  # hidden reverse relations are left out
            if field.is_relation
            and field.related_model is not None  # generic foreign keys
            and not isinstance(field, GenericRelation)  # not supported yet
            and not getattr(field.remote_field, "parent_link", False)  # multi-table inheritance
            and self.can_view_model(field.related_model)
        ]
        return sorted(relations, key=is_reverse)  # forward first; stable, so in model order


def is_reverse(relation: models.Field | models.ForeignObjectRel) -> bool:
    """Whether ``relation`` is the reverse side (e.g. a report's comments)."""
    return isinstance(relation, models.ForeignObjectRel)


def _never_shown(model: type[models.Model], field: models.Field) -> bool:
    """Fields no role ever sees: generated keys, password hashes, raw bytes."""
    if field.primary_key and (isinstance(field, models.AutoField) or not field.editable):
        return True  # auto-increment or generated UUID: internal, not content
    if issubclass(model, AbstractBaseUser) and field.name == "password":
        return True
    return isinstance(field, models.BinaryField)
