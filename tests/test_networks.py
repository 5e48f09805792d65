"""IP limits of a role: which networks it allows, and a 403 from anywhere else."""

from __future__ import annotations

import ipaddress

import pytest
from django.test import Client, RequestFactory

from directus_shares.models import RoleSettings
from directus_shares.networks import address_allowed, parse_networks
from directus_shares.outcomes import Refusal
from tests.factories import GadgetFactory, ShareFactory
from tests.helpers import open_share


def request_from(remote: str, forwarded: str | None = None):
    extra = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_networks_are_read_from_commas_spaces_and_lines():
    assert parse_networks("10.0.0.0/8, 192.0.2.7\n2001:db8::/32;  ") == [
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.0.2.7/32"),
        ipaddress.ip_network("2001:db8::/32"),
    ]
    with pytest.raises(ValueError, match="300.1.1.1, x"):
        parse_networks("300.1.1.1 10.0.0.1 x")


@pytest.mark.parametrize(
    ("address", "allowed", "expected"),
    [
        ("10.1.2.3", "10.0.0.0/8", True),
        ("11.1.2.3", "10.0.0.0/8", False),
        ("2001:db8::1", "10.0.0.0/8, 2001:db8::/32", True),
        ("2001:db9::1", "2001:db8::/32", False),
        ("192.0.2.1", "", True),  # no limit
        (None, "10.0.0.0/8", False),  # unknown address, limited role
        ("10.1.2.3", "garbage", False),  # an unreadable list allows nothing
    ],
)
def test_address_allowed(address, allowed, expected):
    parsed = None if address is None else ipaddress.ip_address(address)
    assert address_allowed(parsed, allowed) is expected


@pytest.mark.django_db
def test_a_visitor_from_outside_the_roles_networks_is_refused_before_anything_else():
    share = ShareFactory(content_object=GadgetFactory(name="Inside only"), password="pw")
    RoleSettings.objects.create(role=share.role, allowed_networks="10.0.0.0/8")
    outside = Client(REMOTE_ADDR="192.0.2.1")
    for response in (outside.get(share.get_absolute_url()), open_share(outside, share, "pw")):
        assert response.status_code == Refusal.FORBIDDEN_NETWORK.status == 403
        content = response.content.decode()
        assert "cannot be opened from your network" in content
        assert "only from the networks its owner allowed" in content
        assert "switched off" not in content and "removed" not in content
        assert "Inside only" not in content and share.name not in content
        assert "password" not in content.lower()
    share.refresh_from_db()
    assert share.times_used == 0
    inside = Client(REMOTE_ADDR="10.20.30.40")
    assert open_share(inside, share, "pw").status_code == 303
    assert "Inside only" in inside.get(share.get_absolute_url()).content.decode()
