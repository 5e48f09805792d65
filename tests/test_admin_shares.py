"""All shares in the admin: filters (the recipients' too), search, object links, bulk actions,
queries, the QR code, the share's own options."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
import segno
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from directus_shares.models import Share, ShareStatus
from directus_shares.qr import QUIET_ZONE, qr_code_svg
from example_project.reports.models import Person, Report, Tag
from tests.factories import (
    GadgetFactory,
    RecipientFactory,
    RoleFactory,
    ShareFactory,
    UserFactory,
    rule,
)
from tests.helpers import open_share, opened_page, report_with_secrets
from tests.testapp.models import Gadget, Owner

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/directus_shares/share/"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser():
    return UserFactory(is_superuser=True)


@pytest.fixture
def staff():
    """A staff user who may view, change and delete (their own) shares, and view reports."""
    user = UserFactory()
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_share", "change_share", "delete_share", "view_report"]
        )
    )
    return user


def listed(client: Client, **params: object) -> list[str]:
    """The names of the shares the changelist shows with ``params``."""
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200, response
    return sorted(str(share) for share in response.context["cl"].result_list)


def make_report(title: str = "Quarterly report") -> Report:
    return Report.objects.create(title=title, summary="…", author=Person.objects.create(name="Ada"))


def post_action(client: Client, action: str, shares: list[Share], **extra: str):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [share.pk for share in shares], **extra},
        follow=True,
    )


# -- the list -----------------------------------------------------------------------------------


def test_the_changelist_shows_each_share_with_its_uses_role_creator_and_link(superuser):
    share = ShareFactory(name="For the auditors", max_uses=5, times_used=2)
    unlimited = ShareFactory(name="Unlimited")
    response = logged_in(superuser).get(CHANGELIST)
    content = response.content.decode()
    assert "For the auditors" in content and "Unlimited" in content
    assert "2 / 5" in content and "0 / ∞" in content
    assert share.role.name in content and share.created_by.username in content
    for shown in (share, unlimited):
        link = "http://testserver" + shown.get_absolute_url()
        assert f'data-ds-copy="{link}"' in content
    assert content.count('role="status"') >= 2  # where "Link copied" is announced
    assert "Add share" not in content  # shares are made from their object's page


def test_every_filter_value_renders(superuser):
    share = ShareFactory()
    ShareFactory(content_object=make_report())
    client = logged_in(superuser)
    filters = [{"status": status} for status in ShareStatus.values] + [
        {"role__id__exact": share.role_id},
        {"content_type__id__exact": share.content_type_id},
        {"created_by__id__exact": share.created_by_id},
        {"creator_removed__exact": "1"},
        {"role_removed__exact": "0"},
    ]
    for params in filters:
        response = client.get(CHANGELIST, {**params, "_facets": "1"})
        assert response.status_code == 200, params  # an unknown filter would redirect (?e=1)
    faceted = client.get(CHANGELIST, {"_facets": "1"}).content.decode()
    assert "Active (2)" in faceted and "Revoked (0)" in faceted
    assert listed(client, content_type__id__exact=share.content_type_id) == [share.name]
    assert listed(client, role__id__exact=share.role_id) == [share.name]
    assert listed(client, created_by__id__exact=share.created_by_id) == [share.name]


def test_needs_attention_names_a_share_that_grants_nothing_as_the_visitor_is_refused(superuser):
    nothing = ShareFactory(name="No role", role=None)
    wrong_model = ShareFactory(name="Wrong model", role=RoleFactory(name="Owners", view=[Owner]))
    fine = ShareFactory(name="Fine")
    rows = attention_by_name(logged_in(superuser))
    assert rows["No role"] == "it grants nothing: it has no role and no public role is set"
    assert rows["Wrong model"] == (
        "it grants nothing: its role “Owners” (within what its creator may see) may not see gadgets"
    )
    assert rows["Fine"] == ""
    for share in (nothing, wrong_model):
        response = Client().get(share.get_absolute_url())
        assert response.status_code == 403 and "does not grant access" in response.text
    assert Client().get(fine.get_absolute_url()).status_code == 200


def attention_by_name(client: Client) -> dict[str, str]:
    """The changelist's "needs attention" text for each share, by name."""
    response = client.get(CHANGELIST)
    cl = response.context["cl"]
    return {str(share): cl.model_admin.attention(share) for share in cl.result_list}


def test_searching_by_name(superuser):
    ShareFactory(name="Board meeting minutes")
    ShareFactory(name="Press kit")
    assert listed(logged_in(superuser), q="board") == ["Board meeting minutes"]


def test_the_status_filter_returns_exactly_the_shares_in_that_state(superuser):
    now = timezone.now()
    hour = timedelta(hours=1)
    expected = {
        ShareStatus.ACTIVE: [
            ShareFactory(name="plain"),
            ShareFactory(name="uses left", max_uses=3, times_used=2),
            ShareFactory(name="in its window", date_start=now - hour, date_end=now + hour),
        ],
        ShareStatus.NOT_YET_OPEN: [
            ShareFactory(name="opens later", date_start=now + hour),
            ShareFactory(name="later and spent", date_start=now + hour, max_uses=1, times_used=1),
        ],
        ShareStatus.EXPIRED: [
            ShareFactory(name="ended", date_end=now - hour),
            ShareFactory(name="ended and spent", date_end=now - hour, max_uses=2, times_used=2),
        ],
        ShareStatus.USED_UP: [
            ShareFactory(name="spent", max_uses=2, times_used=2),
            ShareFactory(name="spent in window", date_end=now + hour, max_uses=1, times_used=1),
        ],
        ShareStatus.REVOKED: [
            ShareFactory(name="switched off"),
            ShareFactory(name="switched off and ended", date_end=now - hour),
        ],
    }
    for share in expected[ShareStatus.REVOKED]:
        share.revoke()
    client = logged_in(superuser)
    for status, shares in expected.items():
        names = sorted(share.name for share in shares)
        assert listed(client, status=status) == names, status
        # The filter agrees with the status the share itself reports.
        assert all(Share.objects.get(pk=s.pk).status_at(timezone.now()) == status for s in shares)
        assert f">{status.label}<" in client.get(CHANGELIST, {"status": status}).content.decode()


def test_the_shared_object_links_to_its_admin_page_when_the_user_may_view_it(superuser, staff):
    report = make_report("Annual accounts")
    tag = Tag.objects.create(slug="q/1 ü", label="Odd key")
    ShareFactory(content_object=report, created_by=staff)
    ShareFactory(content_object=tag, created_by=staff)
    gadget = ShareFactory(created_by=staff).content_object
    gone = ShareFactory(created_by=staff)
    gone.content_object.delete()

    content = logged_in(superuser).get(CHANGELIST).content.decode()
    assert f'Report: <a href="/admin/reports/report/{report.pk}/change/">Annual accounts</a>' in (
        content
    )
    assert 'Tag: <a href="/admin/reports/tag/q_2F1%20%C3%BC/change/">Odd key</a>' in content
    assert f"Gadget: Gadget object ({gadget.pk})</td>" in content  # not in the admin: plain text
    assert f"Gadget: {gone.object_pk} <em>(not found)</em>" in content

    # The staff user may view reports but not tags: a link to one, plain text for the other.
    content = logged_in(staff).get(CHANGELIST).content.decode()
    assert f'<a href="/admin/reports/report/{report.pk}/change/">' in content
    assert "Tag: Odd key" in content and "/admin/reports/tag/" not in content


def test_non_superusers_see_and_manage_only_their_own_shares(staff):
    own = ShareFactory(name="Mine", created_by=staff)
    other = ShareFactory(name="Someone else's")
    client = logged_in(staff)
    response = client.get(CHANGELIST)
    assert sorted(str(s) for s in response.context["cl"].result_list) == ["Mine"]
    assert "created by" not in [spec.title for spec in response.context["cl"].filter_specs]
    assert client.get(f"{CHANGELIST}{other.pk}/change/").status_code == 302  # "doesn't exist"
    assert client.get(f"{CHANGELIST}{own.pk}/change/").status_code == 200
    post_action(client, "revoke_shares", [own, other])
    assert Share.objects.get(pk=own.pk).is_revoked
    assert not Share.objects.get(pk=other.pk).is_revoked


def test_the_role_dropdown_offers_only_roles_the_user_may_assign(staff):
    mine = RoleFactory(name="My team")
    staff.groups.add(mine)
    RoleFactory(name="Board only")
    share = ShareFactory(created_by=staff, role=mine)
    content = logged_in(staff).get(f"{CHANGELIST}{share.pk}/change/").content.decode()
    assert "My team" in content and "Board only" not in content


# -- bulk actions -------------------------------------------------------------------------------


def test_bulk_revoke_ends_grants_and_re_enable_asks_visitors_anew(superuser):
    gadget = GadgetFactory(name="Prototype X")
    share = ShareFactory(content_object=gadget)
    visitor = Client()
    assert open_share(visitor, share).status_code == 303
    assert "Prototype X" in visitor.get(share.get_absolute_url()).content.decode()

    admin_client = logged_in(superuser)
    response = post_action(admin_client, "revoke_shares", [share])
    assert "1 share revoked." in response.content.decode()
    assert visitor.get(share.get_absolute_url()).status_code == 410
    assert listed(admin_client, status=ShareStatus.REVOKED) == [share.name]

    response = post_action(admin_client, "reenable_shares", [share])
    assert "1 share re-enabled." in response.content.decode()
    assert listed(admin_client, status=ShareStatus.ACTIVE) == [share.name]
    page = visitor.get(share.get_absolute_url())
    assert page.status_code == 200
    assert "Prototype X" not in page.content.decode()  # the old grant stays ended
    assert open_share(Client(), share).status_code == 303  # it opens again


def test_bulk_actions_skip_shares_already_in_that_state(superuser):
    revoked = ShareFactory()
    revoked.revoke()
    revoked_at = Share.objects.get(pk=revoked.pk).revoked_at
    live = ShareFactory()
    response = post_action(logged_in(superuser), "revoke_shares", [revoked, live])
    assert "1 share revoked." in response.content.decode()
    assert Share.objects.get(pk=revoked.pk).revoked_at == revoked_at


def test_bulk_delete(superuser):
    doomed, kept = ShareFactory(), ShareFactory()
    client = logged_in(superuser)
    confirm = post_action(client, "delete_selected", [doomed])
    assert "Are you sure" in confirm.content.decode()
    post_action(client, "delete_selected", [doomed], post="yes")
    assert list(Share.objects.values_list("pk", flat=True)) == [kept.pk]


def test_staff_without_the_change_permission_get_no_revoke_action():
    viewer = UserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_share"))
    ShareFactory(created_by=viewer)
    content = logged_in(viewer).get(CHANGELIST).content.decode()
    assert "revoke_shares" not in content


# -- queries ------------------------------------------------------------------------------------


def shares_over_several_models(count: int, creator) -> None:
    """``count`` shares of gadgets (UUID keys, not in the admin), reports (in the admin) and tags
    (string keys), in turn, by ``creator``."""
    role = RoleFactory(view=[Gadget])
    makers = [
        lambda: GadgetFactory(),
        lambda: make_report(),
        lambda: Tag.objects.create(slug=f"tag-{Tag.objects.count()}", label="Tag"),
    ]
    for n in range(count):
        ShareFactory(content_object=makers[n % len(makers)](), role=role)
    Share.objects.update(created_by=creator)


def changelist_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["superuser", "staff"])
def test_the_changelist_query_count_does_not_grow_with_the_page(who, request):
    user = request.getfixturevalue(who)
    client = logged_in(user)
    shares_over_several_models(3, user)
    changelist_queries(client)  # warm the content type cache
    few = changelist_queries(client)
    Share.objects.all().delete()
    shares_over_several_models(30, user)
    many = changelist_queries(client)
    assert Share.objects.count() == 30
    assert many == few


# -- the share's page and its QR code -----------------------------------------------------------


def test_the_change_page_shows_the_link_with_a_qr_code_and_copy_button(superuser):
    share = ShareFactory(name="Press kit")
    content = logged_in(superuser).get(f"{CHANGELIST}{share.pk}/change/").content.decode()
    link = "http://testserver" + share.get_absolute_url()
    assert f'value="{link}"' in content
    assert f'data-ds-copy="{link}"' in content
    assert "Copy link" in content and "Link copied" in content
    svg = re.search(r'<svg role="img".*?</svg>', content, re.S)
    assert svg is not None
    assert modules_of(svg.group(0)) == segno.make(link, error="m").matrix
    assert "Its status now: Active." in content


def test_the_qr_code_is_standalone_svg_that_encodes_the_url():
    url = "https://example.com/share/AbC123.xyz-_/"
    svg = qr_code_svg(url, title="Link <to> the share & more")
    assert not svg.startswith("<?xml")
    root = ET.fromstring(svg)
    assert root.tag.rsplit("}", 1)[-1] == "svg"
    assert root.get("role") == "img"
    assert root.find("title").text == "Link <to> the share & more"  # escaped, read back whole
    expected = segno.make(url, error="m")
    assert modules_of(svg) == expected.matrix
    assert modules_of(qr_code_svg(url + "x")) != expected.matrix
    side = len(expected.matrix) + 2 * QUIET_ZONE
    assert root.get("viewBox") == f"0 0 {side} {side}"
    assert root.get("width") == str(side * 4)
    fills = {path.get("fill") or path.get("stroke") for path in root.iter("path")}
    assert fills == {"#fff", "#000"}  # dark on white, whatever the admin's theme


def modules_of(svg: str) -> tuple[bytearray, ...]:
    """The dark modules the SVG draws (segno's path of horizontal runs), as segno's matrix."""
    root = ET.fromstring(svg)
    side = int(root.get("viewBox").split()[2]) - 2 * QUIET_ZONE
    rows = [bytearray(side) for _ in range(side)]
    dark = next(path for path in root.iter("path") if path.get("stroke"))
    x = y = 0.0
    for command, a, b in re.findall(r"([MmHh])(-?[\d.]+)(?: (-?[\d.]+))?", dark.get("d")):
        if command in "Mm":
            x, y = (float(a), float(b)) if command == "M" else (x + float(a), y + float(b))
        else:
            length = int(a)
            for column in range(int(x), int(x) + length):
                rows[int(y) - QUIET_ZONE][column - QUIET_ZONE] = 1
            x += length
    return tuple(rows)


def share_page_data(**fields: object) -> dict[str, object]:
    """What the share's admin page posts: no window, no limit, no access log rows, and
    ``fields``."""
    empty = ["max_uses", "date_start_0", "date_start_1", "date_end_0", "date_end_1"]
    inline = {"accesses-TOTAL_FORMS": "0", "accesses-INITIAL_FORMS": "0"}
    return {**dict.fromkeys(empty, ""), **inline, **fields}


def test_the_shares_page_sets_and_removes_the_password_and_keeps_the_shares_own_role(superuser):
    share = ShareFactory(name="Edited", password="old")
    visitor = Client()
    assert open_share(visitor, share, "old").status_code == 303
    client = logged_in(superuser)
    url = f"/admin/directus_shares/share/{share.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="new_password"' in page and 'name="remove_password"' in page
    data = share_page_data(name="Edited", role=share.role_id, new_password="a new orchard")
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    share.refresh_from_db()
    assert share.check_password("a new orchard")
    assert visitor.get(share.get_absolute_url()).status_code == 200  # asked for the password again
    assert "protected by a password" in visitor.get(share.get_absolute_url()).content.decode()


def test_the_shares_page_shows_its_access_log_and_deleting_counts_it(superuser):
    share = ShareFactory(name="Logged", password="pw")
    for _ in range(3):
        open_share(Client(), share, "wrong")
    client = logged_in(superuser)
    page = client.get(f"/admin/directus_shares/share/{share.pk}/change/").content.decode()
    assert page.count("wrong_password") + page.count("Wrong password") >= 3
    confirm = client.get(f"/admin/directus_shares/share/{share.pk}/delete/").content.decode()
    assert "3 access log entries" in confirm


def test_a_share_with_access_log_entries_saves_on_its_page(superuser):
    share = ShareFactory(name="Opened", password="pw")
    for _ in range(3):
        open_share(Client(), share, "wrong")
    client = logged_in(superuser)
    url = f"/admin/directus_shares/share/{share.pk}/change/"
    # As the browser posts it: the read-only log rows count in TOTAL_FORMS, without fields.
    log = {"accesses-TOTAL_FORMS": "3", "accesses-INITIAL_FORMS": "3"}
    response = client.post(url, {**share_page_data(name="Renamed", role=share.role_id), **log})
    assert response.status_code == 302, response.content.decode()[:2000]
    share.refresh_from_db()
    assert share.name == "Renamed"


# -- shares locked by wrong passwords -----------------------------------------------------------

THREE_PER_SHARE = {"PASSWORD_ATTEMPTS_PER_SHARE": (3, 3600)}


def lock(share: Share) -> Share:
    """Lock ``share`` for everybody: three strangers' wrong passwords."""
    for number in range(3):
        open_share(Client(REMOTE_ADDR=f"198.51.100.{number}"), share, "wrong")
    assert open_share(Client(), share, "right").status_code == 429
    return share


def unlock_url(share: Share) -> str:
    return f"{CHANGELIST}{share.pk}/unlock/"


@override_settings(DIRECTUS_SHARES=THREE_PER_SHARE)
def test_the_list_shows_locked_shares_and_unlocks_the_selected_ones(staff):
    locked = lock(ShareFactory(name="Locked", password="right", created_by=staff))
    ShareFactory(name="Fine", password="right", created_by=staff)
    client = logged_in(staff)
    response = client.get(CHANGELIST)
    rows = {str(share): share for share in response.context["cl"].result_list}
    assert rows["Locked"].lock is not None and rows["Fine"].lock is None
    assert "locked by wrong passwords until" in response.content.decode()
    assert "unlock_shares" in response.content.decode()
    done = post_action(client, "unlock_shares", [locked])
    assert "1 share unlocked." in done.content.decode()
    assert "locked by wrong passwords until" not in done.content.decode()
    assert open_share(Client(), locked, "right").status_code == 303


@override_settings(DIRECTUS_SHARES=THREE_PER_SHARE)
def test_the_list_unlocks_only_shares_the_user_manages(staff):
    theirs = lock(ShareFactory(name="Someone else's", password="right"))
    post_action(logged_in(staff), "unlock_shares", [theirs])
    assert open_share(Client(), theirs, "right").status_code == 429


@override_settings(DIRECTUS_SHARES=THREE_PER_SHARE)
def test_the_share_page_shows_the_lock_with_an_unlock_button(staff):
    share = lock(ShareFactory(name="Locked", password="right", created_by=staff))
    client = logged_in(staff)
    content = client.get(f"{CHANGELIST}{share.pk}/change/").content.decode()
    assert "nobody can open this share until" in content
    assert f'action="{unlock_url(share)}"' in content
    assert client.get(unlock_url(share)).status_code == 405
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(staff)
    assert forged.post(unlock_url(share)).status_code == 403
    response = client.post(unlock_url(share), follow=True)
    assert response.redirect_chain[-1][0] == f"{CHANGELIST}{share.pk}/change/"
    page = response.content.decode()
    assert "The share “Locked” is unlocked: its password can be tried again." in page
    assert "nobody can open this share until" not in page
    assert open_share(Client(), share, "right").status_code == 303


@override_settings(DIRECTUS_SHARES=THREE_PER_SHARE)
def test_unlock_is_refused_to_staff_who_may_not_manage_or_change_the_share(staff):
    theirs = lock(ShareFactory(password="right"))
    assert logged_in(staff).post(unlock_url(theirs)).status_code == 404
    viewer = UserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_share"))
    own = lock(ShareFactory(password="right", created_by=viewer))
    viewer_client = logged_in(viewer)
    page = viewer_client.get(f"{CHANGELIST}{own.pk}/change/")  # view-only: it used to fail (500)
    assert page.status_code == 200
    assert "nobody can open this share" not in page.content.decode()  # no Unlock offered
    assert viewer_client.post(unlock_url(own)).status_code == 403
    assert open_share(Client(), theirs, "right").status_code == 429
    assert open_share(Client(), own, "right").status_code == 429


def test_the_list_and_the_share_page_still_open_when_the_cache_does_not_answer(
    staff, monkeypatch, caplog
):
    from django.core.cache import cache

    share = ShareFactory(name="Mine", password="right", created_by=staff)

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get_many", down)
    client = logged_in(staff)
    assert client.get(CHANGELIST).status_code == 200
    assert client.get(f"{CHANGELIST}{share.pk}/change/").status_code == 200
    assert "share locks cannot be shown" in caplog.text


def test_saving_a_share_on_its_page_without_a_role_warns_and_the_page_says_so(superuser):
    share = ShareFactory(name="Unroled")
    client = logged_in(superuser)
    url = f"/admin/directus_shares/share/{share.pk}/change/"
    data = share_page_data(name="Unroled", role="")  # "(public role)", and none is set
    reason = "it grants nothing: it has no role and no public role is set"
    saved = client.post(url, data, follow=True).content.decode()
    assert f'<li class="warning">Nobody can open the share “Unroled”: {reason}.</li>' in saved
    page = client.get(url).content.decode()
    assert f"This link no longer opens: {reason}." in page
    assert Client().get(share.get_absolute_url()).status_code == 403


# -- the role a staff user may give a share ------------------------------------------------------


def test_staff_who_may_change_shares_cannot_give_a_share_a_role_they_may_not_assign():
    """Only sharing.assignable_roles may be chosen: the share admin's role field offers (and
    accepts) every group, so a staff user with change_share widens a share made by an
    administrator to a role they could never assign – and visitors see what that role sees."""
    weak = RoleFactory(name="Weak", view=[Report])
    rule(weak, Report, fields=["title"])
    strong = RoleFactory(name="Strong", view=[Report])  # every field
    share = ShareFactory(
        content_object=report_with_secrets(), role=weak, created_by=UserFactory(is_superuser=True)
    )
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(codename="change_share"),
        Permission.objects.get(codename="view_share"),
    )
    client = Client()
    client.force_login(staff)
    client.post(
        f"/admin/directus_shares/share/{share.pk}/change/",
        {"name": share.name, "role": strong.pk, "max_uses": ""},
    )
    share.refresh_from_db()
    assert share.role_id == weak.pk
    assert "SECRET-NOTES" not in opened_page(share).content.decode()


def test_the_shares_page_restricts_a_share_to_addresses_one_per_line(superuser):
    share = ShareFactory(name="Edited")
    client = logged_in(superuser)
    url = f"/admin/directus_shares/share/{share.pk}/change/"
    assert 'name="allowed_addresses"' in client.get(url).content.decode()
    data = share_page_data(
        name="Edited", role=share.role_id, allowed_addresses="Anna@Example.org\n@example.com"
    )
    assert client.post(url, data).status_code == 302
    share.refresh_from_db()
    assert share.allowed_addresses == ["anna@example.org", "@example.com"]
    page = client.get(url).content.decode()
    assert "anna@example.org\n@example.com" in page
    refused = client.post(url, {**data, "allowed_addresses": "anna@"})
    assert refused.status_code == 200
    assert "Not an e-mail address or @domain: anna@" in refused.content.decode()


def test_the_shares_page_sets_a_share_to_verify_its_recipients(superuser):
    share = ShareFactory(name="Edited")
    client = logged_in(superuser)
    url = f"/admin/directus_shares/share/{share.pk}/change/"
    assert 'name="verify_recipients"' in client.get(url).content.decode()
    data = share_page_data(name="Edited", role=share.role_id, verify_recipients="on")
    assert client.post(url, data).status_code == 302
    share.refresh_from_db()
    assert share.verify_recipients
    assert client.post(url, {**data, "verify_recipients": ""}).status_code == 302
    share.refresh_from_db()
    assert not share.verify_recipients


def test_the_access_log_on_the_shares_page_shows_the_address_a_code_was_tried_for(superuser):
    share = ShareFactory(allowed_addresses=["@example.org"])
    visitor = Client()
    visitor.cookies["csrftoken"] = "a" * 32
    data = {"csrfmiddlewaretoken": "a" * 32, "email": "anna@example.org", "code": "000000"}
    assert visitor.post(share.get_absolute_url(), data).status_code == 400  # none requested
    page = logged_in(superuser).get(f"/admin/directus_shares/share/{share.pk}/change/")
    assert "anna@example.org" in page.content.decode()
    assert "E-mail address" in page.content.decode()


# -- recipients: the filter, the column and the devices field -------------------------------------


def shares_by_recipients(creator) -> dict[str, Share]:
    """Shares named after what became of their recipients' links."""
    shares = {
        name: ShareFactory(name=name, created_by=creator)
        for name in ("none", "unopened", "opened", "forwarded")
    }
    RecipientFactory(share=shares["unopened"])
    RecipientFactory(share=shares["unopened"])
    RecipientFactory(share=shares["opened"])
    RecipientFactory(share=shares["opened"], times_used=2, first_opened_at=timezone.now())
    RecipientFactory(share=shares["forwarded"], times_used=1, forwarded_at=timezone.now())
    return shares


def test_the_recipients_filter_finds_unopened_opened_and_forwarded_shares(superuser):
    shares_by_recipients(superuser)
    client = logged_in(superuser)

    assert listed(client, recipients="none_opened") == ["unopened"]
    assert listed(client, recipients="some_opened") == ["forwarded", "opened"]
    assert listed(client, recipients="forwarded") == ["forwarded"]
    assert listed(client) == ["forwarded", "none", "opened", "unopened"]
    faceted = client.get(CHANGELIST, {"_facets": "1"}).content.decode()
    assert "Opened by none (1)" in faceted and "Forwarded (1)" in faceted


def test_the_recipients_filter_keeps_to_the_users_own_shares(staff):
    shares_by_recipients(UserFactory())  # someone else's
    ShareFactory(name="Mine", created_by=staff)
    RecipientFactory(share=Share.objects.get(name="Mine"), forwarded_at=timezone.now())
    assert listed(logged_in(staff), recipients="forwarded") == ["Mine"]


def test_the_list_counts_each_shares_recipients_and_flags_forwarded_links(superuser):
    shares_by_recipients(superuser)
    response = logged_in(superuser).get(CHANGELIST)
    rows = {
        str(share): response.context["cl"].model_admin.recipients(share)
        for share in response.context["cl"].result_list
    }
    assert rows["none"] == ""
    assert rows["unopened"] == "2 recipients, 0 opened"
    assert rows["opened"] == "2 recipients, 1 opened"
    assert rows["forwarded"] == (
        '1 recipient, 0 opened <span class="ds-badge-forwarded">1 forwarded</span>'
    )
    assert "1 recipient, 0 opened" in response.content.decode()


def test_the_shares_page_sets_the_devices_per_recipient_next_to_verification(superuser):
    share = ShareFactory(name="Edited")
    client = logged_in(superuser)
    url = f"/admin/directus_shares/share/{share.pk}/change/"
    page = client.get(url).content.decode()
    fields = re.findall(r'<div class="form-row[^"]*field-(\w+)', page)
    assert fields[fields.index("verify_recipients") + 1] == "devices_per_recipient"
    assert "the next one is refused as a forwarded link" in page
    data = share_page_data(name="Edited", role=share.role_id, devices_per_recipient="3")
    assert client.post(url, data).status_code == 302
    share.refresh_from_db()
    assert share.devices_per_recipient == 3
    refused = client.post(url, {**data, "devices_per_recipient": "0"})
    assert "Allow at least one device." in refused.content.decode()
    assert client.post(url, {**data, "devices_per_recipient": ""}).status_code == 302
    share.refresh_from_db()
    assert share.devices_per_recipient is None
