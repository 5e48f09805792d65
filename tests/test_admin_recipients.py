"""A share's recipients on its admin page: their links, uses, devices and state, each one's
buttons (resend, revoke, re-enable, new link, new link and send, one more device), the bulk
actions, and the recipient column of the access log."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client, override_settings

from directus_shares.admin.recipients import ACTIONS
from directus_shares.models import Share, ShareAccess, ShareRecipient
from example_project.reports.models import Person, Report
from tests.factories import DeviceFactory, RecipientFactory, ShareFactory, UserFactory
from tests.helpers import open_share, opened_through
from tests.test_admin_panel import logged_in
from tests.test_admin_panel import staff as staff_user

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/directus_shares/share/"


@pytest.fixture
def staff():
    """A staff user who may view and change (their own) shares."""
    return staff_user("view_share", "change_share")


def change_page(share: Share) -> str:
    return f"{CHANGELIST}{share.pk}/change/"


def action_url(recipient, action: str) -> str:
    return f"{CHANGELIST}{recipient.share_id}/recipients/{recipient.pk}/{action}/"


def test_the_share_page_lists_its_recipients_with_link_uses_and_state(staff):
    share = ShareFactory(created_by=staff)
    opened = RecipientFactory(share=share, address="anna@example.com", max_uses=3)
    RecipientFactory(share=share, address="bob@example.com").revoke()
    open_share(Client(), opened_through(opened))

    page = logged_in(staff).get(change_page(share)).content.decode()

    assert "anna@example.com" in page and "bob@example.com" in page
    assert opened.get_absolute_url() in page
    assert "1 / 3" in page and "Revoked" in page and "Active" in page
    assert action_url(opened, "revoke") in page and action_url(opened, "rotate") in page
    bob = share.recipients.get(address="bob@example.com")
    assert action_url(bob, "enable") in page


def test_the_access_log_names_the_recipient_of_each_attempt(staff):
    share = ShareFactory(created_by=staff)
    recipient = RecipientFactory(share=share, address="anna@example.com")
    open_share(Client(), opened_through(recipient))
    open_share(Client(), share)

    page = logged_in(staff).get(change_page(share)).content.decode()

    log = page[page.index('id="accesses-group"') :]
    rows = re.findall(r'<tr class="form-row[^"]*"[^>]*>(.*?)</tr>', log, re.S)
    # Newest first: the open through the common link, then through Anna's own.
    assert ["anna@example.com" in row for row in rows] == [False, True]


@pytest.mark.parametrize(
    ("action", "check"),
    [
        ("revoke", lambda r: r.is_revoked),
        ("rotate", lambda r: r.grant_epoch == 1),
    ],
)
def test_a_button_changes_the_recipient_and_returns_to_the_share(staff, action, check):
    share = ShareFactory(created_by=staff)
    recipient = RecipientFactory(share=share)

    response = logged_in(staff).post(action_url(recipient, action))

    assert response.status_code == 302
    assert response["Location"] == change_page(share)
    recipient.refresh_from_db()
    assert check(recipient)


def test_enable_switches_a_revoked_recipient_on_again(staff):
    recipient = RecipientFactory(share=ShareFactory(created_by=staff))
    recipient.revoke()
    logged_in(staff).post(action_url(recipient, "enable"))
    recipient.refresh_from_db()
    assert not recipient.is_revoked


def test_buttons_are_404_for_another_users_share_a_foreign_recipient_or_an_unknown_action(staff):
    others = RecipientFactory()
    mine = ShareFactory(created_by=staff)
    client = logged_in(staff)

    answers = [
        client.post(action_url(others, "revoke")),
        client.post(f"{CHANGELIST}{mine.pk}/recipients/{others.pk}/revoke/"),
        client.post(action_url(RecipientFactory(share=mine), "delete")),
    ]

    assert [response.status_code for response in answers] == [404, 404, 404]
    others.refresh_from_db()
    assert not others.is_revoked


def test_a_button_needs_a_post_and_the_change_permission():
    viewer = UserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_share"))
    recipient = RecipientFactory(share=ShareFactory(created_by=viewer))
    client = logged_in(viewer)

    assert client.get(action_url(recipient, "revoke")).status_code == 405
    assert client.post(action_url(recipient, "revoke")).status_code == 403
    recipient.refresh_from_db()
    assert not recipient.is_revoked


def test_deleting_a_share_deletes_its_recipients_and_their_log(staff):
    recipient = RecipientFactory()
    open_share(Client(), opened_through(recipient))

    recipient.share.delete()

    assert not ShareAccess.objects.exists()


# -- the table: state, dates, uses, devices ----------------------------------------------------


def forwarded(recipient, when=None):
    """Flag ``recipient``'s link as forwarded (what the visitor path does past the limit)."""
    ShareRecipient.objects.filter(pk=recipient.pk).update(
        forwarded_at=when or dt.datetime(2031, 2, 1, 10, 0, tzinfo=dt.UTC)
    )
    recipient.refresh_from_db()
    return recipient


def row_of(page: str, address: str) -> str:
    """The table row of ``address`` on a share's page."""
    rows = re.findall(r'<tr class="ds-recipient[^"]*">(.*?)</tr>', page, re.S)
    (row,) = [row for row in rows if address in row]
    return row


def test_the_table_shows_opened_times_in_the_admins_zone_devices_and_the_forwarded_flag(staff):
    share = ShareFactory(created_by=staff, devices_per_recipient=2)
    opened = RecipientFactory(share=share, address="anna@example.com")
    when = dt.datetime(2031, 1, 15, 8, 30, tzinfo=dt.UTC)
    ShareRecipient.objects.filter(pk=opened.pk).update(first_opened_at=when, last_opened_at=when)
    DeviceFactory.create_batch(2, recipient=opened)
    forwarded(opened)
    fresh = RecipientFactory(share=share, address="bob@example.com")
    DeviceFactory(recipient=fresh)

    page = logged_in(staff).get(change_page(share)).content.decode()

    anna, bob = row_of(page, "anna@example.com"), row_of(page, "bob@example.com")
    # First and last, in Europe/Berlin; a narrow cell breaks only between date and time.
    when = '<span class="nowrap">Jan. 15, 2031,</span> <span class="nowrap">9:30 a.m.</span>'
    assert anna.count(when) == 2
    assert "2 of 2" in anna and "Forwarded" in anna
    assert "A device past the limit was refused on Feb. 1, 2031, 11 a.m." in anna
    assert "1 of 2" in bob and "Forwarded" not in bob and "–" in bob
    assert action_url(opened, "allow_device") in anna
    assert action_url(fresh, "allow_device") not in bob  # below its limit, not forwarded


def test_allow_one_more_device_is_offered_at_the_limit_and_without_a_limit_never(staff):
    share = ShareFactory(created_by=staff, devices_per_recipient=1)
    at_limit = RecipientFactory(share=share, address="anna@example.com")
    DeviceFactory(recipient=at_limit)
    client = logged_in(staff)
    assert action_url(at_limit, "allow_device") in client.get(change_page(share)).content.decode()
    with override_settings(DIRECTUS_SHARES={"DEVICES_PER_RECIPIENT": None}):
        Share.objects.filter(pk=share.pk).update(devices_per_recipient=None)
        page = client.get(change_page(share)).content.decode()
    assert "1 (no limit)" in page and action_url(at_limit, "allow_device") not in page


def test_the_recipients_controls_belong_to_their_own_form_not_the_shares(staff):
    share = ShareFactory(created_by=staff)
    recipient = RecipientFactory(share=share)

    page = logged_in(staff).get(change_page(share)).content.decode()

    # Enter in a field of the share submits its first button: none of the recipients' may be
    # that button, and saving the share must not send their check boxes along.
    buttons = re.findall(r"<input [^>]*formaction=[^>]*>", page)
    assert buttons and all('form="ds-recipients-form"' in button for button in buttons)
    # Inputs, as the admin's own buttons: its CSS shrinks a <button class="button"> in a form.
    assert '<button type="submit" class="button"' not in page
    box = re.search(rf'<input type="checkbox"[^>]*value="{recipient.pk}"[^>]*>', page)
    assert box is not None and 'form="ds-recipients-form"' in box.group(0)
    form = re.search(r'<form id="ds-recipients-form" method="post"[^>]*>(.*?)</form>', page)
    assert form is not None and "csrfmiddlewaretoken" in form.group(1)


def test_a_view_only_page_lists_recipients_without_buttons_or_check_boxes():
    viewer = UserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_share"))
    share = ShareFactory(created_by=viewer)
    recipient = RecipientFactory(share=share, address="anna@example.com")

    page = logged_in(viewer).get(change_page(share)).content.decode()

    assert "anna@example.com" in page
    assert action_url(recipient, "revoke") not in page and "ds-recipients-form" not in page


def test_a_share_without_recipients_says_so_and_where_they_are_added():
    user = staff_user("view_share", "change_share", "view_report")
    author = Person.objects.create(name="Ada")
    report = Report.objects.create(title="Q3", summary="s", status="done", author=author)
    share = ShareFactory(created_by=user, content_object=report)
    gadget_share = ShareFactory(created_by=user)  # its model's admin here has no Shares panel

    page = logged_in(user).get(change_page(share)).content.decode()
    other = logged_in(user).get(change_page(gadget_share)).content.decode()

    assert "No recipients yet." in page
    assert (
        f'choose Send link in <a href="/admin/reports/report/{report.pk}/change/#shares">' in page
    )
    assert "No recipients yet." in other and "#shares" not in other
    assert "ds-recipients-form" not in page  # no empty bulk action


def test_a_view_only_user_is_not_told_how_to_add_recipients():
    viewer = staff_user("view_share")
    share = ShareFactory(created_by=viewer)

    assert "No recipients yet." not in logged_in(viewer).get(change_page(share)).content.decode()


# -- each recipient's buttons ----------------------------------------------------------------


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_resend_mails_the_recipients_own_link_again_and_says_so(staff):
    share = ShareFactory(created_by=staff)
    recipient = RecipientFactory(share=share, address="anna@example.com")

    response = logged_in(staff).post(action_url(recipient, "resend"), follow=True)

    assert messages_of(response) == ["The link was sent to anna@example.com."]
    (message,) = mail.outbox
    assert message.to == ["anna@example.com"]
    assert recipient.get_absolute_url() in message.body


def test_resend_of_a_revoked_link_is_refused_with_sharings_reason(staff):
    recipient = RecipientFactory(share=ShareFactory(created_by=staff), address="anna@example.com")
    recipient.revoke()

    response = logged_in(staff).post(action_url(recipient, "resend"), follow=True)

    assert messages_of(response) == [
        "Mail to anna@example.com: Not sent: this recipient's link was revoked."
    ]
    assert mail.outbox == []


def test_no_message_begins_with_an_address_which_the_admin_would_capitalise(staff):
    recipient = RecipientFactory(share=ShareFactory(created_by=staff), address="anna@example.com")

    response = logged_in(staff).post(action_url(recipient, "rotate"), follow=True)

    assert "New link for anna@example.com;" in response.content.decode()  # as rendered
    for action in ACTIONS.values():
        for count in (1, 2):
            if action.done is not None:
                done = action.done % {"count": count, "addresses": "anna@example.com"}
                assert not done.startswith("anna"), done  # noqa: PT018


def test_new_link_and_send_rotates_and_mails_the_new_link(staff):
    recipient = RecipientFactory(share=ShareFactory(created_by=staff), address="anna@example.com")
    old_link = recipient.get_absolute_url()

    response = logged_in(staff).post(action_url(recipient, "rotate_send"), follow=True)

    recipient.refresh_from_db()
    assert recipient.get_absolute_url() != old_link
    assert messages_of(response) == [
        "New link for anna@example.com; the old one no longer opens.",
        "The link was sent to anna@example.com.",
    ]
    assert recipient.get_absolute_url() in mail.outbox[0].body
    assert old_link not in mail.outbox[0].body


def test_allow_one_more_device_raises_the_limit_and_clears_the_flag(staff):
    share = ShareFactory(created_by=staff, devices_per_recipient=1)
    recipient = forwarded(RecipientFactory(share=share, address="anna@example.com"))

    response = logged_in(staff).post(action_url(recipient, "allow_device"), follow=True)

    recipient.refresh_from_db()
    assert (recipient.device_limit, recipient.is_forwarded) == (2, False)
    assert messages_of(response) == ["The link of anna@example.com may open on one more device."]
    assert "2 of 2" not in response.content.decode()  # 0 of 2 now


@pytest.mark.parametrize("action", ["resend", "rotate_send", "allow_device"])
def test_new_buttons_are_refused_for_other_staff_and_view_only_users(staff, action):
    others = forwarded(RecipientFactory())
    viewer = UserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_share"))
    viewed = forwarded(RecipientFactory(share=ShareFactory(created_by=viewer)))

    assert logged_in(staff).post(action_url(others, action)).status_code == 404
    assert logged_in(viewer).post(action_url(viewed, action)).status_code == 403

    for recipient in (others, viewed):
        recipient.refresh_from_db()
        assert recipient.is_forwarded and recipient.grant_epoch == 0
    assert mail.outbox == []


# -- bulk actions ----------------------------------------------------------------------------


def bulk_url(share: Share) -> str:
    return f"{CHANGELIST}{share.pk}/recipients/bulk/"


def bulk(client: Client, share: Share, action: str, recipients) -> list[str]:
    """Post the bulk ``action`` for ``recipients``; the messages shown after it."""
    response = client.post(
        bulk_url(share),
        {"ds_recipient_action": action, "ds_recipient": [r.pk for r in recipients]},
        follow=True,
    )
    assert response.redirect_chain == [(change_page(share), 302)]
    return messages_of(response)


def test_bulk_revoke_counts_the_links_it_revoked_and_names_those_it_left(staff):
    share = ShareFactory(created_by=staff)
    anna, bob, carol, dora = (
        RecipientFactory(share=share, address=f"{name}@example.com")
        for name in ("anna", "bob", "carol", "dora")
    )
    dora.revoke()

    shown = bulk(logged_in(staff), share, "revoke", [anna, bob, carol, dora])

    assert shown == [
        "3 links revoked: anna@example.com, bob@example.com, carol@example.com.",
        "Left as they were: dora@example.com (already revoked).",
    ]
    assert share.recipients.filter(revoked_at__isnull=True).count() == 0


def test_bulk_enable_resend_new_links_and_devices(staff):
    share = ShareFactory(created_by=staff, devices_per_recipient=1)
    anna = RecipientFactory(share=share, address="anna@example.com")
    bob = forwarded(RecipientFactory(share=share, address="bob@example.com"))
    anna.revoke()
    client = logged_in(staff)

    assert bulk(client, share, "enable", [anna, bob]) == [
        "The link of anna@example.com was switched on again.",
        "Left as they were: bob@example.com (not revoked).",
    ]
    assert bulk(client, share, "allow_device", [anna, bob]) == [
        "The link of bob@example.com may open on one more device.",
        "Left as they were: anna@example.com (not at its device limit).",
    ]
    assert bulk(client, share, "resend", [anna, bob]) == [
        "The link was sent to anna@example.com, bob@example.com."
    ]
    old = {r.pk: r.get_absolute_url() for r in (anna, bob)}
    assert bulk(client, share, "rotate_send", [anna, bob]) == [
        "2 new links; the old ones no longer open: anna@example.com, bob@example.com.",
        "The link was sent to anna@example.com, bob@example.com.",
    ]
    for recipient in (anna, bob):
        recipient.refresh_from_db()
        assert recipient.get_absolute_url() != old[recipient.pk]
        assert recipient.get_absolute_url() in mail.outbox[-2 if recipient == anna else -1].body


def test_bulk_resend_names_the_revoked_and_mails_the_rest(staff):
    share = ShareFactory(created_by=staff)
    anna = RecipientFactory(share=share, address="anna@example.com")
    bob = RecipientFactory(share=share, address="bob@example.com")
    bob.revoke()

    shown = bulk(logged_in(staff), share, "resend", [anna, bob])

    assert shown == [
        "Mail to bob@example.com: Not sent: this recipient's link was revoked.",
        "The link was sent to anna@example.com.",
    ]
    assert [m.to for m in mail.outbox] == [["anna@example.com"]]


def test_bulk_without_an_action_or_a_selection_changes_nothing_and_says_so(staff):
    share = ShareFactory(created_by=staff)
    recipient = RecipientFactory(share=share)
    client = logged_in(staff)

    assert bulk(client, share, "", [recipient]) == ["No action selected."]
    assert bulk(client, share, "delete", [recipient]) == ["No action selected."]
    assert bulk(client, share, "revoke", []) == ["Select the recipients to act on first."]
    recipient.refresh_from_db()
    assert not recipient.is_revoked


def test_bulk_ignores_another_shares_recipients_and_tampered_ids(staff):
    share = ShareFactory(created_by=staff)
    mine = RecipientFactory(share=share, address="anna@example.com")
    foreign = RecipientFactory(share=ShareFactory(created_by=staff))

    response = logged_in(staff).post(
        bulk_url(share),
        {"ds_recipient_action": "revoke", "ds_recipient": [mine.pk, foreign.pk, "x", "-1"]},
        follow=True,
    )

    assert messages_of(response) == ["The link of anna@example.com was revoked."]
    foreign.refresh_from_db()
    assert not foreign.is_revoked


def test_bulk_is_a_post_refused_for_other_staff_and_view_only_users(staff):
    others = RecipientFactory()
    viewer = UserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_share"))
    viewed = RecipientFactory(share=ShareFactory(created_by=viewer))
    data = {"ds_recipient_action": "revoke"}

    assert logged_in(staff).get(bulk_url(others.share)).status_code == 405
    mine = {**data, "ds_recipient": [others.pk]}
    assert logged_in(staff).post(bulk_url(others.share), mine).status_code == 404
    theirs = {**data, "ds_recipient": [viewed.pk]}
    assert logged_in(viewer).post(bulk_url(viewed.share), theirs).status_code == 403
    for recipient in (others, viewed):
        recipient.refresh_from_db()
        assert not recipient.is_revoked


def test_bulk_needs_the_csrf_token(staff):
    recipient = RecipientFactory(share=ShareFactory(created_by=staff))
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    data = {"ds_recipient_action": "revoke", "ds_recipient": [recipient.pk]}

    assert client.post(bulk_url(recipient.share), data).status_code == 403
    recipient.refresh_from_db()
    assert not recipient.is_revoked


def test_the_page_offers_every_bulk_action(staff):
    share = ShareFactory(created_by=staff)
    RecipientFactory(share=share)

    page = logged_in(staff).get(change_page(share)).content.decode()

    select = re.search(r'<select name="ds_recipient_action"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    values = re.findall(r'<option value="([^"]*)"', select.group(1))
    assert values == ["", "resend", "revoke", "enable", "rotate", "rotate_send", "allow_device"]
    assert f'formaction="{bulk_url(share)}"' in page
