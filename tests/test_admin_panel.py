"""The Shares panel on an object's admin page: who sees it, and every action of its menu."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from directus_shares import sharing
from directus_shares.models import Share, ShareRecipient
from directus_shares.outcomes import Refusal
from example_project.reports.models import Person, Report
from tests.factories import GadgetFactory, RoleFactory, ShareFactory, UserFactory, rule
from tests.helpers import (
    QUEUE_WITHOUT_WORKER,
    mail_backend,
    open_share,
    opened_through,
    run_queued,
)

pytestmark = pytest.mark.django_db


def report(title: str = "Quarterly numbers", status: str = "done") -> Report:
    author = Person.objects.create(name="Ada")
    return Report.objects.create(title=title, summary="s", status=status, author=author)


def staff(*codenames: str, groups=(), **fields):
    user = UserFactory(**fields)
    user.set_password("pw")
    user.save()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    user.groups.add(*groups)
    return user


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change_url(obj: Report) -> str:
    return f"/admin/reports/report/{obj.pk}/change/"


def shares_url(obj: Report, action: str = "new", share: Share | None = None) -> str:
    if share is None:
        return f"/admin/reports/report/{obj.pk}/shares/{action}/"
    return f"/admin/reports/report/{obj.pk}/shares/{share.pk}/{action}/"


@pytest.fixture
def reviewer():
    return RoleFactory(name="Reviewer", view=[Report, Person], share=[Report])


@pytest.fixture
def sharer(reviewer):
    """A staff user who may view and share reports (as a member of the Reviewer role)."""
    return staff("view_report", "change_report", groups=[reviewer])


def test_the_panel_lists_the_objects_shares_with_their_state(sharer, reviewer):
    shared = report()
    ShareFactory(
        content_object=shared,
        role=reviewer,
        name="For the board",
        max_uses=5,
        times_used=2,
        created_by=sharer,
    )
    revoked = ShareFactory(content_object=shared, name="Old link", created_by=sharer)
    revoked.revoke()
    ShareFactory(content_object=report("Other"), name="Not this one", created_by=sharer)
    content = logged_in(sharer).get(change_url(shared)).content.decode()
    assert 'id="shares"' in content
    assert "For the board" in content and "Old link" in content
    assert "Not this one" not in content
    assert "2 of 5" in content and "Reviewer" in content
    assert "ds-badge-active" in content and "ds-badge-revoked" in content
    assert f'href="/admin/reports/report/{shared.pk}/shares/new/"' in content
    assert Share.objects.get(name="For the board").get_absolute_url() in content  # Copy link


def test_staff_see_only_their_own_shares_and_superusers_all(sharer, reviewer):
    shared = report()
    ShareFactory(content_object=shared, role=reviewer, name="Mine", created_by=sharer)
    ShareFactory(content_object=shared, role=reviewer, name="Someone else's")
    content = logged_in(sharer).get(change_url(shared)).content.decode()
    assert "Mine" in content and "Someone else&#x27;s" not in content
    everything = logged_in(UserFactory(is_superuser=True)).get(change_url(shared))
    assert "Someone else&#x27;s" in everything.content.decode()


def test_no_panel_for_users_who_may_neither_share_nor_manage_shares_of_the_object():
    viewer = staff("view_report", "change_report")
    shared = report()
    ShareFactory(content_object=shared, name="Hidden share")
    content = logged_in(viewer).get(change_url(shared)).content.decode()
    assert 'id="shares"' not in content and "Hidden share" not in content
    assert logged_in(viewer).get(shares_url(shared)).status_code == 403


def test_no_new_share_button_for_creators_who_lost_the_share_right(sharer):
    shared = report()
    ShareFactory(
        content_object=shared, name="Made earlier", created_by=sharer, creator_may_share=False
    )
    sharer.groups.clear()
    content = logged_in(sharer).get(change_url(shared)).content.decode()
    assert "Made earlier" in content
    assert "/shares/new/" not in content


def test_a_new_share_with_password_and_limits_is_created_for_the_object(sharer, reviewer):
    shared = report()
    client = logged_in(sharer)
    page = client.get(shares_url(shared)).content.decode()
    assert 'name="date_end_0"' in page  # the admin's split date-time widget
    assert f'<option value="{reviewer.pk}">Reviewer</option>' in page
    response = client.post(
        shares_url(shared),
        {
            "name": "For Bob",
            "role": reviewer.pk,
            "new_password": "s3cret orchard",
            "max_uses": "2",
            "date_start_0": "",
            "date_start_1": "",
            "date_end_0": "",
            "date_end_1": "",
        },
        follow=True,
    )
    share = Share.objects.get(name="For Bob")
    assert (share.content_object, share.role, share.created_by, share.max_uses) == (
        shared,
        reviewer,
        sharer,
        2,
    )
    assert share.check_password("s3cret orchard")
    content = response.content.decode()
    assert "was created" in content and share.get_absolute_url() in content
    assert "s3cret orchard" not in content


NEW_SHARE = {
    "name": "For Bob",
    "role": "",  # the default: "(public role)"
    "date_start_0": "",
    "date_start_1": "",
    "date_end_0": "",
    "date_end_1": "",
}


@override_settings(DIRECTUS_SHARES={"PUBLIC_ROLE": "Public"})  # the quickstart's, no such group
def test_saving_a_share_that_grants_nothing_warns_and_the_panel_says_so(sharer, reviewer):
    shared = report()
    client = logged_in(sharer)
    response = client.post(shares_url(shared), NEW_SHARE, follow=True)
    share = Share.objects.get(name="For Bob")
    reason = "it grants nothing: it has no role and the public role “Public” does not exist"
    content = response.content.decode()
    assert "was created" in content
    assert f'<li class="warning">Nobody can open the share “For Bob”: {reason}.</li>' in content
    assert f'<p class="ds-unopenable">Nobody can open it: {reason}.</p>' in content
    assert shares_url(shared, "send", share) not in content  # no "Send link" to offer
    assert_refused_as(share, Refusal.GRANTS_NOTHING)  # what the warning foretold
    form = client.get(shares_url(shared, "change", share)).content.decode()
    assert f'<li class="warning">Nobody can open it: {reason}.</li>' in form  # before saving
    edited = client.post(shares_url(shared, "change", share), {**NEW_SHARE, "name": "Bob"},
                         follow=True)  # fmt: skip
    assert "Nobody can open the share “Bob”" in edited.content.decode()
    fixed = client.post(
        shares_url(shared, "change", share), {**NEW_SHARE, "role": reviewer.pk}, follow=True
    )
    assert "Nobody can open" not in fixed.content.decode()


def assert_refused_as(share: Share, refusal: Refusal) -> None:
    response = Client().get(share.get_absolute_url())
    assert response.status_code == refusal.status and str(refusal.title) in response.text


def test_an_object_outside_the_roles_rows_is_warned_about(sharer, reviewer):
    rule(reviewer, Report, read_filter={"status": "done"})
    shared = report(status="draft")
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer, name="Draft")
    content = logged_in(sharer).get(change_url(shared)).content.decode()
    assert (
        "Nobody can open it: it grants nothing: its role “Reviewer” (within what its creator may "
        "see and share) may not see this report." in content
    )
    assert_refused_as(share, Refusal.OBJECT_NOT_GRANTED)


def test_a_role_the_user_may_not_assign_is_refused_next_to_the_field(sharer):
    other = RoleFactory(name="Board", view=[Report])
    response = logged_in(sharer).post(shares_url(report()), {"name": "x", "role": other.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Share.objects.exists()


def test_invalid_options_are_shown_next_to_their_fields_and_nothing_is_saved(sharer):
    response = logged_in(sharer).post(
        shares_url(report()),
        {
            "name": "Bad",
            "max_uses": "0",
            "date_start_0": "2026-12-02",
            "date_start_1": "10:00",
            "date_end_0": "2026-12-01",
            "date_end_1": "10:00",
        },
    )
    content = response.content.decode()
    assert "A share must allow at least one use" in content
    assert "The end must be after the start." in content
    assert 'value="Bad"' in content  # the input is kept
    assert not Share.objects.exists()


def test_the_limit_cannot_be_set_below_the_uses_already_counted(sharer, reviewer):
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer, max_uses=5)
    Share.objects.filter(pk=share.pk).update(times_used=3)
    client = logged_in(sharer)
    change = {"name": "Capped", "role": reviewer.pk, "max_uses": "2"}
    response = client.post(shares_url(shared, "change", share), change)
    assert "It was used 3 times already: the limit cannot be lower." in response.content.decode()
    share.refresh_from_db()
    assert share.max_uses == 5 and share.name != "Capped"  # nothing saved
    response = client.post(shares_url(shared, "change", share), {**change, "max_uses": "3"})
    assert response.status_code == 302  # exactly the uses counted: used up from now on
    share.refresh_from_db()
    assert share.max_uses == 3 and share.uses_left == 0


def test_editing_changes_and_removes_the_password_and_ends_grants(sharer, reviewer):
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer, password="one")
    visitor = Client()
    assert open_share(visitor, share, "one").status_code == 303
    client = logged_in(sharer)
    page = client.get(shares_url(shared, "change", share)).content.decode()
    assert (
        'name="remove_password"' in page and "one" not in page.split('name="new_password"')[1][:80]
    )
    response = client.post(
        shares_url(shared, "change", share),
        {"name": "Renamed", "role": reviewer.pk, "remove_password": "on", "max_uses": ""},
    )
    assert response.status_code == 302
    share.refresh_from_db()
    assert share.name == "Renamed" and not share.has_password
    assert visitor.get(share.get_absolute_url()).status_code == 200  # landing page again
    assert "Renamed" in visitor.get(share.get_absolute_url()).content.decode()


def test_revoke_and_reenable_take_effect_at_once_and_need_post(sharer, reviewer):
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer)
    client = logged_in(sharer)
    assert client.get(shares_url(shared, "revoke", share)).status_code == 405
    client.post(shares_url(shared, "revoke", share))
    assert Client().get(share.get_absolute_url()).status_code == Refusal.UNAVAILABLE.status
    content = client.get(change_url(shared)).content.decode()
    assert "Re-enable" in content
    client.post(shares_url(shared, "reenable", share))
    assert Client().get(share.get_absolute_url()).status_code == 200


def test_delete_asks_first_and_leaves_the_object(sharer, reviewer):
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer, name="Gone soon")
    client = logged_in(sharer)
    confirm = client.get(shares_url(shared, "delete", share))
    assert "Delete the share “Gone soon”?" in confirm.content.decode()
    assert Share.objects.filter(pk=share.pk).exists()
    client.post(shares_url(shared, "delete", share))
    assert not Share.objects.filter(pk=share.pk).exists()
    assert Report.objects.filter(pk=shared.pk).exists()


def test_others_shares_cannot_be_managed_through_the_panel(sharer, reviewer):
    shared = report()
    foreign = ShareFactory(content_object=shared, role=reviewer)
    client = logged_in(sharer)
    for action in ("change", "delete", "send"):
        assert client.get(shares_url(shared, action, foreign)).status_code == 404
    assert client.post(shares_url(shared, "revoke", foreign)).status_code == 404
    assert not Share.objects.get(pk=foreign.pk).is_revoked


@override_settings(DEFAULT_FROM_EMAIL="shares@example.com")
def test_send_link_mails_each_address_with_reply_to_the_sharer(sharer, reviewer):
    sharer.email = "ada@example.com"
    sharer.save()
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer, name="Numbers")
    response = logged_in(sharer).post(
        shares_url(shared, "send", share),
        {"recipients": "bob@example.com, carol@example.com", "message": "Have a look"},
        follow=True,
    )
    assert "The link was sent to bob@example.com, carol@example.com." in response.content.decode()
    assert [m.to for m in mail.outbox] == [["bob@example.com"], ["carol@example.com"]]
    message = mail.outbox[0]
    assert message.from_email == "shares@example.com"
    assert message.reply_to == ["ada@example.com"]
    assert "Numbers" in message.subject
    assert share.get_absolute_url() in message.body and "Have a look" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and share.get_absolute_url() in html


def test_invalid_addresses_are_named_nothing_is_sent_and_the_input_is_kept(sharer, reviewer):
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer)
    response = logged_in(sharer).post(
        shares_url(shared, "send", share), {"recipients": "bob@example.com, not-an-address"}
    )
    content = response.content.decode()
    assert "Not valid e-mail addresses: not-an-address" in content
    assert "bob@example.com, not-an-address" in content
    assert mail.outbox == []


def send_link(sharer, reviewer, recipients: str) -> str:
    """The page after ``sharer`` sent a new share's link to ``recipients`` from the panel."""
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer)
    response = logged_in(sharer).post(
        shares_url(shared, "send", share), {"recipients": recipients}, follow=True
    )
    return response.content.decode()


@mail_backend("tests.mail_backends.FailingBackend")
def test_a_failing_address_is_reported_not_swallowed(sharer, reviewer):
    mail.outbox = []
    content = send_link(sharer, reviewer, "ok@example.com, fail@example.com")
    assert "The link was sent to ok@example.com." in content
    assert "Sending to fail@example.com failed: mail server said no" in content
    assert [m.to for m in mail.outbox] == [["ok@example.com"]]


@override_settings(TASKS=QUEUE_WITHOUT_WORKER)
def test_send_link_with_a_real_queue_says_queued_not_sent_and_the_worker_sends(sharer, reviewer):
    content = send_link(sharer, reviewer, "bob@example.com, carol@example.com")
    assert (
        "The link is queued for 2 addresses and will be sent shortly: bob@example.com, "
        "carol@example.com. If a mail fails then, the server logs it; it is not shown here."
    ) in content
    assert "was sent to" not in content
    assert mail.outbox == []
    assert run_queued() == [{"bob@example.com": None, "carol@example.com": None}]
    assert [m.to for m in mail.outbox] == [["bob@example.com"], ["carol@example.com"]]


@pytest.mark.parametrize(
    "make_unopenable",
    [
        lambda share: share.revoke(),
        lambda share: Share.objects.filter(pk=share.pk).update(max_uses=1, times_used=1),
        lambda share: Share.objects.filter(pk=share.pk).update(role=None),
    ],
    ids=["revoked", "used-up", "grants-nothing"],
)
def test_send_link_refuses_a_share_nobody_can_open_and_sends_nothing(
    sharer, reviewer, make_unopenable
):
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer)
    make_unopenable(share)
    response = logged_in(sharer).post(
        shares_url(shared, "send", share), {"recipients": "bob@example.com"}, follow=True
    )
    assert response.status_code == 200
    assert '<li class="error">The link was not sent: nobody can open this share – ' in (
        response.content.decode()
    )
    assert mail.outbox == []


def test_the_panel_composes_with_another_admins_change_form():
    gadget = GadgetFactory(name="Widget")
    role = RoleFactory(view=[type(gadget)])
    rule(role, type(gadget), all_fields=True)
    ShareFactory(content_object=gadget, role=role, name="Gadget link")
    client = logged_in(UserFactory(is_superuser=True))
    content = client.get(f"/composed-admin/testapp/gadget/{gadget.pk}/change/").content.decode()
    assert "Gadget link" in content and 'id="shares"' in content
    assert "/permissions/" in content  # guardian's "Object permissions" button is still there


def test_every_shareable_model_of_a_site_can_get_the_panel_at_once():
    from django.contrib import admin
    from django.contrib.sessions.models import Session

    from directus_shares.admin import SharesAdminMixin, add_shares_panel
    from tests.testapp.models import Label

    class LabelAdmin(admin.ModelAdmin):
        list_display = ["name"]

    site = admin.AdminSite(name="everything")
    site.register(Label, LabelAdmin)
    site.register(Session)
    add_shares_panel(site)
    label_admin = site.get_model_admin(Label)
    assert isinstance(label_admin, SharesAdminMixin) and isinstance(label_admin, LabelAdmin)
    assert label_admin.list_display == ["name"]
    assert not isinstance(site.get_model_admin(Session), SharesAdminMixin)  # never shared
    names = {url.name for url in label_admin.get_urls()}
    assert "testapp_label_shares_add" in names
    add_shares_panel(site)  # twice is once
    assert type(site.get_model_admin(Label)).__mro__[1:3] == (SharesAdminMixin, LabelAdmin)


def test_the_panel_can_be_added_to_some_models_only():
    from django.contrib import admin
    from django.contrib.admin.exceptions import NotRegistered
    from django.contrib.sessions.models import Session
    from django.core.exceptions import ImproperlyConfigured

    from directus_shares.admin import SharesAdminMixin, add_shares_panel
    from tests.testapp.models import Gadget, Label

    site = admin.AdminSite(name="some")
    site.register([Label, Gadget, Session])
    add_shares_panel(site, models=[Label])
    assert isinstance(site.get_model_admin(Label), SharesAdminMixin)
    assert not isinstance(site.get_model_admin(Gadget), SharesAdminMixin)
    with pytest.raises(ImproperlyConfigured, match="sessions.Session is never shared"):
        add_shares_panel(site, models=[Session])
    with pytest.raises(NotRegistered):
        add_shares_panel(admin.AdminSite(name="empty"), models=[Label])


def test_a_role_can_be_created_on_the_fly_from_the_share_form(sharer, reviewer):
    sharer.user_permissions.add(*Permission.objects.filter(codename__in=["add_group"]))
    client = logged_in(type(sharer).objects.get(pk=sharer.pk))
    page = client.get(shares_url(report())).content.decode()
    assert 'id="add_id_role"' in page and "/admin/auth/group/add/?_to_field=id" in page
    response = client.post(
        "/admin/auth/group/add/?_to_field=id&_popup=1", {"name": "Guests", "_popup": "1"}
    )
    assert response.status_code == 200 and "Guests" in response.content.decode()
    from django.contrib.auth.models import Group

    guests = Group.objects.get(name="Guests")
    shared = report("Second")
    created = client.post(
        shares_url(shared), {"name": "For guests", "role": guests.pk}, follow=True
    )
    assert "has no rights yet" in created.content.decode()
    assert Share.objects.get(name="For guests").role == guests


def test_no_plus_for_users_who_may_not_add_roles(sharer):
    assert 'id="add_id_role"' not in logged_in(sharer).get(shares_url(report())).content.decode()


# -- a share locked by wrong passwords --------------------------------------------------------

THREE_PER_SHARE = {"PASSWORD_ATTEMPTS_PER_SHARE": (3, 3600)}


def locked_share(shared: Report, creator, role) -> Share:
    """A password share of ``shared`` that three strangers' wrong passwords locked."""
    share = ShareFactory(
        content_object=shared, role=role, name="Locked one", created_by=creator, password="right"
    )
    for number in range(3):
        open_share(Client(REMOTE_ADDR=f"198.51.100.{number}"), share, "wrong")
    assert open_share(Client(), share, "right").status_code == 429
    return share


@override_settings(DIRECTUS_SHARES=THREE_PER_SHARE)
def test_the_panel_shows_a_locked_share_and_unlock_ends_the_lock(sharer, reviewer):
    shared = report()
    share = locked_share(shared, sharer, reviewer)
    client = logged_in(sharer)
    content = client.get(change_url(shared)).content.decode()
    assert "ds-badge-locked" in content
    assert "Too many wrong passwords: nobody can open it until" in content
    assert f'action="{shares_url(shared, "unlock", share)}"' in content
    # An input, as the admin's own buttons: its CSS makes a <button class="button"> in a form small.
    assert '<input type="submit" value="Unlock">' in content
    response = client.post(shares_url(shared, "unlock", share), follow=True)
    assert response.redirect_chain[-1][0].endswith("#shares")
    assert "The share “Locked one” is unlocked: its password can be tried again." in (
        response.content.decode()
    )
    assert "ds-badge-locked" not in response.content.decode()
    assert open_share(Client(), share, "right").status_code == 303


@override_settings(DIRECTUS_SHARES=THREE_PER_SHARE)
def test_unlock_is_a_csrf_protected_post_for_those_who_manage_the_share(sharer, reviewer):
    shared = report()
    share = locked_share(shared, sharer, reviewer)
    url = shares_url(shared, "unlock", share)
    other = staff("view_report", "change_report", groups=[reviewer])  # may share, not manage
    assert logged_in(other).post(url).status_code == 404
    assert logged_in(sharer).get(url).status_code == 405
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(sharer)
    assert forged.post(url).status_code == 403
    assert open_share(Client(), share, "right").status_code == 429  # still locked
    assert logged_in(UserFactory(is_superuser=True)).post(url).status_code == 302
    assert open_share(Client(), share, "right").status_code == 303


@pytest.mark.parametrize("page", ["new", "change"])
def test_a_weak_password_is_refused_with_the_validators_messages(sharer, reviewer, page):
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer, name="Kept")
    url = shares_url(shared) if page == "new" else shares_url(shared, "change", share)
    form = {"name": "Weak", "role": reviewer.pk, "new_password": "demo"}
    response = logged_in(sharer).post(url, form)
    assert response.status_code == 200  # the form again, with the reasons
    content = response.content.decode()
    assert "This password is too short. It must contain at least 8 characters." in content
    assert "This password is too common." in content
    assert not Share.objects.filter(name="Weak").exists()
    assert not Share.objects.get(pk=share.pk).has_password
    help_text = logged_in(sharer).get(url).content.decode()  # said before anyone types
    assert "Your password must contain at least 8 characters." in help_text


def test_the_panel_the_list_and_the_mail_show_a_time_in_the_admins_one_format(sharer, reviewer):
    shared = report()
    end = dt.datetime(2031, 1, 15, 8, 30, tzinfo=dt.UTC)
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer, date_end=end)
    shown = "Jan. 15, 2031, 9:30 a.m."  # DATETIME_FORMAT, as the admin shows datetimes
    assert f"<dd>{shown}</dd>" in logged_in(sharer).get(change_url(shared)).content.decode()
    superuser = UserFactory(is_superuser=True, is_staff=True)
    assert shown in logged_in(superuser).get("/admin/directus_shares/share/").content.decode()
    logged_in(sharer).post(shares_url(shared, "send", share), {"recipients": "bob@example.com"})
    assert f"{shown} (CET)" in mail.outbox[0].body


def test_the_panels_pages_wear_the_installed_admins_breadcrumbs_and_stylesheets(sharer):
    """The share pages look like the admin around them on every supported Django: the same
    breadcrumb element (Django 6.1 styles only ``ol.breadcrumbs``) and every stylesheet of the
    admin's own change form (6.1's forms.css no longer imports widgets.css, the date pickers')."""
    shared = report()
    share = ShareFactory(content_object=shared, created_by=sharer)
    client = logged_in(sharer)
    own = client.get(change_url(shared)).content.decode()
    pages = {
        action: client.get(shares_url(shared, action, share)).content.decode()
        for action in ("change", "delete", "send")
    }
    pages["new"] = client.get(shares_url(shared)).content.decode()

    def breadcrumbs(html: str) -> str:
        found = re.search(r'<(\w+) class="breadcrumbs">', html)
        assert found, "the page has breadcrumbs"
        return found.group(1)

    def stylesheets(html: str) -> set[str]:
        return set(re.findall(r'href="(/static/admin/css/[\w./-]+\.css)"', html))

    for page, html in pages.items():
        assert breadcrumbs(html) == breadcrumbs(own), page
    # The change form's own stylesheets, not those of the report admin's autocomplete widgets.
    forms = {css for css in stylesheets(own) if "vendor/" not in css and "autocomplete" not in css}
    assert "/static/admin/css/forms.css" in forms
    for form in ("new", "change"):
        assert forms <= stylesheets(pages[form]), form


# -- "Send link" with links of their own ----------------------------------------------------------


def send_own_links(client: Client, shared: Report, share: Share, recipients: str):
    """``client`` sends ``share``'s link from the panel, each address a link of its own."""
    return client.post(
        shares_url(shared, "send", share),
        {"recipients": recipients, "recipient_links": "on"},
        follow=True,
    )


def test_the_send_dialog_and_page_offer_links_of_their_own_switched_off(sharer, reviewer):
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer)
    client = logged_in(sharer)
    help_text = "its own link, which can be counted, revoked and renewed separately"
    for url in (change_url(shared), shares_url(shared, "send", share)):
        content = client.get(url).content.decode()
        box = re.search(r'<input type="checkbox" name="recipient_links"[^>]*>', content)
        assert box is not None and "checked" not in box.group(0)
        assert "Give each address a link of their own" in content and help_text in content


def test_send_link_gives_each_address_its_own_link_and_the_panel_counts_them(sharer, reviewer):
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer, name="Numbers")
    client = logged_in(sharer)
    response = send_own_links(client, shared, share, "Bob@example.com, carol@example.com")
    content = response.content.decode()
    assert "The link was sent to bob@example.com, carol@example.com." in content
    links = {r.address: r.get_absolute_url() for r in share.recipients.all()}
    assert sorted(links) == ["bob@example.com", "carol@example.com"]
    assert [m.to for m in mail.outbox] == [["bob@example.com"], ["carol@example.com"]]
    for message in mail.outbox:
        (address,) = message.to
        assert links[address] in message.body
        assert share.get_absolute_url() not in message.body
    assert "2 recipients, 0 opened" in content  # back on the object's page, in the panel


def test_the_panel_links_the_recipients_to_the_shares_page_for_those_who_may_view_it(reviewer):
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer)
    (opened, _other), _already = sharing.add_recipients(
        share.created_by, share, "a@example.com, b@example.com"
    )
    open_share(Client(), opened_through(opened))
    content = logged_in(UserFactory(is_staff=True, is_superuser=True)).get(change_url(shared))
    line = f'<a href="/admin/directus_shares/share/{share.pk}/change/#recipients">'
    assert f"{line}2 recipients, 1 opened</a>" in content.content.decode()
    creator = staff("view_report", groups=[reviewer])
    Share.objects.filter(pk=share.pk).update(created_by=creator)
    content = logged_in(creator).get(change_url(shared)).content.decode()
    assert "2 recipients, 1 opened" in content and line not in content  # no view_share


def test_send_link_with_own_links_and_a_real_queue_says_queued(sharer, reviewer):
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer)
    with override_settings(TASKS=QUEUE_WITHOUT_WORKER):
        response = send_own_links(logged_in(sharer), shared, share, "bob@example.com")
        assert (
            "The link is queued for 1 address and will be sent shortly: bob@example.com."
        ) in response.content.decode()
        assert mail.outbox == []
        (recipient,) = share.recipients.all()
        assert run_queued() == [{"bob@example.com": None}]
    assert recipient.get_absolute_url() in mail.outbox[0].body


def test_a_revoked_recipient_is_not_mailed_and_is_named(sharer, reviewer):
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer)
    sharing.add_recipients(sharer, share, "old@example.com")[0][0].revoke()
    response = send_own_links(logged_in(sharer), shared, share, "old@example.com, new@example.com")
    content = response.content.decode()
    assert (
        "Not sent to old@example.com: their own link is revoked. Switch it on again on the "
        "share&#x27;s page (Recipients) first."
    ) in content
    assert "The link was sent to new@example.com." in content
    assert [m.to for m in mail.outbox] == [["new@example.com"]]


def test_a_too_long_address_is_refused_for_own_links_and_nobody_is_added(sharer, reviewer):
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer)
    too_long = "a" * 250 + "@example.com"
    response = send_own_links(logged_in(sharer), shared, share, f"bob@example.com, {too_long}")
    assert f"Not valid e-mail addresses: {too_long}" in response.content.decode()
    assert not share.recipients.exists()
    assert mail.outbox == []


def test_own_links_cannot_be_sent_for_a_share_the_user_does_not_manage(sharer, reviewer):
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer)  # another creator's
    response = send_own_links(logged_in(sharer), shared, share, "bob@example.com")
    assert response.status_code == 404
    assert not share.recipients.exists()
    assert mail.outbox == []


def test_without_the_box_the_common_link_is_sent_and_nobody_is_added(sharer, reviewer):
    content = send_link(sharer, reviewer, "bob@example.com")
    assert "The link was sent to bob@example.com." in content
    (share,) = Share.objects.all()
    assert share.get_absolute_url() in mail.outbox[0].body
    assert not share.recipients.exists()


# -- each share's recipients in the panel ---------------------------------------------------------


def recipient_url(obj: Report, recipient, action: str) -> str:
    return f"{shares_url(obj, share=recipient.share, action='recipients')}{recipient.pk}/{action}/"


def card_of(content: str, share: Share) -> str:
    """The panel's card of ``share``."""
    card = re.search(
        rf'<li class="ds-share [^"]*" data-share="{share.pk}">(.*?)<dialog', content, re.S
    )
    assert card is not None
    return card.group(1)


def test_a_card_lists_its_first_recipients_with_state_forwarded_flag_and_buttons(sharer, reviewer):
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer)
    addresses = ", ".join(f"r{n}@example.com" for n in range(6))
    added, _already = sharing.add_recipients(sharer, share, addresses)
    first, second = added[0], added[1]
    open_share(Client(), opened_through(first))
    second.revoke()
    ShareRecipient.objects.filter(pk=first.pk).update(forwarded_at=timezone.now())

    card = card_of(logged_in(sharer).get(change_url(shared)).content.decode(), share)

    listed = re.findall(r'<span class="ds-recipient-address">([^<]*)</span>', card)
    assert listed == [f"r{n}@example.com" for n in range(5)]  # the sixth on the share's page
    items = re.findall(r'<li class="ds-recipient">(.*?)</li>', card, re.S)
    assert "Forwarded" in items[0] and "opened " in items[0] and "uses: 1" in items[0]
    assert "devices: 1 of 2" in items[0] and "devices: 0 of 2" in items[1]
    assert ", last " in items[0]  # first and last opened
    assert "not opened" in items[1] and "Revoked" in items[1]
    assert recipient_url(shared, first, "rotate_send") in items[0]
    assert recipient_url(shared, first, "allow_device") in items[0]  # flagged: may need one
    assert recipient_url(shared, second, "allow_device") not in items[1]
    assert f'data-link="http://testserver{first.get_absolute_url()}"' in items[0]
    assert recipient_url(shared, first, "resend") in items[0]
    assert recipient_url(shared, first, "revoke") in items[0]
    assert recipient_url(shared, second, "enable") in items[1]
    assert "1 forwarded" in card
    assert "6 recipients, 1 opened" in card
    assert "Only the first 5 are shown." in card  # no view_share: no link to the share's page


def test_a_card_with_many_recipients_links_to_all_of_them_for_those_who_may_view_shares(reviewer):
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer)
    sharing.add_recipients(share.created_by, share, [f"r{n}@example.com" for n in range(7)])
    superuser = UserFactory(is_staff=True, is_superuser=True)

    card = card_of(logged_in(superuser).get(change_url(shared)).content.decode(), share)

    url = f"/admin/directus_shares/share/{share.pk}/change/#recipients"
    assert f'<a href="{url}">All 7 recipients on the share\'s page</a>' in card


@pytest.mark.parametrize(
    ("action", "check"),
    [
        ("revoke", lambda recipient: recipient.is_revoked),
        ("resend", lambda recipient: [m.to for m in mail.outbox] == [[recipient.address]]),
        (
            "rotate_send",
            lambda recipient: (
                [m.to for m in mail.outbox] == [[recipient.address]]
                and recipient.get_absolute_url() in mail.outbox[0].body
            ),
        ),
        ("allow_device", lambda recipient: recipient.extra_devices == 1),
    ],
)
def test_a_recipients_button_in_the_panel_acts_and_returns_to_the_object(
    sharer, reviewer, action, check
):
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer)
    (recipient,), _already = sharing.add_recipients(sharer, share, "anna@example.com")
    old_key = recipient.key
    if action == "allow_device":  # offered for a link flagged as forwarded
        ShareRecipient.objects.filter(pk=recipient.pk).update(forwarded_at=timezone.now())

    response = logged_in(sharer).post(recipient_url(shared, recipient, action), follow=True)

    assert response.redirect_chain == [(f"{change_url(shared)}#shares", 302)]
    recipient.refresh_from_db()
    assert check(recipient)
    assert (recipient.key != old_key) is (action == "rotate_send")
    shown = [str(message) for message in response.context["messages"]]
    assert (
        shown
        == {
            "revoke": ["The link of anna@example.com was revoked."],
            "resend": ["The link was sent to anna@example.com."],
            "rotate_send": [
                "New link for anna@example.com; the old one no longer opens.",
                "The link was sent to anna@example.com.",
            ],
            "allow_device": ["The link of anna@example.com may open on one more device."],
        }[action]
    )


def test_enable_in_the_panel_and_a_refused_resend_says_why(sharer, reviewer):
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer)
    (recipient,), _already = sharing.add_recipients(sharer, share, "anna@example.com")
    recipient.revoke()
    client = logged_in(sharer)

    refused = client.post(recipient_url(shared, recipient, "resend"), follow=True)
    assert [str(message) for message in refused.context["messages"]] == [
        "Mail to anna@example.com: Not sent: this recipient's link was revoked."
    ]
    client.post(recipient_url(shared, recipient, "enable"))
    recipient.refresh_from_db()
    assert not recipient.is_revoked and mail.outbox == []


def test_recipients_buttons_in_the_panel_are_refused_for_what_the_user_does_not_manage(
    sharer, reviewer
):
    shared = report()
    others = ShareFactory(content_object=shared, role=reviewer)  # another creator's
    mine = ShareFactory(content_object=shared, role=reviewer, created_by=sharer)
    (their,), _already = sharing.add_recipients(others.created_by, others, "anna@example.com")
    (own,), _already = sharing.add_recipients(sharer, mine, "bob@example.com")
    client = logged_in(sharer)

    assert client.post(recipient_url(shared, their, "revoke")).status_code == 404
    foreign = f"{shares_url(shared, 'recipients', mine)}{their.pk}/revoke/"
    assert client.post(foreign).status_code == 404  # another share's recipient
    assert client.post(recipient_url(shared, own, "rotate")).status_code == 404  # page only
    assert client.get(recipient_url(shared, own, "revoke")).status_code == 405
    for recipient in (their, own):
        recipient.refresh_from_db()
        assert not recipient.is_revoked and recipient.grant_epoch == 0


def test_a_recipients_button_in_the_panel_needs_the_csrf_token(sharer, reviewer):
    shared = report()
    share = ShareFactory(content_object=shared, role=reviewer, created_by=sharer)
    (recipient,), _already = sharing.add_recipients(sharer, share, "anna@example.com")
    client = Client(enforce_csrf_checks=True)
    client.force_login(sharer)

    assert client.post(recipient_url(shared, recipient, "revoke")).status_code == 403
    recipient.refresh_from_db()
    assert not recipient.is_revoked


def test_the_panels_share_form_sets_devices_per_recipient_after_verification(sharer, reviewer):
    shared = report()
    client = logged_in(sharer)
    page = client.get(shares_url(shared)).content.decode()
    fields = re.findall(r'<div class="form-row[^"]*field-(\w+)', page)
    assert fields[fields.index("verify_recipients") + 1] == "devices_per_recipient"
    client.post(
        shares_url(shared), {**NEW_SHARE, "role": reviewer.pk, "devices_per_recipient": "1"}
    )
    assert Share.objects.get(name="For Bob").devices_per_recipient == 1
