"""The grant cookie that views.py sets and reads: what it carries, where it goes, what ends it;
and the page's HTML helpers – a time's zone is always said, even for an hour that occurs twice;
the relations' sections escape what they show."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.core import signing
from django.http import HttpResponse
from django.template import Context, Template
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone, translation

from directus_shares.disclosure import DisclosedField, DisclosedObject, DisclosedRelation
from directus_shares.models import Share
from directus_shares.views import has_grant, issue_grant, share_sections, time_zone_name
from tests.factories import RecipientFactory, ShareFactory
from tests.helpers import open_share, opened_through

pytestmark = pytest.mark.django_db


def granted(share: Share, **request: object) -> HttpResponse:
    """A response on which ``share`` was granted to a visitor of ``RequestFactory().post``."""
    response = HttpResponse()
    issue_grant(RequestFactory().post(share.get_absolute_url(), **request), response, share)
    return response


def holding(response: HttpResponse, share: Share):
    """A request of a visitor who kept the cookies ``response`` set."""
    request = RequestFactory().get(share.get_absolute_url())
    request.COOKIES = {name: morsel.value for name, morsel in response.cookies.items()}
    return request


def test_the_grant_is_an_http_only_cookie_for_the_share_page_alone():
    share = ShareFactory()
    cookie = granted(share).cookies["directus_share_grant"]
    assert cookie["path"] == share.get_absolute_url()
    assert cookie["httponly"] is True and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 3600
    assert not cookie["secure"]  # a plain-HTTP site; see the next test
    assert granted(share, secure=True).cookies["directus_share_grant"]["secure"] is True


@override_settings(
    DIRECTUS_SHARES={
        "GRANT_COOKIE_NAME": "grant",
        "GRANT_COOKIE_SECURE": True,
        "GRANT_MAX_AGE": timedelta(minutes=5),
    }
)
def test_the_cookie_follows_the_settings():
    share = ShareFactory()
    response = granted(share)
    assert list(response.cookies) == ["grant"]
    cookie = response.cookies["grant"]
    assert cookie["secure"] is True and cookie["max-age"] == 300
    assert has_grant(holding(response, share), share)


def test_a_grant_holds_for_its_share_only_and_ends_with_a_new_password_or_link():
    share, other = ShareFactory(password="pw"), ShareFactory(password="pw")
    response = granted(share)
    assert has_grant(holding(response, share), share)
    assert not has_grant(holding(response, other), other)
    share.set_password("new")
    share.save()
    assert not has_grant(holding(response, share), share)
    response = granted(share)
    share.rotate_key()
    share.save()
    assert not has_grant(holding(response, share), share)
    assert not has_grant(RequestFactory().get("/"), share)  # no cookie at all


def test_the_grant_cookie_reveals_nothing_about_the_share():
    share = ShareFactory()
    visitor = Client()
    open_share(visitor, share)
    payload = signing.loads(
        visitor.cookies["directus_share_grant"].value, salt="directus_shares.grant"
    )
    assert isinstance(payload, str) and str(share.pk) != payload and share.key not in payload


# -- the page's HTML helpers ----------------------------------------------------------------------

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


def test_templates_load_the_tags_and_the_filter_by_their_names():
    """``{% load directus_shares %}`` gives custom templates the tags views.py makes."""
    field = DisclosedField(name="note", label="Note", text="<b>")
    template = Template(
        "{% load directus_shares %}{{ moment|time_zone_name }} {% share_value field %}"
        " {% share_fields fields %}{% share_relations relations %}"
    )
    with timezone.override("Europe/Berlin"):
        html = template.render(
            Context({"moment": FIRST_2_30, "field": field, "fields": [field], "relations": []})
        )
    assert html.startswith("UTC+02:00 &lt;b&gt; <dl")
    assert "<dt>Note</dt><dd>&lt;b&gt;</dd>" in html


def test_sections_escape_what_they_show_and_say_none_or_how_many_are_shown():
    linked = DisclosedObject("app", "thing", "thing", [DisclosedField("t", "Title", "<b>x</b>")])
    html = share_sections(
        [
            DisclosedRelation('rel"<', "<i>items</i>", True, [linked], truncated=True),
            DisclosedRelation("empty", "nothing", True, []),
        ]
    )
    assert "<b>" not in html and "<i>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "&lt;i&gt;items&lt;/i&gt;" in html
    assert 'aria-labelledby="ds-rel-rel&quot;&lt;"' in html and 'id="ds-rel-rel&quot;&lt;"' in html
    assert "Only the first 1 is shown." in html
    assert '<h2 id="ds-rel-empty">Nothing</h2>' in html and '<p class="ds-empty">None</p>' in html
    with translation.override("de"):
        cut_short = DisclosedRelation("r", "r", True, [linked], truncated=True)
        assert "Nur 1 Eintrag wird angezeigt." in share_sections([cut_short])


def test_a_device_past_a_recipients_device_limit_gets_the_forwarded_page():
    recipient = RecipientFactory(share=ShareFactory(devices_per_recipient=1))
    assert open_share(Client(), opened_through(recipient)).status_code == 303
    response = Client().get(recipient.get_absolute_url())
    assert response.status_code == 403
    page = response.content.decode()
    assert "ds-refused-recipient_forwarded" in page
    assert "ask its sender to allow this device or to send you a new link" in page
    assert recipient.address not in page and recipient.address.split("@")[0] not in page
    assert response["Cache-Control"] == "no-store, private"
