"""Keeping working share links out of every log line that Django, the server or the app writes.

A link token (``<key>.<signature>``, see :mod:`.tokens`) is cut to its first six characters
wherever it stands: :class:`ShareLinkFilter` rewrites each record of the loggers in
:data:`REDACTED_LOGGERS` – its message, its traceback and the request it carries for
``AdminEmailHandler`` and error trackers – whatever the status and whether or not the path
resolved to a share view. The app installs it itself (:func:`install`, from ``AppConfig.ready``).
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any, Protocol, TypeVar
from urllib.parse import unquote

from django.core.exceptions import SuspiciousOperation
from django.core.signals import request_started
from django.http import HttpRequest, QueryDict
from django.http.response import HttpResponseBase
from django.urls import ResolverMatch
from django.views.debug import SafeExceptionReporterFilter

from .conf import get_config

logger = logging.getLogger(__name__)

_Response = TypeVar("_Response", bound=HttpResponseBase)

#: A link token: the key (22 characters), a dot and the signature (43 characters with SHA-256) –
#: also with a slash for the dot, as "%2F" decodes: the two halves would rebuild the link. A key
#: of any length from six characters matches: a link with one character too few or too many is
#: a guess or two away from the real one.
TOKEN_PATTERN = re.compile(r"([A-Za-z0-9_-]{6})[A-Za-z0-9_-]*[./][A-Za-z0-9_-]{20,}")
# A run of URL characters with a percent escape: "%2E" for the dot still opens the link.
_ESCAPED_RUN = re.compile(r"[A-Za-z0-9_.~%-]*%[0-9A-Fa-f]{2}[A-Za-z0-9_.~%-]*")

# Set in request.META (a WSGI environ key, as servers and middleware name theirs) when the app
# has logged a refusal itself: Django's own line about the same response is then left out.
_LOGGED_STATUS = "directus_shares.logged_status"

#: Loggers whose records can name a request's path. ``django.security.*`` is one logger per
#: exception class, and a filter only sees records logged on its own logger, not on children.
REDACTED_LOGGERS = (
    "django.request",
    "django.server",
    "django.security.csrf",
    "gunicorn.access",
    "gunicorn.error",
    "uvicorn.access",
    "uvicorn.error",
    "directus_shares.logs",
    "directus_shares.mail",
    "directus_shares.tasks",
)


def redact(text: str) -> str:
    """``text`` with every link token in it (also a percent-escaped one) cut to its first six
    characters and "…". Usable in a project's own scrubbers (e.g. an error tracker's
    ``before_send``)."""
    text = TOKEN_PATTERN.sub(r"\1…", text)
    if "%" in text:
        text = _ESCAPED_RUN.sub(_redact_escaped, text)
    return text


def _redact_escaped(match: re.Match[str]) -> str:
    unescaped = unquote(match[0])
    return TOKEN_PATTERN.sub(r"\1…", unescaped) if TOKEN_PATTERN.search(unescaped) else match[0]


class _Request(Protocol):
    """Django's request, or DRF's (which hands ``path`` and ``META`` through to Django's)."""

    path: str
    META: dict[str, Any]


def redacted_path(request: _Request) -> str:
    """The request path with the link token cut to its first six characters."""
    return redact(request.path)


def log_refusal(request: _Request, response: _Response, reason: str) -> _Response:
    """Log a refused share request with the token cut off, in place of Django's request-log line
    (which :class:`ShareLinkFilter` then leaves out), and return ``response``."""
    logger.info("Share refused (%s, %s): %s", response.status_code, reason, redacted_path(request))
    request.META[_LOGGED_STATUS] = response.status_code
    return response


class ShareLinkFilter(logging.Filter):
    """Redacts link tokens in a record's message, traceback, stack and request; drops Django's
    request-log line for a response the app has already logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if isinstance(request, HttpRequest) and record.name == "django.request":
            status = getattr(record, "status_code", None)
            if status is not None and request.META.get(_LOGGED_STATUS) == status:
                return False
        try:
            message = record.getMessage()
        except Exception:  # a broken record: the handler reports it as it always does
            return True
        if (redacted := redact(message)) != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            if (redacted := redact(text)) != text:
                record.exc_text = redacted  # what formatters print instead of formatting anew
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        if isinstance(request, HttpRequest):
            record.request = redacted_request(request)
        return True


def redacted_request(request: HttpRequest) -> HttpRequest:
    """A copy of ``request`` for error reports, without link tokens, grant cookie or form values
    (``request`` itself when its path, query and headers hold no token). ``request`` is left as
    it is: middleware may still read it after the log line is written."""
    meta = {k: redact(v) if isinstance(v, str) else v for k, v in request.META.items()}
    if meta == request.META and redact(request.path) == request.path:
        return request
    redacted = copy.copy(request)
    redacted.META = meta
    redacted.path = redact(request.path)
    redacted.path_info = redact(request.path_info)
    redacted.GET = QueryDict(meta.get("QUERY_STRING", ""))
    match = request.resolver_match
    if match is not None:
        redacted.resolver_match = ResolverMatch(
            match.func,
            tuple(_redact_value(arg) for arg in match.args),
            {k: _redact_value(v) for k, v in match.kwargs.items()},
            url_name=match.url_name,
            app_names=list[str | None](match.app_names),
            namespaces=list[str | None](match.namespaces),
            route=match.route,
        )
    # A documented attribute of HttpRequest, read by Django's error reports; the stubs lack it.
    redacted.exception_reporter_filter = ShareReportFilter()  # type: ignore[attr-defined]
    return redacted


def _redact_value(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class ShareReportFilter(SafeExceptionReporterFilter):
    """Django's error-report filter for a share request: no link token in a frame's variables,
    no form value (the password), no grant cookie."""

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        try:
            names = list(request.POST) if request is not None else []
        except Exception:  # the body could not be parsed: that may be why we are reporting
            return {}
        return {name: self.cleansed_substitute for name in names}

    def get_safe_cookies(self, request: HttpRequest) -> dict[str, Any]:
        cookies = super().get_safe_cookies(request)
        if get_config()["GRANT_COOKIE_NAME"] in cookies:
            cookies[get_config()["GRANT_COOKIE_NAME"]] = self.cleansed_substitute
        return cookies

    def get_traceback_frame_variables(self, request: HttpRequest, tb_frame: Any) -> Any:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, _RedactedValue(value)) for name, value in variables]


class _RedactedValue:
    """A frame variable whose printed form (what error reports show) has no link token."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        from pprint import pformat

        try:
            return redact(pformat(self.value))
        except Exception as error:  # as Django's own pprint filter reports it
            return f"Error in formatting: {error.__class__.__name__}: {error}"


def install() -> None:
    """Attach :class:`ShareLinkFilter` to every logger that can write a share URL: those in
    :data:`REDACTED_LOGGERS` and ``django.security.<name>`` for each suspicious-operation class
    – now, and again at the first request, when the middleware has imported the classes of its
    own (such as ``SuspiciousSession``)."""
    _attach()
    request_started.connect(_attach_at_first_request, dispatch_uid=_FIRST_REQUEST)


_FIRST_REQUEST = "directus_shares.logs.install"


def _attach() -> None:
    names = [*REDACTED_LOGGERS, *(f"django.security.{cls.__name__}" for cls in _subclasses())]
    for name in names:
        target = logging.getLogger(name)
        if not any(isinstance(existing, ShareLinkFilter) for existing in target.filters):
            target.addFilter(ShareLinkFilter())


def _attach_at_first_request(**kwargs: Any) -> None:
    request_started.disconnect(dispatch_uid=_FIRST_REQUEST)
    _attach()


def _subclasses(cls: type[Exception] = SuspiciousOperation) -> list[type[Exception]]:
    found = [cls]
    for subclass in cls.__subclasses__():
        found += _subclasses(subclass)
    return found
