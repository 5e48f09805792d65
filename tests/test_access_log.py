"""The access log: every attempt to open a share is stored with its reason, shown read-only in
the admin, sent as a signal, and pruned by a command."""

from __future__ import annotations

import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from directus_shares import attempts, opening
from directus_shares.admin.access_log import ShareAccessInline
from directus_shares.models import AccessReason, RoleSettings, Share, ShareAccess
from directus_shares.outcomes import Refusal
from directus_shares.signals import share_accessed
from tests.factories import RecipientFactory, RoleFactory, ShareFactory, UserFactory, permission
from tests.helpers import (
    before_counting,
    database_fails_on,
    open_share,
    opened_through,
    save_new_password,
)
from tests.testapp.models import Owner

pytestmark = pytest.mark.django_db

LOG_TABLE = connection.ops.quote_name(ShareAccess._meta.db_table)


def post(share: Share, client: Client | None = None, **data: str):
    """Submit the landing page without loading it first (a load would be a refused GET)."""
    return post_to(share.get_absolute_url(), client, **data)


def post_to(url: str, client: Client | None = None, **data: str):
    client = client or Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "a" * 32
    return client.post(url, {"csrfmiddlewaretoken": "a" * 32, **data})


def log_of(share: Share) -> list[tuple[bool, str]]:
    return list(ShareAccess.objects.filter(share=share).values_list("granted", "reason"))


@pytest.fixture
def sent() -> list[dict]:
    """The arguments of every ``share_accessed`` signal sent during the test."""
    calls: list[dict] = []

    def receiver(**kwargs):
        calls.append(kwargs)

    share_accessed.connect(receiver, weak=False)
    yield calls
    share_accessed.disconnect(receiver)


# -- what is an access attempt ----------------------------------------------------------------


def test_a_counted_use_is_recorded_as_granted_and_page_views_are_not(visitor):
    share = ShareFactory()
    visitor.get(share.get_absolute_url())  # the landing page: no attempt yet
    assert log_of(share) == []
    assert open_share(visitor, share).status_code == 303
    assert log_of(share) == [(True, "granted")]
    for _ in range(3):  # reloads with the grant, and a second click on View: nothing new
        assert visitor.get(share.get_absolute_url()).status_code == 200
    assert post(share, visitor).status_code == 303
    assert log_of(share) == [(True, "granted")]


def test_shares_opening_on_get_are_not_recorded_when_viewed():
    share = ShareFactory()
    with override_settings(DIRECTUS_SHARES={"OPEN_UNLIMITED_ON_GET": True}):
        assert Client().get(share.get_absolute_url()).status_code == 200
    assert log_of(share) == []


@pytest.mark.parametrize("password", ["wrong", "", "x" * 2000], ids=["wrong", "empty", "long"])
def test_a_refused_password_is_recorded_and_the_right_one_granted(password):
    share = ShareFactory(password="secret")
    assert post(share, password=password).status_code == 403
    assert post(share, password="secret").status_code == 303
    assert log_of(share) == [(True, "granted"), (False, "wrong_password")]  # newest first


def revoked() -> Share:
    share = ShareFactory()
    share.revoke()
    return share


def object_deleted() -> Share:
    share = ShareFactory()
    share.content_object.delete()
    return share


def outside_network() -> Share:
    share = ShareFactory()
    RoleSettings.objects.create(role=share.role, allowed_networks="10.0.0.0/8")
    return share


REFUSED = {
    "expired": lambda: ShareFactory(
        date_start=timezone.now() - timedelta(days=2), date_end=timezone.now() - timedelta(days=1)
    ),
    "not_yet_open": lambda: ShareFactory(date_start=timezone.now() + timedelta(days=1)),
    "used_up": lambda: ShareFactory(max_uses=2, times_used=2),
    "unavailable": revoked,
    "grants_nothing": lambda: ShareFactory(role=RoleFactory(view=[Owner])),
    "forbidden_network": outside_network,
}


@pytest.mark.parametrize("reason", [*REFUSED, "unavailable-object-deleted"])
def test_every_refusal_is_recorded_with_its_reason_on_get_and_post(reason):
    share = object_deleted() if reason.endswith("deleted") else REFUSED[reason]()
    reason = reason.removesuffix("-object-deleted")
    assert Client().get(share.get_absolute_url()).status_code >= 400
    assert post(share).status_code >= 400
    assert log_of(share) == [(False, reason), (False, reason)]


def test_every_refusal_code_of_a_known_share_is_a_reason_the_admin_can_name():
    # An unknown link names no share; a missing file link is not an attempt to open one.
    codes = {refusal.code for refusal in Refusal} - {Refusal.UNKNOWN.code}
    codes -= {Refusal.FILE_NOT_FOUND.code}
    assert codes <= set(AccessReason.values)


def test_a_share_changed_while_opening_is_recorded():
    share = ShareFactory(password="pw")
    with before_counting(lambda: save_new_password(share)):
        assert post(share, password="pw").status_code == 409
    assert log_of(share) == [(False, "changed")]


def test_unknown_links_store_nothing(sent):
    share = ShareFactory()
    old_link = share.get_absolute_url()
    share.rotate_key()  # the old link now points to no share
    share.save()
    assert Client().get(old_link).status_code == 404
    assert post_to(old_link).status_code == 404
    assert Client().get("/share/nope/").status_code == 404
    assert ShareAccess.objects.count() == 0
    assert sent == []


# -- client addresses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "remote", "stored"),
    [
        (None, "192.0.2.77", "192.0.2.0/24"),  # the default: truncated
        ("truncated", "2001:db8:1:2::5", "2001:db8:1::/48"),
        ("truncated", "::ffff:192.0.2.77", "192.0.2.0/24"),
        ("full", "192.0.2.77", "192.0.2.77"),
        ("full", "2001:db8:1:2::5", "2001:db8:1:2::5"),
        ("off", "192.0.2.77", ""),
    ],
)
def test_the_client_address_is_kept_as_configured(mode, remote, stored):
    share = ShareFactory()
    config = {} if mode is None else {"ACCESS_LOG_ADDRESSES": mode}
    with override_settings(DIRECTUS_SHARES=config):
        post(share, Client(enforce_csrf_checks=True, REMOTE_ADDR=remote))
    assert ShareAccess.objects.get(share=share).address == stored


def test_behind_a_trusted_proxy_the_forwarded_address_is_kept():
    share = ShareFactory()
    behind_proxy = Client(
        enforce_csrf_checks=True,
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.23",  # the first one the client wrote
    )
    with override_settings(DIRECTUS_SHARES={"TRUSTED_PROXY_COUNT": 1}):
        post(share, behind_proxy)
        post(share, Client(enforce_csrf_checks=True))  # did not pass the proxy: unknown
    assert list(ShareAccess.objects.values_list("address", flat=True)) == ["", "198.51.100.0/24"]


# -- switching off, the signal, failures ------------------------------------------------------


def test_the_signal_carries_the_attempt(sent):
    share = ShareFactory(password="pw")
    post(share, Client(enforce_csrf_checks=True, REMOTE_ADDR="192.0.2.77"), password="no")
    [call] = sent
    request = call.pop("request")
    assert request.path == share.get_absolute_url()
    assert call == {
        "signal": share_accessed,
        "sender": Share,
        "share": share,
        "recipient": None,  # the share's common link
        "granted": False,
        "reason": "wrong_password",
        "address": "192.0.2.0/24",
        "email": "",
    }
    assert type(call["reason"]) is str


def test_an_attempt_through_a_recipients_link_is_logged_and_sent_with_its_recipient(sent):
    recipient = RecipientFactory(max_uses=1)
    share = opened_through(recipient)
    assert post(share).status_code == 303
    assert post(share, Client(enforce_csrf_checks=True)).status_code == 410

    rows = ShareAccess.objects.order_by("pk").values_list("reason", "recipient")
    assert list(rows) == [("granted", recipient.pk), ("recipient_used_up", recipient.pk)]
    assert [(call["recipient"], call["reason"]) for call in sent] == [
        (recipient, "granted"),
        (recipient, "recipient_used_up"),
    ]


@override_settings(DIRECTUS_SHARES={"ACCESS_LOG": False})
def test_with_the_log_switched_off_nothing_is_stored_but_the_signal_is_sent(sent):
    share = ShareFactory()
    assert post(share).status_code == 303
    assert ShareAccess.objects.count() == 0
    assert [(call["granted"], call["reason"], call["address"]) for call in sent] == [
        (True, "granted", "127.0.0.0/24")
    ]


def test_a_row_holds_the_moment_and_every_field_as_read_back_through_the_orm():
    share = ShareFactory()
    before = timezone.now()
    assert post(share).status_code == 303
    row = ShareAccess.objects.get(share=share)
    assert before <= row.at <= timezone.now()
    assert (row.share_id, row.granted, row.reason, row.address) == (
        share.pk,
        True,
        AccessReason.GRANTED,
        "127.0.0.0/24",
    )


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_failing_write_is_logged_and_later_ones_work(caplog):
    """No transaction of its own around the write: in autocommit a failed INSERT leaves the
    connection usable."""
    share, deleted = ShareFactory(), ShareFactory()
    Share.objects.filter(pk=deleted.pk).delete()  # its row is gone: the write breaks its key
    request = RequestFactory().post("/")
    with caplog.at_level(logging.ERROR, logger="directus_shares.logs"):
        attempts.record_access(
            request, deleted, granted=True, reason=AccessReason.GRANTED, address=None
        )
        attempts.record_access(
            request, share, granted=True, reason=AccessReason.GRANTED, address=None
        )
    assert f"Could not write the access log of share {deleted.pk} (granted)" in caplog.text
    assert ShareAccess.objects.count() == 1
    assert log_of(share) == [(True, AccessReason.GRANTED)]


def test_a_failing_write_does_not_break_the_page(caplog, sent):
    share = ShareFactory()
    client = Client(enforce_csrf_checks=True)
    # A real error: on PostgreSQL it aborts the transaction (not the savepoint).
    with (
        database_fails_on(lambda sql: sql.startswith(f"INSERT INTO {LOG_TABLE}")) as failed,
        caplog.at_level(logging.ERROR, logger="directus_shares.logs"),
    ):
        assert post(share, client).status_code == 303
    assert failed
    assert client.get(share.get_absolute_url()).status_code == 200  # the grant works
    share.refresh_from_db()  # and the request's transaction is still usable
    assert share.times_used == 1
    assert f"Could not write the access log of share {share.pk} (granted)" in caplog.text
    assert [call["reason"] for call in sent] == ["granted"]


def test_a_failing_receiver_does_not_take_the_visitors_use(caplog):
    def broken_receiver(**kwargs):
        raise RuntimeError("receiver bug")

    share = ShareFactory()
    share_accessed.connect(broken_receiver)
    client = Client(enforce_csrf_checks=True)
    try:
        with caplog.at_level(logging.ERROR, logger="directus_shares.logs"):
            assert post(share, client).status_code == 303
    finally:
        share_accessed.disconnect(broken_receiver)
    assert client.get(share.get_absolute_url()).status_code == 200
    assert "A share_accessed receiver failed" in caplog.text
    assert "receiver bug" in caplog.text
    assert log_of(share) == [(True, "granted")]


def test_deleting_a_share_deletes_its_log():
    share = ShareFactory()
    post(share)
    share.delete()
    assert ShareAccess.objects.count() == 0


# -- the admin --------------------------------------------------------------------------------


class LoggedShareAdmin(admin.ModelAdmin):
    """A minimal share admin with the inline, as ``ShareAdmin`` will have it."""

    fields = ["name"]
    inlines = [ShareAccessInline]
    change_form_template = "admin/change_form.html"


@pytest.fixture
def site() -> admin.AdminSite:
    site = admin.AdminSite(name="access_log_tests")
    site.register(Share, LoggedShareAdmin)
    return site


def add_log(share: Share, count: int) -> None:
    start = timezone.now() - timedelta(days=1)
    ShareAccess.objects.bulk_create(
        ShareAccess(
            share=share,
            at=start + timedelta(minutes=n),
            granted=n % 2 == 0,
            reason="granted" if n % 2 == 0 else "expired",
            address=f"192.0.{n}.0/24",
        )
        for n in range(count)
    )


def change_page(site: admin.AdminSite, share: Share, user) -> str:
    request = RequestFactory().get(f"/admin/directus_shares/share/{share.pk}/change/")
    request.user = user
    response = site._registry[Share].change_view(request, str(share.pk))
    return response.render().content.decode()


def test_the_inline_is_checked_clean_and_read_only(site):
    inline = ShareAccessInline(Share, site)
    request = RequestFactory().get("/")
    request.user = UserFactory(is_superuser=True)
    assert inline.check() == []
    assert not inline.has_add_permission(request, None)
    assert not inline.has_change_permission(request, None)
    assert not inline.has_delete_permission(request, None)
    assert inline.has_view_permission(request, None)


def test_the_share_page_shows_its_log_newest_first_and_read_only(site):
    share, other = ShareFactory(), ShareFactory()
    add_log(share, 3)
    add_log(other, 2)
    html = change_page(site, share, UserFactory(is_superuser=True))
    assert "Access log" in html
    shown = [f"192.0.{n}.0/24" for n in (2, 1, 0)]
    positions = [html.index(address) for address in shown]
    assert positions == sorted(positions)  # newest first
    assert "Expired" in html and "Granted" in html
    assert 'name="accesses-0-reason"' not in html  # nothing editable
    assert "Delete?" not in html
    assert 'name="accesses-MAX_NUM_FORMS" value="0"' in html  # no "Add another" row
    assert "Only the newest" not in html


def test_a_long_log_shows_the_newest_50_with_a_note_and_costs_no_more_queries(site):
    user = UserFactory(is_superuser=True)
    short, long = ShareFactory(), ShareFactory()
    add_log(short, 3)
    add_log(long, 60)
    change_page(site, short, user)  # warm caches (content types, permissions)
    with CaptureQueriesContext(connection) as few:
        change_page(site, short, user)
    with CaptureQueriesContext(connection) as many:
        html = change_page(site, long, user)
    assert len(many) == len(few)
    assert "192.0.59.0/24" in html and "192.0.10.0/24" in html
    assert "192.0.9.0/24" not in html  # the 51st newest
    assert "Only the newest 50 entries are shown." in html


def test_an_empty_log_says_so(site):
    assert "Nobody has tried to open this share yet." in change_page(
        site, ShareFactory(), UserFactory(is_superuser=True)
    )


def test_staff_who_may_see_the_share_see_its_log_without_a_log_permission(site):
    share = ShareFactory()
    add_log(share, 1)
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(permission("view", Share))
    assert "192.0.0.0/24" in change_page(site, share, staff)


# -- pruning ----------------------------------------------------------------------------------


def prune(*args: str) -> str:
    out = StringIO()
    call_command("directus_shares_prune_access_log", *args, stdout=out)
    return out.getvalue()


def test_pruning_deletes_old_entries_in_one_query(django_assert_num_queries):
    share = ShareFactory()
    now = timezone.now()
    for days in (200, 100, 91, 89, 1):
        ShareAccess.objects.create(
            share=share, at=now - timedelta(days=days), granted=True, reason="granted"
        )
    assert prune("--dry-run") == "3 access log entries older than 90 days would be deleted.\n"
    assert ShareAccess.objects.count() == 5
    with django_assert_num_queries(1):
        assert prune() == "3 access log entries older than 90 days deleted.\n"
    assert ShareAccess.objects.count() == 2
    assert prune("--older-than", "0") == "2 access log entries older than 0 days deleted.\n"
    assert share.accesses.count() == 0


def test_pruning_refuses_a_negative_age():
    with pytest.raises(CommandError, match="0 or more days"):
        prune("--older-than", "-1")


@pytest.mark.parametrize("days", ["999999999", "1000000000"])
def test_pruning_refuses_an_age_that_reaches_back_before_the_year_1(days):
    ShareAccess.objects.create(share=ShareFactory(), granted=True, reason="granted")
    with pytest.raises(CommandError, match=f"^--older-than {days} reaches back too far.$"):
        prune("--older-than", days)
    assert ShareAccess.objects.count() == 1


# -- a counted open and its row ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_counted_use_is_one_update_then_one_insert_of_its_row(sent):
    share = ShareFactory()
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.7")
    with CaptureQueriesContext(connection) as queries:
        assert opening.consume_use(share, timezone.now(), request)
    assert [query["sql"].split()[0] for query in queries] == ["UPDATE", "INSERT"]
    assert Share.objects.get(pk=share.pk).times_used == 1
    assert list(ShareAccess.objects.values_list("share", "granted", "reason", "address")) == [
        (share.pk, True, "granted", "192.0.2.0/24")
    ]
    assert [(call["reason"], call["address"]) for call in sent] == [("granted", "192.0.2.0/24")]


@pytest.mark.django_db(transaction=True)
def test_a_use_not_counted_writes_no_row_and_sends_nothing(sent):
    share = ShareFactory(max_uses=1, times_used=1)
    assert not opening.consume_use(share, timezone.now(), RequestFactory().post("/"))
    assert Share.objects.get(pk=share.pk).times_used == 1
    assert not ShareAccess.objects.exists() and not sent


@pytest.mark.django_db(transaction=True)
def test_a_counted_use_is_logged_once_with_the_log_off_or_on(sent):
    """Whichever way the database counts and logs, a counted open is one use and one row."""
    share, unlogged = ShareFactory(), ShareFactory()
    for client in (Client(), Client()):
        assert open_share(client, share).status_code == 303
    with override_settings(DIRECTUS_SHARES={"ACCESS_LOG": False}):
        assert open_share(Client(), unlogged).status_code == 303
    assert Share.objects.get(pk=share.pk).times_used == 2
    assert log_of(share) == [(True, AccessReason.GRANTED)] * 2
    assert Share.objects.get(pk=unlogged.pk).times_used == 1 and not log_of(unlogged)
    assert [call["share"].pk for call in sent if call["granted"]] == [share.pk] * 2 + [unlogged.pk]
