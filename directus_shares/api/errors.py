"""The API's one error shape, ``{"code": …, "detail": …}`` (and ``"errors"`` by field on a
validation error): refusals with the status the share page answers with, and every exception a
view of the package raises (:func:`exception_handler`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, views
from rest_framework.request import Request
from rest_framework.response import Response

from ..logs import log_refusal
from ..outages import Outage, outage_of
from ..outcomes import REQUEST_TOO_LARGE_MESSAGE, Changed, Refusal

#: Codes of the API's own refusals, beside the :class:`~directus_shares.outcomes.Refusal` codes.
PASSWORD_REQUIRED = "password_required"
WRONG_PASSWORD = "wrong_password"
PASSWORD_TOO_LONG = "password_too_long"
CHANGED = "changed"
TOKEN_INVALID = "token_invalid"
REQUEST_TOO_LARGE = "request_too_large"
TEMPORARILY_UNAVAILABLE = "temporarily_unavailable"
BAD_REQUEST = "bad_request"
UNKNOWN_FORMAT = "unknown_format"

CHANGED_DETAIL = Changed.message
REQUEST_TOO_LARGE_DETAIL = REQUEST_TOO_LARGE_MESSAGE
BAD_REQUEST_DETAIL = _("The request could not be understood.")
UNKNOWN_FORMAT_DETAIL = _("This format is not available. Leave out “format” for JSON.")
TOKEN_INVALID_DETAIL = _("The access token is missing, invalid or expired. Authenticate again.")
#: The share page's words (``Retry-After`` carries the seconds).
TEMPORARILY_UNAVAILABLE_DETAIL = _(
    "This share cannot be opened right now. Please try again in a minute."
)
#: The manage API's words for the same.
MANAGE_UNAVAILABLE_DETAIL = _("The database did not answer. Please try again in a minute.")


def error_response(request: Request, code: str, detail: object, status: int) -> Response:
    """An error in the API's one shape; a 4xx is logged without the link's secret."""
    response = Response({"code": code, "detail": str(detail)}, status=status)
    if status >= 400:
        log_refusal(request, response, code)
    return response


def refusal_response(request: Request, refusal: Refusal) -> Response:
    """The JSON twin of the share page's refusal: same status, the refusal's code and title."""
    return error_response(request, refusal.code, refusal.title, refusal.status)


def unavailable_response(
    request: Request, outage: Outage, detail: object = TEMPORARILY_UNAVAILABLE_DETAIL
) -> Response:
    """503 with ``Retry-After``: the cache or the database did not answer."""
    response = error_response(request, TEMPORARILY_UNAVAILABLE, detail, 503)
    response["Retry-After"] = str(outage.retry_after)
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler (same statuses, headers and rollback), answering in the API's one
    shape; also for a body Django refuses (too large, too many fields: 400), an unknown
    ``?format=`` (404 ``unknown_format``) and the database away (503
    ``temporarily_unavailable``, as on the open endpoints). ``None`` (a server error) for anything
    else."""
    request = context["request"]
    outage = outage_of(request, exc)
    if outage is not None:  # e.g. the database away while a manager's request is answered
        return unavailable_response(request, outage, MANAGE_UNAVAILABLE_DETAIL)
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        return _error(REQUEST_TOO_LARGE, REQUEST_TOO_LARGE_DETAIL, 400)
    if isinstance(exc, SuspiciousOperation):
        return _error(BAD_REQUEST, BAD_REQUEST_DETAIL, 400)
    if isinstance(exc, Http404) and not hasattr(request, "accepted_renderer"):
        return _error(UNKNOWN_FORMAT, UNKNOWN_FORMAT_DETAIL, 404)  # content negotiation's 404
    if isinstance(exc, Http404):  # not Django's message, which names the model
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = views.exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    codes, detail = exc.get_codes(), exc.detail
    body: dict[str, Any] = {"code": str(_first(codes)), "detail": str(_first(detail))}
    if isinstance(exc, exceptions.ValidationError):  # the first problem, and all by field
        body["errors"] = detail if isinstance(detail, dict) else {"non_field_errors": detail}
    response.data = body
    return response


def _error(code: str, detail: object, status: int) -> Response:
    return Response({"code": code, "detail": str(detail)}, status=status)


def _first(value: Any) -> Any:
    """The first leaf of a validation error's nested codes or messages."""
    while isinstance(value, dict | list) and value:
        value = next(iter(value.values())) if isinstance(value, dict) else value[0]
    return value


class ErrorShape:
    """For a DRF view: every error in the API's one shape, whatever the project's
    ``EXCEPTION_HANDLER``."""

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response | None]:
        return exception_handler
