"""What a share shows: the one structure that the share page (and the API) render.

:func:`load_shared_object` fetches the shared object, joined with the foreign keys the role may
follow; :func:`disclose` then fetches each to-many relation with one ``LIMIT``-ed query. The number
of queries depends on the relations shown, never on the rows behind them.
:func:`disclose` turns it into :class:`DisclosedObject` – only allowed fields, already formatted –
so templates never touch the model instance and cannot show more than the role may read.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .conf import get_config
from .models import Share
from .rights import RoleRights, is_reverse

Relation = models.Field | models.ForeignObjectRel


@dataclass(frozen=True)
class DisclosedField:
    """One field as the visitor sees it."""

    name: str
    label: str  # the verbose name, capitalised
    text: str  # the display value, already formatted ("" for an empty value)
    kind: str = "text"  # text, multiline, boolean, file, url, email, json
    url: str | None = None  # for files, URLs and e-mail addresses


@dataclass(frozen=True)
class DisclosedObject:
    """An object as the visitor sees it: its allowed fields and its allowed linked objects."""

    app_label: str
    model_name: str
    verbose_name: str
    fields: list[DisclosedField]
    relations: list[DisclosedRelation] = field(default_factory=list)

    @property
    def by_name(self) -> dict[str, DisclosedField]:
        """Disclosed fields by name, for templates: ``{{ object.by_name.title.text }}``."""
        return {f.name: f for f in self.fields}


@dataclass(frozen=True)
class DisclosedRelation:
    """The objects linked to a disclosed object through one relation."""

    name: str
    label: str
    many: bool
    objects: list[DisclosedObject]
    truncated: bool = False  # more rows are linked than RELATED_OBJECTS_LIMIT lets the page show


def load_shared_object(share: Share, rights: RoleRights) -> models.Model | None:
    """The shared object joined with its visible foreign keys, or ``None`` if it is gone."""
    model = share.shared_model
    if model is None:  # the model was removed from the project
        return None
    queryset = model._default_manager.all()
    relations = rights.visible_relations(model)
    joined = [rel.name for rel in relations if _is_single(rel) and not is_reverse(rel)]
    if joined:  # select_related() without names means "all" (and is deprecated in Django 6.1)
        queryset = queryset.select_related(*joined)
    try:
        return queryset.get(pk=share.object_pk)
    except (ObjectDoesNotExist, ValidationError, ValueError):
        return None


def shared_object_exists(share: Share) -> bool:
    """Whether the shared object still exists (one cheap query)."""
    model = share.shared_model
    if model is None:
        return False
    try:
        return model._default_manager.filter(pk=share.object_pk).exists()
    except (ValidationError, ValueError):
        return False


def disclose(
    instance: models.Model, rights: RoleRights, *, follow_relations: bool = True
) -> DisclosedObject:
    """``instance`` reduced to what ``rights`` allow; linked objects one level deep."""
    return _disclose(instance, rights, follow_relations, get_language())


def _disclose(
    instance: models.Model, rights: RoleRights, follow_relations: bool, language: str | None
) -> DisclosedObject:
    """:func:`disclose` in the active ``language`` (asked once per page, not once per field)."""
    opts = instance._meta
    relations = []
    if follow_relations:
        limit = get_config()["RELATED_OBJECTS_LIMIT"]
        for rel in rights.visible_relations(type(instance)):
            linked = _linked_objects(instance, rel)
            relations.append(
                DisclosedRelation(
                    name=rel.name,
                    label=_relation_label(rel),
                    many=not _is_single(rel),
                    objects=[_disclose(obj, rights, False, language) for obj in linked[:limit]],
                    truncated=len(linked) > limit,
                )
            )
    return DisclosedObject(
        app_label=opts.app_label,
        model_name=opts.model_name,
        verbose_name=str(opts.verbose_name),
        fields=[
            _disclose_field(instance, field, language)
            for field in rights.visible_fields(type(instance))
        ],
        relations=relations,
    )


def _is_single(rel: Relation) -> bool:
    return bool(rel.many_to_one or rel.one_to_one)


def _accessor(rel: Relation) -> str:
    return rel.get_accessor_name() if is_reverse(rel) else rel.name


def _relation_label(rel: Relation) -> str:
    if is_reverse(rel):  # name it after the other side
        opts = rel.related_model._meta
        return str(opts.verbose_name if rel.one_to_one else opts.verbose_name_plural)
    return str(rel.verbose_name)


def _linked_objects(instance: models.Model, rel: Relation) -> list[models.Model]:
    """Up to RELATED_OBJECTS_LIMIT + 1 objects linked through ``rel`` (one more says "more").

    A to-many relation of one object is one plain ``LIMIT`` query: cheaper to build than a
    sliced prefetch (a window function), with the same number of queries.
    """
    if not _is_single(rel):
        linked = getattr(instance, _accessor(rel)).all()
        if not linked.ordered:
            linked = linked.order_by("pk")
        return list(linked[: get_config()["RELATED_OBJECTS_LIMIT"] + 1])
    try:
        value = getattr(instance, _accessor(rel))
    except ObjectDoesNotExist:  # reverse one-to-one with no row
        return []
    return [] if value is None else [value]


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return "?" not in value and "&" not in value


@functools.lru_cache(maxsize=4096)
def _label(model_field: models.Field, language: str | None) -> str:
    """The field's verbose name, capitalised, in ``language`` – the active language, which the
    caller passes only to key the cache (evaluated once per field and language, not per view)."""
    return capfirst(str(model_field.verbose_name))


def _disclose_field(
    instance: models.Model, model_field: models.Field, language: str | None
) -> DisclosedField:
    name, label = model_field.name, _label(model_field, language)
    value = getattr(instance, model_field.attname)
    if value is None or (value == "" and not model_field.choices):
        return DisclosedField(name, label, "")
    if model_field.choices:
        return DisclosedField(name, label, str(getattr(instance, f"get_{name}_display")()))
    if isinstance(model_field, models.BooleanField):
        return DisclosedField(name, label, _("Yes") if value else _("No"), kind="boolean")
    if isinstance(model_field, models.FileField):
        file = getattr(instance, name)
        if not file:  # no file (also a NULL written by a raw update)
            return DisclosedField(name, label, "")
        return DisclosedField(name, label, file.name.rsplit("/", 1)[-1], kind="file", url=file.url)
    if isinstance(model_field, models.URLField):
        safe = str(value).lower().startswith(("http://", "https://"))
        return DisclosedField(name, label, str(value), kind="url", url=value if safe else None)
    if isinstance(model_field, models.EmailField):
        mailto = f"mailto:{value}" if _is_email(str(value)) else None  # no "?cc=…" smuggling
        return DisclosedField(name, label, str(value), kind="email", url=mailto)
    if isinstance(model_field, models.JSONField):
        return DisclosedField(
            name, label, json.dumps(value, indent=2, ensure_ascii=False), kind="json"
        )
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return DisclosedField(name, label, formats.date_format(value, "DATETIME_FORMAT"))
    if isinstance(value, date):
        return DisclosedField(name, label, formats.date_format(value, "DATE_FORMAT"))
    if isinstance(model_field, models.TextField):
        return DisclosedField(name, label, str(value), kind="multiline")
    return DisclosedField(name, label, str(formats.localize(value)))
