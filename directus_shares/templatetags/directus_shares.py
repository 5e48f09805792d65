"""Template helpers for share pages: ``{% load directus_shares %}``."""

from __future__ import annotations

from datetime import datetime
from html import escape

from django import template
from django.utils import dateformat, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from ..disclosure import DisclosedField, DisclosedRelation

register = template.Library()


def esc(value: object) -> str:
    """``value`` escaped for HTML text and attributes – always, even if marked safe: disclosed
    values are data, never markup. (The standard library's escape, as Django's own escape does
    it, without the lazy-string wrapper that cost more than the rest of a field's rendering.)"""
    return escape(str(value), quote=True)


def _value_html(field: DisclosedField) -> str:
    if field.text == "":
        return '<span class="ds-none">—</span>'
    if field.url:
        download = " download" if field.kind == "file" else ""
        return (
            f'<a href="{esc(field.url)}" rel="noopener noreferrer" referrerpolicy="no-referrer"'
            f"{download}>{esc(field.text)}</a>"
        )
    if field.kind in ("multiline", "json"):
        return f"<pre>{esc(field.text)}</pre>"
    return esc(field.text)


@register.filter
def time_zone_name(value: datetime | None) -> str:
    """The zone of ``value`` in the current time zone, for "(CET)" after a time: its name, or its
    UTC offset ("UTC+01:00") where the name would not say which moment it is – Django's
    ``date:"T"`` prints nothing for a local time that occurs twice (or not at all)."""
    if not isinstance(value, datetime):
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    name = dateformat.format(local, "T")
    if name:
        return name
    offset = local.utcoffset()
    if offset is None:
        return ""
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@register.simple_tag
def share_value(field: DisclosedField) -> SafeString:
    """A disclosed field's value as HTML: a link, preformatted text, or plain (escaped) text."""
    return mark_safe(_value_html(field))  # noqa: S308 - all data is escaped


@register.simple_tag
def share_fields(fields: list[DisclosedField]) -> SafeString:
    """A ``<dl>`` of disclosed fields; a tag rather than an ``{% include %}``, which would cost
    more than the rest of the page when repeated for every linked object."""
    rows = "\n".join(
        f'<div class="ds-field ds-field-{esc(field.kind)}" data-field="{esc(field.name)}">'
        f"<dt>{esc(field.label)}</dt>"
        f"<dd>{_value_html(field)}</dd></div>"
        for field in fields
    )
    return mark_safe(f'<dl class="ds-fields">\n{rows}\n</dl>')  # noqa: S308 - escaped above


@register.simple_tag
def share_relations(relations: list[DisclosedRelation]) -> SafeString:
    """Objects linked to a linked object (a comment's author, …), nested to any depth."""
    return mark_safe(_relations_html(relations))  # noqa: S308 - escaped in _relations_html


def _relations_html(relations: list[DisclosedRelation]) -> str:
    parts = []
    for relation in relations:
        items = [
            f'<li class="ds-linked">{share_fields(obj.fields)}{_relations_html(obj.relations)}</li>'
            for obj in relation.objects
        ] or [f'<li class="ds-empty">{esc(_("None"))}</li>']
        parts.append(
            f'<div class="ds-nested" data-relation="{esc(relation.name)}">'
            f"<h3>{esc(capfirst(relation.label))}</h3><ul>{''.join(items)}</ul></div>"
        )
    return "".join(parts)
