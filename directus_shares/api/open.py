"""Opening a share from a program: ``info`` (what to show), ``auth`` (one use → an access token)
and ``item`` (the shared object).

The checks run in the share page's order (:mod:`directus_shares.views`), with the page's
refusals, statuses, access-log entries and use counting; only the answers are JSON.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import access, disclosure, files, outages, passwords, visits
from ..access_log import record_access
from ..conf import get_config
from ..logs import log_refusal
from ..models import AccessReason, Share
from . import errors, tokens
from .representation import SharedObjectSerializer, represent_object
from .schema import binary, error_responses, schema

RESPONSE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

# Every open endpoint: its refusals, and 503 while the database or the cache is away.
_REFUSALS = error_responses(*(refusal.status for refusal in access.Refusal), 503)


class ShareOpenView(errors.ErrorShape, APIView):
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
        return tokens.access_token_valid(tokens.access_token_from(self.request), share)

    def token_invalid(self, request: Request) -> Response:
        """401 for a missing, forged or ended access token, with the scheme to use."""
        response = errors.error_response(
            request, errors.TOKEN_INVALID, errors.TOKEN_INVALID_DETAIL, 401
        )
        response["WWW-Authenticate"] = tokens.SCHEME
        return response

    def refuse(self, refusal: access.Refusal, share: Share | None = None) -> Response:
        """Refuse as the page does: a known share's refusal is an access attempt, and logged."""
        if share is not None:
            record_access(self.request, share, granted=False, reason=refusal.code)
        return errors.refusal_response(self.request, refusal)


# -- info -----------------------------------------------------------------------------------------


class ShareInfoSerializer(serializers.Serializer):
    """What a client needs to show the right screen – and nothing about the shared object."""

    name = serializers.CharField(
        allow_null=True, help_text="The share's name; null while a password is required."
    )
    password_required = serializers.BooleanField()
    date_start = serializers.DateTimeField(allow_null=True)
    date_end = serializers.DateTimeField(allow_null=True)
    max_uses = serializers.IntegerField(allow_null=True)
    times_used = serializers.IntegerField()
    uses_left = serializers.IntegerField(allow_null=True, help_text="null: unlimited.")
    status = serializers.CharField(help_text="`active` (or `used_up` for a granted client).")


def share_info(share: Share, now: datetime) -> dict[str, Any]:
    """The info of ``share``: its window and uses; its name only if it has no password (as the
    landing page keeps it to itself until the password is given)."""
    return ShareInfoSerializer(
        {
            "name": None if share.has_password else share.name,
            "password_required": share.has_password,
            "date_start": share.date_start,
            "date_end": share.date_end,
            "max_uses": share.max_uses,
            "times_used": share.times_used,
            "uses_left": share.uses_left,
            "status": share.status_at(now).value,
        }
    ).data


@schema(
    summary="What a share link needs before it opens",
    description="Counts no use. A client holding an access token may send it, so that a share "
    "used up by others still answers for it.",
    responses={200: ShareInfoSerializer, **_REFUSALS},
    tags=["open a share"],
)
class ShareInfoView(ShareOpenView):
    """``GET``: the share's window, uses and whether it needs a password (the landing page)."""

    def get(self, request: Request, token: str) -> Response:
        visit = visits.begin(request, token)
        if visit is None:
            return self.refuse(access.Refusal.UNKNOWN)
        token_valid = self.holds_access_token(visit.share)
        refusal = visit.refusal(granted=token_valid)
        if refusal is not None:
            return self.refuse(refusal, visit.share)
        return Response(share_info(visit.share, visit.now))


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
    token_type = serializers.ChoiceField(choices=[tokens.SCHEME])
    expires_in = serializers.IntegerField(help_text="Seconds the token is accepted.")


@schema(
    summary="Open a share: count one use, get an access token",
    request=ShareAuthRequestSerializer,
    responses={200: AccessTokenSerializer, **_REFUSALS, **error_responses(401, 409, 415, 429)},
    tags=["open a share"],
)
class ShareAuthView(ShareOpenView):
    """``POST``: the page's "Open"/"View" – checks, password, then one counted use."""

    def post(self, request: Request, token: str) -> Response:
        visit = visits.begin(request, token)
        if visit is None:
            return self.refuse(access.Refusal.UNKNOWN)
        share = visit.share
        refusal, condition = visit.refusal_before_counting()
        if refusal is not None:
            return self.refuse(refusal, share)
        body = ShareAuthRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        password = body.validated_data.get("password", "")
        refused = passwords.check_attempt(request, share, password)
        if refused is not None:
            return self.password_refused(refused, password)
        access_token = tokens.issue_access_token(share)  # before counting, as the page does
        if access.consume_use(share, visit.now, request, condition):  # and logged as granted
            return Response(
                {
                    "access_token": access_token,
                    "token_type": tokens.SCHEME,
                    "expires_in": tokens.lifetime_seconds(),
                }
            )
        return self.not_counted(token, visit.now)

    def password_refused(self, refused: passwords.PasswordRefusal, password: str) -> Response:
        """429 with ``Retry-After`` while locked out; else why the password was refused."""
        if refused.locked_out:
            detail = errors.TOO_MANY_ATTEMPTS_DETAIL
            if refused.share_lock is not None:  # locked for everybody, not only this address
                told = refused.share_lock.owner_told
                detail = errors.SHARE_LOCKED_NOTIFIED_DETAIL if told else errors.SHARE_LOCKED_DETAIL
            response = errors.error_response(self.request, "too_many_attempts", detail, 429)
            response["Retry-After"] = str(refused.retry_after)
            return response
        code, status = _password_problem(password)
        return errors.error_response(self.request, code, refused.message, status)

    def not_counted(self, token: str, now: datetime) -> Response:
        """Say why a use was not counted: the share changed between the checks and the count."""
        visit = visits.begin(self.request, token)
        if visit is None:
            return self.refuse(access.Refusal.UNKNOWN)
        refusal = dataclasses.replace(visit, now=now).refusal()  # the object may be why
        if refusal is not None:
            return self.refuse(refusal, visit.share)
        record_access(self.request, visit.share, granted=False, reason=AccessReason.CHANGED)
        return errors.error_response(self.request, errors.CHANGED, errors.CHANGED_DETAIL, 409)


def _password_problem(password: str) -> tuple[str, int]:
    """The code and status of a password :func:`access.password_error` refused."""
    if not password:
        return errors.PASSWORD_REQUIRED, 401
    if len(password) > get_config()["MAX_PASSWORD_LENGTH"]:
        return errors.PASSWORD_TOO_LONG, 400
    return errors.WRONG_PASSWORD, 401


# -- item -----------------------------------------------------------------------------------------


@schema(
    summary="The shared object",
    description="Exactly the fields and linked objects the share page shows, as JSON. Needs "
    "`Authorization: Share <access token>` from `auth`.",
    responses={200: SharedObjectSerializer, **_REFUSALS, **error_responses(401)},
    tags=["open a share"],
)
class ShareItemView(ShareOpenView):
    """``GET`` with an access token: the page's granted view, as JSON. Counts nothing."""

    def get(self, request: Request, token: str) -> Response:
        visit = visits.begin(request, token)
        if visit is None:
            return self.refuse(access.Refusal.UNKNOWN)
        share = visit.share
        token_valid = self.holds_access_token(share)
        shown = token_valid or access.opens_without_click(share)
        instance, state = visit.shared_object(shown=shown)
        refusal = visit.refusal(state, granted=token_valid)
        if refusal is not None:
            return self.refuse(refusal, share)
        if instance is None:  # where the page shows its landing page
            return self.token_invalid(request)
        base = request.path[: -len("item/")]  # …/open/<token>/, wherever the API is mounted

        def file_url(obj: Any, field_name: str) -> str:
            reference = files.file_reference(share, obj, field_name)
            return request.build_absolute_uri(f"{base}files/{reference}/")

        disclosed = disclosure.disclose(instance, visit.rights, file_url=file_url)
        return Response(represent_object(disclosed))


@schema(
    summary="Download a file of the shared object",
    description="A file field's link from ``item``; the same access token is required.",
    responses={(200, "*/*"): binary(), **_REFUSALS, **error_responses(401)},
    tags=["open a share"],
)
class ShareFileDownloadView(ShareOpenView):
    """``GET`` with an access token: a file the item's JSON links to (share-scoped)."""

    def get(self, request: Request, token: str, reference: str) -> Any:
        visit = visits.begin(request, token)
        if visit is None:
            return self.refuse(access.Refusal.UNKNOWN)
        share = visit.share
        token_valid = self.holds_access_token(share)
        instance, state = visit.shared_object(shown=token_valid)
        refusal = visit.refusal(state, granted=token_valid)
        if refusal is not None:
            return self.refuse(refusal, share)
        if instance is None:
            return self.token_invalid(request)
        served = files.serve_file(share, visit.rights, instance, reference)
        return served or self.refuse(access.Refusal.UNKNOWN)


@schema(exclude=True)
class ShareOpenNotFoundView(ShareOpenView):
    """Any other path under a link token (``…/open/<token>/item/2/``): the API's JSON 404,
    with the share headers and a log line without the token, instead of Django's HTML page."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise NotFound
