"""The public share page: landing (password or "View"), the shared object, and refusals – what
:mod:`.opening` decided, in HTML – and the grant cookie that remembers an opened share.

A grant is a signed, HttpOnly cookie scoped to the share's own URL. It carries only a fingerprint
of the share as it was when access was granted (:func:`.signatures.fingerprint`), so rotating the
link, changing or removing the password, or revoking the share ends every grant at once.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie

from . import disclosure, files, opening, outages
from .conf import get_config, grant_max_age
from .csrf import share_csrf_protect
from .lockout import ShareLock
from .logs import log_refusal
from .models import AccessReason, Share
from .outcomes import Changed, Landing, Locked, Opened, PasswordProblem, Refusal, Refused, Shown
from .signatures import share_token, share_token_valid

# -- the grant cookie ----------------------------------------------------------------------------


def new_grant(share: Share) -> str:
    """A new grant cookie value for ``share`` as it is now (good for ``GRANT_MAX_AGE``)."""
    return share_token("grant", share)


def issue_grant(
    request: HttpRequest, response: HttpResponse, share: Share, grant: str | None = None
) -> None:
    """Set the cookie that remembers a granted access on ``response``: ``grant`` (from
    :func:`new_grant`), or a new one."""
    config = get_config()
    secure = config["GRANT_COOKIE_SECURE"]
    if secure is None:
        secure = settings.SESSION_COOKIE_SECURE or request.is_secure()
    response.set_cookie(
        config["GRANT_COOKIE_NAME"],
        grant or new_grant(share),
        max_age=int(grant_max_age().total_seconds()),
        path=share.get_absolute_url(),
        secure=secure,
        httponly=True,
        samesite="Lax",
    )


def has_grant(request: HttpRequest, share: Share) -> bool:
    """Whether the visitor holds a valid, unexpired grant for ``share`` as it is now."""
    return share_token_valid("grant", request.COOKIES.get(get_config()["GRANT_COOKIE_NAME"]), share)


# Only the landing page has a form, so only it sets the CSRF cookie (the granted page and the
# refusals do without the work).
_with_csrf_cookie = ensure_csrf_cookie(lambda request, response: response)


# CSRF is enforced on POST by the view itself (not by the site's middleware), and only there: other
# methods get their 405, a site without the middleware is still protected, and a rejection gets
# the share's own page (see csrf.py).
@method_decorator([opening.share_response_headers, csrf_exempt], name="dispatch")
@method_decorator(share_csrf_protect, name="post")
class SharePageView(View):
    """``GET`` shows the landing page or, with a grant, the object; ``POST`` opens (one use)."""

    http_method_names = ["get", "post", "head", "options"]
    landing_template = "directus_shares/landing.html"
    refusal_template = "directus_shares/refused.html"
    unavailable_template = "directus_shares/unavailable.html"

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        match opening.look(request, token, holds=functools.partial(has_grant, request)):
            case Refused(refusal, share):
                return self.refuse(request, refusal, share)
            case Landing(share):
                return self.landing(request, share)
            case Shown(share, rights, instance):
                file_url = functools.partial(_file_url, share, token)
                disclosed = disclosure.disclose(instance, rights, file_url=file_url)
                return self.show(request, share, disclosed)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        outcome = opening.open_share(
            request,
            token,
            lambda: request.POST.get("password", ""),
            holds=functools.partial(has_grant, request),
            issue=new_grant,
        )
        match outcome:
            case Opened(share, _counted, credential):
                opened = HttpResponseRedirect(share.get_absolute_url(), status=303)
                if credential is not None:  # not renewed for a visitor who holds a grant
                    issue_grant(request, opened, share, credential)
                return opened
            case Refused(refusal, share):
                return self.refuse(request, refusal, share)
            case PasswordProblem(share, kind):
                return self.landing(request, share, error=str(kind.message), status=403)
            case Locked(share, retry_after, lock):
                return self.locked(request, share, retry_after or 1, lock)
            case Changed(share):
                error = _("This share was changed while it was being opened. Please try again.")
                return self.landing(request, share, error=error, status=409)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return super().dispatch(request, *args, **kwargs)
        except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):  # over DATA_UPLOAD_MAX_*
            response = HttpResponseBadRequest(
                _("The request is too large."), content_type="text/plain; charset=utf-8"
            )
            return self.quietly_logged(request, response, reason="too large")
        except Exception as error:
            outage = outages.outage_of(request, error)
            if outage is None:
                raise
            return self.unavailable(request, outage)

    def http_method_not_allowed(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        """405, logged without the link (Django's own line would write the whole path)."""
        allowed = [method.upper() for method in self.http_method_names if hasattr(self, method)]
        response = HttpResponseNotAllowed(allowed)
        return self.quietly_logged(request, response, reason="method")

    # -- answers --------------------------------------------------------------------------------

    def locked(
        self, request: HttpRequest, share: Share, wait: int, lock: ShareLock | None = None
    ) -> HttpResponse:
        """429: too many wrong passwords; ``Retry-After`` says when to try again, and a lock on
        the share for everybody says that its owner was told."""
        minutes = max(1, -(-wait // 60))
        error = ngettext(
            "Too many wrong passwords. Try again in %(minutes)d minute.",
            "Too many wrong passwords. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
        if lock is not None and lock.owner_told:
            error = ngettext(
                "Too many wrong passwords were entered for this share, so it is locked for "
                "everybody for %(minutes)d minute. Its owner has been notified and can unlock it.",
                "Too many wrong passwords were entered for this share, so it is locked for "
                "everybody for %(minutes)d minutes. Its owner has been notified and can unlock it.",
                minutes,
            ) % {"minutes": minutes}
        elif lock is not None:  # its creator has no e-mail address, or the mail failed
            error = ngettext(
                "Too many wrong passwords were entered for this share, so it is locked for "
                "everybody for %(minutes)d minute. Ask the person who sent you the link to "
                "unlock it.",
                "Too many wrong passwords were entered for this share, so it is locked for "
                "everybody for %(minutes)d minutes. Ask the person who sent you the link to "
                "unlock it.",
                minutes,
            ) % {"minutes": minutes}
        response = self.landing(request, share, error=error, status=429)
        response["Retry-After"] = str(wait)
        return response

    def unavailable(self, request: HttpRequest, outage: outages.Outage) -> HttpResponse:
        """503 with ``Retry-After``: the cache or the database did not answer."""
        response = TemplateResponse(request, self.unavailable_template, status=503)
        response["Retry-After"] = str(outage.retry_after)
        return self.quietly_logged(request, response, reason=AccessReason.SERVICE_UNAVAILABLE)

    def landing(
        self, request: HttpRequest, share: Share, *, error: str | None = None, status: int = 200
    ) -> HttpResponse:
        context = {"share": share, "error": error}
        response = TemplateResponse(request, self.landing_template, context, status=status)
        return self.quietly_logged(request, _with_csrf_cookie(request, response))

    def show(
        self, request: HttpRequest, share: Share, disclosed: disclosure.DisclosedObject
    ) -> HttpResponse:
        templates = [
            f"directus_shares/objects/{disclosed.app_label}/{disclosed.model_name}.html",
            "directus_shares/object.html",
        ]
        return TemplateResponse(request, templates, {"share": share, "object": disclosed})

    def refuse(
        self, request: HttpRequest, refusal: Refusal, share: Share | None = None
    ) -> HttpResponse:
        """The refusal page (:func:`.opening.look` and :func:`.opening.open_share` logged it)."""
        # Only the share's own dates are shown – nothing about the object behind it.
        context = {"refusal": refusal, "share": share if refusal is not refusal.UNKNOWN else None}
        response = TemplateResponse(request, self.refusal_template, context, status=refusal.status)
        return self.quietly_logged(request, response, reason=refusal.code)

    @staticmethod
    def quietly_logged(
        request: HttpRequest, response: HttpResponse, reason: str = "password"
    ) -> HttpResponse:
        """A 4xx is logged without its token (see :func:`logs.log_refusal`)."""
        return log_refusal(request, response, reason) if response.status_code >= 400 else response


def _file_url(share: Share, token: str, instance: Any, field_name: str) -> str:
    reference = files.file_reference(share, instance, field_name)
    return reverse("directus_shares:file", kwargs={"token": token, "reference": reference})


class ShareFileView(SharePageView):
    """``GET`` a file of the shared object (or of a linked one) through the share: only for a
    visitor who opened it, only while the share still shows that field."""

    http_method_names = ["get", "head", "options"]

    def get(self, request: HttpRequest, token: str, reference: str) -> HttpResponseBase:  # type: ignore[override]
        match opening.look(request, token, holds=functools.partial(has_grant, request)):
            case Refused(refusal, share):
                return self.refuse(request, refusal, share)
            case Landing(share):  # not opened yet: the landing page asks first
                return HttpResponseRedirect(share.get_absolute_url(), status=303)
            case Shown(share, rights, instance):
                response = files.serve_file(share, rights, instance, reference)
                return response or self.refuse(request, Refusal.UNKNOWN)
