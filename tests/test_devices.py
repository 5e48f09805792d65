"""Telling devices apart (the signed device cookie, the keyed hash that is stored) and holding a
recipient's link to its device limit: known devices reopen, the next one is refused as forwarded,
staff can allow one more, a new link forgets them all."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from directus_shares import devices
from directus_shares.models import RecipientDevice, ShareAccess, ShareRecipient
from tests.factories import RecipientFactory, ShareFactory, UserFactory
from tests.helpers import open_share, opened_through

pytestmark = pytest.mark.django_db

COOKIE = "directus_share_device"


def recipient_link(**share_fields) -> ShareRecipient:
    creator = UserFactory(email="owner@example.com")
    share = ShareFactory(name="Board pack", created_by=creator, **share_fields)
    return RecipientFactory(share=share, address="bob@example.com")


def opened(client: Client, recipient: ShareRecipient) -> int:
    """The status of opening ``recipient``'s link on the device ``client`` (303: opened)."""
    return open_share(client, opened_through(recipient)).status_code


def without_grant(client: Client) -> Client:
    """``client`` after its grant ended: the same device, which must open again."""
    for name in [name for name in client.cookies if name != COOKIE]:
        del client.cookies[name]
    return client


# -- the cookie -----------------------------------------------------------------------------------


def test_a_recipients_link_gives_a_new_device_a_signed_httponly_cookie_for_the_whole_site():
    recipient = recipient_link()
    response = Client().get(recipient.get_absolute_url())
    assert response.status_code == 200
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    assert (cookie["path"], cookie["max-age"]) == ("/", 400 * 24 * 3600)
    request = RequestFactory().get("/", HTTP_COOKIE=f"{COOKIE}={cookie.value}")
    device = devices.device_id(request)
    assert device != cookie.value and device in cookie.value  # the id, with its signature
    response = Client(HTTP_COOKIE=f"{COOKIE}={cookie.value}").get(recipient.get_absolute_url())
    again = RequestFactory().get("/", HTTP_COOKIE=f"{COOKIE}={response.cookies[COOKIE].value}")
    assert devices.device_id(again) == device  # the same id, signed afresh for 400 more days


@override_settings(DIRECTUS_SHARES={"GRANT_COOKIE_SECURE": True})
def test_the_device_cookie_is_secure_when_the_grant_cookie_is():
    response = Client().get(recipient_link().get_absolute_url())
    assert response.cookies[COOKIE]["secure"]


def test_the_common_link_and_a_link_without_a_device_limit_set_no_device_cookie():
    recipient = recipient_link()
    assert COOKIE not in Client().get(recipient.share.get_absolute_url()).cookies
    with override_settings(DIRECTUS_SHARES={"DEVICES_PER_RECIPIENT": None}):
        assert COOKIE not in Client().get(recipient.get_absolute_url()).cookies


@pytest.mark.parametrize("value", ["", "forged", "abc:def", "x" * 60])
def test_a_missing_or_tampered_cookie_gives_a_new_id_for_the_request(value):
    request = RequestFactory().get("/", HTTP_COOKIE=f"{COOKIE}={value}")
    device = devices.device_id(request)
    assert device not in ("", "forged", "abc", "def") and len(device) >= 40
    assert devices.device_id(request) == device  # the same id for the whole request
    assert devices.device_id(RequestFactory().get("/")) != device


def test_a_tampered_cookie_is_replaced_on_the_answer():
    recipient = recipient_link()
    first = Client().get(recipient.get_absolute_url()).cookies[COOKIE].value
    tampered = first[:-1] + ("A" if first[-1] != "A" else "B")
    response = Client(HTTP_COOKIE=f"{COOKIE}={tampered}").get(recipient.get_absolute_url())
    assert response.cookies[COOKIE].value not in (first, tampered)


def test_only_a_keyed_hash_per_recipient_is_stored():
    recipient = recipient_link()
    other = RecipientFactory(share=recipient.share, address="carol@example.com")
    client = Client()
    assert opened(client, recipient) == 303 and opened(client, other) == 303
    device = devices.device_id(
        RequestFactory().get("/", HTTP_COOKIE=f"{COOKIE}={client.cookies[COOKIE].value}")
    )
    stored = dict(RecipientDevice.objects.values_list("recipient", "key"))
    assert stored == {
        recipient.pk: devices.device_keys(recipient, device)[0],
        other.pk: devices.device_keys(other, device)[0],
    }
    assert stored[recipient.pk] != stored[other.pk]
    assert all(re.fullmatch(r"[0-9a-f]{64}", key) and device not in key for key in stored.values())


# -- the limit ------------------------------------------------------------------------------------


def test_two_devices_open_and_the_third_is_refused_as_forwarded():
    recipient = recipient_link()
    first, second, third = Client(), Client(), Client()
    assert opened(first, recipient) == 303 and opened(second, recipient) == 303
    assert opened(third, recipient) == 403
    response = third.get(recipient.get_absolute_url())
    assert response.status_code == 403
    assert "already in use on other devices" in response.content.decode()
    assert RecipientDevice.objects.filter(recipient=recipient).count() == 2
    recipient.refresh_from_db()
    assert recipient.times_used == 2 and recipient.is_forwarded


def test_a_known_device_opens_again_without_its_grant_and_is_seen_again():
    recipient = recipient_link(devices_per_recipient=1)
    client = Client()
    assert opened(client, recipient) == 303
    seen = RecipientDevice.objects.get(recipient=recipient).last_seen_at
    assert opened(without_grant(client), recipient) == 303
    device = RecipientDevice.objects.get(recipient=recipient)
    assert device.last_seen_at > seen and device.first_seen_at == seen
    assert opened(Client(), recipient) == 403


def test_a_grant_holder_is_never_refused_even_when_the_devices_are_full():
    recipient = recipient_link(devices_per_recipient=1)
    holder = Client()
    assert opened(holder, recipient) == 303
    del holder.cookies[COOKIE]  # the grant alone: its device was counted when it opened
    RecipientDevice.objects.all().update(key="0" * 64)
    assert holder.get(recipient.get_absolute_url()).status_code == 200
    assert opened(holder, recipient) == 303  # a reload: nothing counted, nothing refused


def test_the_creator_is_told_once_however_often_devices_are_refused():
    recipient = recipient_link(devices_per_recipient=1)
    assert opened(Client(), recipient) == 303
    for _ in range(3):
        assert opened(Client(), recipient) == 403
    (notice,) = mail.outbox
    assert notice.to == ["owner@example.com"] and "Board pack" in notice.subject
    reasons = ShareAccess.objects.filter(recipient=recipient, granted=False)
    assert set(reasons.values_list("reason", flat=True)) == {"recipient_forwarded"}


def test_allowing_one_more_device_lets_the_next_open_and_the_one_after_it_is_told_again():
    recipient = recipient_link(devices_per_recipient=1)
    assert opened(Client(), recipient) == 303
    refused = Client()
    assert opened(refused, recipient) == 403
    recipient.allow_one_more_device()
    assert opened(refused, recipient) == 303
    assert opened(Client(), recipient) == 403
    assert len(mail.outbox) == 2
    assert RecipientDevice.objects.filter(recipient=recipient).count() == 2


def test_a_new_link_forgets_the_devices_and_starts_afresh():
    recipient = recipient_link(devices_per_recipient=1)
    assert opened(Client(), recipient) == 303
    assert opened(Client(), recipient) == 403
    recipient.rotate_key()
    assert not recipient.is_forwarded
    assert opened(Client(), recipient) == 303
    assert opened(Client(), recipient) == 403
    assert len(mail.outbox) == 2


def test_a_device_refused_on_an_old_link_does_not_flag_the_new_one():
    recipient = recipient_link(devices_per_recipient=1)
    reached = opened_through(recipient)
    ShareRecipient.objects.filter(pk=recipient.pk).update(key="0" * 32)  # a new link meanwhile
    devices.report_forwarded(RequestFactory().get("/"), reached)
    assert not ShareRecipient.objects.get(pk=recipient.pk).is_forwarded
    assert mail.outbox == []


def test_refuses_only_a_new_device_when_the_links_devices_are_full():
    recipient = recipient_link(devices_per_recipient=2)
    share = opened_through(recipient)
    now = timezone.now()
    assert not devices.refuses(share, ("a" * 64,))
    for key in ("a" * 64, "b" * 64):
        RecipientDevice.objects.create(
            recipient=recipient, key=key, first_seen_at=now, last_seen_at=now
        )
    assert not devices.refuses(share, ("a" * 64,))
    assert not devices.refuses(share, ("x" * 64, "b" * 64))  # known by a fallback key's hash
    assert devices.refuses(share, ("c" * 64,))
    recipient.extra_devices = 1
    assert not devices.refuses(share, ("c" * 64,))
    with override_settings(DIRECTUS_SHARES={"DEVICES_PER_RECIPIENT": None}):
        recipient.share.devices_per_recipient = None
        assert not devices.refuses(share, ("d" * 64,))
        assert devices.visitor_keys(RequestFactory().get("/"), share) is None
