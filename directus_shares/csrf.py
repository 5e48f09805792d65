"""CSRF protection for the share page's form: Django's own check, run by the view itself.

The view is exempt from the site's middleware and runs :class:`~django.middleware.csrf.
CsrfViewMiddleware` through its public methods, so the form is protected in sites without the
middleware too, and a rejection gets a share-styled 403 page and a log line without the link's
secret instead of the project's ``CSRF_FAILURE_VIEW``. Nothing here changes what Django accepts:
share pages send ``Referrer-Policy: same-origin``, so browsers post the form with its real
``Origin``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.template.response import TemplateResponse

from .logs import log_refusal

FAILURE_TEMPLATE = "directus_shares/csrf_failure.html"


def share_csrf_protect(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Like Django's ``csrf_protect``, with a rejection answered by :func:`refused`."""

    @wraps(view)
    def protected(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Made per request: it reads CSRF_TRUSTED_ORIGINS once per instance.
        middleware = CsrfViewMiddleware(view)
        middleware.process_request(request)
        if middleware.process_view(request, view, args, kwargs) is not None:
            # Django has logged why on "django.security.csrf" (the link cut by logs.py) and
            # answered with the project's failure view: the share's own page replaces it.
            return refused(request)
        return middleware.process_response(request, view(request, *args, **kwargs))

    return protected


def refused(request: HttpRequest) -> HttpResponse:
    """The share-styled 403 "Please try again" page, logged without the link."""
    response = TemplateResponse(request, FAILURE_TEMPLATE, status=403)
    response.render()
    return log_refusal(request, response, "CSRF")
