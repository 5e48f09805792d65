"""What a share may read (``rights.py``): the role's rights narrowed by its creator's, where a
creator's groups are united field set by field set and row set by row set; and the networks a
role's shares open from."""

from __future__ import annotations

import ipaddress

import pytest
from django.db.models import Q
from django.test import Client

from directus_shares.models import RoleSettings
from directus_shares.outcomes import Refusal
from directus_shares.rights import ModelAccess, address_allowed, parse_networks
from example_project.reports.models import Report
from tests.factories import GadgetFactory, RoleFactory, ShareFactory, UserFactory, rule
from tests.helpers import open_share, opened_page, report_with_secrets

pytestmark = pytest.mark.django_db


def test_a_field_the_creator_reads_only_on_done_reports_stays_hidden_on_a_report_in_review():
    """Group A: every report, title only. Group B: done reports, with the confidential notes.
    The creator may read the notes of done reports only – a share of a report in review made
    by them must not show its notes."""
    shared = report_with_secrets(status="review")
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
    response = opened_page(share)
    assert response.status_code == 200
    assert "report-title" in response.content.decode()
    assert "SECRET-NOTES" not in response.content.decode()


@pytest.mark.parametrize("rows", [None, Q(status="done")], ids=["every row", "done only"])
def test_a_row_filter_and_lookups_narrow_together(rows):
    """``ModelAccess.filter(queryset, pk=…)`` finds an object only where both allow it."""
    done, review = report_with_secrets(status="done"), report_with_secrets(status="review")
    access = ModelAccess(rows=rows)
    assert list(access.filter(Report.objects.all(), pk=done.pk)) == [done]
    assert list(access.filter(Report.objects.all(), pk=review.pk)) == (
        [review] if rows is None else []
    )
    assert set(access.filter(Report.objects.all())) == ({done, review} if rows is None else {done})


@pytest.mark.parametrize(
    ("creator_rows", "shown"),
    [(Q(status="done"), {"done"}), (Q(status="review"), set()), (None, {"done"})],
    ids=["the same filter", "another filter", "no filter"],
)
def test_a_role_and_creator_with_the_same_row_filter_filter_once(creator_rows, shown):
    """Where the role and the creator filter rows alike (a creator's read and share filters
    usually are), the share's query checks the filter once; different filters both hold."""
    report_with_secrets(status="done"), report_with_secrets(status="review")
    access = ModelAccess(rows=Q(status="done")).intersection(ModelAccess(rows=creator_rows))
    assert {report.status for report in access.filter(Report.objects.all())} == shown
    assert str(access.filter(Report.objects.values("pk")).query).count("status") == (
        2 if creator_rows == Q(status="review") else 1
    )


# -- networks -------------------------------------------------------------------------------------


def test_networks_are_read_from_commas_spaces_and_lines():
    assert parse_networks("10.0.0.0/8, 192.0.2.7\n2001:db8::/32;  ") == [
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.0.2.7/32"),
        ipaddress.ip_network("2001:db8::/32"),
    ]
    with pytest.raises(ValueError, match="300.1.1.1, x"):
        parse_networks("300.1.1.1 10.0.0.1 x")


@pytest.mark.parametrize(
    ("address", "allowed", "expected"),
    [
        ("10.1.2.3", "10.0.0.0/8", True),
        ("11.1.2.3", "10.0.0.0/8", False),
        ("2001:db8::1", "10.0.0.0/8, 2001:db8::/32", True),
        ("2001:db9::1", "2001:db8::/32", False),
        ("192.0.2.1", "", True),  # no limit
        (None, "10.0.0.0/8", False),  # unknown address, limited role
        ("10.1.2.3", "garbage", False),  # an unreadable list allows nothing
    ],
)
def test_address_allowed(address, allowed, expected):
    parsed = None if address is None else ipaddress.ip_address(address)
    assert address_allowed(parsed, allowed) is expected


@pytest.mark.django_db
def test_a_visitor_from_outside_the_roles_networks_is_refused_before_anything_else():
    share = ShareFactory(content_object=GadgetFactory(name="Inside only"), password="pw")
    RoleSettings.objects.create(role=share.role, allowed_networks="10.0.0.0/8")
    outside = Client(REMOTE_ADDR="192.0.2.1")
    for response in (outside.get(share.get_absolute_url()), open_share(outside, share, "pw")):
        assert response.status_code == Refusal.FORBIDDEN_NETWORK.status == 403
        content = response.content.decode()
        assert "cannot be opened from your network" in content
        assert "only from the networks its owner allowed" in content
        assert "switched off" not in content and "removed" not in content
        assert "Inside only" not in content and share.name not in content
        assert "password" not in content.lower()
    share.refresh_from_db()
    assert share.times_used == 0
    inside = Client(REMOTE_ADDR="10.20.30.40")
    assert open_share(inside, share, "pw").status_code == 303
    assert "Inside only" in inside.get(share.get_absolute_url()).content.decode()
