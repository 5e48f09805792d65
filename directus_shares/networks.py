"""IP limits of a role: which client addresses may open its shares.

A role's ``allowed_networks`` is text – addresses or CIDR ranges, IPv4 or IPv6, separated by
commas, spaces or new lines (``10.0.0.0/8, 2001:db8::/32``). The client address is
``REMOTE_ADDR`` unless the ``TRUSTED_PROXY_COUNT`` setting says how many proxies in front of the
site append to ``X-Forwarded-For``; only their entries are believed, never the client's own.
"""

from __future__ import annotations

import ipaddress
import re

from django.http import HttpRequest
from django.utils.translation import gettext as _

from .conf import get_config

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_SEPARATORS = re.compile(r"[\s,;]+")


def parse_networks(text: str) -> list[Network]:
    """The networks listed in ``text`` (a bare address is a network of one).

    Raises:
        ValueError: naming each entry that is not an address or network.
    """
    networks, bad = [], []
    for entry in filter(None, _SEPARATORS.split(text or "")):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            bad.append(entry)
    if bad:
        raise ValueError(
            _("Not an IP address or CIDR range: %(entries)s") % {"entries": ", ".join(bad)}
        )
    return networks


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


def address_allowed(address: Address | None, allowed: str) -> bool:
    """Whether ``address`` lies in one of the ``allowed`` networks (no networks: any address).

    An unreadable list allows nothing: the admin form refuses one, so it means a broken database.
    """
    if not allowed or not allowed.strip():
        return True
    if address is None:
        return False
    try:
        networks = parse_networks(allowed)
    except ValueError:
        return False
    return any(address.version == network.version and address in network for network in networks)
