"""Template helpers for share pages: ``{% load directus_shares %}``."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from ..disclosure import DisclosedField

register = template.Library()


@register.simple_tag
def share_value(field: DisclosedField) -> SafeString:
    """A disclosed field's value as HTML: a link, preformatted text, or plain (escaped) text."""
    if field.text == "":
        return mark_safe('<span class="ds-none">—</span>')  # noqa: S308 - a constant
    if field.url:
        download = " download" if field.kind == "file" else ""
        return format_html(
            '<a href="{}" rel="noopener noreferrer"{}>{}</a>', field.url, download, field.text
        )
    if field.kind in ("multiline", "json"):
        return format_html("<pre>{}</pre>", field.text)
    return format_html("{}", field.text)


@register.simple_tag
def share_fields(fields: list[DisclosedField]) -> SafeString:
    """A ``<dl>`` of disclosed fields; a tag rather than an ``{% include %}``, which would cost
    more than the rest of the page when repeated for every linked object."""
    rows = format_html_join(
        "\n",
        '<div class="ds-field ds-field-{}" data-field="{}"><dt>{}</dt><dd>{}</dd></div>',
        (
            (field.kind, field.name, field.label[:1].upper() + field.label[1:], share_value(field))
            for field in fields
        ),
    )
    return format_html('<dl class="ds-fields">\n{}\n</dl>', rows)
