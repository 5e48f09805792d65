"""The demo commands, and that every printed link behaves as the printout says."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client

from directus_shares.models import Share
from example_project.reports.demo_data import SHARE_PASSWORD
from example_project.reports.models import Report

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


def test_demo_prints_one_link_per_share() -> None:
    links = run_demo()

    assert set(links) == set(Share.objects.values_list("name", flat=True))
    assert len(links) == 7
    for share in Share.objects.all():
        assert links[share.name] == share.get_absolute_url()


def test_seeding_twice_updates_instead_of_duplicating() -> None:
    first = run_demo()
    counts = [model.objects.count() for model in (Share, Report, Group, get_user_model())]

    out = StringIO()
    call_command("seed_demo", "--base-url", "http://demo.test/", stdout=out)

    assert [model.objects.count() for model in (Share, Report, Group, get_user_model())] == counts
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
    assert b"CONFIDENTIAL: merger with ACME" in page.content  # Reviewer sees every field


def test_two_uses_share_opens_twice_then_is_used_up() -> None:
    path = run_demo()["Two uses"]
    first, second, third = Client(), Client(), Client()

    assert first.post(path).status_code == 303
    assert second.post(path).status_code == 303
    assert third.post(path).status_code == 410
    assert first.get(path).status_code == 200  # a granted visitor keeps access


def test_roles_and_users() -> None:
    run_demo()

    assert sorted(
        Group.objects.get(name="Reviewer").permissions.values_list("codename", flat=True)
    ) == [
        "view_comment",
        "view_person",
        "view_report",
        "view_tag",
    ]
    assert list(
        Group.objects.get(name="Reader").permissions.values_list("codename", flat=True)
    ) == ["view_report"]
    assert not Group.objects.get(name="Public").permissions.exists()
    admin = Client()
    assert admin.login(username="admin", password="admin")
    assert admin.get("/admin/reports/report/").status_code == 200
    editor = Client()
    assert editor.login(username="editor", password="editor")
    assert editor.get("/admin/reports/report/").status_code == 200


def test_plain_detail_page_and_home() -> None:
    run_demo()
    report = Report.objects.get(title="Merger due diligence")

    page = Client().get(f"/reports/{report.pk}/")

    assert page.status_code == 200
    assert b"CONFIDENTIAL: merger with ACME" in page.content
    assert b"Grace Hopper" in page.content
    assert b"Please check the numbers in section 2." in page.content
    assert Client().get("/").url == "/admin/"
