"""The ShareRecipient model: its own link, its state, and what the database holds it to."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from directus_shares import signatures
from directus_shares.models import RecipientStatus, ShareRecipient
from tests.factories import RecipientFactory, ShareFactory

pytestmark = pytest.mark.django_db


def test_a_recipients_link_is_its_own_signed_key_on_the_share_page():
    recipient = RecipientFactory()
    assert recipient.get_absolute_url() == f"/share/{recipient.token}/"
    assert signatures.key_from_token(recipient.token, "recipient") == recipient.key
    assert recipient.key != recipient.share.key
    assert recipient.key not in recipient.share.get_absolute_url()


def test_its_status_and_uses_left():
    recipient = ShareRecipient(max_uses=2, times_used=1)
    assert (recipient.status, recipient.uses_left) == (RecipientStatus.ACTIVE, 1)
    recipient.times_used = 2
    assert (recipient.status, recipient.uses_left) == (RecipientStatus.USED_UP, 0)
    assert ShareRecipient().uses_left is None
    recipient.revoked_at = timezone.now()
    assert recipient.status is RecipientStatus.REVOKED


@pytest.mark.parametrize(
    "duplicate",
    [
        lambda r: ShareRecipient(share=r.share, address=r.address),
        lambda r: ShareRecipient(share=ShareFactory(), address="x@example.com", key=r.key),
        lambda r: ShareRecipient(share=r.share, address="y@example.com", max_uses=0),
    ],
    ids=["same-address", "same-key", "no-use-allowed"],
)
def test_the_database_refuses_a_duplicate_or_a_limit_below_one(duplicate):
    recipient = RecipientFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate(recipient).save()


def test_the_same_address_may_be_a_recipient_of_two_shares():
    recipient = RecipientFactory()
    RecipientFactory(address=recipient.address)
    assert ShareRecipient.objects.filter(address=recipient.address).count() == 2


def test_revoke_and_rotate_are_one_update_each_and_end_its_grants():
    recipient = RecipientFactory()
    key = recipient.key
    recipient.revoke()
    assert recipient.is_revoked and recipient.grant_epoch == 1
    recipient.reenable()
    assert not recipient.is_revoked and recipient.grant_epoch == 1
    recipient.rotate_key()
    stored = ShareRecipient.objects.get()
    assert (stored.key, stored.grant_epoch) == (recipient.key, 2) and stored.key != key


def test_deleting_its_share_deletes_it():
    recipient = RecipientFactory()
    recipient.share.delete()
    assert not ShareRecipient.objects.exists()


@pytest.mark.parametrize(
    ("address", "masked"),
    [("ada@example.com", "a***@example.com"), ("x@b.org", "x***@b.org")],
)
def test_its_masked_address_keeps_the_first_character_and_the_domain(address, masked):
    assert ShareRecipient(address=address).masked_address == masked
