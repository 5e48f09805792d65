"""The API's ``item`` returns data – the same in every language – beside the text the share page
shows; the page itself stays localised."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from directus_shares.api.open import SCHEME
from example_project.reports.models import Person, Report
from tests.factories import RoleFactory, ShareFactory
from tests.helpers import open_share

pytestmark = pytest.mark.django_db


@pytest.fixture
def share():
    report = Report.objects.create(
        title="Numbers",
        summary="s",
        status="done",
        author=Person.objects.create(name="Ada"),
        budget=Decimal("19.90"),
        published_on=date(2025, 3, 1),
        reviewed_at=datetime(2025, 3, 1, 10, 30, tzinfo=UTC),
        is_public=True,
    )
    return ShareFactory(content_object=report, role=RoleFactory(view=[Report]))


def item_fields(client: Client, share) -> dict:
    url = f"/api/shares/open/{share.token}/"
    access = client.post(url + "auth/").json()["access_token"]
    response = client.get(url + "item/", HTTP_AUTHORIZATION=f"{SCHEME} {access}")
    assert response.status_code == 200
    return response.json()["fields"]


@pytest.mark.parametrize("language", ["en", "de"])
def test_item_values_are_data_in_every_language(client, share, language):
    with translation.override(language):
        fields = item_fields(client, share)
    values = {name: field["value"] for name, field in fields.items()}
    assert values["budget"] == "19.90"  # DRF's decimal: a string, never "19,90"
    assert values["published_on"] == "2025-03-01"
    assert values["reviewed_at"] == "2025-03-01T11:30:00+01:00"  # TIME_ZONE Europe/Berlin
    assert values["status"] == "done"  # the stored value …
    assert fields["status"]["text"] == "Done"  # … with its label beside it
    assert values["is_public"] is True
    assert values["title"] == "Numbers"


def test_the_text_beside_the_value_is_the_pages_localised_text(client, share):
    with translation.override("de"):
        fields = item_fields(client, share)
    assert fields["budget"]["text"] == "19,90"
    assert fields["published_on"]["text"] == "1. März 2025"
    assert fields["is_public"]["text"] == "Ja"


def test_the_share_page_stays_localised(share):
    visitor = Client()
    with translation.override("de"):
        assert open_share(visitor, share).status_code == 303
        html = visitor.get(share.get_absolute_url()).content.decode()
    assert "19,90" in html and "1. März 2025" in html
    assert "2025-03-01" not in html


@pytest.mark.parametrize(
    ("value", "data"),
    [
        (None, None),
        (Decimal("1E+2"), "100"),
        (Decimal("0.10"), "0.10"),
        (time(9, 5), "09:05:00"),
        (timedelta(days=1, seconds=3), "1 00:00:03"),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        (float("inf"), "inf"),
        (1.5, 1.5),
        ({"a": [1, "b"]}, {"a": [1, "b"]}),
    ],
)
def test_json_value(value, data):
    from directus_shares.api.representation import json_value

    assert json_value(value) == data
