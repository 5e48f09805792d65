"""A staff user shares a report from the admin's Shares panel; a stranger opens the link.

Screenshots of the panel, the form and the share page go to ``test-artifacts/`` (the admin guide
in ``docs/admin.md`` shows copies of them).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core import mail

from directus_shares.models import Share
from example_project.reports.models import Person, Report
from tests.factories import RoleFactory, UserFactory, rule

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


@pytest.fixture
def staff_member():
    reviewer = RoleFactory(name="Reviewer", view=[Report, Person], share=[Report])
    rule(reviewer, Report, fields=["title", "summary", "status", "author"])
    user = UserFactory(username="ada", is_staff=True)
    user.set_password("correct horse")
    user.save()
    user.groups.add(reviewer)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_report", "view_share", "change_share"])
    )
    return user


def test_staff_share_a_report_and_a_stranger_opens_it_until_the_uses_are_spent(
    live_server, new_page, staff_member
):
    report = Report.objects.create(
        title="Quarterly sales review",
        summary="Sales grew 12% over the quarter.",
        status="done",
        author=Person.objects.create(name="Ada Lovelace"),
        confidential_notes="CONFIDENTIAL: not for the board",
    )
    page = new_page()
    page.set_viewport_size({"width": 1920, "height": 1000})  # room for the panel beside the form
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/reports/report/{report.pk}/change/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "correct horse")
    page.click("input[type=submit]")
    page.wait_for_selector("#shares")
    assert "This object has not been shared yet." in page.inner_text("#shares")

    page.click("#shares >> text=New share")
    page.fill("#id_name", "For the board")
    page.select_option("#id_role", label="Reviewer")
    page.fill("#id_new_password", "open sesame")
    page.fill("#id_max_uses", "2")
    shot(page, "admin-share-form")
    page.click("input[type=submit]")
    page.wait_for_selector("#shares .ds-share")
    assert "was created" in page.inner_text(".messagelist")
    panel = page.inner_text("#shares")
    assert "For the board" in panel and "0 of 2" in panel and "Reviewer" in panel

    page.click("#shares .ds-menu summary")
    page.click("#shares .ds-copy")
    page.wait_for_selector("text=Link copied")
    shot(page, "admin-shares-panel")
    link = page.evaluate("navigator.clipboard.readText()")
    share = Share.objects.get(name="For the board")
    assert link == live_server.url + share.get_absolute_url()

    page.goto(f"{live_server.url}/admin/directus_shares/share/")
    assert "For the board" in page.inner_text("#result_list")
    shot(page, "admin-shares-list")
    page.goto(f"{live_server.url}/admin/directus_shares/share/{share.pk}/change/")
    page.wait_for_selector("svg")
    shot(page, "admin-share-page")

    page.click("#logout-form button")  # the staff user logs out; the link works without them
    page.wait_for_selector("text=Thanks for spending some quality time")

    visitor = new_page()
    visitor.set_viewport_size({"width": 1000, "height": 800})
    visitor.goto(link)
    assert visitor.locator("h1").inner_text() == "This share is protected by a password"
    visitor.fill("#ds-password", "open sesame")
    visitor.click("button[type=submit]")
    visitor.wait_for_selector(".ds-object")
    content = visitor.content()
    assert "Quarterly sales review" in content and "Sales grew 12%" in content
    assert "CONFIDENTIAL" not in content  # not in the role's field list
    shot(visitor, "share-page")

    second = new_page()
    second.goto(link)
    second.fill("#ds-password", "open sesame")
    second.click("button[type=submit]")
    second.wait_for_selector(".ds-object")

    third = new_page()
    assert third.goto(link).status == 410
    assert third.locator("h1").inner_text() == "This share has been used up."
    assert Share.objects.get(pk=share.pk).times_used == 2


def test_the_send_dialog_gives_each_address_a_link_of_its_own(live_server, new_page, staff_member):
    report = Report.objects.create(
        title="Budget", summary="s", status="done", author=Person.objects.create(name="Ada")
    )
    share = Share.objects.create(
        content_object=report, role=staff_member.groups.get(), created_by=staff_member
    )
    page = new_page()
    page.set_viewport_size({"width": 1920, "height": 1000})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/reports/report/{report.pk}/change/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "correct horse")
    page.click("input[type=submit]")
    page.wait_for_selector("#shares .ds-share")

    page.click("#shares .ds-menu summary")
    page.click("#shares .ds-send")
    dialog = page.locator(f"#ds-send-{share.pk}")
    assert dialog.is_visible()  # a dialog, not the page
    box = dialog.get_by_label("Give each address a link of their own")
    assert not box.is_checked()
    dialog.locator("textarea[name=recipients]").fill("bob@example.com, carol@example.com")
    box.check()
    shot(page, "admin-send-own-links")
    dialog.locator("input[type=submit]").click()
    page.wait_for_selector(".messagelist")

    assert "The link was sent to bob@example.com, carol@example.com." in page.inner_text(
        ".messagelist"
    )
    assert "2 recipients, 0 opened" in page.inner_text("#shares")
    links = {r.address: r.get_absolute_url() for r in share.recipients.all()}
    assert sorted(links) == ["bob@example.com", "carol@example.com"]
    assert all(links[m.to[0]] in m.body for m in mail.outbox) and len(mail.outbox) == 2

    page.click("#shares .ds-share-recipients a")  # to the share's page, where they are listed
    page.wait_for_selector("#recipients")
    assert "carol@example.com" in page.inner_text("#recipients")
