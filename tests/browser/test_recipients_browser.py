"""Sharing with specific people, end to end in Chromium (issue 16): staff send a verified share
to two addresses from the admin panel, each opens their own link after a code mailed to them,
a link forwarded to a third device is caught and its creator mailed, and revoking one recipient
leaves the other's link working.

Each person and device is a browser context of its own (its own cookies, so its own device
cookie). Only the mails are read from the test's side (``mail.outbox``: the live server runs in
this process); everything else is clicked and typed. Screenshots go to ``test-artifacts/``; with
``UPDATE_SCREENSHOTS=1`` also to ``docs/images/``, which ``docs/admin.md`` shows.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from django.core import mail

from directus_shares.models import Share
from example_project.reports import demo_data

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DOCS_IMAGES = ROOT / "docs" / "images"

REPORT = "Quarterly sales review"  # a demo report the Reviewer role may read (marked done)
SHARE_NAME = "For the auditors"
FIRST, SECOND = "bob@example.com", "carol@example.com"
CREATOR = "admin@example.com"  # the demo superuser's address
SWITCHED_OFF = "This personal link was switched off by the person who sent it."
FORWARDED = "This personal link is already in use on other devices."


def shot(target, name: str) -> None:
    """``name``.png of a page's viewport or of one element; into the docs when
    UPDATE_SCREENSHOTS=1."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    target.screenshot(path=str(path))
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, DOCS_IMAGES / path.name)


def mails_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def mailed_link(address: str) -> str:
    """The share link in the one mail ``address`` got."""
    [message] = mails_to(address)
    return re.search(r"https?://\S+/share/\S+/", message.body).group(0)


def mailed_code(address: str) -> str:
    """The one-time code of the newest mail to ``address``."""
    return re.search(r"\b(\d{6})\b", mails_to(address)[-1].body).group(1)


def device(new_page, width: int = 1000, height: int = 760):
    """A browser of its own: its own cookies, so a device of its own."""
    page = new_page()
    page.set_viewport_size({"width": width, "height": height})
    return page


def open_with_code(page, link: str, address: str, screenshot: str | None = None) -> None:
    """Open a verified recipient's link as its recipient: ask for the code, read it from the
    mail to ``address``, type it in, and see the report."""
    masked = f"{address[0]}***@example.com"
    assert page.goto(link).status == 200
    assert page.locator("h1").inner_text() == f"This link is only for {masked}"
    assert address not in page.content()  # the address is never shown in full
    page.get_by_role("button", name=f"Send a code to {masked}").click()
    page.wait_for_selector("#ds-code")
    page.fill("#ds-code", mailed_code(address))
    if screenshot:
        shot(page, screenshot)
    page.get_by_role("button", name="Open").click()
    page.wait_for_selector(".ds-object")
    content = page.content()
    assert REPORT in content and "Sales grew 12%" in content
    assert "CONFIDENTIAL" not in content  # not among the Reviewer role's fields


def test_a_verified_share_sent_to_two_people_catches_a_forwarded_link(live_server, new_page):
    demo_data.seed(live_server.url)
    report_url = f"/admin/reports/report/{demo_data.Report.objects.get(title=REPORT).pk}/change/"

    # -- staff: a share that verifies its recipients, sent to two addresses with own links ------
    staff = device(new_page, 1440, 900)
    staff.goto(f"{live_server.url}/admin/login/?next={report_url}")
    staff.fill("#id_username", demo_data.ADMIN_LOGIN[0])
    staff.fill("#id_password", demo_data.ADMIN_LOGIN[1])
    staff.click("input[type=submit]")
    staff.wait_for_selector("#shares")
    staff.click("#shares >> text=New share")
    staff.fill("#id_name", SHARE_NAME)
    staff.select_option("#id_role", label="Reviewer")
    staff.get_by_label("Verify recipients").check()
    staff.click("input[type=submit]")
    row = staff.locator("#shares .ds-share", has_text=SHARE_NAME)
    row.wait_for()
    assert "was created" in staff.inner_text(".messagelist")

    row.locator(".ds-menu summary").click()
    row.locator(".ds-send").click()
    dialog = row.locator("dialog")
    dialog.locator("textarea[name=recipients]").fill(f"{FIRST}, {SECOND}")
    dialog.get_by_label("Give each address a link of their own").check()
    shot(staff, "recipients-send-dialog")
    dialog.locator("input[type=submit]").click()
    staff.wait_for_selector(".messagelist")
    assert f"The link was sent to {FIRST}, {SECOND}." in staff.inner_text(".messagelist")
    first_link, second_link = mailed_link(FIRST), mailed_link(SECOND)
    assert first_link != second_link

    # -- the first recipient proves their address with the mailed code --------------------------
    first = device(new_page)
    open_with_code(first, first_link, FIRST, screenshot="recipients-code")

    # -- the second recipient opens on two devices of their own, each with a code ---------------
    second_a, second_b = device(new_page), device(new_page)
    open_with_code(second_a, second_link, SECOND)
    open_with_code(second_b, second_link, SECOND)

    # -- forwarded to a third device: refused before any code is asked, the creator told -------
    assert mails_to(CREATOR) == []
    third = device(new_page)
    assert third.goto(second_link).status == 403
    assert FORWARDED in third.inner_text("body")
    assert third.get_by_role("button", name=re.compile("Send a code")).count() == 0
    shot(third, "recipients-forwarded")
    [told] = mails_to(CREATOR)
    assert "probably forwarded" in told.subject and SECOND in told.body
    codes_mailed = len(mails_to(SECOND))
    assert third.reload().status == 403  # refused again, but the creator is told once
    assert len(mails_to(CREATOR)) == 1 and len(mails_to(SECOND)) == codes_mailed

    # -- staff revoke the first recipient on the share's page ----------------------------------
    staff.goto(live_server.url + report_url)
    assert "2 recipients, 2 opened 1 forwarded" in row.locator(".ds-share-recipients").inner_text()
    row.locator(".ds-share-recipients a").click()
    staff.wait_for_selector("#recipients")
    staff.locator("#recipients tr", has_text=FIRST).get_by_role("button", name="Revoke").click()
    staff.wait_for_selector(".messagelist")
    assert f"The link of {FIRST} was revoked." in staff.inner_text(".messagelist")
    flagged = staff.locator("#recipients tr").filter(has=staff.get_by_text("Forwarded", exact=True))
    assert flagged.count() == 1 and SECOND in flagged.inner_text()  # the badge, on hers only
    shot(staff.locator("#recipients"), "recipients-admin-table")

    # -- the first recipient's link is switched off; the second's still opens ------------------
    assert first.reload().status == 410
    assert SWITCHED_OFF in first.inner_text("body")
    second_a.reload()
    assert REPORT in second_a.locator(".ds-object").inner_text()

    share = Share.objects.get(name=SHARE_NAME)
    assert share.verify_recipients
    recipients = {r.address: r for r in share.recipients.all()}
    assert recipients[FIRST].is_revoked and not recipients[FIRST].is_forwarded
    assert recipients[SECOND].is_forwarded and not recipients[SECOND].is_revoked
    assert (recipients[FIRST].times_used, recipients[SECOND].times_used) == (1, 2)
    assert share.times_used == 3
