"""IP limits of a role: which client addresses may open its shares.

A role's ``allowed_networks`` is text – addresses or CIDR ranges, IPv4 or IPv6, separated by
commas, spaces or new lines (``10.0.0.0/8, 2001:db8::/32``). Which address a request comes from
is read by :func:`.web.client_address`.
"""

from __future__ import annotations

import ipaddress
import re

from django.utils.translation import gettext as _

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
