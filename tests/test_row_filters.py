"""Row filters (``row_filters.py``) that pass validation never break a visit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from directus_shares.models import RoleRule
from example_project.reports.models import Report
from tests.factories import RoleFactory, ShareFactory, rule
from tests.helpers import opened_page, report_with_secrets

pytestmark = pytest.mark.django_db


def test_a_read_filter_with_a_broken_regex_never_makes_the_share_page_answer_500():
    """row_filter_errors only builds the SQL; PostgreSQL refuses the regex when it runs, so the
    visitor gets a 500 (and django.request logs the whole working link)."""
    role = RoleFactory(view=[Report])
    try:
        rule(role, Report, all_fields=True, read_filter={"title__regex": "("})
    except ValidationError:
        return  # refused when saved: fixed
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    share = ShareFactory(content_object=report_with_secrets(), role=role)
    assert opened_page(share, client).status_code != 500


def test_an_empty_list_filter_is_saved_and_lets_no_row_through():
    """``{"status__in": []}`` (no rows) once made the admin's check raise EmptyResultSet: a 500
    instead of a saved rule or a message. It is a valid filter that matches nothing: the rule is
    saved, and a share of any report under it is refused (403) without a 500 or the report."""
    role = RoleFactory(view=[Report])
    made = rule(role, Report, all_fields=True, read_filter={"status__in": []})
    assert RoleRule.objects.get(pk=made.pk).read_filter == {"status__in": []}

    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    response = opened_page(ShareFactory(content_object=report_with_secrets(), role=role), client)
    assert response.status_code == 403
    assert "report-title" not in response.content.decode()
