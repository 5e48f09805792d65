"""A :class:`~directus_shares.disclosure.DisclosedObject` as JSON.

The API shows what the share page shows because both render the same disclosure: this module
only changes its form, never what is in it. The serializers below describe that form for the
OpenAPI schema; they do not produce it.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..disclosure import DisclosedField, DisclosedObject, DisclosedRelation


def represent_object(disclosed: DisclosedObject) -> dict[str, Any]:
    """``disclosed`` as ``{"fields": {name: …}, "relations": […]}`` – without its model or pk."""
    return {
        "fields": {field.name: represent_field(field) for field in disclosed.fields},
        "relations": [represent_relation(relation) for relation in disclosed.relations],
    }


def represent_field(field: DisclosedField) -> dict[str, Any]:
    return {"label": field.label, "value": field.text, "kind": field.kind, "url": field.url}


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
    value = serializers.CharField(help_text="The value as the share page shows it; '' if empty.")
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


class SharedObjectSerializer(serializers.Serializer):
    """The shared object, or one linked to it: its allowed fields and allowed relations."""


# "fields" and "objects" are names a Serializer class attribute cannot take (``fields`` is
# DRF's own property); declared fields may still use them.
SharedObjectSerializer._declared_fields["fields"] = serializers.DictField(
    child=SharedFieldSerializer(), help_text="Allowed fields by name, in display order."
)
SharedObjectSerializer._declared_fields["relations"] = SharedRelationSerializer(many=True)
SharedRelationSerializer._declared_fields["objects"] = SharedObjectSerializer(many=True)
