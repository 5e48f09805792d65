"""The share page in a real browser: what a recipient does, with the browser's own rules
(no-referrer makes it send ``Origin: null``; cookies, redirects and CSRF as browsers do them)."""

from __future__ import annotations

import pytest

from directus_shares.models import Share
from tests.factories import GadgetFactory, ShareFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_visitor_opens_a_password_share_until_its_uses_are_spent(live_server, new_page):
    share = ShareFactory(
        name="For the board",
        password="open sesame",
        max_uses=1,
        content_object=GadgetFactory(name="Prototype 9", colour="r"),
    )
    url = live_server.url + share.get_absolute_url()

    page = new_page()
    response = page.goto(url)
    assert response.status == 200
    assert response.headers["referrer-policy"] == "no-referrer"
    assert page.locator("h1").inner_text() == "This share is protected by a password"
    assert "For the board" not in page.content()

    page.fill("#ds-password", "wrong")
    page.click("button[type=submit]")
    assert page.locator("#ds-error").inner_text() == "That password is not correct."

    page.fill("#ds-password", "open sesame")
    page.click("button[type=submit]")
    page.wait_for_selector(".ds-object")
    assert "Prototype 9" in page.content() and "Red" in page.content()
    page.reload()
    assert "Prototype 9" in page.content()
    assert Share.objects.get(pk=share.pk).times_used == 1

    other = new_page()
    assert other.goto(url).status == 410
    assert other.locator("h1").inner_text() == "This share has been used up."


def test_a_visitor_clicks_view_on_a_passwordless_share(live_server, new_page):
    share = ShareFactory(max_uses=3, content_object=GadgetFactory(name="Open gadget"))
    page = new_page()
    page.goto(live_server.url + share.get_absolute_url())
    assert "3 uses left" in page.content()
    page.click("text=View")
    page.wait_for_selector(".ds-object")
    assert "Open gadget" in page.content()
    assert Share.objects.get(pk=share.pk).times_used == 1
