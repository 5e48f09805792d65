"""A share link as a QR code: inline SVG drawn on the server (segno; no network, no images)."""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

#: Modules of white margin around the code, as the QR standard asks: scanners need it, and on a
#: dark page (the admin's dark mode) it is what keeps the code readable.
QUIET_ZONE = 4


def qr_code_svg(url: str, *, title: str | None = None, scale: int = 4) -> SafeString:
    """The ``<svg>`` element (no XML declaration) of a QR code of ``url``, safe to embed in HTML.

    Dark modules on a white ground, whatever the page's colours; ``title`` (escaped) names the
    image for screen readers. ``scale`` is the size of a module in CSS pixels; the image keeps a
    ``viewBox``, so CSS may resize it.
    """
    code = segno.make(url, error="m", micro=False)
    width, height = code.symbol_size(scale=scale, border=QUIET_ZONE)
    svg = code.svg_inline(
        omitsize=True,
        border=QUIET_ZONE,
        dark="#000",
        light="#fff",
        title=title if title is not None else _("QR code of the share link"),
        svgclass="ds-qr-code",
        lineclass=None,
    )
    attributes = f'role="img" width="{width}" height="{height}" shape-rendering="crispEdges"'
    # segno escapes the title and draws the URL only as modules: nothing unescaped gets in.
    return mark_safe(svg.replace("<svg ", f"<svg {attributes} ", 1))  # noqa: S308
