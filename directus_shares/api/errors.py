"""JSON refusals: ``{"code": …, "detail": …}`` with the status the share page answers with."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request
from rest_framework.response import Response

from ..access import Refusal
from ..logs import log_refusal

#: Codes of the API's own refusals, beside the :class:`~directus_shares.access.Refusal` codes.
PASSWORD_REQUIRED = "password_required"
WRONG_PASSWORD = "wrong_password"
PASSWORD_TOO_LONG = "password_too_long"
CHANGED = "changed"
TOKEN_INVALID = "token_invalid"
REQUEST_TOO_LARGE = "request_too_large"

CHANGED_DETAIL = _("This share was changed while it was being opened. Please try again.")
TOO_MANY_ATTEMPTS_DETAIL = _("Too many wrong passwords. Try again after Retry-After seconds.")
REQUEST_TOO_LARGE_DETAIL = _("The request is too large.")
TOKEN_INVALID_DETAIL = _("The access token is missing, invalid or expired. Authenticate again.")


def error_response(request: Request, code: str, detail: object, status: int) -> Response:
    """An error in the API's one shape; a 4xx is logged without the link's secret."""
    response = Response({"code": code, "detail": str(detail)}, status=status)
    if status >= 400:
        log_refusal(request, response, code)
    return response


def refusal_response(request: Request, refusal: Refusal) -> Response:
    """The JSON twin of the share page's refusal: same status, the refusal's code and title."""
    return error_response(request, refusal.code, refusal.title, refusal.status)
