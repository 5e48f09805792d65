"""Hostile input to every public endpoint and every admin form: a clear answer, never a 500, and
nothing changed.

Each row of the tables below is one request – endpoint, method, the hostile input, the status
expected and a fragment of the message that must explain it. Every request goes through a test
client that turns exceptions into the 500 a visitor would get (``raise_request_exception=False``),
and the rows of every table a request could change are compared before and after it: shares, role
rules and settings, groups and their permissions, users with their groups and permissions,
django-guardian's object permissions, the admin log, and the shared test objects. No mail may be
sent, no server error logged, and no working link written to the log.

The access log (``ShareAccess``) is left out of that comparison on purpose: it records refused
attempts on known shares by design (see docs/access-log.md), so a hostile request to a real link
adds an entry there – and nowhere else.

Public endpoints answer with a 4xx – except where the hostile part is simply ignored: another
share's grant cookie gets the landing page (200) and another share's file link, not yet opened,
the redirect to it (303). The admin keeps its own conventions: a form with invalid input is shown
again (200) with the message next to its field, an unknown object on the admin's own change page
redirects to the index with a message (followed here), and so does a tampered bulk action.

No answer may write a working link into the log.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from guardian.models import GroupObjectPermission, UserObjectPermission

from directus_shares import files, views
from directus_shares.api.open import issue_access_token
from directus_shares.models import RoleRule, RoleSettings, Share
from example_project.reports.models import Comment, Document, Person, Report, Tag
from tests.factories import RoleFactory, ShareFactory, UserFactory, rule
from tests.test_admin_rules import group_form
from tests.testapp.models import Gadget, Label, Owner

pytestmark = pytest.mark.django_db

HUGE = 3 * 1024 * 1024  # over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)
LONG = 10_000
ENORMOUS = 10**30
NUL_REFERENCE = quote("é\x00字")

UNKNOWN = "This share link does not exist."
FILE_UNKNOWN = "This file link does not exist."  # under a share that opens
NOT_FOUND = "The requested resource was not found on this server."  # Django's own 404
UNAVAILABLE = "This share is no longer available."
CSRF_PAGE = "Reload the page, then submit it again."
CSRF_ADMIN = "CSRF verification failed."
BAD_REQUEST = "Bad Request (400)"
TOO_LARGE = "The request is too large."
TOKEN_INVALID = "The access token is missing, invalid or expired."
NO_SHARE = '"code":"not_found","detail":"Not found."'  # the API's own 404


def report(title: str) -> Report:
    return Report.objects.create(
        title=title, summary="s", status="done", author=Person.objects.create(name="Ada")
    )


class World:
    """What the cases point at, made on first use so that each case builds only what it needs.

    ``sharer`` may view and share reports (as a member of ``reviewer``) and created ``share``
    (of ``report``), ``other_share`` (of ``other_report``) and ``password_share``; ``foreign``
    is someone else's share of ``report``.
    """

    @cached_property
    def reviewer(self) -> Group:
        return RoleFactory(name="Reviewer", view=[Report, Person], share=[Report])

    @cached_property
    def sharer(self) -> User:
        user = UserFactory()  # no password: logged in with force_login
        user.user_permissions.add(
            *Permission.objects.filter(codename__in=["view_report", "change_report"])
        )
        user.groups.add(self.reviewer)
        return user

    @cached_property
    def superuser(self) -> User:
        return UserFactory(is_superuser=True)

    @cached_property
    def report(self) -> Report:
        return report("Quarterly numbers")

    @cached_property
    def other_report(self) -> Report:
        return report("Other numbers")

    def share_of(self, obj: Report, **fields: Any) -> Share:
        fields.setdefault("role", self.reviewer)
        return ShareFactory(content_object=obj, created_by=self.sharer, **fields)

    @cached_property
    def share(self) -> Share:
        return self.share_of(self.report, name="Share A")

    @cached_property
    def other_share(self) -> Share:
        return self.share_of(self.other_report, name="Share B")

    @cached_property
    def password_share(self) -> Share:
        """A share with the password "pw", hashed with MD5: Argon2 takes a second or more on a
        busy test machine, and no case here depends on the hasher."""
        share = self.share_of(self.report, name="With password")
        Share.objects.filter(pk=share.pk).update(password=make_password("pw", hasher="md5"))
        share.refresh_from_db()
        return share

    @cached_property
    def foreign(self) -> Share:
        return ShareFactory(content_object=self.report, role=self.reviewer, name="Not yours")

    @cached_property
    def rotated_token(self) -> str:
        share = self.share_of(self.report)
        token = share.token
        share.rotate_key()
        share.save()
        return token

    @cached_property
    def deleted_token(self) -> str:
        share = self.share_of(self.report)
        token = share.token
        share.delete()
        return token

    @cached_property
    def object_gone(self) -> Share:
        """A share whose report was deleted (shares outlive their object, and are refused)."""
        share = self.share_of(report("Deleted"))
        share.content_object.delete()
        return share

    @cached_property
    def role_gone(self) -> Share:
        share = self.share_of(self.report, role=RoleFactory(view=[Report]))
        share.role.delete()
        return Share.objects.get(pk=share.pk)

    @cached_property
    def deleted_role_pk(self) -> int:
        role = RoleFactory()
        pk = role.pk
        role.delete()
        return pk

    @cached_property
    def deleted_report_pk(self) -> int:
        gone = report("Gone")
        pk = gone.pk
        gone.delete()
        return pk

    @cached_property
    def ruled_role(self) -> Group:
        """A role with a rule for reports already."""
        role = RoleFactory(name="Ruled", view=[Report])
        rule(role, Report, all_fields=True)
        return role

    def access_token(self, share: Share) -> str:
        return issue_access_token(share)  # as auth would, without counting a use

    def file_reference(self, share: Share, obj: Report) -> str:
        return files.file_reference(share, obj, "attachment")


# -- requests ------------------------------------------------------------------------------------

Build = Callable[[World], Any]


@dataclass(frozen=True)
class Case:
    """One hostile request and the answer it must get."""

    endpoint: str
    method: str
    input: str
    url: Build
    status: int | tuple[int, ...]
    message: str
    data: Build | None = None
    body: str = "form"  # "form", "json" (data is JSON-encoded) or "raw" (data is sent as is)
    content_type: str = "text/plain"  # for "raw" bodies
    user: str | None = None  # "sharer" or "superuser", logged in
    granted: Build | None = None  # the share the visitor holds a grant for
    headers: Build | None = None
    csrf: bool = False  # the client enforces CSRF checks, as a browser's session would
    follow: bool = False

    @property
    def id(self) -> str:
        return f"{self.endpoint} {self.method} {self.input}"


def param(*args: Any, marks: Any = (), **kwargs: Any) -> Any:
    case = Case(*args, **kwargs)
    return pytest.param(case, id=case.id, marks=marks)


def client_for(case: Case, world: World) -> Client:
    """A client that answers a server error with a 500 instead of raising it, logged in (which
    writes ``last_login``) and holding its cookies before anything is compared."""
    client = Client(enforce_csrf_checks=case.csrf, raise_request_exception=False)
    if case.user:
        client.force_login(getattr(world, case.user))
    if case.granted:
        response = HttpResponse()
        views.issue_grant(RequestFactory().get("/"), response, case.granted(world))
        client.cookies.update(response.cookies)
    if case.csrf:  # a CSRF cookie, but no token in the form: what a forged request carries
        client.cookies["csrftoken"] = "c" * 32
    return client


def send(client: Client, case: Case, url: str, data: Any, headers: dict[str, str]) -> HttpResponse:
    kwargs: dict[str, Any] = {"follow": case.follow, "headers": headers}
    if data is not None and case.body == "json":
        kwargs.update(data=json.dumps(data), content_type="application/json")
    elif data is not None and case.body == "raw":
        kwargs.update(data=data, content_type=case.content_type)
    elif data is not None:
        kwargs["data"] = data
    return getattr(client, case.method.lower())(url, **kwargs)


def answer_text(response: HttpResponse) -> str:
    """What the answer says: its body (unescaped), and where it points (Allow, Location)."""
    parts = [f"{name}: {response[name]}" for name in ("Allow", "Location") if name in response]
    if not getattr(response, "streaming", False):
        parts.append(html.unescape(response.content.decode("utf-8", "replace")))
    if getattr(response, "redirect_chain", None):
        parts.append(f"redirected: {response.redirect_chain}")
    return "\n".join(parts)


SNAPSHOT_MODELS = [
    Share,
    RoleRule,
    RoleSettings,
    Group,
    Group.permissions.through,
    User,
    User.groups.through,
    User.user_permissions.through,
    UserObjectPermission,
    GroupObjectPermission,
    LogEntry,
    Report,
    Report.tags.through,
    Person,
    Tag,
    Comment,
    Document,
    Gadget,
    Gadget.labels.through,
    Owner,
    Label,
]


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row a request could change – the access log (``ShareAccess``) left out on purpose."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in SNAPSHOT_MODELS
    }


# -- the tables ----------------------------------------------------------------------------------
# One row per case, kept compact: ruff's formatter would spread each over nine lines.
# fmt: off

#: Link tokens that are not a working link: (input, token, the endpoints answer "unknown" – or,
#: for a token the URL patterns cannot even match, the API's ``not_found``; the page answers
#: "unknown" for any path under its prefix).
HOSTILE_TOKENS: list[tuple[str, Build, bool]] = [
    ("malformed token", lambda w: "not-a-share-token", True),
    ("truncated token", lambda w: w.share.token[:-5], True),
    ("key without its signature", lambda w: w.share.key, True),
    ("forged signature", lambda w: f"{w.share.key}.{'A' * 43}", True),
    ("over-long token", lambda w: "a" * LONG, True),
    ("working token padded to 10 000 chars", lambda w: w.share.token + "a" * LONG, True),
    ("non-ASCII token", lambda w: quote(w.share.token[:-2] + "é字"), True),
    ("emoji token", lambda w: quote("🔗" * 30), True),
    ("NUL byte in token", lambda w: quote(w.share.token + "\x00"), True),
    ("invalid UTF-8 percent-encoding", lambda w: "%FF%FE" + w.share.token, True),
    ("double percent-encoded token", lambda w: quote(quote(w.share.token + "\x00")), True),
    ("percent-encoded slash in token", lambda w: w.share.token.replace(".", "%2F"), False),
    ("rotated-away token", lambda w: w.rotated_token, True),
    ("token of a deleted share", lambda w: w.deleted_token, True),
]


def file_url(reference: str) -> Build:
    """The file view of share A for ``reference``."""
    return lambda w: f"{w.share.get_absolute_url()}files/{reference}/"


def error(code: str, detail: str) -> str:
    """The start of a JSON error of the open API (DRF renders it compact)."""
    return f'"code":"{code}","detail":"{detail}'


#: Every endpoint that takes a link token: (endpoint, method, path, answers JSON).
TOKEN_ENDPOINTS = [
    ("page", "GET", "/share/{}/", False),
    ("api info", "GET", "/api/shares/open/{}/info/", True),
    ("page", "POST", "/share/{}/", False),
    ("page file", "GET", "/share/{}/files/ref/", False),
    ("api auth", "POST", "/api/shares/open/{}/auth/", True),
    ("api item", "GET", "/api/shares/open/{}/item/", True),
    ("api files", "GET", "/api/shares/open/{}/files/ref/", True),
]
#: The tokens tried on every endpoint; the others only on the page and ``info`` (all seven read
#: the token with the same ``opening.find_share``, so these stand for the rest).
TOKENS_EVERYWHERE = {
    "truncated token",
    "working token padded to 10 000 chars",
    "NUL byte in token",
    "percent-encoded slash in token",
}


def _token_cases() -> list[Any]:
    cases = []
    for name, token, ours in HOSTILE_TOKENS:
        endpoints = TOKEN_ENDPOINTS if name in TOKENS_EVERYWHERE else TOKEN_ENDPOINTS[:2]
        for endpoint, method, path, json_message in endpoints:
            if not ours and json_message:  # the API answers any path under a token in its shape
                message = NO_SHARE
            else:  # the page answers any path under its prefix as a link that does not exist
                message = error("unknown", UNKNOWN) if json_message else UNKNOWN
            cases.append(
                param(
                    endpoint,
                    method,
                    name,
                    lambda w, path=path, token=token: path.format(token(w)),
                    404,
                    message,
                    body="json" if json_message else "form",
                    data=(lambda w: {"password": "pw"}) if method == "POST" else None,
                )
            )
    return cases


def page(w_share: Callable[[World], Share]) -> Build:
    return lambda w: w_share(w).get_absolute_url()


def open_api(w_share: Callable[[World], Share], action: str) -> Build:
    return lambda w: f"/api/shares/open/{w_share(w).token}/{action}/"


def share_auth(token: Build) -> Build:
    return lambda w: {"Authorization": f"Share {token(w)}"}


def A(w: World) -> Share:  # noqa: N802 - the share the table calls A
    return w.share


def B(w: World) -> Share:  # noqa: N802
    return w.other_share


def PASSWORD(w: World) -> Share:  # noqa: N802
    return w.password_share

PAGE_CASES = [
    param("page", "POST", "no CSRF token", page(A), 403, CSRF_PAGE, data=lambda w: {}, csrf=True),
    param(
        "page",
        "POST",
        "wrong CSRF token",
        page(PASSWORD),
        403,
        CSRF_PAGE,
        data=lambda w: {"password": "pw", "csrfmiddlewaretoken": "d" * 32},
        csrf=True,
    ),
    param("page", "POST", "10 000-char password", page(PASSWORD), 403,
          "That password is too long.", data=lambda w: {"password": "p" * LONG}),
    param("page", "POST", "multi-megabyte password", page(PASSWORD), 400, TOO_LARGE,
          data=lambda w: {"password": "p" * HUGE}),
    param("page", "POST", "password with a NUL byte", page(PASSWORD), 403,
          "That password is not correct.", data=lambda w: {"password": "pw\x00"}),
    param("page", "POST", "password as a list", page(PASSWORD), 403,
          "That password is not correct.", data=lambda w: {"password": ["pw", "x"]}),
    param("page", "POST", "share whose object was deleted", page(lambda w: w.object_gone), 410,
          UNAVAILABLE, data=lambda w: {}),
    param("page", "POST", "share whose role was deleted", page(lambda w: w.role_gone), 410,
          UNAVAILABLE, data=lambda w: {}),
    param("page", "GET", "share whose object was deleted", page(lambda w: w.object_gone), 410,
          UNAVAILABLE),
    param("page", "GET", "another share's grant cookie", page(A), 200,
          'type="submit">View</button>', granted=B),  # the landing page, not the object
    *(
        param("page", method, "wrong method", page(A), 405, "Allow: GET, POST, HEAD, OPTIONS")
        for method in ("PUT", "PATCH", "DELETE")
    ),
    param("page file", "GET", "another share's file reference", lambda w:
          f"{w.share.get_absolute_url()}files/{w.file_reference(w.other_share, w.other_report)}/",
          404, FILE_UNKNOWN, granted=A),
    param("page file", "GET", "this object's reference signed for another share", lambda w:
          f"{w.share.get_absolute_url()}files/{w.file_reference(w.other_share, w.report)}/",
          404, FILE_UNKNOWN, granted=A),
    param("page file", "GET", "another share's reference, not granted", lambda w:
          f"{w.share.get_absolute_url()}files/{w.file_reference(w.other_share, w.other_report)}/",
          303, "Location: /share/"),  # the landing page asks first
    param("page file", "GET", "malformed reference", file_url("x"),
          404, FILE_UNKNOWN, granted=A),
    param("page file", "GET", "10 000-char reference",
          lambda w: f"{w.share.get_absolute_url()}files/{'r' * LONG}/", 404, FILE_UNKNOWN,
          granted=A,
          ),
    param("page file", "GET", "non-ASCII reference with a NUL byte",
          lambda w: f"{w.share.get_absolute_url()}files/{NUL_REFERENCE}/", 404, FILE_UNKNOWN,
          granted=A),
    *(
        param("page file", method, "wrong method", file_url("x"),
              405, "Allow: GET, HEAD, OPTIONS")
        for method in ("POST", "PUT", "PATCH", "DELETE")
    ),
]


OPEN_API_CASES = [
    param("api auth", "POST", "malformed JSON", open_api(PASSWORD, "auth"), 400,
          error("parse_error", "JSON parse error"), body="raw", data=lambda w: '{"password": ',
          content_type="application/json"),
    param("api auth", "POST", "JSON list", open_api(PASSWORD, "auth"), 400,
          "Invalid data. Expected a dictionary, but got list.", body="json",
          data=lambda w: ["pw"]),
    param("api auth", "POST", "password as a list", open_api(PASSWORD, "auth"), 400,
          "Not a valid string.", body="json", data=lambda w: {"password": ["pw"]}),
    param("api auth", "POST", "password as an object", open_api(PASSWORD, "auth"), 400,
          "Not a valid string.", body="json", data=lambda w: {"password": {"$ne": ""}}),
    param("api auth", "POST", "password null", open_api(PASSWORD, "auth"), 400,
          "This field may not be null.", body="json", data=lambda w: {"password": None}),
    param("api auth", "POST", "10 000-char password", open_api(PASSWORD, "auth"), 400,
          error("password_too_long", "That password is too long."), body="json",
          data=lambda w: {"password": "p" * LONG}),
    param("api auth", "POST", "multi-megabyte JSON password", open_api(PASSWORD, "auth"), 400,
          error("request_too_large", TOO_LARGE), body="json",
          data=lambda w: {"password": "p" * HUGE}),
    param("api auth", "POST", "multi-megabyte form password", open_api(PASSWORD, "auth"), 400,
          error("request_too_large", TOO_LARGE), data=lambda w: {"password": "p" * HUGE}),
    param("api auth", "POST", "password with a NUL byte", open_api(PASSWORD, "auth"), 400,
          error("null_characters_not_allowed", "Null characters are not allowed."), body="json",
          data=lambda w: {"password": "pw\x00"}),
    *(
        param("api auth", "POST", input, open_api(A, "auth"), 400, message, body="raw",
              data=data, content_type="application/json")
        for input, message, data in [
            ("malformed JSON, share without a password", error("parse_error", "JSON parse error"),
             lambda w: '{"password": '),
            ("multi-megabyte body, share without a password", error("request_too_large", TOO_LARGE),
             lambda w: json.dumps({"password": "p" * HUGE})),
        ]
    ),
    param("api auth", "POST", "unknown content type", open_api(PASSWORD, "auth"), 415,
          "Unsupported media type", body="raw", data=lambda w: "password=pw"),
    param("api auth", "POST", "share whose role was deleted",
          open_api(lambda w: w.role_gone, "auth"), 410, error("unavailable", UNAVAILABLE),
          body="json", data=lambda w: {}),
    param("api auth", "GET", "wrong method", open_api(A, "auth"), 405,
          'Method \\"GET\\" not allowed.'),
    param("api info", "GET", "share whose object was deleted",
          open_api(lambda w: w.object_gone, "info"), 410, error("unavailable", UNAVAILABLE)),
    param("api item", "GET", "another share's access token", open_api(A, "item"), 401,
          error("token_invalid", TOKEN_INVALID),
          headers=share_auth(lambda w: w.access_token(w.other_share))),
    param("api item", "GET", "the link token as access token", open_api(A, "item"), 401,
          TOKEN_INVALID, headers=share_auth(lambda w: w.share.token)),
    param("api item", "GET", "10 000-char access token", open_api(A, "item"), 401, TOKEN_INVALID,
          headers=share_auth(lambda w: "t" * LONG)),
    param("api item", "GET", "non-ASCII access token", open_api(A, "item"), 401, TOKEN_INVALID,
          headers=share_auth(lambda w: "éü" + w.access_token(w.share))),
    param("api item", "GET", "another scheme", open_api(A, "item"), 401, TOKEN_INVALID,
          headers=lambda w: {"Authorization": f"Bearer {w.access_token(w.share)}"}),
    param("api item", "GET", "access token of a share whose object was deleted",
          open_api(lambda w: w.object_gone, "item"), 410, error("unavailable", UNAVAILABLE),
          headers=share_auth(lambda w: w.access_token(w.object_gone))),
    param("api files", "GET", "another share's file reference", lambda w:
          f"/api/shares/open/{w.share.token}/files/"
          f"{w.file_reference(w.other_share, w.other_report)}/",
          404, error("file_not_found", FILE_UNKNOWN),
          headers=share_auth(lambda w: w.access_token(w.share))),
    param("api files", "GET", "another share's access token", lambda w:
          f"/api/shares/open/{w.share.token}/files/{w.file_reference(w.share, w.report)}/",
          401, error("token_invalid", TOKEN_INVALID),
          headers=share_auth(lambda w: w.access_token(w.other_share))),
    param("api files", "GET", "10 000-char reference", lambda w:
          f"/api/shares/open/{w.share.token}/files/{'r' * LONG}/", 404,
          error("file_not_found", FILE_UNKNOWN),
          headers=share_auth(lambda w: w.access_token(w.share))),
    *(
        param(f"api {action}", method, "wrong method",
              lambda w, action=action: f"/api/shares/open/{w.share.token}/{action}/",
              405, f'Method \\"{method}\\" not allowed.')
        for action in ("info", "auth", "item", "files/x")
        for method in ("PUT", "PATCH", "DELETE")
    ),
]

SHARES = "/api/shares/"


def new_share(**fields: Any) -> Build:
    """A create request for ``report`` with ``fields`` changed (each a value, or a builder)."""

    def data(w: World) -> dict[str, Any]:
        base = {
            "content_type": "reports.report",
            "object_pk": str(w.report.pk),
            "role": w.reviewer.pk,
            "name": "New",
        }
        return {**base, **{k: v(w) if callable(v) else v for k, v in fields.items()}}

    return data


def manage(input: str, status: int, message: str, data: Build, **kwargs: Any) -> Any:
    """A management-API create (``POST /api/shares/``) as the sharer."""
    kwargs.setdefault("body", "json")
    return param("api manage", "POST", input, lambda w: SHARES, status, message, data=data,
                 user="sharer", **kwargs)


def manage_patch(input: str, status: int, message: str, data: Build, **kwargs: Any) -> Any:
    """A management-API update (``PATCH /api/shares/<share A>/``) as the sharer."""
    url = kwargs.pop("url", lambda w: f"{SHARES}{w.share.pk}/")
    return param("api manage", "PATCH", input, url, status, message, data=data, body="json",
                 user="sharer", **kwargs)


def invite(input: str, status: int, message: str, data: Build) -> Any:
    return param("api manage invite", "POST", input, lambda w: f"{SHARES}{w.share.pk}/invite/",
                 status, message, data=data, body="json", user="sharer")


def listing(input: str, query: str, status: int, message: str) -> Any:
    return param("api manage list", "GET", input, lambda w: f"{SHARES}?{query}", status, message,
                 user="sharer")


MANAGE_CASES = [
    manage("malformed JSON", 400, "JSON parse error", lambda w: '{"name": ', body="raw",
           content_type="application/json"),
    manage("JSON list", 400, "Invalid data. Expected a dictionary, but got list.", lambda w: []),
    manage("10 000-char name", 400, "Ensure this field has no more than 200 characters.",
           new_share(name="n" * LONG)),
    manage("10 000-char password", 400, "That password is too long.",
           new_share(password="p" * LONG)),
    manage("multi-megabyte JSON body", 400, error("request_too_large", TOO_LARGE),
           new_share(password="p" * HUGE)),
    manage("unknown content type", 400, "There is no model “nope.nope”",
           new_share(content_type="nope.nope")),
    manage("content type that cannot be shared", 400, "Objects of this kind cannot be shared.",
           new_share(content_type="directus_shares.share")),
    manage("10 000-char content type", 400, "There is no model",
           new_share(content_type="x" * LONG)),
    manage("content type as a number", 400, "Expected a string “app_label.model”.",
           new_share(content_type=15)),
    manage("content type with a NUL byte", 400, "There is no model",
           new_share(content_type="reports.report\x00")),
    manage("unknown object id", 400, "No such object.", new_share(object_pk="999999")),
    manage("object id of a deleted object", 400, "No such object.",
           new_share(object_pk=lambda w: str(w.deleted_report_pk))),
    manage("non-numeric object id", 400, "No such object.", new_share(object_pk="abc")),
    manage("enormous object id", 400, "No such object.", new_share(object_pk=str(ENORMOUS))),
    manage("10 000-char object id", 400, "Ensure this field has no more than 255 characters.",
           new_share(object_pk="1" * LONG)),
    manage("object id with a NUL byte", 400, "Null characters are not allowed.",
           new_share(object_pk="1\x00")),
    manage("deleted role", 400, "object does not exist.",
           new_share(role=lambda w: w.deleted_role_pk)),
    manage("role as text", 400, "Incorrect type. Expected pk value", new_share(role="abc")),
    manage("enormous role id", 400, "object does not exist.", new_share(role=ENORMOUS)),
    manage("role the user may not give", 403, "You may not give shares the role",
           new_share(role=lambda w: RoleFactory(name="Board").pk)),
    manage("max uses -1", 400, "greater than or equal to", new_share(max_uses=-1)),
    manage("max uses 0", 400, "Ensure this value is greater than or equal to 1.",
           new_share(max_uses=0)),
    manage("max uses 10**30", 400, "Ensure this value is less than or equal to",
           new_share(max_uses=ENORMOUS)),
    manage("max uses 'abc'", 400, "A valid integer is required.", new_share(max_uses="abc")),
    manage("max uses 1.5", 400, "A valid integer is required.", new_share(max_uses=1.5)),
    manage("max uses of 10 000 digits", 400, "String value too large.",
           new_share(max_uses="9" * LONG)),
    manage("invalid date", 400, "Datetime has wrong format.",
           new_share(date_start="2026-13-45T10:00")),
    manage("10 000-char date", 400, "Datetime has wrong format.",
           new_share(date_start="2" * LONG)),
    manage("end before start", 400, "The end must be after the start.",
           new_share(date_start="2026-12-02T10:00:00Z", date_end="2026-12-01T10:00:00Z")),
    manage("date before year 1 in UTC", 400, "Datetime value out of range.",
           new_share(date_start="0001-01-01T00:00:00")),  # Berlin is UTC+1
    manage("date after year 9999 in UTC", 400, "Datetime value out of range.",
           new_share(date_end="9999-12-31T23:59:59-01:00")),
    param("api manage", "POST", "no CSRF token", lambda w: SHARES, 403, "CSRF Failed",
          data=new_share(), body="json", user="sharer", csrf=True),
    param("api manage", "POST", "anonymous", lambda w: SHARES, (401, 403),
          "Authentication credentials were not provided.", data=new_share(), body="json"),
    param("api manage", "POST", "Basic auth not base64", lambda w: SHARES, 403,
          "Invalid basic header.", data=new_share(), body="json",
          headers=lambda w: {"Authorization": "Basic éü!!"}),
    manage_patch("retarget to another object", 400, "A share's object and creator cannot change",
                 lambda w: {"object_pk": str(w.other_report.pk)}),
    manage_patch("retarget to another model", 400, "A share's object and creator cannot change",
                 lambda w: {"content_type": "testapp.gadget"}),
    manage_patch("max uses -1", 400, "greater than or equal to", lambda w: {"max_uses": -1}),
    manage_patch("max uses 10**30", 400, "Ensure this value is less than or equal to",
                 lambda w: {"max_uses": ENORMOUS}),
    manage_patch("max uses 'abc'", 400, "A valid integer is required.",
                 lambda w: {"max_uses": "abc"}),
    manage_patch("end before start", 400, "The end must be after the start.",
                 lambda w: {"date_start": "2026-12-02T10:00", "date_end": "2026-12-01T10:00"}),
    manage_patch("date before year 1 in UTC", 400, "Datetime value out of range.",
                 lambda w: {"date_end": "0001-01-01T00:30:00"}),
    manage_patch("password and remove_password", 400, "Either set a new password or remove it",
                 lambda w: {"password": "plum orchard", "remove_password": True}),
    manage_patch("remove_password not a boolean", 400, "Must be a valid boolean.",
                 lambda w: {"remove_password": "perhaps"}),
    manage_patch("deleted role", 400, "object does not exist.",
                 lambda w: {"role": w.deleted_role_pk}),
    manage_patch("someone else's share", 404, NO_SHARE, lambda w: {"name": "Mine"},
                 url=lambda w: f"{SHARES}{w.foreign.pk}/"),
    manage_patch("unknown share id", 404, NO_SHARE, lambda w: {"name": "x"},
                 url=lambda w: f"{SHARES}999999/"),
    manage_patch("non-numeric share id", 404, "Not found.", lambda w: {"name": "x"},
                 url=lambda w: f"{SHARES}abc/"),
    manage_patch("enormous share id", 404, NO_SHARE, lambda w: {"name": "x"},
                 url=lambda w: f"{SHARES}{ENORMOUS}/"),
    manage_patch("share id with a NUL byte", 404, "Not found.", lambda w: {"name": "x"},
                 url=lambda w: f"{SHARES}1%00/"),
    param("api manage", "PUT", "wrong method", lambda w: SHARES, 405,
          'Method \\"PUT\\" not allowed.', user="sharer"),
    param("api manage", "DELETE", "wrong method", lambda w: SHARES, 405,
          'Method \\"DELETE\\" not allowed.', user="sharer"),
    param("api manage revoke", "GET", "wrong method", lambda w: f"{SHARES}{w.share.pk}/revoke/",
          405, 'Method \\"GET\\" not allowed.', user="sharer"),
    invite("recipients as an object", 400, "Expected a list of addresses or one string.",
           lambda w: {"recipients": {"to": "a@example.com"}}),
    invite("no valid address", 400, "Enter at least one e-mail address.",
           lambda w: {"recipients": "not-an-address"}),
    invite("address with a NUL byte", 400, "Enter at least one e-mail address.",
           lambda w: {"recipients": ["bob\x00@example.com"]}),
    invite("10 000-char address", 400, "Enter at least one e-mail address.",
           lambda w: {"recipients": "b" * LONG + "@example.com"}),
    invite("51 addresses", 400, "At most 50 addresses at once.",
           lambda w: {"recipients": [f"a{n}@example.com" for n in range(51)]}),
    invite("3 000-char message", 400, "Ensure this field has no more than 2000 characters.",
           lambda w: {"recipients": "bob@example.com", "message": "m" * 3000}),
    listing("creator id 10**30", f"created_by={ENORMOUS}", 400,
            "Ensure this value is less than or equal to"),
    listing("creator id as text", "created_by=abc", 400, "A valid integer is required."),
    listing("unknown status", "status=bogus", 400, '\\"bogus\\" is not a valid choice.'),
    listing("object without a key", "object=reports.report", 400, "Use “app_label.model:pk”."),
    listing("object of an unknown model", "object=nope.nope:1", 400, "There is no model"),
    listing("content type with a NUL byte", "content_type=reports.report%00", 400,
            "Null characters are not allowed."),
    listing("page as text", "page=abc", 404, "Invalid page."),
    listing("page 10**30", f"page={ENORMOUS}", 404, "Invalid page."),
]


def panel(action: str = "new", share: Callable[[World], Share] | None = None,
          obj: Callable[[World], Any] = lambda w: w.report.pk) -> Build:
    """The URL of one of the Shares panel's views (``action`` of ``share`` of ``obj``)."""
    if share is None:
        return lambda w: f"/admin/reports/report/{obj(w)}/shares/{action}/"
    return lambda w: f"/admin/reports/report/{obj(w)}/shares/{share(w).pk}/{action}/"


def share_form(**fields: Any) -> Build:
    """The panel's share form for ``report``, with ``fields`` changed (values or builders)."""

    def data(w: World) -> dict[str, Any]:
        base = {
            "name": "New",
            "role": w.reviewer.pk,
            "max_uses": "",
            "new_password": "",
            **{f"date_{edge}_{part}": "" for edge in ("start", "end") for part in (0, 1)},
        }
        return {**base, **{k: v(w) if callable(v) else v for k, v in fields.items()}}

    return data


def panel_form(input: str, message: str, data: Build, status: int = 200, **kwargs: Any) -> Any:
    """The panel's "New share" form posted by the sharer: shown again with the error (200)."""
    url = kwargs.pop("url", panel())
    return param("admin panel", "POST", input, url, status, message, data=data, user="sharer",
                 **kwargs)


def panel_get(input: str, url: Build, status: int = 404, message: str = NOT_FOUND) -> Any:
    return param("admin panel", "GET", input, url, status, message, user="sharer")


START_Y1 = {"date_start_0": "0001-01-01", "date_start_1": "00:00"}

PANEL_CASES = [
    panel_form("max uses 'abc'", "Enter a whole number.", share_form(max_uses="abc")),
    panel_form("max uses -1", "Ensure this value is greater than or equal to 0.",
               share_form(max_uses="-1")),
    panel_form("max uses 0", "A share must allow at least one use.", share_form(max_uses="0")),
    panel_form("max uses 10**30", "Ensure this value is less than or equal to",
               share_form(max_uses=str(ENORMOUS))),
    panel_form("max uses '1e3'", "Enter a whole number.", share_form(max_uses="1e3")),
    panel_form("impossible date", "Enter a valid date.",
               share_form(date_end_0="2026-02-30", date_end_1="10:00")),
    panel_form("impossible time", "Enter a valid time.",
               share_form(date_end_0="2026-02-03", date_end_1="25:61")),
    panel_form("10 000-char date", "Enter a valid date.",
               share_form(date_end_0="2" * LONG, date_end_1="10:00")),
    panel_form("end before start", "The end must be after the start.",
               share_form(date_start_0="2026-12-02", date_start_1="10:00",
                          date_end_0="2026-12-01", date_end_1="10:00")),
    panel_form("date before year 1 in UTC", "Enter a valid date.", share_form(**START_Y1)),
    panel_form("unknown role", "Select a valid choice.", share_form(role="999999")),
    panel_form("deleted role", "Select a valid choice.",
               share_form(role=lambda w: w.deleted_role_pk)),
    panel_form("role as text", "Select a valid choice.", share_form(role="abc")),
    panel_form("enormous role id", "Select a valid choice.", share_form(role=str(ENORMOUS))),
    panel_form("role the user may not give", "Select a valid choice.",
               share_form(role=lambda w: RoleFactory(name="Board").pk)),
    panel_form("10 000-char name", "Ensure this value has at most 200 characters",
               share_form(name="n" * LONG)),
    panel_form("name with a NUL byte", "Null characters are not allowed.",
               share_form(name="a\x00b")),
    panel_form("10 000-char password", "That password is too long.",
               share_form(new_password="p" * LONG)),
    panel_form("multi-megabyte password", BAD_REQUEST, share_form(new_password="p" * HUGE),
               status=400),
    panel_form("no CSRF token", CSRF_ADMIN, share_form(), status=403, csrf=True),
    panel_form("edit: max uses -1", "Ensure this value is greater than or equal to 0.",
               share_form(max_uses="-1"), url=panel("change", A)),
    panel_form("edit: date before year 1 in UTC", "Enter a valid date.", share_form(**START_Y1),
               url=panel("change", A)),
    panel_form("edit: new and removed password", "Either set a new password or remove it",
               share_form(new_password="plum orchard", remove_password="on"),
               url=panel("change", PASSWORD)),
    panel_form("edit: no CSRF token", CSRF_ADMIN, share_form(), status=403, csrf=True,
               url=panel("change", A)),
    *(
        panel_form(f"{action}: no CSRF token", CSRF_ADMIN, lambda w: {}, status=403, csrf=True,
                   url=panel(action, A))
        for action in ("revoke", "reenable", "delete", "send")
    ),
    panel_form("send: not an address", "Not valid e-mail addresses: not-an-address",
               lambda w: {"recipients": "bob@example.com, not-an-address"},
               url=panel("send", A)),
    panel_form("send: 51 addresses", "At most 50 addresses at once.",
               lambda w: {"recipients": ",".join(f"a{n}@example.com" for n in range(51))},
               url=panel("send", A)),
    panel_form("send: NUL byte", "Null characters are not allowed.",
               lambda w: {"recipients": "bob\x00@example.com"}, url=panel("send", A)),
    panel_form("send: 3 000-char message", "Ensure this value has at most 2000 characters",
               lambda w: {"recipients": "bob@example.com", "message": "m" * 3000},
               url=panel("send", A)),
    panel_get("unknown object id", panel(obj=lambda w: 999999)),
    panel_get("deleted object", panel(obj=lambda w: w.deleted_report_pk)),
    panel_get("share of a deleted object", panel("change", lambda w: w.object_gone,
                                                obj=lambda w: w.object_gone.object_pk)),
    panel_get("non-numeric object id", panel(obj=lambda w: "abc")),
    panel_get("enormous object id", panel(obj=lambda w: ENORMOUS)),
    panel_get("10 000-char object id", panel(obj=lambda w: "1" * LONG)),
    panel_get("object id with a NUL byte", panel(obj=lambda w: "1%00")),
    panel_get("non-ASCII object id", panel(obj=lambda w: quote("é字"))),
    panel_get("another object's share", panel("change", B)),
    panel_get("someone else's share", panel("change", lambda w: w.foreign)),
    panel_get("unknown share id",
              lambda w: f"/admin/reports/report/{w.report.pk}/shares/999999/change/"),
    panel_get("enormous share id",
              lambda w: f"/admin/reports/report/{w.report.pk}/shares/{ENORMOUS}/delete/"),
    panel_get("revoke by GET", panel("revoke", A), 405, "Allow: POST"),
    panel_get("re-enable by GET", panel("reenable", A), 405, "Allow: POST"),
]

SHARE_ADMIN = "/admin/directus_shares/share/"
DOES_NOT_EXIST = "doesn’t exist. Perhaps it was deleted?"
NOTHING_SELECTED = "Items must be selected in order to perform actions on them."


def share_admin_form(input: str, message: str, data: Build, **kwargs: Any) -> Any:
    return param("admin share", "POST", input, lambda w: f"{SHARE_ADMIN}{w.share.pk}/change/",
                 kwargs.pop("status", 200), message, data=data, user="superuser",
                 **kwargs)


def action(
    input: str, selected: Build, message: str = NOTHING_SELECTED, name: str = "revoke_shares"
) -> Any:
    """A bulk action of the shares list with ``selected`` ids, followed back to the list."""
    return param("admin share list", "POST", input, lambda w: SHARE_ADMIN, 200, message,
                 data=lambda w: {"action": name, "_selected_action": selected(w)},
                 user="superuser", follow=True)


SHARE_ADMIN_CASES = [
    share_admin_form("max uses 'abc'", "Enter a whole number.", share_form(max_uses="abc")),
    share_admin_form("max uses 10**30", "Ensure this value is less than or equal to",
                     share_form(max_uses=str(ENORMOUS))),
    share_admin_form("max uses -1", "Ensure this value is greater than or equal to 0.",
                     share_form(max_uses="-1")),
    share_admin_form("end before start", "The end must be after the start.",
                     share_form(date_start_0="2026-12-02", date_start_1="10:00",
                                date_end_0="2026-12-01", date_end_1="10:00")),
    share_admin_form("date before year 1 in UTC", "Enter a valid date.", share_form(**START_Y1)),
    share_admin_form("unknown role", "Select a valid choice.", share_form(role="999999")),
    share_admin_form("no CSRF token", CSRF_ADMIN, share_form(), status=403, csrf=True),
    share_admin_form("access log forms count 10**30", "Please correct the error",
                     lambda w: {**share_form()(w), "accesses-TOTAL_FORMS": str(ENORMOUS),
                                "accesses-INITIAL_FORMS": "0"}),
    *(
        param("admin share", "GET", input, lambda w, pk=pk: f"{SHARE_ADMIN}{pk}/change/", 200,
              DOES_NOT_EXIST, user="superuser", follow=True)
        for input, pk in [
            ("unknown share id", 999999),
            ("enormous share id", ENORMOUS),
            ("non-numeric share id", "abc"),
            ("share id with a NUL byte", "1%00"),
        ]
    ),
    action("selected id as text", lambda w: ["abc"]),
    action("selected id 10**30", lambda w: [str(ENORMOUS)]),
    action("selected ids with one as text", lambda w: [str(w.share.pk), "1 OR 1=1"]),
    action("unknown action", lambda w: [str(w.share.pk)], "No action selected.",
           name="delete_everything"),
    param("admin share list", "POST", "no CSRF token", lambda w: SHARE_ADMIN, 403, CSRF_ADMIN,
          data=lambda w: {"action": "revoke_shares", "_selected_action": [w.share.pk]},
          user="superuser", csrf=True),
    param("admin share list", "GET", "search with a NUL byte", lambda w: f"{SHARE_ADMIN}?q=a%00b",
          200, "0 shares", user="superuser"),
    param("admin share list", "GET", "creator id 10**30",
          lambda w: f"{SHARE_ADMIN}?created_by__id__exact={ENORMOUS}", 200, "0 shares",
          user="superuser"),
]


def role_form(input: str, message: str, rules: Build = lambda w: [], status: int = 200,
              **kwargs: Any) -> Any:
    """The Group admin page of ``reviewer`` (or ``role``) with share ``rules`` (and settings)."""
    role = kwargs.pop("role", lambda w: w.reviewer)
    settings = kwargs.pop("settings", None)
    extra = kwargs.pop("extra", {})

    def data(w: World) -> dict[str, Any]:
        return {**group_form(role(w).name, rules(w), settings), **extra}

    return param("admin role", "POST", input, lambda w: f"/admin/auth/group/{role(w).pk}/change/",
                 status, message, data=data, user="superuser", **kwargs)


def reports(read_filter: str = "{}", **fields: Any) -> Build:
    """One new rule for reports, with ``read_filter`` (a JSON text) and ``fields`` changed."""
    return lambda w: [
        {
            "content_type": ContentType.objects.get_for_model(Report).pk,
            "fields": "",
            "read_filter": read_filter,
            "share_filter": "{}",
            **{k: v(w) if callable(v) else v for k, v in fields.items()},
        }
    ]


ROLE_CASES = [
    role_form("malformed JSON filter", "Enter a valid JSON.", reports('{"status": ')),
    role_form("filter not an object", "A filter is a JSON object of lookups",
              reports('["status"]')),
    role_form("unknown field", "reports.Report has no field 'nope'", reports('{"nope": 1}')),
    role_form("field that is never shared", "'private_phone' can never be shared",
              reports('{"author__private_phone": "1"}')),
    role_form("unknown lookup", "Unsupported lookup 'bogus'", reports('{"title__bogus": 1}')),
    role_form("lookup starting with __", "not a field lookup.", reports('{"__title": 1}')),
    role_form("object as value", "values are text, numbers, true/false, null or lists.",
              reports('{"title": {"$ne": 1}}')),
    role_form("value of the wrong type", "value must be a decimal number.",
              reports('{"budget": "abc"}')),
    role_form("invalid regular expression", "not a regular expression",
              reports('{"title__regex": "("}')),
    role_form("Infinity", "values are text, numbers, true/false, null or lists.",
              reports('{"id": Infinity}')),
    role_form("number too large for a float",
              "values are text, numbers, true/false, null or lists.",
              reports('{"id__in": [1, 1e400]}')),
    role_form("NaN", "values are text, numbers, true/false, null or lists.",
              reports('{"title": NaN}')),
    role_form("NUL byte in a value", "Null characters are not allowed.",
              reports('{"title": "a\\u0000b"}')),
    role_form("NUL byte in a lookup", "has no field 'title\\x00'",
              reports('{"title\\u0000": "a"}')),
    role_form("date before year 1 in UTC", "date value out of range",
              reports('{"reviewed_at__gte": "0001-01-01T00:00:00+01:00"}'),
              marks=pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite's "
                                       "adapter converts to UTC; PostgreSQL compares with it")),
    role_form("10 000-char filter", "reports.Report has no field",
              reports(json.dumps({"x" * LONG: 1}))),
    role_form("unknown field name", "has no shareable field nope", reports(fields="nope, title")),
    role_form("unknown model", "Select a valid choice.", reports(content_type="999999")),
    role_form("model as text", "Select a valid choice.", reports(content_type="abc")),
    role_form("model that cannot be shared", "Select a valid choice.",
              reports(content_type=lambda w: ContentType.objects.get_for_model(Share).pk)),
    role_form("second rule for a model in one form", "Please correct the duplicate data",
              lambda w: reports()(w) * 2),
    role_form("second rule for a model already ruled",
              "Share rule with this Role and Model already exists.", reports(),
              role=lambda w: w.ruled_role),
    role_form("invalid network", "Not an IP address or CIDR range: 10.0.0.300",
              settings={"allowed_networks": "10.0.0.300"}),
    role_form("10 000-char network", "Not an IP address or CIDR range",
              settings={"allowed_networks": "1" * LONG}),
    role_form("network with a NUL byte", "Null characters are not allowed.",
              settings={"allowed_networks": "10.0.0.0/8\x00"}),
    role_form("10 000-char role name", "Ensure this value has at most 150 characters",
              extra={"name": "r" * LONG}),
    role_form("forms count as text", "ManagementForm data is missing or has been tampered with",
              extra={"share_rules-TOTAL_FORMS": "abc"}),
    role_form("rules count 10**30", "Please submit at most",
              extra={"share_rules-TOTAL_FORMS": str(ENORMOUS)}),
    role_form("settings count 10**30", "Please submit at most 1 form.",
              extra={"share_settings-TOTAL_FORMS": str(ENORMOUS)}),
    role_form("no CSRF token", CSRF_ADMIN, status=403, csrf=True),
    param("admin role", "GET", "deleted role",
          lambda w: f"/admin/auth/group/{w.deleted_role_pk}/change/", 200, DOES_NOT_EXIST,
          user="superuser", follow=True),
]

# fmt: on

CASES = [
    *_token_cases(),
    *PAGE_CASES,
    *OPEN_API_CASES,
    *MANAGE_CASES,
    *PANEL_CASES,
    *SHARE_ADMIN_CASES,
    *ROLE_CASES,
]


@pytest.mark.parametrize("case", CASES)
def test_hostile_input_gets_a_clear_answer_and_changes_nothing(case: Case, caplog):
    world = World()
    url = case.url(world)
    data = case.data(world) if case.data else None
    headers = case.headers(world) if case.headers else {}
    client = client_for(case, world)
    before = snapshot()
    with caplog.at_level(logging.INFO):
        response = send(client, case, url, data, headers)
    statuses = case.status if isinstance(case.status, tuple) else (case.status,)
    assert response.status_code < 500, getattr(response, "exc_info", None)
    assert response.status_code in statuses, (url[:300], answer_text(response)[:2000])
    assert case.message in answer_text(response), answer_text(response)[:2000]
    assert snapshot() == before
    assert not mail.outbox
    records = caplog.records
    assert not [r for r in records if r.name == "django.request" and r.levelno >= logging.ERROR]
    links = [share.token for share in Share.objects.all()]
    logged = [record.getMessage() for record in records]
    leaks = [message for message in logged if any(link in message for link in links)]
    assert not leaks
