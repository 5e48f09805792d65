"""The RecipientDevice model and the device limit a recipient's link is held to."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from directus_shares.models import RecipientDevice, ShareRecipient
from tests.factories import RecipientFactory, ShareFactory

pytestmark = pytest.mark.django_db


def _device(recipient: ShareRecipient, key: str) -> RecipientDevice:
    now = timezone.now()
    return RecipientDevice.objects.create(
        recipient=recipient, key=key, first_seen_at=now, last_seen_at=now
    )


def test_a_recipients_device_limit_is_the_sites_default_unless_the_share_sets_one():
    recipient = RecipientFactory()
    assert recipient.device_limit == 2
    with override_settings(DIRECTUS_SHARES={"DEVICES_PER_RECIPIENT": None}):
        assert recipient.device_limit is None
        recipient.share.devices_per_recipient = 3
        assert recipient.device_limit == 3


def test_allowing_one_more_device_raises_the_limit_and_clears_the_forwarded_flag():
    recipient = RecipientFactory(share=ShareFactory(devices_per_recipient=1))
    ShareRecipient.objects.filter(pk=recipient.pk).update(forwarded_at=timezone.now())
    recipient.refresh_from_db()
    assert recipient.is_forwarded
    recipient.allow_one_more_device()
    recipient.allow_one_more_device()
    assert (recipient.device_limit, recipient.is_forwarded) == (3, False)
    assert ShareRecipient.objects.get(pk=recipient.pk).extra_devices == 2


def test_a_new_link_forgets_the_devices_the_old_one_knew():
    recipient = RecipientFactory()
    other = RecipientFactory(share=recipient.share, address="other@example.com")
    _device(recipient, "a" * 64)
    _device(other, "a" * 64)  # the same device on another recipient's link is another row
    recipient.allow_one_more_device()
    ShareRecipient.objects.filter(pk=recipient.pk).update(forwarded_at=timezone.now())
    old_key = recipient.key
    recipient.rotate_key()
    recipient.refresh_from_db()
    assert recipient.key != old_key
    assert (recipient.extra_devices, recipient.forwarded_at) == (0, None)
    assert list(RecipientDevice.objects.values_list("recipient", flat=True)) == [other.pk]


def test_a_device_is_kept_once_per_recipient():
    recipient = RecipientFactory()
    _device(recipient, "b" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        _device(recipient, "b" * 64)


def test_a_share_allows_at_least_one_device():
    share = ShareFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(share).objects.filter(pk=share.pk).update(devices_per_recipient=0)
