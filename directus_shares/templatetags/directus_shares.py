"""The app's template library, ``{% load directus_shares %}``: the share page's tags and filter,
made in :mod:`directus_shares.views` (the HTML of a disclosed object is the page's job) and only
registered here."""

from __future__ import annotations

from django import template

from ..views import share_fields, share_relations, share_sections, share_value, time_zone_name

register = template.Library()
register.filter("time_zone_name", time_zone_name)
register.simple_tag(share_value)
register.simple_tag(share_fields)
register.simple_tag(share_relations)
register.simple_tag(share_sections)
