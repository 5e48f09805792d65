"""The invitation mail: who shared, the link, every time with its zone in the admin's format."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import override_settings

from directus_shares.mail import send_forwarded_notice, send_lock_notice, send_share_link
from tests.factories import RecipientFactory, ShareFactory, UserFactory

pytestmark = pytest.mark.django_db

LINK = "https://example.com/share/x/"


def sent(share, sender) -> tuple[str, str]:
    """The text and HTML of the one message sent for ``share`` by ``sender``."""
    mail.outbox = []
    assert send_share_link(share, LINK, ["bob@example.com"], sender=sender) == {
        "bob@example.com": None
    }
    message = mail.outbox[0]
    return message.body, message.alternatives[0][0]


def test_the_end_has_its_zone_and_one_full_stop_and_the_sharer_their_full_name():
    ada = UserFactory(username="ada", first_name="Ada", last_name="Lovelace", email="a@x.org")
    share = ShareFactory(date_end=dt.datetime(2031, 1, 15, 8, 30, tzinfo=dt.UTC), max_uses=3)
    for body in sent(share, ada):
        assert "Ada Lovelace shared a link with you:" in body
        assert "Available until Jan. 15, 2031, 9:30 a.m. (CET)" in body  # the admin's format
        assert ".." not in body
    assert mail.outbox[0].reply_to == ["Ada Lovelace <a@x.org>"]


def test_an_end_that_occurs_twice_gets_its_utc_offset_and_a_nameless_sharer_their_username():
    bob = UserFactory(username="bob", first_name="", last_name="", email="")
    share = ShareFactory(date_end=dt.datetime(2030, 10, 27, 1, 30, tzinfo=dt.UTC))
    for body in sent(share, bob):
        assert "bob shared a link with you:" in body
        assert "Available until Oct. 27, 2030, 2:30 a.m. (UTC+01:00)" in body
        assert "()" not in body
    assert mail.outbox[0].reply_to == []


def test_subjects_are_plain_text_not_html():
    """A subject is no HTML: a name with quotes and an ampersand arrives as typed."""
    ada = UserFactory(username="ada", email="a@x.org")
    share = ShareFactory(name='Bob\'s Q&A "notes"', created_by=ada)
    sent(share, ada)
    assert mail.outbox[0].subject == 'Shared with you: Bob\'s Q&A "notes"'
    mail.outbox = []
    assert send_lock_notice(share, dt.datetime(2031, 1, 15, 8, 30, tzinfo=dt.UTC))
    assert '“Bob\'s Q&A "notes"”' in mail.outbox[0].subject


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Europe/Berlin", "Jan. 15, 2031, 9:30 a.m. (CET)"),
        ("UTC", "Jan. 15, 2031, 8:30 a.m. (UTC)"),
    ],
)
def test_the_lock_notice_names_the_zone_as_every_other_mail_does(zone, shown):
    owner = UserFactory(username="ada", email="a@x.org")
    share = ShareFactory(created_by=owner)
    with override_settings(TIME_ZONE=zone):  # the site's zone
        assert send_lock_notice(share, dt.datetime(2031, 1, 15, 8, 30, tzinfo=dt.UTC))
    message = mail.outbox[0]
    for body in message.body, message.alternatives[0][0]:
        assert f"nobody can open it until {shown} – not even" in body
        assert "+0000" not in body and "UTC+" not in body


@override_settings(LANGUAGE_CODE="en")
def test_the_forwarded_notice_names_the_share_the_recipient_and_what_staff_can_do():
    owner = UserFactory(username="ada", email="a@x.org")
    share = ShareFactory(name="Board pack", created_by=owner, devices_per_recipient=2)
    recipient = RecipientFactory(share=share, address="bob@example.com")
    assert send_forwarded_notice(share, recipient)
    (message,) = mail.outbox
    assert message.to == ["a@x.org"]
    assert message.subject == "A recipient's link to your share “Board pack” was probably forwarded"
    for body in message.body, message.alternatives[0][0]:
        assert "bob@example.com" in body and "“Board pack”" in body
        assert "one more device than the 2 it may be opened on" in body
        assert "allow one more device" in body and "give the recipient a new link" in body
        assert f"with the share's recipients. The share's id is {share.pk}." in body


def test_the_forwarded_notice_goes_nowhere_without_a_creator_to_tell():
    recipient = RecipientFactory(share=ShareFactory(created_by=UserFactory(email="")))
    assert not send_forwarded_notice(recipient.share, recipient)
    assert mail.outbox == []
