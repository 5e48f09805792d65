"""The demo commands, that every printed link behaves as the printout says, and that the demo
shows each part of the permission engine it claims to (docs/permissions.md)."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client
from guardian.models import UserObjectPermission

from directus_shares import sharing
from directus_shares.creator_queries import holders_of_user
from directus_shares.models import RoleRule, RoleSettings, Share, ShareRecipient
from directus_shares.rights import union_access
from example_project.reports.demo_data import (
    DEMO_DOMAIN,
    DEMO_RECIPIENT,
    GRANTED_REPORT,
    PEOPLE,
    REPORTS,
    SHARE_PASSWORD,
    SHARES,
)
from example_project.reports.models import Person, Report

CONFIDENTIAL = {
    data["title"]: data["confidential_notes"] for data in REPORTS if "confidential_notes" in data
}
PRIVATE_PHONES = [phone for _, _, phone in PEOPLE if phone]

pytestmark = [pytest.mark.django_db, pytest.mark.urls("example_project.urls")]

LINE = re.compile(
    r"^  (?P<name>\S.*?)\s{2,}https?://[^/]+(?P<path>/share/\S+/)  \((?P<expect>.+)\)$"
)


@pytest.fixture(autouse=True)
def demo_settings(settings: Any, tmp_path: Path) -> None:
    """What example_project/settings.py sets, with uploads kept out of the work tree."""
    settings.DIRECTUS_SHARES = {"PUBLIC_ROLE": "Public"}
    settings.MEDIA_ROOT = tmp_path


def run_demo() -> dict[str, str]:
    """Run ``demo --no-serve`` and return each printed share's path by name."""
    out = StringIO()
    call_command("demo", "--no-serve", verbosity=0, stdout=out)
    output = out.getvalue()
    assert "Admin: http://127.0.0.1:8000/admin/ (admin / admin)" in output
    return {m["name"]: m["path"] for m in map(LINE.match, output.splitlines()) if m}


def opened(path: str, password: str | None = None, **client_options: Any) -> HttpResponse:
    """What a visitor sees after opening the share at ``path`` (the granted page, or the
    refusal): ``POST`` like the View button, then ``GET``."""
    visitor = Client(**client_options)
    visitor.post(path, {} if password is None else {"password": password})
    return visitor.get(path)


def shareable_titles(username: str) -> set[str]:
    """Titles of the reports ``username`` holds the share right on, as the engine reads it."""
    user = get_user_model().objects.get(username=username)
    access = union_access(holders_of_user(user), Report, "share")
    if access is None:
        return set()
    return set(access.filter(Report.objects.all()).values_list("title", flat=True))


def readable_titles(username: str) -> set[str]:
    user = get_user_model().objects.get(username=username)
    access = union_access(holders_of_user(user), Report, "view")
    if access is None:
        return set()
    return set(access.filter(Report.objects.all()).values_list("title", flat=True))


def test_demo_prints_one_link_per_share() -> None:
    links = run_demo()

    assert set(links) == set(Share.objects.values_list("name", flat=True))
    assert len(links) == len(SHARES) == 13
    for share in Share.objects.all():
        recipient = share.recipients.first()  # the link printed is the recipient's own
        assert links[share.name] == (recipient or share).get_absolute_url()


def test_seeding_twice_updates_instead_of_duplicating() -> None:
    first = run_demo()
    models = (Share, Report, Group, get_user_model(), RoleRule, RoleSettings, UserObjectPermission)
    counts = [model.objects.count() for model in models]

    out = StringIO()
    call_command("seed_demo", "--base-url", "http://demo.test/", stdout=out)

    assert [model.objects.count() for model in models] == counts
    assert "Admin: http://demo.test/admin/ (admin / admin)" in out.getvalue()
    assert f"http://demo.test{first['Open link']}" in out.getvalue()  # links stay the same


def test_reseeding_resets_a_used_up_share() -> None:
    path = run_demo()["Two uses"]
    for _ in range(2):
        assert Client().post(path).status_code == 303
    assert Client().post(path).status_code == 410

    run_demo()

    assert Client().post(path).status_code == 303


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("Open link", 200),
        ("Password protected", 200),
        ("Two uses", 200),
        ("Opens tomorrow", 403),
        ("Expired", 410),
        ("Revoked", 410),
        ("No role", 403),
        ("Not done", 403),
        ("Narrowed by creator", 200),
        ("Creator deactivated", 410),
        ("Office only", 403),
        ("Ada's own link", 200),
        ("Addresses only", 200),
    ],
)
def test_each_link_answers_as_printed(name: str, status: int) -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    expected = {m["name"]: m for m in map(LINE.match, out.getvalue().splitlines()) if m}[name]

    response = Client().get(expected["path"])

    assert response.status_code == status
    assert expected["expect"].startswith(str(status))


def test_password_share_opens_with_the_printed_password() -> None:
    path = run_demo()["Password protected"]
    visitor = Client()

    assert visitor.post(path, {"password": "wrong"}).status_code == 403
    assert visitor.post(path, {"password": SHARE_PASSWORD}).status_code == 303
    page = visitor.get(path)

    assert page.status_code == 200
    assert b"Merger due diligence" in page.content
    assert CONFIDENTIAL["Merger due diligence"] in page.content.decode()  # Editors: all fields
    assert b"Appendix to Merger due diligence" in page.content  # and documents
    for phone in PRIVATE_PHONES:  # but never what the model keeps from every share
        assert phone not in page.content.decode()


def test_two_uses_share_opens_twice_then_is_used_up() -> None:
    path = run_demo()["Two uses"]
    first, second, third = Client(), Client(), Client()

    assert first.post(path).status_code == 303
    assert second.post(path).status_code == 303
    assert third.post(path).status_code == 410
    assert first.get(path).status_code == 200  # a granted visitor keeps access


def test_reviewer_sees_done_reports_without_the_confidential_notes() -> None:
    links = run_demo()
    report = Report.objects.get(title="Quarterly sales review")

    page = opened(links["Open link"]).content.decode()

    assert "Quarterly sales review" in page
    assert "Ada Lovelace" in page  # the author,
    assert "Q3 2025" in page  # the tags
    assert "Please check the numbers in section 2." in page  # and the comments
    assert "12500.00" in page  # every other field
    assert CONFIDENTIAL[report.title] not in page
    assert "Confidential notes" not in page
    assert "Appendix to" not in page  # documents: no view_document
    plain = Client().get(report.get_absolute_url()).content.decode()
    assert CONFIDENTIAL[report.title] in plain  # the notes exist; the role leaves them out
    assert Client().get(links["Not done"]).status_code == 403  # outside its read filter
    assert RoleRule.objects.get(role__name="Reviewer").read_filter == {"status": "done"}


def test_reader_sees_title_and_summary_only() -> None:
    page = opened(run_demo()["Two uses"]).content.decode()

    assert "Office relocation plan" in page
    assert "Moving the team to the new building in two phases." in page
    for hidden in ("48000.50", "Linus Pauling", "Internal", "Looks good to me.", "Draft"):
        assert hidden not in page


def test_a_share_never_shows_more_than_its_creator_sees() -> None:
    links = run_demo()

    page = opened(links["Narrowed by creator"]).content.decode()

    # The same report and role as "Open link", shared by reader: Reviewer ∩ Reader.
    assert Share.objects.get(name="Narrowed by creator").role.name == "Reviewer"
    assert "Quarterly sales review" in page
    assert "Sales grew 12% over the quarter." in page
    same_role_by_editor = opened(links["Open link"]).content.decode()
    for hidden in ("Ada Lovelace", "Q3 2025", "Looks good to me.", "12500.00"):
        assert hidden not in page
        assert hidden in same_role_by_editor


def test_a_deactivated_creators_shares_stop_opening_at_once() -> None:
    path = run_demo()["Creator deactivated"]
    former = get_user_model().objects.get(username="former")
    assert not former.is_active

    assert opened(path).status_code == 410

    former.is_active = True  # rights are read at every request: nothing to clear
    former.save(update_fields=["is_active"])
    assert opened(path).status_code == 200


def test_office_role_opens_only_from_its_network() -> None:
    path = run_demo()["Office only"]

    assert opened(path).status_code == 403  # the test client is 127.0.0.1
    page = opened(path, REMOTE_ADDR="10.20.30.40")
    assert page.status_code == 200
    assert CONFIDENTIAL["Quarterly sales review"] in page.content.decode()  # no rule: all fields
    spoofed = opened(path, HTTP_X_FORWARDED_FOR="10.20.30.40")
    assert spoofed.status_code == 403  # no TRUSTED_PROXY_COUNT: the header is not believed


def test_editors_may_share_done_reports_and_one_granted_report() -> None:
    run_demo()
    done = set(Report.objects.filter(status="done").values_list("title", flat=True))
    merger = Report.objects.get(title=GRANTED_REPORT)

    assert done == {"Quarterly sales review", "Security audit 2025"}
    assert RoleRule.objects.get(role__name="Editors").share_filter == {"status": "done"}
    assert shareable_titles("editor") == done | {GRANTED_REPORT}  # the filter, plus the grant
    assert merger.status != "done"
    editor = get_user_model().objects.get(username="editor")
    assert editor.has_perm("reports.share_report", merger)  # django-guardian's own answer
    assert not editor.user_permissions.exists()  # everything else comes from Editors
    assert shareable_titles("reader") == {data["title"] for data in REPORTS}  # no filter
    assert shareable_titles("admin") == set()  # a superuser needs no permission rows


@pytest.mark.parametrize("spec", SHARES, ids=lambda spec: spec.name)
def test_every_demo_share_could_have_been_created_by_its_creator(spec: Any) -> None:
    run_demo()
    creator = get_user_model().objects.get(username=spec.created_by)
    share = Share.objects.get(name=spec.name)

    assert share.created_by == creator
    if creator.is_active:  # what create_share() checks
        assert sharing.can_share(creator, Report.objects.get(title=spec.report))
        assert share.role is None or sharing.assignable_roles(creator).filter(pk=share.role.pk)
    else:  # former could, before the account was deactivated
        assert spec.report in shareable_titles(spec.created_by)
        assert spec.report in readable_titles(spec.created_by)


def test_creation_rules_agree_with_the_demo() -> None:
    run_demo()
    users = {user.username: user for user in get_user_model().objects.all()}
    reports = {report.title: report for report in Report.objects.all()}

    assert sharing.can_share(users["editor"], reports["Security audit 2025"])
    assert sharing.can_share(users["editor"], reports[GRANTED_REPORT])
    assert not sharing.can_share(users["editor"], reports["Customer survey results"])
    assert sharing.can_share(users["reader"], reports["Customer survey results"])
    assert {role.name for role in sharing.assignable_roles(users["editor"])} == {
        "Editors",
        "Reviewer",
        "Office",
    }
    assert {role.name for role in sharing.assignable_roles(users["reader"])} == {
        "Reader",
        "Reviewer",
        "Office",
    }
    count = Share.objects.count()
    with pytest.raises(sharing.SharingDenied):
        sharing.create_share(users["editor"], reports["Customer survey results"])
    with pytest.raises(sharing.SharingDenied):  # not a member, and not assignable
        sharing.create_share(
            users["editor"], reports["Security audit 2025"], role=Group.objects.get(name="Reader")
        )
    assert Share.objects.count() == count


def test_a_never_shared_field_stays_out_of_every_share() -> None:
    links = run_demo()
    pages = [opened(path, SHARE_PASSWORD).content.decode() for path in links.values()]
    pages.append(opened(links["Office only"], REMOTE_ADDR="10.0.0.1").content.decode())

    assert sum("Ada Lovelace" in page or "Grace Hopper" in page for page in pages) >= 2
    for phone in PRIVATE_PHONES:
        assert not any(phone in page for page in pages)
    rule = RoleRule(
        role=Group.objects.get(name="Reviewer"),
        content_type=ContentType.objects.get_for_model(Person),
        fields=["name", "private_phone"],
    )
    with pytest.raises(ValidationError, match="no shareable field private_phone"):
        rule.full_clean()  # no role can even ask for it


def test_roles_and_users() -> None:
    run_demo()

    def codenames(role: str) -> list[str]:
        group = Group.objects.get(name=role)
        return sorted(group.permissions.values_list("codename", flat=True))

    assert codenames("Reviewer") == ["view_comment", "view_person", "view_report", "view_tag"]
    assert codenames("Reader") == ["share_report", "view_report"]
    assert codenames("Office") == ["view_report"]
    assert codenames("Public") == []
    assert "share_report" in codenames("Editors")
    assert not {"share_comment", "share_person", "share_tag"} & set(codenames("Editors"))
    reviewer = RoleRule.objects.get(role__name="Reviewer")
    assert not reviewer.all_fields and "confidential_notes" not in reviewer.fields
    assert RoleRule.objects.get(role__name="Reader").fields == ["title", "summary"]
    assert RoleRule.objects.get(role__name="Editors").all_fields
    assert RoleSettings.objects.get(role__name="Office").allowed_networks == "10.0.0.0/8"
    assert set(
        RoleSettings.objects.filter(assignable=True).values_list("role__name", flat=True)
    ) == {
        "Reviewer",
        "Office",
    }
    admin = Client()
    assert admin.login(username="admin", password="admin")
    assert admin.get("/admin/reports/report/").status_code == 200
    for username in ("editor", "reader"):
        staff = Client()
        assert staff.login(username=username, password=username)
        assert staff.get("/admin/reports/report/").status_code == 200
    assert not Client().login(username="former", password="former")  # deactivated


def test_plain_detail_page_and_home() -> None:
    run_demo()
    report = Report.objects.get(title="Merger due diligence")

    page = Client().get(f"/reports/{report.pk}/")

    assert page.status_code == 200
    assert b"CONFIDENTIAL: merger with ACME" in page.content
    assert b"Grace Hopper" in page.content
    assert b"Please check the numbers in section 2." in page.content
    assert Client().get("/").url == "/admin/"


def open_with_mailed_code(path: str) -> int:
    """Open a verified recipient's link as she does: ask for a code, read it from her mail, send
    it; the status of the last answer."""
    visitor = Client()
    mail.outbox = []
    asked = visitor.post(path, {"step": "email"})
    if asked.status_code != 200:
        return asked.status_code
    (message,) = mail.outbox
    assert message.to == [DEMO_RECIPIENT]
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    return visitor.post(path, {"code": code}).status_code


def test_adas_own_link_opens_with_her_code_on_two_browsers_and_counts_apart() -> None:
    path = run_demo()["Ada's own link"]
    recipient = ShareRecipient.objects.get(address=DEMO_RECIPIENT)
    assert path == recipient.get_absolute_url()
    assert Client().post(path).status_code == 400  # without her code: no entry
    assert [open_with_mailed_code(path) for _ in range(3)] == [303, 303, 403]  # a third browser
    recipient.refresh_from_db()
    assert recipient.times_used == 2 and recipient.share.times_used == 2
    assert recipient.is_forwarded

    run_demo()  # a reset gives her link its uses and devices again

    assert open_with_mailed_code(path) == 303


def test_the_address_only_share_mails_a_code_that_opens_it() -> None:
    path = run_demo()["Addresses only"]
    visitor = Client()
    address = f"bob@{DEMO_DOMAIN}"
    mail.outbox = []
    assert visitor.post(path, {"step": "email", "email": address}).status_code == 200
    (message,) = mail.outbox
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    opened = visitor.post(path, {"email": address, "code": code})
    assert opened.status_code == 303
    assert b"Quarterly sales review" in visitor.get(path).content
