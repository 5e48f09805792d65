"""The app's mails as tasks: sent at once by the default immediate backend, queued with their ids
and strings for a real queue's worker, and harmless when what they name changed meanwhile."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import django
import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone, translation

from directus_shares import tasks
from directus_shares.models import Share
from directus_shares.tasks import (
    Delivery,
    queue_forwarded_notice,
    queue_lock_notice,
    queue_recipient_links,
    queue_share_link,
    queue_verification_code,
)
from tests.factories import RecipientFactory, ShareFactory, UserFactory
from tests.helpers import QUEUE_WITHOUT_WORKER, mail_backend, queued_tasks, run_queued

pytestmark = pytest.mark.django_db

BOB, CAROL = "bob@example.com", "carol@example.com"


def link_of(share: Share) -> str:
    return f"https://example.com{share.get_absolute_url()}"


@pytest.fixture
def sender():
    return UserFactory(username="ada", first_name="Ada", last_name="Lovelace", email="a@x.org")


def test_the_framework_is_djangos_own_from_6_on_and_the_backport_before():
    expected = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"
    assert expected == tasks.FRAMEWORK
    assert tasks.mail_share_link.module_path == "directus_shares.tasks.mail_share_link"


def test_without_a_tasks_setting_the_backend_runs_tasks_at_once():
    backend = tasks.task_backends["default"]
    assert type(backend).__module__ == f"{tasks.FRAMEWORK}.backends.immediate"
    assert type(backend).__name__ == "ImmediateBackend"


# -- the share's link -----------------------------------------------------------------------------


def test_the_immediate_backend_sends_during_the_call_and_reports_each_address(sender):
    share = ShareFactory(name="Numbers")
    delivery = queue_share_link(share, link_of(share), [BOB, CAROL], sender=sender, message="Hi")
    assert delivery == Delivery(sent=[BOB, CAROL])
    assert [m.to for m in mail.outbox] == [[BOB], [CAROL]]
    assert link_of(share) in mail.outbox[0].body and "Hi" in mail.outbox[0].body
    assert mail.outbox[0].reply_to == ["Ada Lovelace <a@x.org>"]


@mail_backend("tests.mail_backends.FailingBackend")
def test_a_failing_address_is_reported_by_the_immediate_backend(sender):
    mail.outbox = []
    share = ShareFactory()
    delivery = queue_share_link(share, link_of(share), ["ok@example.com", "fail@example.com"],
                                sender=sender)  # fmt: skip
    assert delivery == Delivery(
        sent=["ok@example.com"], failed={"fail@example.com": "mail server said no"}
    )


@override_settings(TASKS=QUEUE_WITHOUT_WORKER)
def test_a_queue_takes_ids_and_strings_without_the_working_link_and_sends_nothing(sender):
    share = ShareFactory()
    with translation.override("de"):
        delivery = queue_share_link(share, link_of(share), [BOB, CAROL], sender=sender,
                                    message="Hi")  # fmt: skip
    assert delivery == Delivery(queued=[BOB, CAROL])
    assert mail.outbox == []
    (queued,) = queued_tasks()
    assert queued.task.module_path == "directus_shares.tasks.mail_share_link"
    assert list(queued.args) == [share.pk, "https://example.com/share/{token}/", [BOB, CAROL]]
    assert queued.kwargs == {
        "sender_id": str(sender.pk),
        "message": "Hi",
        "language": "de",
        "time_zone": "Europe/Berlin",
    }
    assert share.token not in json.dumps([queued.args, queued.kwargs])  # nothing that opens it


@override_settings(TASKS=QUEUE_WITHOUT_WORKER)
def test_the_worker_sends_the_link_the_share_has_then(sender):
    share = ShareFactory()
    queue_share_link(share, link_of(share), [BOB], sender=sender)
    share.rotate_key()
    share.save()
    assert run_queued() == [{BOB: None}]
    (message,) = mail.outbox
    assert link_of(share) in message.body and "Ada Lovelace shared a link with you:" in message.body


@override_settings(TASKS=QUEUE_WITHOUT_WORKER)
def test_the_worker_writes_in_the_senders_language_and_time_zone(sender):
    share = ShareFactory(date_end=dt.datetime(2031, 1, 15, 8, 30, tzinfo=dt.UTC))
    with translation.override("de"), timezone.override(ZoneInfo("America/New_York")):
        queue_share_link(share, link_of(share), [BOB], sender=sender)
    with timezone.override(dt.timezone(dt.timedelta(hours=3))):  # a zone without a name
        queue_share_link(share, link_of(share), [CAROL], sender=sender)
    run_queued()  # outside those requests
    new_york, fixed_offset = (message.body for message in mail.outbox)
    assert "Ada Lovelace hat einen Link mit Ihnen geteilt:" in new_york and "(EST)" in new_york
    assert "Ada Lovelace shared a link with you:" in fixed_offset
    assert "(CET)" in fixed_offset  # the site's TIME_ZONE


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda share: share.delete(), "The share no longer exists."),
        (lambda share: share.revoke(), "Not sent: the share is now “Revoked”."),
        (
            lambda share: Share.objects.filter(pk=share.pk).update(max_uses=1, times_used=1),
            "Not sent: the share is now “Used up”.",
        ),
    ],
    ids=["deleted", "revoked", "used-up"],
)
@override_settings(TASKS=QUEUE_WITHOUT_WORKER)
def test_a_share_changed_before_the_worker_ran_is_not_sent_and_nothing_fails(
    sender, caplog, change, reason
):
    share = ShareFactory()
    queued_id = share.pk
    queue_share_link(share, link_of(share), [BOB, CAROL], sender=sender)
    change(share)
    assert run_queued() == [{BOB: reason, CAROL: reason}]
    assert mail.outbox == []
    assert f"Share {queued_id} " in caplog.text


@override_settings(TASKS=QUEUE_WITHOUT_WORKER)
def test_a_sender_deleted_before_the_worker_ran_sends_nothing(sender, caplog):
    share = ShareFactory()
    queue_share_link(share, link_of(share), [BOB], sender=sender)
    sender.delete()
    assert run_queued() == [{BOB: "The sender's account no longer exists."}]
    assert mail.outbox == [] and "no longer exists: not sent" in caplog.text


def test_a_task_that_fails_at_once_fails_every_address_and_the_request_goes_on(sender, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("template bug")

    monkeypatch.setattr(tasks, "send_share_link", broken)
    share = ShareFactory()
    delivery = queue_share_link(share, link_of(share), [BOB], sender=sender)
    assert delivery == Delivery(failed={BOB: "Sending failed on the server."})


@override_settings(DIRECTUS_SHARES={"TASK_QUEUE": "mail"})
def test_a_mail_that_cannot_be_queued_is_reported_and_logged(sender, caplog):
    share = ShareFactory()
    delivery = queue_share_link(share, link_of(share), [BOB], sender=sender)
    assert delivery == Delivery(failed={BOB: "The mail could not be queued."})
    assert "Queueing mail_share_link failed" in caplog.text
    assert mail.outbox == []


@override_settings(
    TASKS={
        "default": {"BACKEND": f"{tasks.FRAMEWORK}.backends.immediate.ImmediateBackend"},
        "mail": {**QUEUE_WITHOUT_WORKER["default"], "QUEUES": ["outbox"]},
    },
    DIRECTUS_SHARES={"TASK_BACKEND": "mail", "TASK_QUEUE": "outbox"},
)
def test_the_settings_choose_the_backend_and_queue_of_the_mails(sender):
    share = ShareFactory()
    assert queue_share_link(share, link_of(share), [BOB], sender=sender) == Delivery(queued=[BOB])
    (queued,) = queued_tasks("mail")
    assert queued.task.queue_name == "outbox" and queued.backend == "mail"


def test_only_the_shares_own_link_is_queued(sender):
    share, other = ShareFactory(), ShareFactory()
    with pytest.raises(ValueError, match="must be the share's own link"):
        queue_share_link(share, link_of(other), [BOB], sender=sender)


# -- the lock notice ------------------------------------------------------------------------------

UNTIL = dt.datetime(2031, 1, 15, 8, 30, tzinfo=dt.UTC)


def locked_share(email: str = "owner@example.com") -> Share:
    return ShareFactory(name="Board pack", created_by=UserFactory(email=email))


@override_settings(LANGUAGE_CODE="en")
def test_the_lock_notice_is_sent_at_once_by_the_immediate_backend():
    share = locked_share()
    assert queue_lock_notice(share, UNTIL) is True
    (message,) = mail.outbox
    assert message.to == ["owner@example.com"] and "Board pack" in message.subject


@override_settings(TASKS=QUEUE_WITHOUT_WORKER, LANGUAGE_CODE="en")
def test_a_queued_lock_notice_counts_as_told_and_the_worker_sends_it():
    share = locked_share()
    assert queue_lock_notice(share, UNTIL) is True
    assert mail.outbox == []
    (queued,) = queued_tasks()
    assert list(queued.args) == [share.pk, "2031-01-15T08:30:00+00:00"]
    assert run_queued() == [True]
    assert [m.to for m in mail.outbox] == [["owner@example.com"]]


@override_settings(TASKS=QUEUE_WITHOUT_WORKER)
def test_nobody_to_tell_queues_nothing():
    assert queue_lock_notice(locked_share(email=""), UNTIL) is False
    assert queued_tasks() == []


@override_settings(TASKS=QUEUE_WITHOUT_WORKER)
def test_a_lock_notice_for_a_share_deleted_meanwhile_is_dropped(caplog):
    share = locked_share()
    queue_lock_notice(share, UNTIL)
    share.delete()
    assert run_queued() == [False]
    assert mail.outbox == [] and "before its lock notice was sent" in caplog.text


@mail_backend("tests.mail_backends.FailingBackend")
def test_a_lock_notice_that_fails_at_once_is_not_told():
    assert queue_lock_notice(locked_share(email="fail@example.com"), UNTIL) is False


# -- the forwarded-link notice ---------------------------------------------------------------------


@override_settings(TASKS=QUEUE_WITHOUT_WORKER, LANGUAGE_CODE="en")
def test_a_queued_forwarded_notice_carries_ids_only_and_the_worker_sends_it():
    share = locked_share()
    recipient = RecipientFactory(share=share, address=BOB)
    assert queue_forwarded_notice(share, recipient) is True
    (queued,) = queued_tasks()
    assert list(queued.args) == [share.pk, recipient.pk]
    assert run_queued() == [True]
    (message,) = mail.outbox
    assert message.to == ["owner@example.com"] and BOB in message.body


@override_settings(TASKS=QUEUE_WITHOUT_WORKER)
def test_a_forwarded_notice_for_a_recipient_deleted_meanwhile_is_dropped(caplog):
    share = locked_share()
    recipient = RecipientFactory(share=share)
    queue_forwarded_notice(share, recipient)
    recipient.delete()
    assert run_queued() == [False]
    assert mail.outbox == [] and "before the forwarded-link notice was sent" in caplog.text


def test_nobody_to_tell_of_a_forwarded_link_queues_nothing():
    share = locked_share(email="")
    assert queue_forwarded_notice(share, RecipientFactory(share=share)) is False
    assert mail.outbox == []


# -- recipients' own links ------------------------------------------------------------------------


def absolute(path: str) -> str:
    return f"https://example.com{path}"


def test_each_recipient_is_mailed_its_own_link_with_what_it_allows(sender):
    share = ShareFactory(max_uses=5)
    first = RecipientFactory(share=share, max_uses=2)
    second = RecipientFactory(share=share)
    delivery = queue_recipient_links(share, [first, second], absolute_url=absolute, sender=sender)
    assert delivery == Delivery(sent=[first.address, second.address])
    assert share.via_recipient is None  # the caller's share is left as it was
    assert [m.to for m in mail.outbox] == [[first.address], [second.address]]
    assert absolute(first.get_absolute_url()) in mail.outbox[0].body
    assert second.get_absolute_url() not in mail.outbox[0].body
    assert share.get_absolute_url() not in mail.outbox[1].body
    assert "opened 2 more times" in mail.outbox[0].body  # the first's own limit
    assert "opened 5 more times" in mail.outbox[1].body


@override_settings(TASKS=QUEUE_WITHOUT_WORKER)
def test_recipients_links_are_queued_as_ids_without_a_working_link(sender):
    share = ShareFactory()
    recipients = [RecipientFactory(share=share), RecipientFactory(share=share)]
    delivery = queue_recipient_links(share, recipients, absolute_url=absolute, sender=sender)
    assert delivery == Delivery(queued=[r.address for r in recipients])
    assert mail.outbox == []
    (queued,) = queued_tasks()
    assert queued.task.module_path == "directus_shares.tasks.mail_recipient_links"
    assert list(queued.args) == [
        share.pk,
        [r.pk for r in recipients],
        "https://example.com/share/{token}/",
    ]
    stored = json.dumps([queued.args, queued.kwargs])
    assert all(r.token not in stored for r in recipients) and share.token not in stored


@override_settings(TASKS=QUEUE_WITHOUT_WORKER)
def test_the_worker_sends_recipients_links_as_they_are_then(sender, caplog):
    share = ShareFactory()
    rotated, revoked, deleted = (RecipientFactory(share=share) for _ in range(3))
    queue_recipient_links(share, [rotated, revoked, deleted], absolute_url=absolute, sender=sender)
    rotated.rotate_key()
    rotated.save()
    revoked.revoke()
    deleted.delete()
    assert run_queued() == [
        {rotated.address: None, revoked.address: "Not sent: this recipient's link was revoked."}
    ]
    (message,) = mail.outbox
    assert absolute(rotated.get_absolute_url()) in message.body  # the new link, not the old
    assert "were deleted before their links were sent" in caplog.text


@override_settings(TASKS=QUEUE_WITHOUT_WORKER)
def test_recipients_of_a_share_revoked_meanwhile_are_not_mailed(sender):
    share = ShareFactory()
    recipient = RecipientFactory(share=share)
    queue_recipient_links(share, [recipient], absolute_url=absolute, sender=sender)
    share.revoke()
    assert run_queued() == [{recipient.address: "Not sent: the share is now “Revoked”."}]
    assert mail.outbox == []


@override_settings(TASKS=QUEUE_WITHOUT_WORKER)
def test_recipients_of_a_sender_deleted_meanwhile_are_not_mailed(sender, caplog):
    share = ShareFactory()
    recipients = [RecipientFactory(share=share), RecipientFactory(share=share)]
    queue_recipient_links(share, recipients, absolute_url=absolute, sender=sender)
    sender.delete()
    gone = "The sender's account no longer exists."
    assert run_queued() == [{r.address: gone for r in recipients}]
    assert mail.outbox == [] and "no longer exists: not sent" in caplog.text


# -- one-time codes ---------------------------------------------------------------------------


@override_settings(TASKS=QUEUE_WITHOUT_WORKER)
def test_a_queued_code_is_mailed_by_the_worker_in_the_visitors_language():
    share = ShareFactory(allowed_addresses=[BOB])
    with translation.override("de"):
        queue_verification_code(share, BOB, "123456", 10)
    assert mail.outbox == []
    (queued,) = queued_tasks()
    assert queued.task.module_path == "directus_shares.tasks.mail_verification_code"
    assert run_queued() == [True]
    (message,) = mail.outbox
    assert message.to == [BOB] and message.subject == "Ihr Code: 123456"


@override_settings(TASKS=QUEUE_WITHOUT_WORKER)
def test_a_code_for_a_share_deleted_meanwhile_is_dropped(caplog):
    share = ShareFactory(allowed_addresses=[BOB])
    queue_verification_code(share, BOB, "123456", 10)
    share.delete()
    assert run_queued() == [False]
    assert mail.outbox == [] and "before a code was mailed" in caplog.text


@mail_backend("tests.mail_backends.FailingBackend")
def test_a_code_mail_that_fails_is_logged_and_the_visitor_is_answered_as_ever(caplog):
    share = ShareFactory(allowed_addresses=["fail@example.com"])
    queue_verification_code(share, "fail@example.com", "123456", 10)  # raises nothing
    assert "Mailing a one-time code for share" in caplog.text and "123456" not in caplog.text
