"""CSRF protection for the share page's form, compatible with ``Referrer-Policy: no-referrer``.

Share pages send ``Referrer-Policy: no-referrer`` so that the link never leaks through a
``Referer``. Browsers then submit the page's own forms with ``Origin: null``, which Django's
``CsrfViewMiddleware`` rejects as a foreign origin. Here ``Origin: null`` is accepted only where
the browser itself says the form came from the same origin (``Sec-Fetch-Site: same-origin``), or
where it sends no ``Sec-Fetch-Site`` at all (browsers from before 2023); the CSRF token is checked
as always. A page elsewhere that makes a browser send ``Origin: null`` (a sandboxed frame, its own
no-referrer policy) is still refused, because that browser says ``cross-site``. Any real origin
is checked as Django does. Failures get a share-styled page, and the log line leaves the link's
secret out.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.template.response import TemplateResponse
from django.utils.decorators import decorator_from_middleware

from .logs import log_refusal


class ShareCsrfMiddleware(CsrfViewMiddleware):
    """Django's CSRF checks, with ``Origin: null`` left to the token check."""

    def _origin_verified(self, request: HttpRequest) -> bool:
        if request.META.get("HTTP_ORIGIN") == "null":  # our own no-referrer policy causes it
            return request.META.get("HTTP_SEC_FETCH_SITE", "same-origin") == "same-origin"
        # a private method of CsrfViewMiddleware: the stubs leave it out
        return super()._origin_verified(request)  # type: ignore[misc]

    def _reject(self, request: HttpRequest, reason: str) -> HttpResponse:
        response = TemplateResponse(request, "directus_shares/csrf_failure.html", status=403)
        response.render()
        return log_refusal(request, response, f"CSRF: {reason}")


share_csrf_protect = decorator_from_middleware(ShareCsrfMiddleware)
