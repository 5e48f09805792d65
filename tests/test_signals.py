"""The signals the app sends (``signals.py``), with the arguments their documentation lists."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.dispatch import Signal
from django.http import HttpRequest
from django.test import Client, override_settings

from directus_shares.models import Share
from directus_shares.signals import share_accessed, share_forwarded, share_locked
from tests.factories import RecipientFactory, ShareFactory
from tests.helpers import open_share, opened_through

pytestmark = pytest.mark.django_db


@contextmanager
def received(signal: Signal) -> Iterator[list[dict]]:
    calls: list[dict] = []

    def receiver(**kwargs: object) -> None:
        calls.append(kwargs)

    signal.connect(receiver, weak=False, dispatch_uid="test_signals")
    try:
        yield calls
    finally:
        signal.disconnect(dispatch_uid="test_signals")


def test_share_accessed_is_sent_for_a_counted_and_for_a_refused_open():
    share = ShareFactory(password="pw")
    with received(share_accessed) as calls:
        open_share(Client(REMOTE_ADDR="192.0.2.9"), share, "wrong")
        open_share(Client(REMOTE_ADDR="192.0.2.9"), share, "pw")
    assert [set(call) for call in calls] == [
        {
            "signal",
            "sender",
            "share",
            "recipient",
            "granted",
            "reason",
            "address",
            "email",
            "request",
        }
    ] * 2
    assert [(c["granted"], c["reason"], c["address"]) for c in calls] == [
        (False, "wrong_password", "192.0.2.0/24"),
        (True, "granted", "192.0.2.0/24"),
    ]
    assert all(c["sender"] is Share and c["share"] == share for c in calls)
    assert all(c["recipient"] is None for c in calls)  # the share's common link
    assert all(isinstance(c["request"], HttpRequest) for c in calls)


@override_settings(
    DIRECTUS_SHARES={
        "PASSWORD_ATTEMPTS_PER_ADDRESS": (50, 900),
        "PASSWORD_ATTEMPTS_PER_SHARE": (2, 3600),
    }
)
def test_share_locked_is_sent_once_when_wrong_passwords_reach_a_limit():
    share = ShareFactory(password="pw")
    with received(share_locked) as calls:
        for _ in range(3):
            open_share(Client(REMOTE_ADDR="192.0.2.10"), share, "wrong")
    assert [set(call) for call in calls] == [{"signal", "sender", "share", "address", "limit"}]
    [call] = calls
    assert call["sender"] is Share and call["share"] == share and call["limit"] == "share"
    assert str(call["address"]) == "192.0.2.10"


def test_share_forwarded_is_sent_once_however_often_devices_past_the_limit_are_refused():
    recipient = RecipientFactory(share=ShareFactory(devices_per_recipient=1))
    with received(share_forwarded) as calls:
        assert open_share(Client(), opened_through(recipient)).status_code == 303
        for _ in range(3):
            assert open_share(Client(), opened_through(recipient)).status_code == 403
    assert [set(call) for call in calls] == [{"signal", "sender", "share", "recipient", "request"}]
    [call] = calls
    assert call["sender"] is Share and call["share"] == recipient.share
    assert call["recipient"] == recipient and call["recipient"].is_forwarded
    assert isinstance(call["request"], HttpRequest)


def test_a_failing_share_forwarded_receiver_is_logged_not_shown(caplog):
    recipient = RecipientFactory(share=ShareFactory(devices_per_recipient=1))

    def broken(**kwargs: object) -> None:
        raise RuntimeError("receiver broke")

    share_forwarded.connect(broken, weak=False, dispatch_uid="broken")
    try:
        assert open_share(Client(), opened_through(recipient)).status_code == 303
        assert open_share(Client(), opened_through(recipient)).status_code == 403
    finally:
        share_forwarded.disconnect(dispatch_uid="broken")
    assert "A share_forwarded receiver failed" in caplog.text
