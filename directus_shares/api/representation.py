"""A :class:`~directus_shares.disclosure.DisclosedObject` as JSON.

The API shows what the share page shows because both render the same disclosure: this module
only changes its form, never what is in it. The serializers below describe that form for the
OpenAPI schema; they do not produce it.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from rest_framework import ISO_8601, serializers

from ..disclosure import DisclosedField, DisclosedObject, DisclosedRelation


def represent_object(disclosed: DisclosedObject) -> dict[str, Any]:
    """``disclosed`` as ``{"fields": {name: …}, "relations": […]}`` – without its model or pk."""
    return {
        "fields": {field.name: represent_field(field) for field in disclosed.fields},
        "relations": [represent_relation(relation) for relation in disclosed.relations],
    }


def represent_field(field: DisclosedField) -> dict[str, Any]:
    """The field's value as data (:func:`json_value`) and, beside it, the text the share page
    shows (in the request's language)."""
    return {
        "label": field.label,
        "value": json_value(field.value),
        "text": field.text,
        "kind": field.kind,
        "url": field.url,
    }


def json_value(value: Any) -> Any:
    """``value`` as JSON data, the same in every language: dates and times ISO 8601 (with the
    offset of an aware time), decimals and durations as DRF renders them, other values that
    JSON has no type for as text."""
    if value is None or isinstance(value, bool | int | str | dict | list):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime):
        return serializers.DateTimeField(format=ISO_8601).to_representation(value)
    if isinstance(value, date):
        return serializers.DateField(format=ISO_8601).to_representation(value)
    if isinstance(value, time):
        return serializers.TimeField(format=ISO_8601).to_representation(value)
    if isinstance(value, timedelta):
        return serializers.DurationField().to_representation(value)
    if isinstance(value, Decimal):
        return serializers.DecimalField(None, None).to_representation(value)
    return str(value)  # a UUID, an IP address, a custom field's value


def represent_relation(relation: DisclosedRelation) -> dict[str, Any]:
    return {
        "name": relation.name,
        "label": relation.label,
        "many": relation.many,
        "truncated": relation.truncated,
        "objects": [represent_object(linked) for linked in relation.objects],
    }


# -- the same, for the schema -------------------------------------------------------------------


# DRF's metaclass takes declared fields off the class; the stubs see them shadow Field.label and
# BaseSerializer.many.


class SharedFieldSerializer(serializers.Serializer):
    label = serializers.CharField(  # type: ignore[assignment]
        help_text="The field's name for people, translated."
    )
    value = serializers.JSONField(
        allow_null=True,
        help_text="The value as data, the same in every language: a choice's stored value, "
        "true/false, a number, a decimal as DRF renders it (a string by default), a date or "
        "time in ISO 8601 (with its offset), a JSON field's value, a file's name; null if empty.",
    )
    text = serializers.CharField(
        help_text="The value as the share page shows it, in the request's language; '' if empty."
    )
    kind = serializers.ChoiceField(
        choices=["text", "multiline", "boolean", "file", "url", "email", "json"]
    )
    url = serializers.CharField(
        allow_null=True, help_text="The link of a file, URL or e-mail field; otherwise null."
    )


class SharedRelationSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    many = serializers.BooleanField()  # type: ignore[assignment]
    truncated = serializers.BooleanField(
        help_text="More objects are linked than RELATED_OBJECTS_LIMIT lets the share show."
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        """Its fields, and ``objects``: a name a Serializer class attribute cannot take."""
        fields = super().get_fields()
        fields["objects"] = SharedObjectSerializer(many=True)
        return fields


class SharedObjectSerializer(serializers.Serializer):
    """The shared object, or one linked to it: its allowed fields and allowed relations."""

    def get_fields(self) -> dict[str, serializers.Field]:
        """``fields`` and ``relations``: ``fields`` is DRF's own property, so neither can be a
        class attribute."""
        fields = super().get_fields()
        fields["fields"] = serializers.DictField(
            child=SharedFieldSerializer(), help_text="Allowed fields by name, in display order."
        )
        fields["relations"] = SharedRelationSerializer(many=True)
        return fields
