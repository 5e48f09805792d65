"""Holes a security review of the permission engine found, each closed: creators with several
groups, the admin's role choice, to_field foreign keys, proxies of secret models, odd filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from directus_shares.models import RoleRule, Share
from directus_shares.sharing import create_share
from example_project.reports.models import Person, Report
from tests.conftest import open_share
from tests.factories import RoleFactory, ShareFactory, UserFactory, rule
from tests.testapp.models import Badge, SessionNote

pytestmark = pytest.mark.django_db


def page(share: Share, client: Client | None = None):
    client = client or Client(enforce_csrf_checks=True)
    open_share(client, share)
    return client.get(share.get_absolute_url())


def report(status: str = "review", notes: str = "SECRET-NOTES") -> Report:
    author = Person.objects.create(name="author-name", private_phone="SECRET-PHONE")
    return Report.objects.create(
        title="report-title", summary="s", status=status, author=author, confidential_notes=notes
    )


# -- 1. a creator's groups are united field set by field set and row set by row set ----------


def test_a_field_the_creator_reads_only_on_done_reports_stays_hidden_on_a_report_in_review():
    """Group A: every report, title only. Group B: done reports, with the confidential notes.
    The creator may read the notes of done reports only – a share of a report in review made
    by them must not show its notes."""
    shared = report(status="review")
    titles = RoleFactory(view=[Report], share=[Report])
    rule(titles, Report, fields=["title"])
    done = RoleFactory(view=[Report])
    rule(done, Report, fields=["title", "confidential_notes"], read_filter={"status": "done"})
    creator = UserFactory()
    creator.groups.add(titles, done)
    share = ShareFactory(
        content_object=shared,
        role=RoleFactory(view=[Report]),
        created_by=creator,
        creator_in_role=False,
    )
    response = page(share)
    assert response.status_code == 200
    assert "report-title" in response.content.decode()
    assert "SECRET-NOTES" not in response.content.decode()


# -- 2. the share admin lets any staff user give any share any role --------------------------


def test_staff_who_may_change_shares_cannot_give_a_share_a_role_they_may_not_assign():
    """Only sharing.assignable_roles may be chosen: the share admin's role field offers (and
    accepts) every group, so a staff user with change_share widens a share made by an
    administrator to a role they could never assign – and visitors see what that role sees."""
    weak = RoleFactory(name="Weak", view=[Report])
    rule(weak, Report, fields=["title"])
    strong = RoleFactory(name="Strong", view=[Report])  # every field
    share = ShareFactory(
        content_object=report(), role=weak, created_by=UserFactory(is_superuser=True)
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
    assert "SECRET-NOTES" not in page(share).content.decode()


# -- models made for one test (tables created in the test's transaction) ---------------------


# -- 3. a foreign key with to_field is followed to the wrong row ------------------------------


def test_a_foreign_key_to_a_unique_field_shows_the_object_it_points_to_and_no_other():
    """_linked_objects looks a row-filtered foreign key up by ``pk=<attname value>``: with
    ``to_field`` that is the username, so the page shows whichever user has that number as
    primary key (and answers 500 for a username that is not a number)."""
    other = User.objects.create(username="other", first_name="SECRET-OTHER")
    holder = User.objects.create(username=str(other.pk), first_name="holder-name")
    badge = Badge.objects.create(holder=holder, text="badge-text")
    role = RoleFactory(view=[Badge, User])
    rule(role, User, fields=["first_name"], read_filter={"is_active": True})
    content = page(ShareFactory(content_object=badge, role=role)).content.decode()
    assert "badge-text" in content
    assert "SECRET-OTHER" not in content
    assert "holder-name" in content


# -- 4. a proxy of a never-shared model is shared like any model ------------------------------


def test_sessions_are_never_shown_also_through_a_relation_to_a_proxy_of_them():
    """is_shareable_model/is_secret look at the proxy's own label, not at its concrete model:
    a relation to a proxy of Session (or Permission, ContentType, …) is followed and the
    session's key and data are shown to a role that has view_session."""
    session = Session.objects.create(
        session_key="SECRETSESSIONKEY",
        session_data="SECRET-DATA",
        expire_date=datetime(2099, 1, 1, tzinfo=UTC),
    )
    note = SessionNote.objects.create(session_id=session.pk, text="note-text")
    role = RoleFactory(view=[SessionNote, Session])
    content = page(ShareFactory(content_object=note, role=role)).content.decode()
    assert "note-text" in content
    assert "SECRET" not in content


# -- 5. row filters that pass validation but break at the visit ------------------------------


def test_a_read_filter_with_a_broken_regex_never_makes_the_share_page_answer_500():
    """row_filter_errors only builds the SQL; PostgreSQL refuses the regex when it runs, so the
    visitor gets a 500 (and django.request logs the whole working link)."""
    role = RoleFactory(view=[Report])
    try:
        rule(role, Report, all_fields=True, read_filter={"title__regex": "("})
    except ValidationError:
        return  # refused when saved: fixed
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    assert page(ShareFactory(content_object=report(), role=role), client).status_code != 500


def test_an_empty_list_filter_is_saved_and_lets_no_row_through():
    """``{"status__in": []}`` (no rows) once made the admin's check raise EmptyResultSet: a 500
    instead of a saved rule or a message. It is a valid filter that matches nothing: the rule is
    saved, and a share of any report under it is refused (403) without a 500 or the report."""
    role = RoleFactory(view=[Report])
    made = rule(role, Report, all_fields=True, read_filter={"status__in": []})
    assert RoleRule.objects.get(pk=made.pk).read_filter == {"status__in": []}

    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    response = page(ShareFactory(content_object=report(), role=role), client)
    assert response.status_code == 403
    assert "report-title" not in response.content.decode()


def test_the_reverse_side_of_a_never_shared_foreign_key_is_never_shown():
    from tests.testapp.models import Author, Desk

    desk = Desk.objects.create(name="desk-name")
    Author.objects.create(name="SECRET-AUTHOR", pin="1", desk=desk)
    role = RoleFactory(view=[Desk, Author])
    with override_settings(DIRECTUS_SHARES={"NEVER_SHARED_FIELDS": {"testapp.author": ["desk"]}}):
        content = page(ShareFactory(content_object=desk, role=role)).content.decode()
    assert "desk-name" in content
    assert "SECRET-AUTHOR" not in content


def test_create_share_refuses_options_that_are_not_the_creators_to_choose():
    role = RoleFactory(view=[Report], share=[Report])
    user = UserFactory()
    user.groups.add(role)
    with pytest.raises(TypeError, match="times_used"):
        create_share(user, report(), role=role, times_used=5)
    assert not Share.objects.exists()
