"""What the HTTP surfaces share (``web.py``): the client address as configured, and the share
page's private headers."""

from __future__ import annotations

import ipaddress

import pytest
from django.test import Client, RequestFactory, override_settings

from directus_shares.web import SHARE_RESPONSE_HEADERS, client_address
from tests.factories import ShareFactory


def request_from(remote: str, forwarded: str | None = None):
    extra = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_forwarded_for_is_ignored_unless_proxies_are_trusted():
    request = request_from("198.51.100.9", forwarded="10.0.0.1")
    assert client_address(request) == ipaddress.ip_address("198.51.100.9")
    with override_settings(DIRECTUS_SHARES={"TRUSTED_PROXY_COUNT": 1}):
        assert client_address(request) == ipaddress.ip_address("10.0.0.1")
        # A client's own "X-Forwarded-For: 10.0.0.1" is left of what the proxy appended.
        spoofed = request_from("198.51.100.9", forwarded="10.0.0.1, 203.0.113.5")
        assert client_address(spoofed) == ipaddress.ip_address("203.0.113.5")
        assert client_address(request_from("198.51.100.9")) is None  # did not pass the proxy
    with override_settings(DIRECTUS_SHARES={"TRUSTED_PROXY_COUNT": 2}):
        assert client_address(
            request_from("10.9.9.9", forwarded="1.2.3.4, 5.6.7.8, 10.0.0.2")
        ) == ipaddress.ip_address("5.6.7.8")


def test_ipv4_mapped_ipv6_addresses_count_as_ipv4():
    assert client_address(request_from("::ffff:10.0.0.1")) == ipaddress.ip_address("10.0.0.1")
    assert client_address(request_from("not an address")) is None


@pytest.mark.django_db
def test_every_share_page_answer_carries_the_private_headers():
    share = ShareFactory()
    for response in (Client().get(share.get_absolute_url()), Client().get("/share/nope/")):
        for header, value in SHARE_RESPONSE_HEADERS.items():
            assert response[header] == value
    assert SHARE_RESPONSE_HEADERS["Referrer-Policy"] == "same-origin"
