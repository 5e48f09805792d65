"""What the HTTP surfaces share: the visitor's address as the site's proxies report it, and the
headers that keep a share page private, uncached, unindexed and unframed.

The client address is ``REMOTE_ADDR`` unless the ``TRUSTED_PROXY_COUNT`` setting says how many
proxies in front of the site append to ``X-Forwarded-For``; only their entries are believed, never
the client's own.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

from .conf import get_config
from .rights import Address

SHARE_RESPONSE_HEADERS = {
    "Cache-Control": "no-store, private",
    # Not "no-referrer": browsers would then post the page's own form with "Origin: null", which
    # Django's CSRF check refuses. "same-origin" still keeps the link out of every cross-origin
    # Referer; the templates keep it out of same-origin subresource requests as well.
    "Referrer-Policy": "same-origin",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}


def share_response_headers(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark every response of ``view`` as private, uncacheable, unindexed, unframeable and
    without a ``Referer`` to other sites."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> HttpResponse:
        response = view(*args, **kwargs)
        for header, value in SHARE_RESPONSE_HEADERS.items():
            response[header] = value
        return response

    return wrapped


def client_address(request: HttpRequest) -> Address | None:
    """The visitor's address as the trusted proxies (or the socket) report it; ``None`` if
    unknown, e.g. fewer forwarded entries than proxies configured."""
    config = get_config()
    proxies = config["TRUSTED_PROXY_COUNT"]
    if proxies:
        forwarded = [
            entry.strip()
            for entry in request.META.get(config["FORWARDED_FOR_HEADER"], "").split(",")
            if entry.strip()
        ]
        if len(forwarded) < proxies:
            return None  # the request did not pass through every proxy: nothing to believe
        raw = forwarded[-proxies]  # what the outermost trusted proxy saw
    else:
        raw = request.META.get("REMOTE_ADDR", "")
    try:
        address = ipaddress.ip_address(raw.strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    return address
