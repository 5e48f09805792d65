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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from itertools import islice
from typing import Any, cast

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import Prefetch, prefetch_related_objects
from django.db.models.constants import LOOKUP_SEP
from django.utils import dateformat, formats, timezone
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .conf import get_config
from .models import Share
from .rights import ModelAccess, ShareRights, is_reverse
from .shareable import target_model

Relation = models.Field | models.ForeignObjectRel


@dataclass(frozen=True)
class DisclosedField:
    """One field as the visitor sees it."""

    name: str
    label: str  # the verbose name, capitalised
    text: str  # the display value, already formatted ("" for an empty value)
    kind: str = "text"  # text, multiline, boolean, file, url, email, json
    url: str | None = None  # for files, URLs and e-mail addresses
    # The value as data, the same in every language: a choice's stored value, a bool, a date, a
    # Decimal, a JSON field's object, a file's name (what the API returns; the page shows text).
    value: Any = field(default=None, hash=False)


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
    label: str  # the verbose name (the other side's, backwards), capitalised
    many: bool
    objects: list[DisclosedObject]
    truncated: bool = False  # more rows are linked than RELATED_OBJECTS_LIMIT lets the page show


def load_shared_object(share: Share, rights: ShareRights) -> models.Model | None:
    """The shared object joined with its visible foreign keys, or ``None`` if it is gone or
    outside the rows the share may read."""
    model = share.shared_model
    access = None if model is None else rights.shared_object_access(model)
    if model is None or access is None:  # the model was removed, or may not be read
        return None
    depth = get_config()["RELATED_DEPTH"]
    try:
        queryset = _queryset(model, rights, access, join=depth, pk=share.object_pk)
        # One row by its key: the model's default ordering would only be compiled and sorted.
        found = list(queryset.order_by()[:1])
    except (ValidationError, ValueError):  # not a key of this model's type
        return None
    return found[0] if found else None


def disclose(
    instance: models.Model,
    rights: ShareRights,
    *,
    depth: int | None = None,
    file_url: Callable[[models.Model, str], str] | None = None,
) -> DisclosedObject:
    """``instance`` reduced to what ``rights`` allow, with linked objects ``depth`` links deep
    (default: the ``RELATED_DEPTH`` setting). ``file_url(instance, field_name)`` gives the link
    of a file field (the share page and the API link through the share); without it, the
    storage URL.

    From the shared object every visible relation is followed; from linked objects only forward
    ones (a report's author, not the author's other reports), never straight back, so a share
    never widens to rows that are merely linked to a linked row.
    """
    config = get_config()
    discloser = _Discloser(rights, config["RELATED_OBJECTS_LIMIT"], get_language(), file_url)
    return discloser.disclose(
        [instance], config["RELATED_DEPTH"] if depth is None else depth, came_through=None
    )[0]


def shown_objects(
    instance: models.Model, rights: ShareRights, *, toward: type[models.Model] | None = None
) -> Iterator[tuple[models.Model, bool]]:
    """Every object the page shows for the shared object ``instance`` – each with whether it is
    the shared object itself – found as :func:`disclose` finds them, with the same queries.
    With ``toward``, only relations that can lead to that model are followed. The shared object
    comes first, before any query: a caller that stops there costs none."""
    yield instance, True
    config = get_config()
    discloser = _Discloser(rights, config["RELATED_OBJECTS_LIMIT"], None, None)  # no formatting
    reached = discloser.walk([instance], config["RELATED_DEPTH"], came_through=None, toward=toward)
    yield from islice(reached.objects(), 1, None)  # the shared object came first


@dataclass(frozen=True)
class _Reached:
    """Objects of one model reached one way (``came_through``; ``None``: the shared object),
    and what each relation shown from them links each of them to."""

    instances: list[models.Model]
    came_through: Relation | None
    linked: dict[Relation, list[list[models.Model]]]  # per instance, up to the limit + 1
    onward: dict[Relation, _Reached]  # the linked objects shown, reached in turn

    def objects(self) -> Iterator[tuple[models.Model, bool]]:
        """The objects reached here and onward, each with whether it is the shared object."""
        for instance in self.instances:
            yield instance, self.came_through is None
        for reached in self.onward.values():
            yield from reached.objects()


class _Discloser:
    """Walks from the shared object level by level – one query per relation shown, whatever
    the rows – then discloses what it reached."""

    def __init__(
        self,
        rights: ShareRights,
        limit: int,
        language: str | None,
        file_url: Callable[[models.Model, str], str] | None,
    ) -> None:
        self.rights, self.limit, self.language = rights, limit, language
        self.file_url = file_url

    def disclose(
        self, instances: list[models.Model], depth: int, came_through: Relation | None
    ) -> list[DisclosedObject]:
        """Disclose ``instances`` (all of one model), reached through ``came_through``."""
        return self.present(self.walk(instances, depth, came_through))

    def walk(
        self,
        instances: list[models.Model],
        depth: int,
        came_through: Relation | None,
        toward: type[models.Model] | None = None,
    ) -> _Reached:
        """The objects linked to ``instances`` (all of one model, reached through
        ``came_through``), ``depth`` links deep – only on ways that can lead to ``toward``."""
        if not instances or depth <= 0:
            return _Reached(instances, came_through, {}, {})
        model = type(instances[0])
        relations = [
            rel
            for rel in self.relations(model, came_through)
            if toward is None or self.leads_to(rel, depth - 1, toward)
        ]
        linked = {
            rel: self.linked(instances, rel, came_through is None, depth) for rel in relations
        }
        onward = {
            rel: self.walk(
                [obj for objects in by_instance for obj in objects[: self.limit]],
                depth - 1,
                rel,
                toward,
            )
            for rel, by_instance in linked.items()
        }
        return _Reached(instances, came_through, linked, onward)

    def leads_to(self, rel: Relation, depth: int, target: type[models.Model]) -> bool:
        """Whether following ``rel`` can reach a ``target`` object, ``depth`` links further."""
        model = target_model(rel)
        return model is target or (
            depth > 0
            and any(
                self.leads_to(onward, depth - 1, target) for onward in self.relations(model, rel)
            )
        )

    def present(self, reached: _Reached) -> list[DisclosedObject]:
        """What was ``reached``, as the visitor sees it."""
        instances = reached.instances
        if not instances:
            return []
        model = type(instances[0])
        linked = reached.linked
        disclosed_linked = {rel: self.present(onward) for rel, onward in reached.onward.items()}
        fields = self.rights.visible_fields(model, shared_object=reached.came_through is None)
        pending = {rel: iter(objects) for rel, objects in disclosed_linked.items()}
        results = []
        for position, instance in enumerate(instances):
            relation_views = [
                DisclosedRelation(
                    name=rel.name,
                    label=_relation_label(rel),
                    many=not _is_single(rel),
                    objects=list(islice(pending[rel], len(linked[rel][position][: self.limit]))),
                    truncated=len(linked[rel][position]) > self.limit,
                )
                for rel in linked
            ]
            results.append(
                DisclosedObject(
                    app_label=model._meta.app_label,
                    model_name=cast(str, model._meta.model_name),  # set on every model class
                    verbose_name=str(model._meta.verbose_name),
                    fields=[
                        _disclose_field(instance, f, self.language, self.file_url) for f in fields
                    ],
                    relations=relation_views,
                )
            )
        return results

    def relations(self, model: type[models.Model], came_through: Relation | None) -> list[Relation]:
        """Relations of ``model`` to follow: all from the shared object; from a linked object
        forward ones only, and not the one leading back."""
        if came_through is None:
            return self.rights.visible_relations(model, shared_object=True)
        visible = self.rights.visible_relations(model)
        back: Relation | None = came_through.remote_field
        if getattr(back, "symmetrical", False):  # a symmetrical many-to-many is its own way back
            back = came_through
        return [rel for rel in visible if not is_reverse(rel) and rel is not back]

    def linked(
        self, instances: list[models.Model], rel: Relation, from_shared_object: bool, depth: int
    ) -> list[list[models.Model]]:
        """For each of ``instances``, up to RELATED_OBJECTS_LIMIT + 1 objects linked through
        ``rel`` that the share may read (one more says "more")."""
        access = self.rights.access(target_model(rel))
        assert access is not None  # visible_relations only lists readable models
        if from_shared_object or (_is_single(rel) and access.rows is None):
            # One query for a to-many relation of the shared object; none for a foreign key
            # whose row came joined (see _queryset). The rows it links to come joined with their
            # own foreign keys (not the one back), or each would cost a query on the next level.
            back = getattr(rel.remote_field, "name", None)
            joined = [
                path
                for path in _joinable(target_model(rel), self.rights, depth - 1)
                if path.split(LOOKUP_SEP)[0] != back
            ]
            return [
                _linked_objects(instance, rel, access, self.limit, joined) for instance in instances
            ]
        queryset = _queryset(target_model(rel), self.rights, access, join=depth - 1)
        if not _is_single(rel):
            if not queryset.ordered:
                queryset = queryset.order_by("pk")
            queryset = queryset[: self.limit + 1]  # per object (a window function)
        attribute = "_directus_shares_linked"
        prefetch_related_objects(
            instances, Prefetch(_accessor(rel), queryset=queryset, to_attr=attribute)
        )
        found = [instance.__dict__.pop(attribute, None) for instance in instances]
        return [
            value if isinstance(value, list) else [] if value is None else [value]
            for value in found
        ]


def _queryset(
    model: type[models.Model],
    rights: ShareRights,
    access: ModelAccess,
    *,
    join: int,
    **lookups: Any,
) -> models.QuerySet:
    """Rows of ``model`` the share may read (and that match ``lookups``), joined with the forward
    foreign keys whose rows it may all read, ``join`` links deep (the others are fetched
    filtered, one query each)."""
    queryset = access.filter(model._default_manager.all(), **lookups)
    return _joined(queryset, _joinable(model, rights, join))


def _joinable(model: type[models.Model], rights: ShareRights, levels: int) -> list[str]:
    """Paths (``author__desk``) of the forward foreign keys the share follows from ``model``,
    up to ``levels`` links deep, through rows it may all read: what comes joined with
    ``model``'s rows instead of one query per row on each level."""
    if levels <= 0:
        return []
    paths = []
    for rel in rights.visible_relations(model):
        if (
            _is_single(rel)
            and not is_reverse(rel)
            and (access := rights.access(target_model(rel))) is not None
            and access.rows is None
        ):
            paths.append(rel.name)
            paths += [
                f"{rel.name}{LOOKUP_SEP}{path}"
                for path in _joinable(target_model(rel), rights, levels - 1)
            ]
    return paths


def _joined(queryset: models.QuerySet, names: list[str]) -> models.QuerySet:
    # select_related() without names means "all" (and is deprecated in Django 6.1)
    return queryset.select_related(*names) if names else queryset


def _is_single(rel: Relation) -> bool:
    return bool(rel.many_to_one or rel.one_to_one)


def _accessor(rel: Relation) -> str:
    # only hidden reverse relations ("+") have no accessor, and get_fields() leaves them out
    return cast(str, rel.get_accessor_name()) if is_reverse(rel) else rel.name


def _relation_label(rel: Relation) -> str:
    """Capitalised, as a field's label is (:func:`_label`)."""
    if is_reverse(rel):  # name it after the other side
        opts = target_model(rel)._meta
        return capfirst(str(opts.verbose_name if rel.one_to_one else opts.verbose_name_plural))
    return capfirst(str(rel.verbose_name))


def _linked_objects(
    instance: models.Model, rel: Relation, access: ModelAccess, limit: int, joined: list[str]
) -> list[models.Model]:
    """Up to ``limit`` + 1 objects linked to the shared object through ``rel``, joined with the
    foreign keys named in ``joined``.

    A to-many relation of one object is one plain ``LIMIT`` query: cheaper than a sliced
    prefetch (a window function), with the same number of queries.
    """
    if not _is_single(rel):
        linked = _joined(access.filter(getattr(instance, _accessor(rel)).all()), joined)
        return list((linked if linked.ordered else linked.order_by("pk"))[: limit + 1])
    if access.rows is not None:  # not joined: fetch it through the share's row filter
        if is_reverse(rel):
            lookup = {rel.field.name: instance}
        else:
            value = getattr(instance, rel.attname)
            if value is None:
                return []
            forward = cast(models.ForeignObject, rel)  # a foreign key or one-to-one here
            lookup = {forward.target_field.attname: value}  # the pk, or the foreign key's to_field
        found = access.filter(target_model(rel)._default_manager.all(), **lookup)
        return list(_joined(found, joined)[:1])
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


def yes_no(value: object) -> str:
    """How a true or false value is said, in the current language: "Yes" or "No"."""
    return _("Yes") if value else _("No")


def _disclose_field(
    instance: models.Model,
    model_field: models.Field,
    language: str | None,
    file_url: Callable[[models.Model, str], str] | None = None,
) -> DisclosedField:
    name, label = model_field.name, _label(model_field, language)
    value = getattr(instance, model_field.attname)
    if value is None or (value == "" and not model_field.choices):
        return DisclosedField(name, label, "", value=value)
    if model_field.choices:
        display = str(getattr(instance, f"get_{name}_display")())
        return DisclosedField(name, label, display, value=value)
    if isinstance(model_field, models.BooleanField):
        return DisclosedField(name, label, yes_no(value), kind="boolean", value=bool(value))
    if isinstance(model_field, models.FileField):
        file = getattr(instance, name)
        if not file:  # no file (also a NULL written by a raw update)
            return DisclosedField(name, label, "")
        url = file_url(instance, name) if file_url is not None else file.url
        file_name = file.name.rsplit("/", 1)[-1]
        return DisclosedField(name, label, file_name, kind="file", url=url, value=file_name)
    if isinstance(model_field, models.URLField):
        safe = str(value).lower().startswith(("http://", "https://"))
        url = value if safe else None
        return DisclosedField(name, label, str(value), kind="url", url=url, value=str(value))
    if isinstance(model_field, models.EmailField):
        mailto = f"mailto:{value}" if _is_email(str(value)) else None  # no "?cc=…" smuggling
        return DisclosedField(name, label, str(value), kind="email", url=mailto, value=str(value))
    if isinstance(model_field, models.JSONField):
        text = json.dumps(value, indent=2, ensure_ascii=False)
        return DisclosedField(name, label, text, kind="json", value=value)
    if isinstance(value, datetime):
        shown = timezone.localtime(value) if timezone.is_aware(value) else value
        return DisclosedField(name, label, _date_text(shown, "DATETIME_FORMAT"), value=value)
    if isinstance(value, date):
        return DisclosedField(name, label, _date_text(value, "DATE_FORMAT"), value=value)
    if isinstance(model_field, models.TextField):
        return DisclosedField(name, label, str(value), kind="multiline", value=str(value))
    return DisclosedField(name, label, str(formats.localize(value)), value=value)


def _date_text(value: date, format_name: str) -> str:
    """``formats.date_format(value, format_name)``, each text formatted once per process.

    Formatting a date costs about as much as the rest of a field's disclosure together, and a
    page shows the same dates on every view. The text depends on the value, its time zone (for a
    naive time: the default one) and fold, the format in the active language and that language's
    names of months and days – all in the key, so the cached text is the one Django would give.
    """
    zone = None
    if isinstance(value, datetime):
        zone = value.tzinfo if timezone.is_aware(value) else timezone.get_default_timezone()
    key = (value, zone, getattr(value, "fold", 0), formats.get_format(format_name), get_language())
    return _formatted_date(*key)


@functools.lru_cache(maxsize=4096)
def _formatted_date(
    value: date, zone: tzinfo | None, fold: int, format_string: str, language: str | None
) -> str:
    """The text of ``value`` in ``format_string`` (the other arguments only key the cache)."""
    return dateformat.format(value, format_string)
