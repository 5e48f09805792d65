"""What a share may read (``rights.py``): the role's rights narrowed by its creator's, where a
creator's groups are united field set by field set and row set by row set."""

from __future__ import annotations

import pytest
from django.db.models import Q

from directus_shares.rights import ModelAccess
from example_project.reports.models import Report
from tests.factories import RoleFactory, ShareFactory, UserFactory, rule
from tests.helpers import opened_page, report_with_secrets

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
