"""The public share page: every outcome, its status, its message, and the use counting."""

from __future__ import annotations

import datetime as dt
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from directus_shares.models import Share, ShareAccess, ShareRecipient, VerificationCode
from directus_shares.outcomes import Refusal
from tests.factories import (
    CodeFactory,
    GadgetFactory,
    LabelFactory,
    OwnerFactory,
    RecipientFactory,
    RoleFactory,
    ShareFactory,
    UserFactory,
    rule,
)
from tests.helpers import open_share, opened_through
from tests.testapp.models import Code, Gadget, Label, Owner, Part

pytestmark = pytest.mark.django_db

SHARE_HEADERS = {
    "Cache-Control": "no-store, private",
    "Referrer-Policy": "same-origin",
    "X-Robots-Tag": "noindex, nofollow",
}


def assert_share_headers(response) -> None:
    for header, value in SHARE_HEADERS.items():
        assert response[header] == value, header


def assert_refused(response, refusal: Refusal, *, text: str) -> None:
    assert response.status_code == refusal.status
    content = response.content.decode()
    assert str(refusal.title) in content
    assert text in content
    assert_share_headers(response)
    assert "/admin/" not in content  # a standalone page: nothing of the site's admin


# -- refusals, in the order they are checked ----------------------------------------------------


@pytest.mark.parametrize(
    "token",
    ["nope", "A" * 22 + ".forged", "x" * 500, "äöü", "%00"],
    ids=["short", "forged-signature", "over-long", "non-ascii", "nul"],
)
def test_unknown_token_is_404(visitor, token):
    visitor.cookies["csrftoken"] = "a" * 32
    posted = visitor.post(f"/share/{token}/", {"csrfmiddlewaretoken": "a" * 32, "password": "x"})
    for response in (visitor.get(f"/share/{token}/"), posted):
        assert_refused(response, Refusal.UNKNOWN, text="Check that you copied the whole link")


def test_a_rotated_link_is_unknown(visitor):
    share = ShareFactory()
    old_url = share.get_absolute_url()
    share.rotate_key()
    share.save()
    assert_refused(visitor.get(old_url), Refusal.UNKNOWN, text="whole link")


def test_a_deleted_share_is_unknown(visitor):
    share = ShareFactory()
    url = share.get_absolute_url()
    share.delete()
    assert_refused(visitor.get(url), Refusal.UNKNOWN, text="whole link")


def test_revoked_share_is_gone(visitor):
    share = ShareFactory()
    share.revoke()
    assert_refused(visitor.get(share.get_absolute_url()), Refusal.UNAVAILABLE, text="switched off")
    assert_refused(open_share(visitor, share), Refusal.UNAVAILABLE, text="switched off")
    share.refresh_from_db()
    assert share.times_used == 0


def test_share_of_a_deleted_object_is_gone_and_says_nothing_about_it(visitor):
    gadget = GadgetFactory(name="Prototype Z")
    share = ShareFactory(content_object=gadget, name="")
    gadget.delete()
    response = visitor.get(share.get_absolute_url())
    assert_refused(response, Refusal.UNAVAILABLE, text="removed")
    assert "Prototype Z" not in response.content.decode()
    assert "gadget" not in response.content.decode().lower()


def test_not_yet_open_tells_when_it_opens_in_the_site_time_zone(visitor):
    start = dt.datetime(2031, 1, 15, 8, 30, tzinfo=dt.UTC)  # 09:30 in Berlin (CET)
    share = ShareFactory(date_start=start)
    response = visitor.get(share.get_absolute_url())
    assert_refused(
        response, Refusal.NOT_YET_OPEN, text="It opens on Jan. 15, 2031, 9:30 a.m. (CET)"
    )
    assert_refused(open_share(visitor, share), Refusal.NOT_YET_OPEN, text="It opens on")
    share.refresh_from_db()
    assert share.times_used == 0


def test_a_time_that_occurs_twice_is_shown_with_its_utc_offset_not_an_empty_zone(visitor):
    # Berlin leaves summer time on 2030-10-27: 02:30 local happens twice.
    first, second = (dt.datetime(2030, 10, 27, h, 30, tzinfo=dt.UTC) for h in (0, 1))
    not_yet = ShareFactory(date_start=first)
    assert_refused(
        visitor.get(not_yet.get_absolute_url()),
        Refusal.NOT_YET_OPEN,
        text="It opens on Oct. 27, 2030, 2:30 a.m. (UTC+02:00)",
    )
    landing = visitor.get(ShareFactory(date_end=second).get_absolute_url()).content.decode()
    assert "Available until Oct. 27, 2030, 2:30 a.m. (UTC+01:00)" in landing
    assert "()" not in landing


def test_expired_tells_when_it_ended(visitor):
    end = timezone.now() - timedelta(minutes=1)
    share = ShareFactory(date_start=end - timedelta(days=1), date_end=end)
    assert_refused(
        visitor.get(share.get_absolute_url()), Refusal.EXPIRED, text="It was available until"
    )
    assert_refused(open_share(visitor, share), Refusal.EXPIRED, text="It was available until")


def test_used_up_share_is_gone(visitor):
    share = ShareFactory(max_uses=3, times_used=3)
    assert_refused(
        visitor.get(share.get_absolute_url()),
        Refusal.USED_UP,
        text="as many times as its owner allowed",
    )
    assert_refused(open_share(visitor, share), Refusal.USED_UP, text="as many times")
    share.refresh_from_db()
    assert share.times_used == 3


def test_a_share_without_role_and_without_public_role_says_it_grants_nothing(visitor):
    share = ShareFactory(role=None)
    assert_refused(
        visitor.get(share.get_absolute_url()), Refusal.GRANTS_NOTHING, text="choose a role"
    )
    assert_refused(open_share(visitor, share), Refusal.GRANTS_NOTHING, text="choose a role")
    share.refresh_from_db()
    assert share.times_used == 0  # nothing to see, so no use is spent


def test_a_role_that_may_not_view_the_model_grants_nothing(visitor):
    share = ShareFactory(role=RoleFactory(view=[Owner]))
    assert_refused(
        visitor.get(share.get_absolute_url()), Refusal.GRANTS_NOTHING, text="choose a role"
    )


def test_an_object_outside_the_roles_rows_says_so_not_that_the_share_has_no_role(visitor):
    role = RoleFactory(view=[Gadget], share=[Gadget])
    rule(role, Gadget, read_filter={"name__startswith": "A"})
    share = ShareFactory(content_object=GadgetFactory(name="Beta"), role=role)
    for response in (visitor.get(share.get_absolute_url()), open_share(visitor, share)):
        assert_refused(response, Refusal.OBJECT_NOT_GRANTED, text="may not see what it points to")
        content = response.content.decode()
        assert "created without a role" not in content and "Beta" not in content
    assert Refusal.OBJECT_NOT_GRANTED.code == Refusal.GRANTS_NOTHING.code  # API and log agree


def test_a_share_without_role_uses_the_public_role(visitor):
    public = RoleFactory(name="Public", view=[Gadget])
    share = ShareFactory(role=None, content_object=GadgetFactory(name="Public gadget"))
    share.created_by.groups.add(public)  # a creator who may see what the public role sees
    with override_settings(DIRECTUS_SHARES={"PUBLIC_ROLE": "Public"}):
        response = open_share(visitor, share)
        assert response.status_code == 303
        assert "Public gadget" in visitor.get(share.get_absolute_url()).content.decode()


def test_a_public_role_setting_naming_no_group_grants_nothing(visitor):
    share = ShareFactory(role=None)
    with override_settings(DIRECTUS_SHARES={"PUBLIC_ROLE": "No such group"}):
        assert_refused(
            visitor.get(share.get_absolute_url()), Refusal.GRANTS_NOTHING, text="choose a role"
        )


# -- landing, password and counting ---------------------------------------------------------


def test_landing_page_counts_nothing_and_says_how_many_uses_are_left(visitor):
    share = ShareFactory(max_uses=5, times_used=2)
    for _ in range(3):  # link previews, mail scanners, reloads
        response = visitor.get(share.get_absolute_url())
        visitor.head(share.get_absolute_url())
    assert response.status_code == 200
    assert "3 uses left" in response.content.decode()
    assert "View" in response.content.decode()
    assert_share_headers(response)
    share.refresh_from_db()
    assert share.times_used == 2


def test_view_click_counts_one_use_and_reloads_count_nothing(visitor):
    share = ShareFactory(max_uses=2, content_object=GadgetFactory(name="Blue box"))
    response = open_share(visitor, share)
    assert response.status_code == 303
    assert response["Location"] == share.get_absolute_url()
    assert_share_headers(response)
    for _ in range(3):
        page = visitor.get(share.get_absolute_url())
        assert page.status_code == 200
        assert "Blue box" in page.content.decode()
    assert open_share(visitor, share).status_code == 303  # a second click within the grant
    share.refresh_from_db()
    assert share.times_used == 1


def test_grant_cookie_is_httponly_and_scoped_to_the_share(visitor):
    share = ShareFactory()
    response = open_share(visitor, share)
    cookie = response.cookies["directus_share_grant"]
    assert cookie["httponly"]
    assert cookie["path"] == share.get_absolute_url()
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 3600


def test_a_grant_is_for_one_share_only(visitor):
    first, second = ShareFactory(), ShareFactory()
    open_share(visitor, first)
    grant = visitor.cookies["directus_share_grant"].value
    other = Client()
    other.cookies["directus_share_grant"] = grant
    response = other.get(second.get_absolute_url())
    assert response.status_code == 200
    assert "<form" in response.content.decode()  # the landing page, not the object


def test_the_last_use_opens_and_then_the_share_is_used_up_for_others(visitor):
    share = ShareFactory(max_uses=1, content_object=GadgetFactory(name="Only once"))
    assert open_share(visitor, share).status_code == 303
    assert (
        "Only once" in visitor.get(share.get_absolute_url()).content.decode()
    )  # the granted visitor
    assert_refused(Client().get(share.get_absolute_url()), Refusal.USED_UP, text="as many times")
    assert_refused(open_share(Client(), share), Refusal.USED_UP, text="as many times")
    share.refresh_from_db()
    assert share.times_used == 1


def test_after_the_grant_ends_the_next_open_counts_again(visitor, monkeypatch):
    share = ShareFactory(max_uses=3)
    open_share(visitor, share)
    later = timezone.now().timestamp() + 3601
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    assert "<form" in visitor.get(share.get_absolute_url()).content.decode()
    assert open_share(visitor, share).status_code == 303
    share.refresh_from_db()
    assert share.times_used == 2


def test_opening_again_within_the_grant_neither_counts_nor_extends_it(visitor, monkeypatch):
    share = ShareFactory(max_uses=3, password="pw")
    assert open_share(visitor, share, "pw").status_code == 303
    first = timezone.now().timestamp()
    monkeypatch.setattr("django.core.signing.time.time", lambda: first + 1800)
    again = open_share(visitor, share)  # no password needed: the grant proves it was given
    assert again.status_code == 303
    assert again["Location"] == share.get_absolute_url()
    assert "directus_share_grant" not in again.cookies  # not renewed
    assert ShareAccess.objects.filter(share=share).count() == 1  # the first, granted open
    monkeypatch.setattr("django.core.signing.time.time", lambda: first + 3601)
    assert "<form" in visitor.get(share.get_absolute_url()).content.decode()  # ended on time
    share.refresh_from_db()
    assert share.times_used == 1


def test_opening_again_with_a_grant_is_refused_once_the_share_refuses(visitor):
    share = ShareFactory()
    assert open_share(visitor, share).status_code == 303
    Share.objects.filter(pk=share.pk).update(date_end=timezone.now())
    assert_refused(open_share(visitor, share), Refusal.EXPIRED, text="")
    share.refresh_from_db()
    assert share.times_used == 1


@override_settings(DIRECTUS_SHARES={"GRANT_MAX_AGE": 60})
def test_grant_max_age_is_configurable(visitor):
    response = open_share(visitor, ShareFactory())
    assert int(response.cookies["directus_share_grant"]["max-age"]) == 60


def test_password_form_is_csrf_protected(visitor):
    share = ShareFactory(password="open sesame")
    landing = visitor.get(share.get_absolute_url())
    assert landing.status_code == 200
    content = landing.content.decode()
    assert 'type="password"' in content and "csrfmiddlewaretoken" in content
    response = visitor.post(share.get_absolute_url(), {"password": "open sesame"})  # no token
    assert response.status_code == 403
    share.refresh_from_db()
    assert share.times_used == 0


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("wrong", "That password is not correct."),
        ("", "Enter the password."),
        ("x" * 5000, "That password is too long."),
    ],
)
def test_wrong_password_shows_the_form_again_and_counts_nothing(visitor, password, message):
    share = ShareFactory(password="open sesame", max_uses=1)
    response = open_share(visitor, share, password)
    assert response.status_code == 403
    content = response.content.decode()
    assert message in content and 'type="password"' in content
    assert_share_headers(response)
    assert "directus_share_grant" not in response.cookies
    share.refresh_from_db()
    assert share.times_used == 0


def test_correct_password_counts_one_use_and_opens(visitor):
    share = ShareFactory(
        password="open sesame", max_uses=1, content_object=GadgetFactory(name="Vault")
    )
    assert open_share(visitor, share, "open sesame").status_code == 303
    page = visitor.get(share.get_absolute_url())
    assert page.status_code == 200 and "Vault" in page.content.decode()
    share.refresh_from_db()
    assert share.times_used == 1


@pytest.mark.parametrize(
    "change",
    [
        lambda share: (share.set_password("changed"), share.save()),
        lambda share: (share.set_password(None), share.save()),
        lambda share: (share.rotate_key(), share.save()),
        lambda share: (share.revoke(), share.reenable()),
    ],
    ids=["password-changed", "password-removed", "link-rotated", "revoked-and-reenabled"],
)
def test_changes_end_existing_grants_at_once(visitor, change):
    share = ShareFactory(password="open sesame", content_object=GadgetFactory(name="Secret gadget"))
    open_share(visitor, share, "open sesame")
    grant = visitor.cookies["directus_share_grant"].value
    change(share)
    other = Client()
    other.cookies["directus_share_grant"] = grant
    response = other.get(share.get_absolute_url())
    assert "Secret gadget" not in response.content.decode()


def test_revoking_ends_grants_with_the_gone_page(visitor):
    share = ShareFactory()
    open_share(visitor, share)
    share.revoke()
    assert_refused(visitor.get(share.get_absolute_url()), Refusal.UNAVAILABLE, text="switched off")


def test_expiry_ends_grants(visitor):
    share = ShareFactory()
    open_share(visitor, share)
    share.date_end = timezone.now() - timedelta(seconds=1)
    share.save()
    assert_refused(visitor.get(share.get_absolute_url()), Refusal.EXPIRED, text="available until")


def test_deleting_the_object_ends_grants(visitor):
    share = ShareFactory()
    open_share(visitor, share)
    share.content_object.delete()
    assert_refused(visitor.get(share.get_absolute_url()), Refusal.UNAVAILABLE, text="removed")


def test_logged_in_users_see_the_share_as_a_visitor_does():
    staff = UserFactory(is_superuser=True)
    client = Client()
    client.force_login(staff)
    share = ShareFactory(content_object=GadgetFactory(name="Seen by all"))
    assert client.get(share.get_absolute_url()).status_code == 200
    assert open_share(client, share).status_code == 303
    assert "Seen by all" in client.get(share.get_absolute_url()).content.decode()


def test_unlimited_passwordless_shares_can_open_on_get_without_counting(visitor):
    share = ShareFactory(content_object=GadgetFactory(name="Direct"))
    limited = ShareFactory(max_uses=3)
    with override_settings(DIRECTUS_SHARES={"OPEN_UNLIMITED_ON_GET": True}):
        assert "Direct" in visitor.get(share.get_absolute_url()).content.decode()
        assert "<form" in visitor.get(limited.get_absolute_url()).content.decode()
    share.refresh_from_db()
    assert share.times_used == 0


def test_unsupported_methods_are_refused_with_share_headers(visitor):
    response = visitor.put(ShareFactory().get_absolute_url())
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST, HEAD, OPTIONS"
    assert_share_headers(response)


# -- what the granted page shows -----------------------------------------------------------


def granted_page(share, password=None) -> str:
    client = Client()
    assert open_share(client, share, password).status_code == 303
    response = client.get(share.get_absolute_url())
    assert response.status_code == 200
    assert_share_headers(response)
    return response.content.decode()


def test_fields_show_with_verbose_names_and_display_values():
    gadget = GadgetFactory(
        name="Widget",
        colour="r",
        in_stock=False,
        released_at=dt.datetime(2030, 7, 1, 10, 0, tzinfo=dt.UTC),
        manual="manuals/guide.pdf",
        homepage="https://example.org/widget",
        specs={"weight": "2 kg"},
    )
    share = ShareFactory(content_object=gadget)
    share_url = share.get_absolute_url()
    content = granted_page(share)
    assert "Colour" in content and "Red" in content
    assert "In stock" in content and "No" in content
    assert "July 1, 2030, noon" in content  # 10:00 UTC is 12:00 in Berlin (CEST)
    assert ">guide.pdf<" in content and "/media/" not in content  # linked through the share
    assert f'href="{share_url}files/' in content
    assert 'href="https://example.org/widget"' in content
    assert "&quot;weight&quot;: &quot;2 kg&quot;" in content


def test_unsafe_urls_are_not_made_links():
    gadget = GadgetFactory(homepage="javascript:alert(1)")
    content = granted_page(ShareFactory(content_object=gadget))
    assert 'href="javascript' not in content


def test_related_objects_show_only_when_the_role_may_view_their_model():
    owner = OwnerFactory(name="Ada Owner")
    gadget = GadgetFactory(owner=owner)
    gadget.labels.add(LabelFactory(name="fragile"))
    assert "Ada Owner" not in granted_page(ShareFactory(content_object=gadget))
    content = granted_page(
        ShareFactory(content_object=gadget, role=RoleFactory(view=[Gadget, Owner, Label]))
    )
    assert "Ada Owner" in content and "fragile" in content


def test_reverse_relations_show_only_linked_rows():
    owner = OwnerFactory()
    GadgetFactory(owner=owner, name="Mine")
    GadgetFactory(owner=OwnerFactory(), name="Not mine")
    content = granted_page(
        ShareFactory(content_object=owner, role=RoleFactory(view=[Owner, Gadget]))
    )
    assert "Mine" in content and "Not mine" not in content


def test_the_model_specific_template_is_picked_first():
    code = CodeFactory(label="Launch")
    content = granted_page(ShareFactory(content_object=code, role=RoleFactory(view=[Code])))
    assert '<p class="custom-code-template">Code: Launch</p>' in content


def test_string_primary_keys_with_slashes_and_unicode_work():
    code = CodeFactory(code="A/B ü 1", label="Odd key")
    assert "Odd key" in granted_page(
        ShareFactory(content_object=code, role=RoleFactory(view=[Code]))
    )


def test_granted_page_query_count_does_not_grow_with_related_rows(django_assert_max_num_queries):
    owner = OwnerFactory()
    share = ShareFactory(content_object=owner, role=RoleFactory(view=[Owner, Gadget]))
    client = Client()
    open_share(client, share)
    GadgetFactory(owner=owner)
    with django_assert_max_num_queries(5) as few:
        client.get(share.get_absolute_url())
    GadgetFactory.create_batch(30, owner=owner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(share.get_absolute_url())


@override_settings(DIRECTUS_SHARES={"RELATED_OBJECTS_LIMIT": 3})
def test_linked_rows_are_capped_and_the_page_says_so():
    owner = OwnerFactory()
    for index in range(5):
        GadgetFactory(owner=owner, name=f"Gadget number {index}")
    content = granted_page(
        ShareFactory(content_object=owner, role=RoleFactory(view=[Owner, Gadget]))
    )
    assert [f"Gadget number {i}" in content for i in range(5)].count(True) == 3
    assert "Only the first 3 are shown." in content


def test_generated_primary_keys_are_hidden_and_natural_keys_shown():
    gadget = GadgetFactory()
    assert str(gadget.pk) not in granted_page(ShareFactory(content_object=gadget))
    code = CodeFactory(code="NATURAL-KEY-7")
    assert "NATURAL-KEY-7" in granted_page(
        ShareFactory(content_object=code, role=RoleFactory(view=[Code]))
    )


def test_forward_relations_come_before_reverse_ones():
    gadget = GadgetFactory(owner=OwnerFactory(name="Owner first"))
    gadget.labels.add(LabelFactory(name="label second"))
    Part.objects.create(gadget=gadget, name="part third")
    content = granted_page(
        ShareFactory(content_object=gadget, role=RoleFactory(view=[Gadget, Owner, Label, Part]))
    )
    assert (
        content.index("Owner first") < content.index("label second") < content.index("part third")
    )


@pytest.mark.parametrize(
    ("start_utc", "shown"),
    [
        # Europe/Berlin moves to summer time at 01:00 UTC on 2030-03-31.
        (dt.datetime(2030, 3, 31, 0, 30, tzinfo=dt.UTC), "March 31, 2030, 1:30 a.m. (CET)"),
        (dt.datetime(2030, 3, 31, 1, 30, tzinfo=dt.UTC), "March 31, 2030, 3:30 a.m. (CEST)"),
    ],
)
def test_opening_time_is_shown_in_site_time_across_a_dst_change(visitor, start_utc, shown):
    share = ShareFactory(date_start=start_utc)
    assert_refused(visitor.get(share.get_absolute_url()), Refusal.NOT_YET_OPEN, text=shown)


def test_the_landing_page_shows_the_end_in_site_time(visitor):
    share = ShareFactory(date_end=dt.datetime(2040, 1, 1, 23, 30, tzinfo=dt.UTC))
    content = visitor.get(share.get_absolute_url()).content.decode()
    assert "Available until Jan. 2, 2040, 12:30 a.m. (CET)" in content


def test_a_share_opens_at_its_start_and_closes_at_its_end(visitor, monkeypatch):
    start = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    share = ShareFactory(date_start=start, date_end=start + timedelta(hours=1))
    monkeypatch.setattr(timezone, "now", lambda: start - timedelta(microseconds=1))
    assert visitor.get(share.get_absolute_url()).status_code == 403
    monkeypatch.setattr(timezone, "now", lambda: start)
    assert visitor.get(share.get_absolute_url()).status_code == 200
    assert open_share(visitor, share).status_code == 303
    monkeypatch.setattr(timezone, "now", lambda: share.date_end)
    assert_refused(visitor.get(share.get_absolute_url()), Refusal.EXPIRED, text="available until")


# -- the link in Referer headers ---------------------------------------------------------------


class _Elements(HTMLParser):
    """The tags of a page that load or link something, with their attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("a", "img", "link", "script", "meta"):
            self.found.append((tag, dict(attrs)))


def loading_elements(content: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(content)
    return parser.found


def test_every_element_of_the_page_that_loads_or_links_sends_no_referer(visitor, media):
    owner = OwnerFactory(email="ok@b.example")
    gadget = GadgetFactory(manual="manuals/guide.pdf", homepage="https://a.example/", owner=owner)
    role = RoleFactory(view=[Gadget, Owner])
    share = ShareFactory(content_object=gadget, role=role, password="pw")
    url = share.get_absolute_url()
    landing = visitor.get(url).content.decode()
    refused = Client().get(url[:-5] + "xxxx/").content.decode()
    assert open_share(visitor, share, "pw").status_code == 303
    granted = visitor.get(url).content.decode()
    assert "/files/" in granted and "mailto:ok@b.example" in granted
    for content in (landing, refused, granted):
        elements = loading_elements(content)
        assert ("meta", {"name": "referrer", "content": "same-origin"}) in elements
        assert ("link", {"rel": "icon", "href": "data:,"}) in elements  # no /favicon.ico fetch
        for tag, attrs in elements:
            if tag == "meta" or attrs.get("href") == "data:,":
                continue
            assert attrs.get("referrerpolicy") == "no-referrer", (tag, attrs)
    links = [attrs["href"] for tag, attrs in loading_elements(granted) if tag == "a"]
    assert any("/files/" in (href or "") for href in links)  # the download link too


# -- the page before the grant, its headers and its escaping -----------------------------------


def test_a_password_share_keeps_its_name_until_granted():
    share = ShareFactory(name="Merger with ACME", password="pw")
    assert "Merger with ACME" not in Client().get(share.get_absolute_url()).content.decode()
    assert "Merger with ACME" in granted_page(share, "pw")


def test_the_link_without_its_trailing_slash_is_served_with_the_share_headers():
    share = ShareFactory()
    response = Client().get(share.get_absolute_url().rstrip("/"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"
    assert open_share(Client(), share).status_code == 303


@pytest.mark.parametrize("method", ["get", "head", "post", "put", "options"])
@pytest.mark.parametrize("rest", ["x/", "x", "files/", "files/a/b/", "a/b/c"])
def test_any_other_path_under_the_share_prefix_is_the_share_pages_404(method, rest, caplog):
    share = ShareFactory()
    response = getattr(Client(), method)(f"{share.get_absolute_url()}{rest}")
    assert response.status_code == 404
    assert_share_headers(response)
    if method == "get":
        assert str(Refusal.UNKNOWN.title) in response.content.decode()
    assert share.token not in caplog.text  # logged without the link


def test_the_share_prefix_alone_is_the_share_pages_404_too():
    response = Client().get("/share/")
    assert response.status_code == 404
    assert_share_headers(response)


def test_share_pages_cannot_be_framed():
    response = Client().get(ShareFactory().get_absolute_url())
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_field_values_and_names_are_escaped():
    gadget = GadgetFactory(name='<script>alert("x")</script>', homepage='https://a.example/"><b>')
    share = ShareFactory(content_object=gadget, name="<i>share</i>")
    content = granted_page(share)
    assert "<script>alert" not in content and "&lt;script&gt;alert(&quot;x&quot;)" in content
    assert '"><b>' not in content
    assert "<i>share</i>" not in content


# -- a recipient's own link (docs/recipients.md) ------------------------------------------------


def test_a_recipients_link_opens_its_share_and_counts_for_both(visitor):
    recipient = RecipientFactory(share=ShareFactory(max_uses=5), max_uses=2)
    url = recipient.get_absolute_url()
    assert url != recipient.share.get_absolute_url()

    landing = visitor.get(url)
    opened = open_share(visitor, opened_through(recipient))
    page = visitor.get(url)

    assert landing.status_code == 200
    assert opened.status_code == 303
    assert opened["Location"] == url  # never the share's common link
    assert visitor.cookies["directus_share_grant"]["path"] == url
    assert page.status_code == 200
    assert_share_headers(page)
    recipient.refresh_from_db()
    assert recipient.times_used == 1
    assert recipient.first_opened_at is not None
    assert recipient.last_opened_at == recipient.first_opened_at
    assert Share.objects.get(pk=recipient.share.pk).times_used == 1
    entry = ShareAccess.objects.get()
    assert (entry.reason, entry.recipient) == ("granted", recipient)


def test_a_recipients_grant_does_not_open_the_common_link_nor_another_recipients(visitor):
    first = RecipientFactory()
    second = RecipientFactory(share=first.share)
    open_share(visitor, opened_through(first))

    # The test client sends the cookie to every path: only the fingerprint keeps it apart.
    for other in (first.share.get_absolute_url(), second.get_absolute_url()):
        response = visitor.get(other)
        assert response.status_code == 200
        assert b"<form" in response.content  # the landing page, not the object
    assert b"<form" not in visitor.get(first.get_absolute_url()).content


def test_a_revoked_recipient_is_refused_with_its_own_page_and_its_grant_ends_at_once(visitor):
    recipient = RecipientFactory()
    open_share(visitor, opened_through(recipient))
    assert visitor.get(recipient.get_absolute_url()).status_code == 200

    recipient.revoke()

    response = visitor.get(recipient.get_absolute_url())
    assert_refused(response, Refusal.RECIPIENT_REVOKED, text="switched off")
    assert ShareAccess.objects.filter(reason="recipient_revoked", recipient=recipient).exists()
    recipient.reenable()  # what it granted before stays ended
    landing = visitor.get(recipient.get_absolute_url())
    assert landing.status_code == 200 and b"<form" in landing.content


def test_revoking_a_recipient_leaves_the_share_and_the_others_open(visitor):
    revoked = RecipientFactory()
    other = RecipientFactory(share=revoked.share)
    revoked.revoke()

    assert open_share(Client(), opened_through(other)).status_code == 303
    assert open_share(Client(), revoked.share).status_code == 303


def test_a_recipient_used_up_is_refused_while_the_share_has_uses_left(visitor):
    recipient = RecipientFactory(max_uses=1)
    assert open_share(visitor, opened_through(recipient)).status_code == 303

    again = open_share(Client(), opened_through(recipient))

    assert_refused(again, Refusal.RECIPIENT_USED_UP, text="")
    assert visitor.get(recipient.get_absolute_url()).status_code == 200  # its grant still shows
    assert Share.objects.get(pk=recipient.share.pk).times_used == 1
    assert ShareAccess.objects.filter(reason="recipient_used_up").count() == 2  # GET, POST


def test_a_share_used_up_through_other_links_refuses_a_recipient_with_uses_left(visitor):
    recipient = RecipientFactory(share=ShareFactory(max_uses=1), max_uses=3)
    assert open_share(Client(), recipient.share).status_code == 303

    response = open_share(visitor, opened_through(recipient))

    assert_refused(response, Refusal.USED_UP, text="")
    recipient.refresh_from_db()
    assert recipient.times_used == 0


def test_a_rotated_recipient_link_is_unknown_and_its_grant_ends(visitor):
    recipient = RecipientFactory()
    old_url = recipient.get_absolute_url()
    open_share(visitor, opened_through(recipient))

    recipient.rotate_key()

    assert_refused(visitor.get(old_url), Refusal.UNKNOWN, text="whole link")
    fresh = visitor.get(recipient.get_absolute_url())
    assert fresh.status_code == 200 and b"<form" in fresh.content  # the landing page again


def test_a_new_common_link_keeps_recipients_links_but_ends_what_they_granted(visitor):
    recipient = RecipientFactory()
    share = recipient.share
    old_common = share.get_absolute_url()
    open_share(visitor, opened_through(recipient))
    assert b"<form" not in visitor.get(recipient.get_absolute_url()).content  # shown

    share.rotate_key()
    share.save()

    assert_refused(Client().get(old_common), Refusal.UNKNOWN, text="whole link")
    again = visitor.get(recipient.get_absolute_url())  # the same personal link still works…
    assert again.status_code == 200 and b"<form" in again.content  # …but must be opened again
    assert open_share(visitor, opened_through(recipient)).status_code == 303


def test_a_forged_or_deleted_recipient_link_is_unknown_like_any_link(visitor):
    recipient = RecipientFactory()
    url = recipient.get_absolute_url()
    key, _dot, _signature = recipient.token.partition(".")
    unknown = visitor.get("/share/nope/")

    forged = visitor.get(f"/share/{key}.forged/")
    recipient.delete()
    deleted = visitor.get(url)

    for response in (forged, deleted):
        assert_refused(response, Refusal.UNKNOWN, text="whole link")
        assert response.content == unknown.content


def test_a_recipients_landing_page_counts_the_uses_left_through_its_own_link(visitor):
    recipient = RecipientFactory(share=ShareFactory(max_uses=5), max_uses=2)
    landing = visitor.get(recipient.get_absolute_url()).content.decode()
    assert "2 uses left" in landing
    common = visitor.get(recipient.share.get_absolute_url()).content.decode()
    assert "5 uses left" in common


# -- shares restricted to e-mail addresses: the one-time code ----------------------------------

ANNA = "anna@example.org"


def send_form(client: Client, share: Share | ShareRecipient, **fields: str):
    """Post a form of the landing page (of a share's or a recipient's link), with the CSRF token
    a browser would send."""
    if "csrftoken" not in client.cookies:
        client.get(share.get_absolute_url())
    data = {"csrfmiddlewaretoken": client.cookies["csrftoken"].value, **fields}
    return client.post(share.get_absolute_url(), data)


def mailed_code(mailoutbox) -> str:
    return re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)


def test_the_landing_page_asks_for_an_address_and_shows_nothing_of_the_share(visitor):
    share = ShareFactory(name="Board minutes", allowed_addresses=[ANNA])
    response = visitor.get(share.get_absolute_url())
    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="email"' in content and 'name="code"' not in content
    assert "Board minutes" not in content
    assert_share_headers(response)


def test_listed_or_not_the_address_gets_the_same_page(visitor, mailoutbox):
    share = ShareFactory(allowed_addresses=["@example.org"])
    listed = send_form(visitor, share, step="email", email=ANNA)
    unlisted = send_form(Client(), share, step="email", email="eve@example.com")
    assert listed.status_code == unlisted.status_code == 200
    text = "If %s may open this share, we sent a code to it. It is valid for 10 minutes."
    assert text % ANNA in listed.content.decode()
    assert text % "eve@example.com" in unlisted.content.decode()
    assert 'name="code"' in listed.content.decode()
    [message] = mailoutbox
    assert message.to == [ANNA] and "10 minutes" in message.body
    assert mailed_code(mailoutbox) in message.subject
    [(html, kind)] = message.alternatives
    assert kind == "text/html" and mailed_code(mailoutbox) in html


def test_the_right_code_opens_the_share_and_the_grant_shows_it(visitor, mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA], max_uses=3)
    send_form(visitor, share, step="email", email=ANNA)
    opened = send_form(visitor, share, email=ANNA, code=mailed_code(mailoutbox))
    assert opened.status_code == 303
    page = visitor.get(share.get_absolute_url())
    assert page.status_code == 200 and share.name in page.content.decode()
    share.refresh_from_db()
    assert share.times_used == 1
    granted = ShareAccess.objects.get(share=share, granted=True)
    assert granted.email == ANNA


def test_a_share_with_a_password_asks_for_it_with_the_code(visitor, mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA], password="right")
    asked = send_form(visitor, share, step="email", email=ANNA)
    assert 'name="password"' in asked.content.decode()
    code = mailed_code(mailoutbox)
    wrong = send_form(visitor, share, email=ANNA, code=code, password="wrong")
    assert wrong.status_code == 403 and "That password is not correct." in wrong.content.decode()
    assert send_form(visitor, share, email=ANNA, code=code, password="right").status_code == 303


@pytest.mark.parametrize(
    ("make_it", "status", "message"),
    [
        ("wrong", 403, "That code is not correct."),
        ("expired", 410, "That code has expired. Request a new one."),
        ("used", 410, "That code was already used. Request a new one."),
        ("tries", 429, "Too many wrong codes were entered. Request a new code."),
        ("missing", 400, "Enter your e-mail address and the code we sent to it"),
    ],
)
def test_each_refused_code_has_its_status_and_message_and_is_logged(
    visitor, mailoutbox, make_it, status, message
):
    share = ShareFactory(allowed_addresses=[ANNA])
    send_form(visitor, share, step="email", email=ANNA)
    code = mailed_code(mailoutbox)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    if make_it == "expired":
        VerificationCode.objects.update(expires_at=timezone.now())
    elif make_it == "used":
        assert send_form(Client(), share, email=ANNA, code=code).status_code == 303
    elif make_it == "tries":
        for _ in range(5):
            send_form(visitor, share, email=ANNA, code=wrong)
    response = send_form(
        visitor,
        share,
        email=ANNA,
        code="" if make_it == "missing" else wrong if make_it == "wrong" else code,
    )
    assert response.status_code == status
    assert message in response.content.decode()
    assert_share_headers(response)
    reason = ShareAccess.objects.filter(share=share).latest("pk").reason
    assert (
        reason
        == {
            "wrong": "wrong_code",
            "expired": "code_expired",
            "used": "code_used",
            "tries": "code_tries_used_up",
            "missing": "code_required",
        }[make_it]
    )
    assert Share.objects.get(pk=share.pk).times_used == (1 if make_it == "used" else 0)


def test_too_many_codes_and_a_bad_address_are_refused_on_the_address_form(visitor, mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA])
    bad = send_form(visitor, share, step="email", email="not-an-address")
    assert bad.status_code == 400 and "Enter a valid e-mail address." in bad.content.decode()
    for _ in range(3):
        send_form(visitor, share, step="email", email=ANNA)
    refused = send_form(visitor, share, step="email", email=ANNA)
    assert refused.status_code == 429
    assert "Too many codes were requested" in refused.content.decode()
    assert len(mailoutbox) == 3


@override_settings(DIRECTUS_SHARES={"VERIFICATION_CODE_REQUESTS_PER_ADDRESS": (1, 600)})
def test_too_many_code_requests_from_one_client_are_refused_with_retry_after(visitor, mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA])
    send_form(visitor, share, step="email", email="eve@example.org")
    refused = send_form(visitor, share, step="email", email=ANNA)
    assert refused.status_code == 429
    assert "Too many codes were requested from your network." in refused.content.decode()
    assert 1 <= int(refused["Retry-After"]) <= 601
    assert_share_headers(refused)
    assert mailoutbox == []


def test_a_grant_ends_when_its_address_leaves_the_list(visitor, mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA, "bob@example.org"])
    send_form(visitor, share, step="email", email=ANNA)
    send_form(visitor, share, email=ANNA, code=mailed_code(mailoutbox))
    assert visitor.get(share.get_absolute_url()).status_code == 200
    share.allowed_addresses = ["bob@example.org"]
    share.save()
    landing = visitor.get(share.get_absolute_url())
    assert landing.status_code == 200 and 'name="email"' in landing.content.decode()


def test_a_grant_from_before_the_share_was_restricted_ends(visitor):
    share = ShareFactory()
    assert open_share(visitor, share).status_code == 303
    share.allowed_addresses = [ANNA]
    share.save()
    assert 'name="email"' in visitor.get(share.get_absolute_url()).content.decode()


def test_revoking_ends_a_grant_made_with_a_code(visitor, mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA])
    send_form(visitor, share, step="email", email=ANNA)
    send_form(visitor, share, email=ANNA, code=mailed_code(mailoutbox))
    share.revoke()
    assert visitor.get(share.get_absolute_url()).status_code == 410


def test_a_recipients_link_to_a_share_restricted_to_addresses_asks_for_a_code_too(
    visitor, mailoutbox
):
    recipient = RecipientFactory(share=ShareFactory(allowed_addresses=[ANNA]))
    through = opened_through(recipient)
    assert 'name="email"' in visitor.get(through.get_absolute_url()).content.decode()
    send_form(visitor, through, step="email", email=ANNA)
    assert send_form(visitor, through, email=ANNA, code=mailed_code(mailoutbox)).status_code == 303
    assert visitor.get(through.get_absolute_url()).status_code == 200
    recipient.refresh_from_db()
    assert recipient.times_used == 1
    assert ShareAccess.objects.get(granted=True).email == ANNA


# -- verified recipients: the code goes to the recipient's own address ---------------------------


def test_a_verified_recipients_link_offers_a_code_to_the_masked_address_only(visitor, mailoutbox):
    share = ShareFactory(name="Board minutes", verify_recipients=True)
    recipient = RecipientFactory(share=share, address="ada@example.com")
    landing = visitor.get(recipient.get_absolute_url())
    content = landing.content.decode()
    assert landing.status_code == 200
    assert "Send a code to a***@example.com" in content
    assert 'name="email"' not in content and "ada@example.com" not in content
    assert "Board minutes" not in content
    asked = send_form(visitor, recipient, step="email")
    content = asked.content.decode()
    assert "We sent a code to a***@example.com. It is valid for 10 minutes." in content
    assert 'name="code"' in content and "ada@example.com" not in content
    assert [message.to for message in mailoutbox] == [["ada@example.com"]]
    assert send_form(visitor, recipient, code=mailed_code(mailoutbox)).status_code == 303
    page = visitor.get(recipient.get_absolute_url())
    assert page.status_code == 200 and "Board minutes" in page.content.decode()


def test_a_forwarded_verified_recipients_link_opens_only_with_the_recipients_code(mailoutbox):
    share = ShareFactory(name="Board minutes", verify_recipients=True)
    recipient = RecipientFactory(share=share, address="ada@example.com")
    stranger = Client()
    asked = send_form(stranger, recipient, step="email", email="eve@example.com")
    assert asked.status_code == 200
    assert [message.to for message in mailoutbox] == [["ada@example.com"]]
    wrong = f"{(int(mailed_code(mailoutbox)) + 1) % 10**6:06d}"
    refused = send_form(stranger, recipient, email="eve@example.com", code=wrong)
    assert refused.status_code == 403 and "That code is not correct." in refused.content.decode()
    assert "Board minutes" not in stranger.get(recipient.get_absolute_url()).content.decode()
    assert ShareAccess.objects.filter(granted=True).count() == 0


def test_the_common_link_of_a_share_that_verifies_recipients_asks_no_code(visitor):
    share = ShareFactory(verify_recipients=True)
    RecipientFactory(share=share)
    content = visitor.get(share.get_absolute_url()).content.decode()
    assert 'name="email"' not in content and "Send a code" not in content
    assert open_share(visitor, share).status_code == 303
