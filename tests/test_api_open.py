"""The open-a-share API (info, auth, item): the share page's checks, refusals and counting, as
JSON – and exactly the page's fields, whose values are data, the same in every language, beside
the text the share page shows (the page itself stays localised)."""

from __future__ import annotations

import importlib
import json
import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.test import Client, override_settings
from django.urls import path
from django.utils import timezone, translation
from rest_framework.test import APIClient

from directus_shares import opening
from directus_shares.api.open import SALT, SCHEME, json_value
from directus_shares.models import RoleSettings, Share, ShareAccess, VerificationCode
from directus_shares.outcomes import Refusal
from example_project.reports.models import Person, Report
from tests.factories import (
    GadgetFactory,
    LabelFactory,
    OwnerFactory,
    RecipientFactory,
    RoleFactory,
    ShareFactory,
    rule,
)
from tests.helpers import downloaded, open_share, opened_through
from tests.testapp.models import Gadget, Label, Owner, Part

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api_open_urls")]

API = "/api/shares/open"
INFO_KEYS = {
    "name",
    "password_required",
    "email_required",
    "code_sent_to",
    "date_start",
    "date_end",
    "max_uses",
    "times_used",
    "uses_left",
    "status",
}


@pytest.fixture
def client() -> APIClient:
    return APIClient()


def info(client: APIClient, share: Share | str, access_token: str | None = None):
    return client.get(f"{API}/{_token(share)}/info/", **_auth_header(access_token))


def auth(client: APIClient, share: Share | str, password: object = None):
    body = {} if password is None else {"password": password}
    return client.post(f"{API}/{_token(share)}/auth/", body, format="json")


def item(client: APIClient, share: Share | str, access_token: str | None = None):
    return client.get(f"{API}/{_token(share)}/item/", **_auth_header(access_token))


def access_token(client: APIClient, share: Share, password: str | None = None) -> str:
    response = auth(client, share, password)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def _token(share: Share | str) -> str:
    return share if isinstance(share, str) else share.token


def _auth_header(access_token: str | None) -> dict[str, str]:
    return {} if access_token is None else {"HTTP_AUTHORIZATION": f"Share {access_token}"}


def assert_private(response) -> None:
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"


def assert_error(response, code: str, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"code", "detail"}
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    assert_private(response)
    return body


def assert_refused(response, refusal: Refusal) -> None:
    body = assert_error(response, refusal.code, refusal.status)
    assert body["detail"] == str(refusal.title)


def times_used(share: Share) -> int:
    share.refresh_from_db()
    return share.times_used


def log_reasons(share: Share) -> list[str]:
    return list(
        ShareAccess.objects.filter(share=share).order_by("pk").values_list("reason", flat=True)
    )


# -- info -----------------------------------------------------------------------------------------


def test_info_describes_the_share_and_counts_nothing(client):
    share = ShareFactory(name="Q3 figures", max_uses=5, times_used=2)
    for _ in range(3):
        response = info(client, share)
    assert response.status_code == 200
    assert_private(response)
    assert response.json() == {
        "name": "Q3 figures",
        "password_required": False,
        "email_required": False,
        "code_sent_to": None,
        "date_start": None,
        "date_end": None,
        "max_uses": 5,
        "times_used": 2,
        "uses_left": 3,
        "status": "active",
    }
    assert times_used(share) == 2
    assert log_reasons(share) == []


def test_info_hides_the_name_of_a_password_share_as_the_landing_page_does(client):
    end = timezone.now() + timedelta(days=2)
    share = ShareFactory(name="Secret plans", password="pw", date_end=end)
    body = info(client, share).json()
    assert body["name"] is None
    assert body["password_required"] is True
    assert datetime.fromisoformat(body["date_end"]) == end
    assert "Secret plans" not in json.dumps(body)


def test_info_says_nothing_about_the_object(client):
    gadget = GadgetFactory(name="Prototype Z")
    share = ShareFactory(content_object=gadget, name="")
    response = info(client, share)
    assert set(response.json()) == INFO_KEYS
    text = response.content.decode().lower()
    content_type = ContentType.objects.get_for_model(Gadget)
    for leak in ("gadget", "testapp", "prototype", str(gadget.pk), "content_type", "object"):
        assert leak not in text
    assert f'"{content_type.pk}"' not in text and f": {content_type.pk}," not in text


# -- refusals -------------------------------------------------------------------------------------


def _revoked() -> Share:
    share = ShareFactory()
    share.revoke()
    return share


def _object_gone() -> Share:
    share = ShareFactory()
    share.content_object.delete()
    return share


def _creator_gone() -> Share:
    share = ShareFactory()
    share.created_by.is_active = False
    share.created_by.save()
    return share


def _expired() -> Share:
    end = timezone.now() - timedelta(minutes=1)
    return ShareFactory(date_start=end - timedelta(days=1), date_end=end)


STATES = {
    "revoked": (_revoked, Refusal.UNAVAILABLE),
    "object-gone": (_object_gone, Refusal.UNAVAILABLE),
    "creator-gone": (_creator_gone, Refusal.UNAVAILABLE),
    "not-yet-open": (
        lambda: ShareFactory(date_start=timezone.now() + timedelta(days=1)),
        Refusal.NOT_YET_OPEN,
    ),
    "expired": (_expired, Refusal.EXPIRED),
    "used-up": (lambda: ShareFactory(max_uses=2, times_used=2), Refusal.USED_UP),
    "grants-nothing": (lambda: ShareFactory(role=None), Refusal.GRANTS_NOTHING),
    "role-may-not-view": (
        lambda: ShareFactory(role=RoleFactory(view=[Owner])),
        Refusal.GRANTS_NOTHING,
    ),
}
ENDPOINTS = {"info": info, "auth": auth, "item": item}


@pytest.mark.parametrize(
    ("path", "summary"),
    [
        ("info/", "What a share link needs before it opens"),
        ("auth/", "Open a share: count one use, get an access token"),
        ("item/", "The shared object"),
        ("files/x/", "Download a file of the shared object"),
    ],
)
def test_options_describes_an_endpoint_for_its_users_not_its_developers(client, path, summary):
    response = client.options(f"/api/shares/open/{ShareFactory().token}/{path}")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert response.json()["description"] == summary  # never the class's docstring


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("state", STATES)
def test_each_refusal_has_the_page_status_and_its_own_code(client, endpoint, state):
    make, refusal = STATES[state]
    share = make()
    page = open_share(APIClient(enforce_csrf_checks=True), share)  # the page's answer
    assert page.status_code == refusal.status
    before = times_used(share)
    assert_refused(ENDPOINTS[endpoint](client, share), refusal)
    assert times_used(share) == before
    assert log_reasons(share)[-1] == refusal.code  # logged like the page's refusals


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("token", ["nope", "A" * 22 + ".forged", "x" * 500, "äöü"])
def test_an_unknown_link_is_404(client, endpoint, token):
    assert_refused(ENDPOINTS[endpoint](client, token), Refusal.UNKNOWN)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_rotated_link_is_unknown(client, endpoint):
    share = ShareFactory()
    old_token = share.token
    share.rotate_key()
    share.save()
    assert_refused(ENDPOINTS[endpoint](client, old_token), Refusal.UNKNOWN)


def test_a_forbidden_network_is_refused_before_anything_else():
    share = ShareFactory(name="Inside only", password="pw", max_uses=1, times_used=1)
    RoleSettings.objects.create(role=share.role, allowed_networks="10.0.0.0/8")
    share.revoke()  # would be "unavailable" – but the outside learns not even that
    outside = APIClient(REMOTE_ADDR="192.0.2.1")
    for response in (info(outside, share), auth(outside, share, "pw"), item(outside, share)):
        assert_refused(response, Refusal.FORBIDDEN_NETWORK)
        assert "Inside only" not in response.content.decode()
    assert times_used(share) == 1


def test_inside_the_network_the_share_opens():
    share = ShareFactory(password="pw")
    RoleSettings.objects.create(role=share.role, allowed_networks="10.0.0.0/8")
    inside = APIClient(REMOTE_ADDR="10.20.30.40")
    assert info(inside, share).status_code == 200
    assert item(inside, share, access_token(inside, share, "pw")).status_code == 200


# -- auth -----------------------------------------------------------------------------------------


def test_auth_counts_one_use_and_returns_an_access_token(client):
    share = ShareFactory(max_uses=5)
    response = auth(client, share)
    assert response.status_code == 200
    assert_private(response)
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Share"
    assert body["expires_in"] == 3600
    assert times_used(share) == 1
    assert log_reasons(share) == ["granted"]


@override_settings(DIRECTUS_SHARES={"GRANT_MAX_AGE": 120})
def test_the_token_lives_as_long_as_a_grant(client):
    assert auth(client, ShareFactory()).json()["expires_in"] == 120


def test_every_auth_counts_once_and_max_uses_holds(client):
    share = ShareFactory(max_uses=2)
    assert auth(client, share).status_code == 200
    assert times_used(share) == 1
    assert auth(APIClient(), share).status_code == 200
    assert times_used(share) == 2
    assert_refused(auth(APIClient(), share), Refusal.USED_UP)
    assert times_used(share) == 2
    assert log_reasons(share) == ["granted", "granted", "used_up"]


def auth_holding(client: APIClient, share: Share, token: str, password: object = None):
    body = {} if password is None else {"password": password}
    headers = _auth_header(token)
    return client.post(f"{API}/{share.token}/auth/", body, format="json", **headers)


def test_auth_with_a_valid_token_counts_nothing_and_does_not_extend_it(client, monkeypatch):
    share = ShareFactory(max_uses=3, password="pw")
    token = access_token(client, share, "pw")
    first = time.time()
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: first + 600))
    again = auth_holding(client, share, token)  # no password needed: the token proves it
    assert again.status_code == 200
    body = again.json()
    assert body["access_token"] == token  # the same token, not a new one
    assert 2995 <= body["expires_in"] <= 3000  # what it has left
    assert times_used(share) == 1
    assert log_reasons(share) == ["granted"]
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: first + 3601))
    assert_error(item(client, share, token), "token_invalid", 401)  # ended on time
    assert_error(auth_holding(client, share, token), "password_required", 401)  # counts again
    assert auth_holding(client, share, token, "pw").json()["access_token"] != token
    assert times_used(share) == 2


def test_auth_with_a_valid_token_is_refused_once_the_share_refuses(client):
    share = ShareFactory()
    token = access_token(client, share)
    Share.objects.filter(pk=share.pk).update(date_end=timezone.now())
    assert_refused(auth_holding(client, share, token), Refusal.EXPIRED)
    assert times_used(share) == 1


def test_auth_with_another_shares_token_counts_as_a_first_open(client):
    one, other = ShareFactory(), ShareFactory()
    token = access_token(client, one)
    assert auth_holding(client, other, token).json()["access_token"] != token
    assert times_used(other) == 1


@pytest.mark.parametrize(
    ("password", "code", "status"),
    [
        (None, "password_required", 401),
        ("", "password_required", 401),
        ("wrong", "wrong_password", 401),
        ("x" * 9, "password_too_long", 400),
    ],
    ids=["missing", "empty", "wrong", "too-long"],
)
@override_settings(DIRECTUS_SHARES={"MAX_PASSWORD_LENGTH": 8})
def test_a_password_problem_has_its_own_code_and_counts_nothing(client, password, code, status):
    share = ShareFactory(password="right")
    assert_error(auth(client, share, password), code, status)
    assert times_used(share) == 0
    assert log_reasons(share) == ["wrong_password"]  # as the page logs all three
    assert auth(client, share, "right").status_code == 200
    assert times_used(share) == 1


def test_a_password_is_not_asked_of_a_share_without_one(client):
    share = ShareFactory()
    assert auth(client, share, "anything").status_code == 200


@pytest.mark.parametrize("body", ['{"password": ', '["pw"]', '{"password": ["pw"]}'])
def test_a_malformed_body_is_a_json_400(client, body):
    share = ShareFactory(password="pw")
    response = client.post(f"{API}/{share.token}/auth/", body, content_type="application/json")
    assert response.status_code == 400
    assert {"code", "detail"} <= set(response.json()) <= {"code", "detail", "errors"}
    assert times_used(share) == 0


def test_auth_needs_no_csrf_token_as_nothing_authenticates_by_cookie():
    share = ShareFactory()
    strict = APIClient(enforce_csrf_checks=True)
    assert auth(strict, share).status_code == 200


def test_a_share_changed_while_opening_is_a_409(client, monkeypatch):
    share = ShareFactory(password="pw")
    counted = opening.consume_use

    def racing(share: Share, now, *args) -> bool:  # password changed before the count
        Share.objects.filter(pk=share.pk).update(password=make_password("new"))
        return counted(share, now, *args)

    monkeypatch.setattr(opening, "consume_use", racing)
    assert_error(auth(client, share, "pw"), "changed", 409)
    assert times_used(share) == 0
    assert log_reasons(share) == ["changed"]


def test_a_share_used_up_while_opening_says_so(client, monkeypatch):
    share = ShareFactory(max_uses=1)
    counted = opening.consume_use

    def racing(share: Share, now, *args) -> bool:
        Share.objects.filter(pk=share.pk).update(times_used=1)
        return counted(share, now, *args)

    monkeypatch.setattr(opening, "consume_use", racing)
    assert_refused(auth(client, share), Refusal.USED_UP)


@pytest.mark.parametrize(("method", "path"), [("get", "auth"), ("post", "info"), ("put", "item")])
def test_other_methods_are_a_json_405(client, method, path):
    share = ShareFactory()
    response = getattr(client, method)(f"{API}/{share.token}/{path}/")
    assert_error(response, "method_not_allowed", 405)


# -- item -----------------------------------------------------------------------------------------


def test_item_shows_the_object_and_counts_nothing(client):
    gadget = GadgetFactory(name="Blue box", homepage="https://example.com/")
    share = ShareFactory(content_object=gadget, max_uses=3)
    token = access_token(client, share)
    for _ in range(3):
        response = item(client, share, token)
    assert response.status_code == 200
    assert_private(response)
    body = response.json()
    assert set(body) == {"fields", "relations"}
    assert body["fields"]["name"] == {
        "label": "Name",
        "value": "Blue box",
        "text": "Blue box",
        "kind": "text",
        "url": None,
    }
    assert body["fields"]["homepage"]["url"] == "https://example.com/"
    assert body["fields"]["colour"]["value"] == "g"
    assert body["fields"]["colour"]["text"] == "Green"
    text = response.content.decode()
    assert "gadget" not in text.lower() and "testapp" not in text
    assert times_used(share) == 1
    assert log_reasons(share) == ["granted"]


@pytest.mark.parametrize(
    "header",
    [None, "Share", "Share garbage", "Bearer {token}", "{token}", "Share {token}x"],
)
def test_item_without_a_valid_token_is_401(client, header):
    share = ShareFactory()
    token = access_token(client, share)
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header.format(token=token)}
    response = client.get(f"{API}/{share.token}/item/", **extra)
    assert_error(response, "token_invalid", 401)
    assert response["WWW-Authenticate"] == "Share"
    assert times_used(share) == 1


def test_a_token_opens_only_its_own_share(client):
    one, other = ShareFactory(), ShareFactory()
    assert_error(item(client, other, access_token(client, one)), "token_invalid", 401)


def test_neither_a_link_token_nor_a_grant_cookie_is_an_access_token(client):
    share = ShareFactory()
    browser = APIClient(enforce_csrf_checks=True)
    assert open_share(browser, share).status_code == 303
    cookie = browser.cookies["directus_share_grant"].value
    for fake in (share.token, cookie, signing.dumps("x", salt=SALT)):
        assert_error(item(client, share, fake), "token_invalid", 401)


def test_the_token_ends_after_grant_max_age(client, monkeypatch):
    share = ShareFactory()
    token = access_token(client, share)
    later = time.time() + 3601
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: later))
    assert_error(item(client, share, token), "token_invalid", 401)


def test_the_token_ends_when_the_share_is_revoked(client):
    share = ShareFactory()
    token = access_token(client, share)
    share.revoke()
    assert_refused(item(client, share, token), Refusal.UNAVAILABLE)
    share.reenable()  # re-enabling brings no token back
    assert_error(item(client, share, token), "token_invalid", 401)


def test_the_token_ends_when_the_link_is_rotated(client):
    share = ShareFactory()
    old_link, token = share.token, access_token(client, share)
    share.rotate_key()
    share.save()
    assert_refused(item(client, old_link, token), Refusal.UNKNOWN)
    assert_error(item(client, share, token), "token_invalid", 401)


@pytest.mark.parametrize("new_password", ["other", None], ids=["changed", "removed"])
def test_the_token_ends_when_the_password_changes(client, new_password):
    share = ShareFactory(password="pw")
    token = access_token(client, share, "pw")
    assert item(client, share, token).status_code == 200
    share.set_password(new_password)
    share.save()
    assert_error(item(client, share, token), "token_invalid", 401)


def test_the_token_ends_when_the_share_expires(client):
    share = ShareFactory()
    token = access_token(client, share)
    Share.objects.filter(pk=share.pk).update(date_end=timezone.now() - timedelta(seconds=1))
    assert_refused(item(client, share, token), Refusal.EXPIRED)


def test_a_token_holder_still_sees_a_share_others_used_up(client):
    share = ShareFactory(max_uses=1)
    token = access_token(client, share)
    assert times_used(share) == 1
    assert item(client, share, token).status_code == 200
    assert info(client, share, token).json()["status"] == "used_up"
    assert_refused(info(APIClient(), share), Refusal.USED_UP)
    assert_refused(auth(APIClient(), share), Refusal.USED_UP)


def test_the_object_gone_after_auth_is_unavailable(client):
    share = ShareFactory()
    token = access_token(client, share)
    share.content_object.delete()
    assert_refused(item(client, share, token), Refusal.UNAVAILABLE)


@override_settings(DIRECTUS_SHARES={"OPEN_UNLIMITED_ON_GET": True})
def test_open_unlimited_on_get_shows_the_item_without_a_token_as_the_page_does(client):
    share = ShareFactory(content_object=GadgetFactory(name="Open box"))
    assert item(client, share).json()["fields"]["name"]["value"] == "Open box"
    assert times_used(share) == 0
    limited = ShareFactory(max_uses=3)
    assert_error(item(client, limited), "token_invalid", 401)


@pytest.mark.usefixtures("media")
@override_settings(DIRECTUS_SHARES={"OPEN_UNLIMITED_ON_GET": True})
def test_open_unlimited_on_get_serves_the_items_files_without_a_token_too(client):
    share = ShareFactory(content_object=GadgetFactory(manual="manuals/guide.pdf"))
    url = item(client, share).json()["fields"]["manual"]["url"]
    response = client.get(url)  # the link item gave, as the page's file link works
    assert response.status_code == 200
    assert downloaded(response) == b"%PDF-1.4 the manual"


def test_refusal_logs_do_not_write_the_link(client, caplog):
    caplog.set_level("INFO")
    share = ShareFactory(password="pw")
    auth(client, share, "wrong")
    assert caplog.records
    assert share.token not in caplog.text
    assert share.token[:6] in caplog.text


# -- the page and the API show the same ----------------------------------------------------------


def _gadget_world() -> Gadget:
    owner = OwnerFactory(name="Olga", email="olga@example.com")
    gadget = GadgetFactory(name="Widget", owner=owner, homepage="https://example.com/w")
    gadget.labels.add(LabelFactory(name="red"), LabelFactory(name="blue"))
    Part.objects.create(gadget=gadget, name="Screw")
    Part.objects.create(gadget=gadget, name="Bolt")
    return gadget


ROLES = {
    "everything": lambda: RoleFactory(view=[Gadget, Owner, Label, Part]),
    "gadget-only": lambda: RoleFactory(view=[Gadget]),
    "some-fields": lambda: _role_with_rule(
        fields=["name", "owner", "parts"], owner_fields=["name"]
    ),
}


def _role_with_rule(fields: list[str], owner_fields: list[str]):
    role = RoleFactory(view=[Gadget, Owner, Label, Part])
    rule(role, Gadget, fields=fields)
    rule(role, Owner, fields=owner_fields)
    return role


_PAGE_NAMES = re.compile(r'data-field="([^"]+)"|\bid="ds-rel-([^"]+)"|data-relation="([^"]+)"')


def _page_names(html: str) -> list[str]:
    """Field names and (as ``rel:<name>``) relation names of the page, in document order."""
    return [field or f"rel:{top or nested}" for field, top, nested in _PAGE_NAMES.findall(html)]


def _api_names(disclosed: dict) -> list[str]:
    names = list(disclosed["fields"])
    for relation in disclosed["relations"]:
        names.append(f"rel:{relation['name']}")
        for linked in relation["objects"]:
            names += _api_names(linked)
    return names


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("password", [None, "pw"], ids=["open", "password"])
def test_the_page_and_the_api_show_the_same_fields_and_relations(client, role, password):
    share = ShareFactory(content_object=_gadget_world(), role=ROLES[role](), password=password)
    browser = APIClient(enforce_csrf_checks=True)
    assert open_share(browser, share, password).status_code == 303
    page = browser.get(share.get_absolute_url())
    assert page.status_code == 200
    api = item(client, share, access_token(client, share, password))
    assert api.status_code == 200
    page_names, api_names = _page_names(page.content.decode()), _api_names(api.json())
    assert "name" in api_names
    assert api_names == page_names
    if role == "everything":
        assert {"rel:owner", "rel:labels", "rel:parts"} <= set(api_names)


# -- schema ---------------------------------------------------------------------------------------


def test_the_openapi_schema_describes_every_endpoint_and_validates():
    pytest.importorskip("drf_spectacular")
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    from directus_shares.api import open as open_api

    spectacular = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
    # extend_schema binds to the schema class set when the views are defined: a project using
    # drf-spectacular sets it in its settings; the test settings do not, so define them again.
    try:
        with override_settings(REST_FRAMEWORK=spectacular):
            importlib.reload(open_api)
            patterns = [
                path(f"{API[1:]}/<str:token>/{name}/", view.as_view())
                for name, view in (
                    ("info", open_api.ShareInfoView),
                    ("auth", open_api.ShareAuthView),
                    ("item", open_api.ShareItemView),
                )
            ]
            document = SchemaGenerator(patterns=patterns).get_schema(public=True)
    finally:
        importlib.reload(open_api)
    validate_schema(document)
    paths = document["paths"]
    assert set(paths) == {f"{API}/{{token}}/{name}/" for name in ("info", "auth", "item")}
    item_responses = paths[f"{API}/{{token}}/item/"]["get"]["responses"]
    assert {"200", "401", "403", "404", "410"} <= set(item_responses)
    auth_responses = paths[f"{API}/{{token}}/auth/"]["post"]["responses"]
    assert {"200", "400", "401", "403", "404", "409", "410"} <= set(auth_responses)
    assert "ShareAuthRequest" in document["components"]["schemas"]


# -- the item's values: data, the same in every language, beside the page's text ------------------


@pytest.fixture
def numbers_share():
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


def item_fields(client: APIClient, share: Share) -> dict:
    url = f"/api/shares/open/{share.token}/"
    access = client.post(url + "auth/").json()["access_token"]
    response = client.get(url + "item/", HTTP_AUTHORIZATION=f"{SCHEME} {access}")
    assert response.status_code == 200
    return response.json()["fields"]


@pytest.mark.parametrize("language", ["en", "de"])
def test_item_values_are_data_in_every_language(client, numbers_share, language):
    with translation.override(language):
        fields = item_fields(client, numbers_share)
    values = {name: field["value"] for name, field in fields.items()}
    assert values["budget"] == "19.90"  # DRF's decimal: a string, never "19,90"
    assert values["published_on"] == "2025-03-01"
    assert values["reviewed_at"] == "2025-03-01T11:30:00+01:00"  # TIME_ZONE Europe/Berlin
    assert values["status"] == "done"  # the stored value …
    assert fields["status"]["text"] == "Done"  # … with its label beside it
    assert values["is_public"] is True
    assert values["title"] == "Numbers"


def test_the_text_beside_the_value_is_the_pages_localised_text(client, numbers_share):
    with translation.override("de"):
        fields = item_fields(client, numbers_share)
    assert fields["budget"]["text"] == "19,90"
    assert fields["published_on"]["text"] == "1. März 2025"
    assert fields["is_public"]["text"] == "Ja"


def test_the_share_page_stays_localised(numbers_share):
    visitor = Client()
    with translation.override("de"):
        assert open_share(visitor, numbers_share).status_code == 303
        html = visitor.get(numbers_share.get_absolute_url()).content.decode()
    assert "19,90" in html and "1. März 2025" in html
    assert "2025-03-01" not in html


@pytest.mark.parametrize(
    ("value", "data"),
    [
        (None, None),
        (Decimal("1E+2"), "100"),
        (Decimal("0.10"), "0.10"),
        (time_of_day(9, 5), "09:05:00"),
        (timedelta(days=1, seconds=3), "1 00:00:03"),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        (float("inf"), "inf"),
        (1.5, 1.5),
        ({"a": [1, "b"]}, {"a": [1, "b"]}),
    ],
)
def test_json_value(value, data):
    assert json_value(value) == data


# -- a recipient's own link ---------------------------------------------------------------------


def test_a_recipients_link_opens_through_the_api_and_counts_for_both(client):
    recipient = RecipientFactory(share=ShareFactory(max_uses=3), max_uses=2)
    through = opened_through(recipient)

    token = access_token(client, through)
    shown = item(client, through, token)
    looked = info(client, through, token)

    assert shown.status_code == 200 and shown.json()
    assert looked.json()["times_used"] == 1
    recipient.refresh_from_db()
    assert (recipient.times_used, times_used(recipient.share)) == (1, 1)
    assert item(client, recipient.share, token).status_code == 401  # not the common link's token


def test_a_revoked_recipients_access_token_ends_at_once(client):
    recipient = RecipientFactory()
    token = access_token(client, opened_through(recipient))

    recipient.revoke()

    assert_refused(item(client, opened_through(recipient), token), Refusal.RECIPIENT_REVOKED)
    assert_refused(auth(client, opened_through(recipient)), Refusal.RECIPIENT_REVOKED)
    recipient.reenable()
    assert item(client, opened_through(recipient), token).status_code == 401  # stays ended


def test_a_rotated_recipients_old_link_and_token_are_unknown(client):
    recipient = RecipientFactory()
    old = opened_through(recipient).token
    token = access_token(client, opened_through(recipient))

    recipient.rotate_key()

    assert_refused(item(client, old, token), Refusal.UNKNOWN)
    assert item(client, opened_through(recipient), token).status_code == 401


def test_a_used_up_recipient_is_refused_on_auth_but_its_token_still_reads(client):
    recipient = RecipientFactory(max_uses=1)
    token = access_token(client, opened_through(recipient))

    assert_refused(auth(APIClient(), opened_through(recipient)), Refusal.RECIPIENT_USED_UP)
    assert item(client, opened_through(recipient), token).status_code == 200


def test_a_recipients_link_counts_api_clients_as_devices_and_refuses_the_one_past_the_limit():
    recipient = RecipientFactory(share=ShareFactory(devices_per_recipient=1))
    first = APIClient()
    token = access_token(first, opened_through(recipient))
    assert first.cookies["directus_share_device"]["httponly"]  # the device, kept by the client
    assert auth(first, opened_through(recipient)).status_code == 200  # the same device again
    assert_refused(auth(APIClient(), opened_through(recipient)), Refusal.RECIPIENT_FORWARDED)
    assert_refused(info(APIClient(), opened_through(recipient)), Refusal.RECIPIENT_FORWARDED)
    assert item(first, opened_through(recipient), token).status_code == 200
    assert log_reasons(recipient.share)[-2:] == ["recipient_forwarded"] * 2
    forwarded = auth(APIClient(), opened_through(recipient)).json()["detail"]
    assert recipient.address not in forwarded


def test_an_unknown_recipient_token_answers_exactly_as_an_unknown_link(client):
    recipient = RecipientFactory()
    key = recipient.key
    unknown = auth(client, "nope")
    recipient.delete()

    for response in (auth(client, recipient.token), auth(client, f"{key}.forged")):
        assert_refused(response, Refusal.UNKNOWN)
        assert response.content == unknown.content


def test_info_through_a_recipients_link_tells_the_uses_left_through_it(client):
    recipient = RecipientFactory(share=ShareFactory(max_uses=5), max_uses=2)
    body = info(client, opened_through(recipient)).json()
    assert (body["max_uses"], body["times_used"], body["uses_left"]) == (5, 0, 2)


# -- code and verify: shares restricted to e-mail addresses -------------------------------------

ANNA = "anna@example.org"


def request_code(client: APIClient, share: Share | str, email: object = ANNA):
    return client.post(f"{API}/{_token(share)}/code/", {"email": email}, format="json")


def verify(client: APIClient, share: Share | str, code: object, email: str = ANNA, **more):
    body = {"email": email, "code": code, **more}
    return client.post(f"{API}/{_token(share)}/verify/", body, format="json")


def mailed_code(mailoutbox) -> str:
    return re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)


def test_info_says_a_code_is_needed_and_keeps_the_name(client):
    body = info(client, ShareFactory(name="Board", allowed_addresses=[ANNA])).json()
    assert body["email_required"] is True and body["name"] is None


def test_a_code_request_answers_the_same_listed_or_not(client, mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA])
    listed = request_code(client, share, "Anna@Example.org")
    unlisted = request_code(client, share, "eve@example.org")
    assert listed.status_code == unlisted.status_code == 200
    assert listed.json()["expires_in"] == unlisted.json()["expires_in"] == 600
    assert listed.json()["detail"] == unlisted.json()["detail"]
    assert listed.json()["email"] == ANNA
    assert_private(listed)
    assert [m.to for m in mailoutbox] == [[ANNA]]


def test_verify_opens_with_the_code_and_the_token_reads_the_item(client, mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA])
    request_code(client, share)
    response = verify(client, share, mailed_code(mailoutbox))
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    assert item(client, share, token).status_code == 200
    assert times_used(share) == 1
    assert ShareAccess.objects.get(share=share, granted=True).email == ANNA
    share.allowed_addresses = ["bob@example.org"]  # the token carries the address
    share.save()
    assert_error(item(client, share, token), "token_invalid", 401)


def test_auth_does_not_open_a_share_that_needs_a_code(client):
    share = ShareFactory(allowed_addresses=[ANNA])
    assert_error(auth(client, share), "code_required", 400)
    assert times_used(share) == 0 and log_reasons(share) == ["code_required"]


@pytest.mark.parametrize(
    ("make_it", "code", "status"),
    [
        ("wrong", "wrong_code", 403),
        ("expired", "code_expired", 410),
        ("used", "code_used", 410),
        ("tries", "code_tries_used_up", 429),
        ("unrequested", "code_required", 400),
    ],
)
def test_each_refused_code_has_its_own_error_code(client, mailoutbox, make_it, code, status):
    share = ShareFactory(allowed_addresses=[ANNA, "bob@example.org"])
    request_code(client, share)
    right = mailed_code(mailoutbox)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    if make_it == "expired":
        VerificationCode.objects.update(expires_at=timezone.now())
    elif make_it == "used":
        assert verify(client, share, right).status_code == 200
    elif make_it == "tries":
        for _ in range(5):
            verify(client, share, wrong)
    email = "bob@example.org" if make_it == "unrequested" else ANNA
    sent = wrong if make_it == "wrong" else right
    assert_error(verify(client, share, sent, email), code, status)
    assert log_reasons(share)[-1] == code
    assert times_used(share) == (1 if make_it == "used" else 0)


@pytest.mark.parametrize(
    ("path", "body", "code", "status"),
    [
        ("code", {"email": "nonsense"}, "email_invalid", 400),
        ("code", {}, "email_invalid", 400),  # optional: a verified recipient's link needs none
        ("code", {"email": ["a@b.org"]}, "invalid", 400),
        ("verify", {"email": ANNA}, "required", 400),
        ("verify", {"email": ANNA, "code": "1" * 33}, "max_length", 400),
    ],
)
def test_malformed_bodies_are_400s(client, path, body, code, status):
    share = ShareFactory(allowed_addresses=[ANNA])
    response = client.post(f"{API}/{share.token}/{path}/", body, format="json")
    assert response.status_code == status and response.json()["code"] == code
    assert times_used(share) == 0


def test_too_many_codes_are_429(client, mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA])
    for _ in range(3):
        assert request_code(client, share).status_code == 200
    assert_error(request_code(client, share), "too_many_codes", 429)


@override_settings(DIRECTUS_SHARES={"VERIFICATION_CODE_REQUESTS_PER_ADDRESS": (2, 600)})
def test_too_many_code_requests_from_one_client_are_429_with_retry_after(client, mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA])
    for email in (ANNA, "eve@example.org"):
        assert request_code(client, share, email).status_code == 200
    for email in (ANNA, "mallory@example.org"):  # listed or not: the same answer
        response = request_code(client, share, email)
        body = assert_error(response, "too_many_code_requests", 429)
        assert body["detail"] == "Too many codes were requested from your network. Try again later."
        assert 1 <= int(response["Retry-After"]) <= 601
    assert len(mailoutbox) == 1


def test_a_code_for_a_share_without_addresses_is_refused(client, mailoutbox):
    assert_error(request_code(client, ShareFactory()), "code_not_used", 400)
    assert mailoutbox == []


def test_code_for_an_unknown_link_is_404(client):
    assert_refused(request_code(client, "nope"), Refusal.UNKNOWN)
    assert_refused(verify(client, "nope", "123456"), Refusal.UNKNOWN)


# -- code and verify: verified recipients ---------------------------------------------------------


def test_a_verified_recipients_link_mails_the_recipient_and_verify_takes_the_code(
    client, mailoutbox
):
    recipient = RecipientFactory(
        share=ShareFactory(name="Board", verify_recipients=True), address="ada@example.com"
    )
    body = info(client, recipient.token).json()
    assert body["email_required"] is True and body["name"] is None
    assert body["code_sent_to"] == "a***@example.com"
    asked = client.post(f"{API}/{recipient.token}/code/", {}, format="json")
    assert asked.status_code == 200, asked.content
    assert asked.json()["email"] == "a***@example.com"
    assert [m.to for m in mailoutbox] == [["ada@example.com"]]
    opened = client.post(
        f"{API}/{recipient.token}/verify/", {"code": mailed_code(mailoutbox)}, format="json"
    )
    assert opened.status_code == 200, opened.content
    assert item(client, recipient.token, opened.json()["access_token"]).status_code == 200
    granted = ShareAccess.objects.get(granted=True)
    assert (granted.email, granted.recipient_id) == ("ada@example.com", recipient.pk)


def test_a_forwarded_verified_recipients_link_cannot_prove_another_address(client, mailoutbox):
    recipient = RecipientFactory(share=ShareFactory(verify_recipients=True))
    request_code(client, recipient.token, "eve@example.org")  # the address sent is ignored
    assert [m.to for m in mailoutbox] == [[recipient.address]]
    code = f"{(int(mailed_code(mailoutbox)) + 1) % 10**6:06d}"
    assert_error(verify(client, recipient.token, code, "eve@example.org"), "wrong_code", 403)
    assert_error(auth(client, recipient.token), "code_required", 400)
    assert times_used(recipient.share) == 0
