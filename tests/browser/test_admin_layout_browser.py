"""The Shares panel never squeezes the change form: at 1280 px and wider, on every supported
Django, no field or inline is cut off, scrolled away or covered by the panel; the all-shares
list shows its link column. Screenshots go to ``test-artifacts/`` (``docs/images/`` keeps copies).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import django
import pytest
from django.test import override_settings
from django.utils import timezone

from directus_shares import lockout
from example_project.reports.models import Comment, Document, Person, Report, Tag
from tests.factories import RecipientFactory, RoleFactory, ShareFactory, UserFactory, rule

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DJANGO = f"django{django.VERSION[0]}{django.VERSION[1]}"
WIDTHS = [1280, 1440, 1920]

# Every box of the form a user works in: rows, fieldsets, the M2M widget, inline tables.
FORM_PARTS = (
    "#content-main form fieldset, #content-main form .form-row, #content-main form .selector, "
    "#content-main form .inline-group, #content-main form .inline-related, "
    "#content-main form .tabular table, #content-main form .submit-row"
)

# What of the form is hidden (content behind a scrollbar or a cut-off edge: by how much), outside
# the form's box, or under the panel; and how far the page itself scrolls sideways.
MEASURE = """([parts, panelSelector]) => {
  const box = (el) => { const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width}; };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const form = document.querySelector('#content-main form');
  const hidden = [];
  for (const el of [form, ...form.querySelectorAll('*')]) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (parseFloat(style.textIndent) < 0) continue;  // an icon whose text is moved out of sight
    if (el.scrollWidth > el.clientWidth + 1 && style.overflowX !== 'visible' && el.clientWidth > 0)
      hidden.push([name(el), el.scrollWidth - el.clientWidth]);
  }
  const formBox = box(form);
  const outside = [];
  for (const el of form.querySelectorAll(parts)) {
    if (el.offsetParent === null) continue;
    const b = box(el);
    if (b.right > formBox.right + 1 || b.left < formBox.left - 1)
      outside.push([name(el), b, formBox]);
  }
  const panel = document.querySelector(panelSelector);
  const covered = [];
  if (panel) {
    const p = box(panel);
    for (const el of form.querySelectorAll(parts)) {
      if (el.offsetParent === null) continue;
      const b = box(el);
      if (b.left < p.right && p.left < b.right && b.top < p.bottom && p.top < b.bottom)
        covered.push([name(el), b, p]);
    }
  }
  return {hidden, outside, covered,
          page: document.documentElement.scrollWidth - document.documentElement.clientWidth};
}"""


@pytest.fixture
def superuser():
    user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    user.set_password("correct horse")
    user.save()
    return user


@pytest.fixture
def busy_report(superuser):
    """A report with every kind of input its change form has, and a few shares of it."""
    report = Report.objects.create(
        title="Quarterly sales review",
        summary="Sales grew 12% over the quarter.",
        status="done",
        author=Person.objects.create(name="Ada Lovelace"),
    )
    for n in range(12):
        tag = Tag.objects.create(slug=f"topic-{n}", label=f"A rather long topic name {n}")
        if n % 3 == 0:
            report.tags.add(tag)
    for n in range(2):
        Comment.objects.create(report=report, author_name=f"Reader {n}", body="Looks right. " * 8)
        Document.objects.create(report=report, title=f"Appendix {n}")
    reviewer = RoleFactory(name="Reviewer", view=[Report, Person], share=[Report])
    rule(reviewer, Report, all_fields=True)
    ShareFactory(content_object=report, role=reviewer, created_by=superuser, name="For the board",
                 max_uses=5, date_end=timezone.now() + timedelta(days=30))  # fmt: skip
    ShareFactory(content_object=report, role=None, created_by=superuser, name="Public default")
    return report


def logged_in_page(new_page, live_server, width: int):
    page = new_page()
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "correct horse")
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    return page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{DJANGO}.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_panel_cuts_off_or_covers_no_field_or_inline_of_the_change_form(
    live_server, new_page, busy_report, width
):
    page = logged_in_page(new_page, live_server, width)
    page.goto(f"{live_server.url}/admin/reports/report/{busy_report.pk}/change/")
    page.wait_for_selector("#shares .ds-share")
    for scrolled in (0, 600, 1200):  # the sticky panel moves with the page
        page.evaluate(f"window.scrollTo(0, {scrolled})")
        found = page.evaluate(MEASURE, [FORM_PARTS, "#shares"])
        assert found["hidden"] == [], found["hidden"]  # nothing behind a scrollbar
        assert found["outside"] == [], found["outside"]  # nothing past the form's edge
        assert found["covered"] == [], found["covered"]  # nothing under the panel
        assert found["page"] <= 0  # the page itself does not scroll sideways
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, f"admin-change-form-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_all_shares_list_shows_its_link_column(live_server, new_page, busy_report, width):
    page = logged_in_page(new_page, live_server, width)
    page.goto(f"{live_server.url}/admin/directus_shares/share/")
    page.wait_for_selector("#result_list")
    results = page.evaluate(
        """() => { const wrap = document.querySelector('.results').getBoundingClientRect();
                   const right = (s) => document.querySelector(s).getBoundingClientRect().right;
                   return {link: right('#result_list th.column-link'),
                           attention: right('#result_list th.column-attention'),
                           results: wrap.right,
                           page: document.documentElement.scrollWidth
                                 - document.documentElement.clientWidth}; }"""
    )
    # Seen without scrolling: the link (with its copy button) and what needs attention.
    assert results["link"] <= results["results"] and results["page"] <= 0, results
    assert results["attention"] <= results["results"], results
    assert page.locator("#result_list .ds-copy-link").first.is_visible()
    filters = page.inner_text("#changelist-filter")
    assert "\n-\n" not in f"\n{filters}\n"  # no bare "-" entry
    if width == 1280:
        shot(page, "admin-shares-list-1280")


def _left_edges(page, selector: str) -> set[int]:
    return set(
        page.eval_on_selector_all(
            selector, "els => els.map(e => Math.round(e.getBoundingClientRect().left))"
        )
    )


def test_the_panel_cards_line_up_and_the_send_dialog_has_the_admins_buttons(
    live_server, new_page, busy_report, superuser
):
    ShareFactory(content_object=busy_report, created_by=superuser, name="Locked", password="pw")
    page = logged_in_page(new_page, live_server, 1920)
    page.goto(f"{live_server.url}/admin/reports/report/{busy_report.pk}/change/")
    page.wait_for_selector("#shares .ds-share")
    # Cards with different labels ("Password", "Ends", "Used"): one value column for all.
    assert len(_left_edges(page, "#shares .ds-share-facts dd")) == 1
    card = page.locator("#shares .ds-share", has_text="For the board")
    card.locator(".ds-menu summary").click()
    card.locator(".ds-send").click()
    page.wait_for_selector("dialog[open]")
    style = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).padding]"
    save = page.eval_on_selector("input[name=_save]", style)
    send = page.eval_on_selector("dialog[open] .submit-row .default", style)
    assert send == save  # the admin's default button, not the browser's
    cancel = page.eval_on_selector("dialog[open] .ds-dialog-close", style)
    assert cancel == page.eval_on_selector("input[name=_continue]", style)  # an admin button
    shot(page, "admin-send-dialog")
    send_url = card.locator(".ds-send").get_attribute("href")
    page.goto(f"{live_server.url}{send_url}")  # the page without JavaScript's dialog
    assert len(_left_edges(page, "#content-main textarea")) == 1  # aligned, as admin forms are
    assert page.eval_on_selector("#content-main input[type=submit]", style) == save


@override_settings(DIRECTUS_SHARES={"PASSWORD_ATTEMPTS_PER_SHARE": (1, 3600)})
def test_the_unlock_button_of_a_locked_card_is_an_admin_button(
    live_server, new_page, busy_report, superuser
):
    share = ShareFactory(
        content_object=busy_report, created_by=superuser, name="Locked", password="pw"
    )
    lockout.record_failure(lockout.reserve_attempt(share, None))  # one wrong password locks it
    page = logged_in_page(new_page, live_server, 1920)
    page.goto(f"{live_server.url}/admin/reports/report/{busy_report.pk}/change/")
    unlock = page.locator("#shares .ds-share-locked", has_text="Too many wrong passwords")
    style = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).padding]"
    button = unlock.locator("[type=submit]").evaluate(style)
    assert button == page.eval_on_selector("input[name=_continue]", style)  # not form .button's
    shot(page, "admin-panel-unlock")


@override_settings(DIRECTUS_SHARES={"PASSWORD_ATTEMPTS_PER_SHARE": (1, 3600)})
@pytest.mark.parametrize("width", [800, 1280])
def test_the_share_pages_buttons_are_the_admins_and_its_recipients_scroll_when_narrow(
    live_server, new_page, busy_report, superuser, width
):
    share = ShareFactory(
        content_object=busy_report, created_by=superuser, name="Locked", password="pw"
    )
    for n in range(3):
        RecipientFactory(share=share, address=f"reader.number.{n}@example.com")
    lockout.record_failure(lockout.reserve_attempt(share, None))  # Unlock shows too
    page = logged_in_page(new_page, live_server, width)
    page.goto(f"{live_server.url}/admin/directus_shares/share/{share.pk}/change/")
    style = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).padding]"
    save = page.eval_on_selector("input[name=_continue]", style)
    # Unlock, the share's Copy link, Go, and each row's Copy link and four buttons: none gets
    # the small padding the admin's 'form .button' rule gives a <button class="button">.
    buttons = page.locator(
        ".ds-share-locked [type=submit], .ds-share-link-box [data-ds-copy], "
        "#recipients [type=submit], #recipients [type=button]"
    )
    assert buttons.count() == 3 + 3 * 5
    assert {tuple(button.evaluate(style)) for button in buttons.all()} == {tuple(save)}
    copy = page.locator(".ds-share-link-box [data-ds-copy]").bounding_box()
    assert copy["width"] < page.locator("#ds-share-link").bounding_box()["width"] / 2  # its text's
    # The table scrolls in its own box: the page never scrolls sideways, no button is cut off.
    width_over = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(width_over) == 0
    page.locator(".ds-recipients-table").evaluate("e => { e.scrollLeft = e.scrollWidth; }")
    box = page.locator(".ds-recipients-table").bounding_box()
    last = page.locator("#recipients tbody tr").last.locator("[type=submit]").last.bounding_box()
    assert box["x"] <= last["x"] and last["x"] + last["width"] <= box["x"] + box["width"] + 1
    shot(page, f"admin-share-recipients-{width}")


def test_the_access_log_rows_are_not_headed_by_raw_codes(live_server, new_page, superuser):
    share = ShareFactory(created_by=superuser, password="right")
    for reason in ("wrong_password", "locked_out"):
        share.accesses.create(granted=False, reason=reason)
    page = logged_in_page(new_page, live_server, 1280)
    page.goto(f"{live_server.url}/admin/directus_shares/share/{share.pk}/change/")
    log = page.locator(".inline-group", has_text="Locked out: too many wrong passwords")
    assert "locked_out" not in log.inner_text() and "wrong_password" not in log.inner_text()
    assert "Wrong, empty or too long password" in log.inner_text()
