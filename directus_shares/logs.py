"""Logging share requests without writing working links into log files."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)


def redacted_path(request: HttpRequest) -> str:
    """The request path with the link token (the view's ``token`` argument) cut to its first
    six characters, wherever it stands in the path."""
    match = getattr(request, "resolver_match", None)
    token = match.kwargs.get("token", "") if match is not None else ""
    return request.path.replace(token, f"{token[:6]}…") if token else request.path


def log_refusal(request: HttpRequest, response: HttpResponse, reason: str) -> HttpResponse:
    """Log a refused share request with the token cut off, in place of Django's request-log line
    (which would write the whole working link), and return ``response``."""
    logger.info("Share refused (%s, %s): %s", response.status_code, reason, redacted_path(request))
    response._has_been_logged = True  # type: ignore[attr-defined]  # read by log_response
    return response
