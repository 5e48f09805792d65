"""What a share's role may read: role resolution and model-level rights.

The role's Django ``view_<model>`` permission gates a model. Later rules (fields, rows, creator
rights) plug in here, so the page and the API keep asking one object.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import models

from .conf import get_config
from .models import Share


def effective_role(share: Share) -> Group | None:
    """The group whose rights ``share`` grants: its own role, else the configured public role."""
    if share.role_id is not None:
        return share.role
    public_role = get_config()["PUBLIC_ROLE"]
    if not public_role:
        return None
    return Group.objects.filter(name=public_role).first()


class RoleRights:
    """The read rights of one role, loaded with one query and asked many times."""

    def __init__(self, role: Group | None) -> None:
        self.role = role
        self._permissions: frozenset[tuple[str, str]] = (
            frozenset(role.permissions.values_list("content_type__app_label", "codename"))
            if role is not None
            else frozenset()
        )

    def can_view_share(self, share: Share) -> bool:
        """Whether the role may read the model of the object ``share`` points to."""
        model = share.shared_model
        return model is not None and self.can_view_model(model)

    def can_view_model(self, model: type[models.Model]) -> bool:
        """Whether the role holds ``view_<model>`` for ``model``."""
        opts = model._meta.concrete_model._meta
        return (opts.app_label, f"view_{opts.model_name}") in self._permissions

    def visible_fields(self, model: type[models.Model]) -> list[models.Field]:
        """The concrete, non-relation fields of ``model`` the role may read, in model order.

        Generated primary keys (auto-increment, UUIDs with a default) are internal and left out;
        natural keys people type (a slug, a code) are shown.
        """
        if not self.can_view_model(model):
            return []
        return [
            field
            for field in model._meta.concrete_fields
            if not field.is_relation
            and not (
                field.primary_key
                and (
                    field.auto_created or isinstance(field, models.AutoField) or not field.editable
                )
            )
        ]

    def visible_relations(
        self, model: type[models.Model]
    ) -> list[models.Field | models.ForeignObjectRel]:
        """Relations of ``model`` that lead to a model the role may read: forward ones first."""
        if not self.can_view_model(model):
            return []
        relations = [
            field
            for field in model._meta.get_fields()  # hidden reverse relations are left out
            if field.is_relation
            and field.related_model is not None  # generic foreign keys
            and self.can_view_model(field.related_model)
        ]
        return sorted(relations, key=lambda rel: bool(rel.auto_created))  # stable: model order
