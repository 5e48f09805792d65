"""A share's recipients on its admin page: their links, uses and state, the buttons that revoke,
re-enable and rotate one, and the recipient column of the access log."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from directus_shares.models import Share, ShareAccess
from tests.factories import RecipientFactory, ShareFactory, UserFactory
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
    assert response["Location"] == f"{change_page(share)}#recipients"
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
