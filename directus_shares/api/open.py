"""Opening a share from a program: ``info`` (what to show), ``auth`` (one use → an access token)
and ``item`` (the shared object); for a share restricted to e-mail addresses, ``code`` (mail a
one-time code) and ``verify`` (the code → one use → an access token) instead of ``auth``.

An access token is the API's grant: signed under its own salt (neither a link token nor a grant
cookie passes for one), carrying only the share's fingerprint (:func:`.signatures.fingerprint`),
so rotating the link, changing the password or revoking the share ends every token at once; a
token also ends after ``GRANT_MAX_AGE``, as the page's grant does.

:mod:`directus_shares.opening` decides, as it does for the share page – checks, refusals,
access-log entries and use counting; these views only answer its outcome in JSON.

The shared object's JSON is the :class:`~directus_shares.disclosure.DisclosedObject` the share
page renders, in another form (:func:`represent_object`): the API shows what the page shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.core import signing
from django.utils.translation import ngettext
from rest_framework import ISO_8601, serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import disclosure, files, opening, outages, verification
from ..conf import grant_max_age
from ..disclosure import DisclosedField, DisclosedObject, DisclosedRelation
from ..logs import log_refusal
from ..models import Share
from ..outcomes import (
    Changed,
    CodeProblem,
    CodeProblemKind,
    CodeRequested,
    Landing,
    Locked,
    Looked,
    Opened,
    PasswordProblem,
    PasswordProblemKind,
    Refusal,
    Refused,
    Shown,
)
from ..signatures import SALTS, share_token, share_token_valid
from . import errors
from .schema import Described, binary, error_responses, schema

# -- access tokens --------------------------------------------------------------------------------

SALT = SALTS["access"]
#: The scheme of the ``Authorization`` header: ``Authorization: Share <access token>``.
SCHEME = "Share"


def issue_access_token(share: Share) -> str:
    """A new access token for ``share`` as it is now."""
    return share_token("access", share)


def lifetime_seconds() -> int:
    """How long an access token is accepted (``GRANT_MAX_AGE``), in seconds."""
    return int(grant_max_age().total_seconds())


def seconds_left(token: str) -> int:
    """How long a valid ``token`` (:func:`access_token_valid`) is still accepted, in seconds: its
    lifetime less its age, measured by the clock its signature is checked with."""
    _payload, made, _signature = token.rsplit(":", 2)
    now = signing.TimestampSigner(salt=SALT).timestamp()  # signing's own clock, in base 62
    age = signing.b62_decode(now) - signing.b62_decode(made)
    return max(0, min(lifetime_seconds(), lifetime_seconds() - age))


def access_token_from(request: Request) -> str | None:
    """The access token of an ``Authorization: Share <token>`` header, or ``None``."""
    scheme, _sep, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == SCHEME.lower() and token else None


def access_token_valid(token: str | None, share: Share) -> bool:
    """Whether ``token`` is an unexpired access token for ``share`` as it is now."""
    return share_token_valid("access", token, share)


# -- the views ------------------------------------------------------------------------------------

RESPONSE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

# Every open endpoint: its refusals, and 503 while the database or the cache is away.
_REFUSALS = error_responses(*(refusal.status for refusal in Refusal), 503)


OpenView = TypeVar("OpenView", bound=type["ShareOpenView"])


def endpoint(*, summary: str, **schema_options: Any) -> Callable[[OpenView], OpenView]:
    """The endpoint's OpenAPI operation (:func:`.schema.schema`), whose ``summary`` is also what
    ``OPTIONS`` says the endpoint does."""

    def describe(view: OpenView) -> OpenView:
        view.summary = summary
        return schema(summary=summary, **schema_options)(view)

    return describe


class ShareOpenView(errors.ErrorShape, Described, APIView):
    """Base of the three: anonymous, unthrottled here, every answer private and uncached.

    No authentication class runs, so there is no session and therefore no CSRF check (DRF
    applies CSRF only to ``SessionAuthentication``): a request proves nothing by its cookies,
    only by the link token in its URL and the access token in its ``Authorization`` header,
    which another site can neither read nor make a browser send.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        for header, value in RESPONSE_HEADERS.items():
            response[header] = value
        opening.carry_device(request, response)  # a new device on a recipient's link
        return response

    def handle_exception(self, exc: Exception) -> Response:
        """Every error in the API's one shape (:func:`errors.exception_handler`), and logged
        without the link's secret; the cache or the database away is a 503."""
        outage = outages.outage_of(self.request, exc)
        if outage is not None:
            return errors.unavailable_response(self.request, outage)
        response = super().handle_exception(exc)
        return log_refusal(self.request, response, response.data["code"])

    def holds_access_token(self, share: Share) -> bool:
        """Whether the request carries a valid access token for ``share`` (the API's grant)."""
        return access_token_valid(access_token_from(self.request), share)

    def look(self, token: str, *, show: bool = True) -> Looked:
        """:func:`.opening.look` for a client holding the access token it sent, if any."""
        return opening.look(self.request, token, holds=self.holds_access_token, show=show)

    def token_invalid(self, request: Request) -> Response:
        """401 for a missing, forged or ended access token, with the scheme to use."""
        response = errors.error_response(
            request, errors.TOKEN_INVALID, errors.TOKEN_INVALID_DETAIL, 401
        )
        response["WWW-Authenticate"] = SCHEME
        return response

    def refuse(self, refusal: Refusal) -> Response:
        """Refuse as the page does (:mod:`.opening` logged it)."""
        return errors.refusal_response(self.request, refusal)


# -- info -----------------------------------------------------------------------------------------


class ShareInfoSerializer(serializers.Serializer):
    """What a client needs to show the right screen – and nothing about the shared object."""

    name = serializers.CharField(
        allow_null=True,
        help_text="The share's name; null while a password or an e-mail code is required.",
    )
    password_required = serializers.BooleanField()
    email_required = serializers.BooleanField(
        help_text="Only certain e-mail addresses may open it: get a code with `code`, open "
        "with `verify` (not `auth`)."
    )
    code_sent_to = serializers.CharField(
        allow_null=True,
        help_text="On a recipient's link of a share that verifies recipients: the recipient's "
        "address, masked – `code` mails the code there and takes no address. Otherwise null.",
    )
    date_start = serializers.DateTimeField(allow_null=True)
    date_end = serializers.DateTimeField(allow_null=True)
    max_uses = serializers.IntegerField(allow_null=True)
    times_used = serializers.IntegerField()
    uses_left = serializers.IntegerField(
        allow_null=True,
        help_text="Uses left through this link (a recipient's: the lower of its own and the "
        "share's); null: unlimited.",
    )
    status = serializers.CharField(help_text="`active` (or `used_up` for a granted client).")


def share_info(share: Share, now: datetime) -> dict[str, Any]:
    """The info of ``share``: its window and uses; its name only if it needs neither a password
    nor an e-mail code (as the landing page keeps it to itself until they are given)."""
    recipient = share.recipient_to_verify
    return ShareInfoSerializer(
        {
            "name": None if share.has_password or share.requires_email else share.name,
            "password_required": share.has_password,
            "email_required": share.requires_email,
            "code_sent_to": None if recipient is None else recipient.masked_address,
            "date_start": share.date_start,
            "date_end": share.date_end,
            "max_uses": share.max_uses,
            "times_used": share.times_used,
            "uses_left": share.link_uses_left,
            "status": share.status_at(now).value,
        }
    ).data


@endpoint(
    summary="What a share link needs before it opens",
    description="Counts no use. A client holding an access token may send it, so that a share "
    "used up by others still answers for it.",
    responses={200: ShareInfoSerializer, **_REFUSALS},
    tags=["open a share"],
)
class ShareInfoView(ShareOpenView):
    """``GET``: the share's window, uses and whether it needs a password (the landing page)."""

    def get(self, request: Request, token: str) -> Response:
        match self.look(token, show=False):
            case Refused(refusal):
                return self.refuse(refusal)
            case Landing(share, now) | Shown(share=share, now=now):
                return Response(share_info(share, now))


# -- auth -----------------------------------------------------------------------------------------


class ShareAuthRequestSerializer(serializers.Serializer):
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="The share's password; leave it out for a share without one.",
    )


class AccessTokenSerializer(serializers.Serializer):
    access_token = serializers.CharField(help_text="Send as `Authorization: Share <token>`.")
    token_type = serializers.ChoiceField(choices=[SCHEME])
    expires_in = serializers.IntegerField(help_text="Seconds the token is accepted.")


@endpoint(
    summary="Open a share: count one use, get an access token",
    description="A client that sends a valid access token for the share "
    "(`Authorization: Share <token>`) counts no use: it gets the same token back with the "
    "seconds it has left.",
    request=ShareAuthRequestSerializer,
    responses={200: AccessTokenSerializer, **_REFUSALS, **error_responses(401, 409, 415, 429)},
    tags=["open a share"],
)
class ShareAuthView(ShareOpenView):
    """``POST``: the page's "Open"/"View" – checks, password, then one counted use (none for a
    client that already holds a valid access token)."""

    def post(self, request: Request, token: str) -> Response:
        outcome = opening.open_share(
            request,
            token,
            self.password,
            holds=self.holds_access_token,
            issue=issue_access_token,
            proof=self.proof,
        )
        match outcome:
            case Opened(credential=str(credential)):
                return self.access_token(credential, lifetime_seconds())
            case Opened():  # the client holds a valid token: the same one, for what is left of it
                held = access_token_from(request) or ""
                return self.access_token(held, seconds_left(held))
            case Refused(refusal):
                return self.refuse(refusal)
            case PasswordProblem(kind=kind):
                status = 400 if kind is PasswordProblemKind.TOO_LONG else 401
                return errors.error_response(request, kind.code, kind.message, status)
            case Locked() as locked:
                return self.locked(locked)
            case Changed():
                return errors.error_response(request, errors.CHANGED, errors.CHANGED_DETAIL, 409)
            case CodeProblem() as problem:
                return code_problem_response(request, problem)

    def proof(self) -> verification.EmailCode | None:
        """``auth`` carries no one-time code: a share restricted to addresses opens by
        ``verify``."""
        return None

    def password(self) -> str:
        """The password of the request's body (a malformed body is a 400)."""
        body = ShareAuthRequestSerializer(data=self.request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data.get("password", "")

    @staticmethod
    def access_token(token: str, expires_in: int) -> Response:
        return Response({"access_token": token, "token_type": SCHEME, "expires_in": expires_in})

    def locked(self, locked: Locked) -> Response:
        """429 with ``Retry-After`` in seconds; the ``detail`` says it in minutes, and a lock on
        the share for everybody says whether its owner was told."""
        response = errors.error_response(self.request, "too_many_attempts", locked.message, 429)
        response["Retry-After"] = str(locked.retry_after)
        return response


# -- one-time codes -------------------------------------------------------------------------------


def code_problem_response(request: Request, problem: CodeProblem) -> Response:
    """Why an address or a one-time code was not accepted, with its own code and status (and,
    past a limit that ends, ``Retry-After`` in seconds)."""
    kind = problem.kind
    response = errors.error_response(request, kind.code, kind.message, kind.status)
    if problem.retry_after is not None:
        response["Retry-After"] = str(problem.retry_after)
    return response


class CodeRequestSerializer(serializers.Serializer):
    email = serializers.CharField(
        max_length=254,
        required=False,
        default="",
        help_text="The address to send the code to (if the share allows it). Not needed – and "
        "ignored – on a recipient's link whose recipient is verified (`code_sent_to`).",
    )


class CodeRequestedSerializer(serializers.Serializer):
    email = serializers.CharField(
        help_text="The address, as it is compared (lower-case); a verified recipient's masked."
    )
    expires_in = serializers.IntegerField(help_text="Seconds a code sent now is accepted.")
    detail = serializers.CharField()


#: Why a code was not sent or not accepted: 400 (bad address, no code, a share without codes),
#: 403 (wrong code), 410 (expired or used), 429 (too many codes or tries).
_CODE_PROBLEMS = error_responses(*sorted({kind.status for kind in CodeProblemKind}))


@schema(
    summary="Mail a one-time code (shares restricted to e-mail addresses, verified recipients)",
    description="Answers the same whether or not the share allows the address: a code is mailed "
    "only to an allowed one (on a verified recipient's link: to the recipient's). Counts no "
    "use. A new code replaces the one before; an address gets "
    "a limited number of codes per share and hour (429 `too_many_codes`), and a client address "
    "a limited number of codes per hour across all shares and addresses (429 "
    "`too_many_code_requests`, with `Retry-After`).",
    request=CodeRequestSerializer,
    responses={200: CodeRequestedSerializer, **_REFUSALS, **_CODE_PROBLEMS, **error_responses(415)},
    tags=["open a share"],
)
class ShareCodeView(ShareOpenView):
    """``POST``: the page's address form – a code for an address, mailed if it is allowed."""

    def post(self, request: Request, token: str) -> Response:
        body = CodeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        match opening.request_code(request, token, body.validated_data["email"]):
            case Refused(refusal):
                return self.refuse(refusal)
            case CodeProblem() as problem:
                return code_problem_response(request, problem)
            case CodeRequested(email=email, minutes=minutes):
                detail = ngettext(
                    "If this address may open the share, a code was sent to it. It is "
                    "accepted once, for %(minutes)d minute.",
                    "If this address may open the share, a code was sent to it. It is "
                    "accepted once, for %(minutes)d minutes.",
                    minutes,
                ) % {"minutes": minutes}
                return Response({"email": email, "expires_in": minutes * 60, "detail": detail})


class VerifyRequestSerializer(ShareAuthRequestSerializer):
    email = serializers.CharField(
        max_length=254,
        required=False,
        default="",
        help_text="The address the code was sent to. Not needed – and ignored – on a "
        "recipient's link whose recipient is verified: the code proves the recipient's address.",
    )
    code = serializers.CharField(max_length=32, help_text="The 6-digit code from the mail.")


@schema(
    summary="Open a share restricted to e-mail addresses: the code → one use → an access token",
    description="As `auth`, with the address and the one-time code `code` mailed to it (and "
    "the password, if the share has one). The code is checked before the password; it is spent "
    "only when the use is counted, so a wrong password costs one of its 5 tries, not the code.",
    request=VerifyRequestSerializer,
    responses={
        200: AccessTokenSerializer,
        **_REFUSALS,
        **_CODE_PROBLEMS,
        **error_responses(401, 409, 415, 429),
    },
    tags=["open a share"],
)
class ShareVerifyView(ShareAuthView):
    """``POST``: the page's code form – checks, the code, the password, one counted use."""

    def proof(self) -> verification.EmailCode | None:
        body = VerifyRequestSerializer(data=self.request.data)
        body.is_valid(raise_exception=True)
        return verification.EmailCode(body.validated_data["email"], body.validated_data["code"])

    def password(self) -> str:
        body = VerifyRequestSerializer(data=self.request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data.get("password", "")


# -- item -----------------------------------------------------------------------------------------


def represent_object(disclosed: DisclosedObject) -> dict[str, Any]:
    """``disclosed`` as ``{"fields": {name: …}, "relations": […]}`` – without its model or pk."""
    return {
        "fields": {field.name: represent_field(field) for field in disclosed.fields},
        "relations": [represent_relation(relation) for relation in disclosed.relations],
    }


def represent_field(field: DisclosedField) -> dict[str, Any]:
    """The field's value as data (:func:`json_value`) and, beside it, the text the share page
    shows (in the request's language)."""
    return {
        "label": field.label,
        "value": json_value(field.value),
        "text": field.text,
        "kind": field.kind,
        "url": field.url,
    }


def json_value(value: Any) -> Any:
    """``value`` as JSON data, the same in every language: dates and times ISO 8601 (with the
    offset of an aware time), decimals and durations as DRF renders them, other values that
    JSON has no type for as text."""
    if value is None or isinstance(value, bool | int | str | dict | list):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime):
        return serializers.DateTimeField(format=ISO_8601).to_representation(value)
    if isinstance(value, date):
        return serializers.DateField(format=ISO_8601).to_representation(value)
    if isinstance(value, time):
        return serializers.TimeField(format=ISO_8601).to_representation(value)
    if isinstance(value, timedelta):
        return serializers.DurationField().to_representation(value)
    if isinstance(value, Decimal):
        return serializers.DecimalField(None, None).to_representation(value)
    return str(value)  # a UUID, an IP address, a custom field's value


def represent_relation(relation: DisclosedRelation) -> dict[str, Any]:
    return {
        "name": relation.name,
        "label": relation.label,
        "many": relation.many,
        "truncated": relation.truncated,
        "objects": [represent_object(linked) for linked in relation.objects],
    }


# The same form, described for the schema (it does not produce it). DRF's metaclass takes declared
# fields off the class; the stubs see them shadow Field.label and BaseSerializer.many.


class SharedFieldSerializer(serializers.Serializer):
    label = serializers.CharField(  # type: ignore[assignment]
        help_text="The field's name for people, translated."
    )
    value = serializers.JSONField(
        allow_null=True,
        help_text="The value as data, the same in every language: a choice's stored value, "
        "true/false, a number, a decimal as DRF renders it (a string by default), a date or "
        "time in ISO 8601 (with its offset), a JSON field's value, a file's name; null if empty.",
    )
    text = serializers.CharField(
        help_text="The value as the share page shows it, in the request's language; '' if empty."
    )
    kind = serializers.ChoiceField(
        choices=["text", "multiline", "boolean", "file", "url", "email", "json"]
    )
    url = serializers.CharField(
        allow_null=True, help_text="The link of a file, URL or e-mail field; otherwise null."
    )


class SharedRelationSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    many = serializers.BooleanField()  # type: ignore[assignment]
    truncated = serializers.BooleanField(
        help_text="More objects are linked than RELATED_OBJECTS_LIMIT lets the share show."
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        """Its fields, and ``objects``: a name a Serializer class attribute cannot take."""
        fields = super().get_fields()
        fields["objects"] = SharedObjectSerializer(many=True)
        return fields


class SharedObjectSerializer(serializers.Serializer):
    """The shared object, or one linked to it: its allowed fields and allowed relations."""

    def get_fields(self) -> dict[str, serializers.Field]:
        """``fields`` and ``relations``: ``fields`` is DRF's own property, so neither can be a
        class attribute."""
        fields = super().get_fields()
        fields["fields"] = serializers.DictField(
            child=SharedFieldSerializer(), help_text="Allowed fields by name, in display order."
        )
        fields["relations"] = SharedRelationSerializer(many=True)
        return fields


@endpoint(
    summary="The shared object",
    description="Exactly the fields and linked objects the share page shows, as JSON. Needs "
    "`Authorization: Share <access token>` from `auth`.",
    responses={200: SharedObjectSerializer, **_REFUSALS, **error_responses(401)},
    tags=["open a share"],
)
class ShareItemView(ShareOpenView):
    """``GET`` with an access token: the page's granted view, as JSON. Counts nothing."""

    def get(self, request: Request, token: str) -> Response:
        match self.look(token):
            case Refused(refusal):
                return self.refuse(refusal)
            case Landing():  # where the page shows its landing page
                return self.token_invalid(request)
            case Shown(share, rights, instance):
                base = request.path[: -len("item/")]  # …/open/<token>/, wherever it is mounted

                def file_url(obj: Any, field_name: str) -> str:
                    reference = files.file_reference(share, obj, field_name)
                    return request.build_absolute_uri(f"{base}files/{reference}/")

                disclosed = disclosure.disclose(instance, rights, file_url=file_url)
                return Response(represent_object(disclosed))


@endpoint(
    summary="Download a file of the shared object",
    description="A file field's link from ``item``; the same access token is required.",
    responses={(200, "*/*"): binary(), **_REFUSALS, **error_responses(401)},
    tags=["open a share"],
)
class ShareFileDownloadView(ShareOpenView):
    """``GET`` with an access token: a file the item's JSON links to (share-scoped)."""

    def get(self, request: Request, token: str, reference: str) -> Any:
        match self.look(token):
            case Refused(refusal):
                return self.refuse(refusal)
            case Landing():
                return self.token_invalid(request)
            case Shown(share, rights, instance):
                served = files.serve_file(share, rights, instance, reference)
                return served or self.refuse(Refusal.FILE_NOT_FOUND)


@schema(exclude=True)
class ShareOpenNotFoundView(ShareOpenView):
    """Any other path under a link token (``…/open/<token>/item/2/``): the API's JSON 404,
    with the share headers and a log line without the token, instead of Django's HTML page."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise NotFound
