"""Template helpers: a time's zone is always said, even for an hour that occurs twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone

from directus_shares.templatetags.directus_shares import time_zone_name

# Berlin leaves summer time on 2030-10-27: 02:30 local happens at 00:30 and again at 01:30 UTC.
FIRST_2_30 = dt.datetime(2030, 10, 27, 0, 30, tzinfo=dt.UTC)
SECOND_2_30 = dt.datetime(2030, 10, 27, 1, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("moment", "zone"),
    [
        (dt.datetime(2031, 1, 15, 8, 30, tzinfo=dt.UTC), "CET"),
        (dt.datetime(2031, 7, 15, 8, 30, tzinfo=dt.UTC), "CEST"),
        (FIRST_2_30, "UTC+02:00"),
        (SECOND_2_30, "UTC+01:00"),
    ],
)
def test_the_zone_is_named_or_given_as_an_offset_where_the_name_would_be_empty(moment, zone):
    with timezone.override("Europe/Berlin"):
        assert time_zone_name(moment) == zone
        if zone.startswith("UTC"):  # what Django's own "T" says of such a time
            assert Template('{% load tz %}{{ m|localtime|date:"T" }}').render(
                Context({"m": moment})
            ) == ""  # fmt: skip


def test_no_zone_for_no_time():
    assert time_zone_name(None) == "" and time_zone_name("") == ""


def test_a_time_in_a_zone_without_a_name_gets_its_offset():
    with timezone.override(dt.timezone(dt.timedelta(hours=-3, minutes=-30))):
        assert time_zone_name(FIRST_2_30) == "UTC-03:30"
