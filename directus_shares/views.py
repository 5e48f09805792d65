"""The public share page: landing (password or "View"), the shared object, and refusals."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from . import access, disclosure, grants
from .conf import get_config
from .models import Share
from .rights import RoleRights, effective_role

SHARE_RESPONSE_HEADERS = {
    "Cache-Control": "no-store, private",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


def share_response_headers(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark every response of ``view`` as private, uncacheable, unindexed and referrer-free."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> HttpResponse:
        response = view(*args, **kwargs)
        for header, value in SHARE_RESPONSE_HEADERS.items():
            response[header] = value
        return response

    return wrapped


# CSRF is enforced on POST by the view itself (not only by the site's middleware), and only there,
# so that other methods get their 405 and a site without the middleware is still protected.
@method_decorator([share_response_headers, csrf_exempt], name="dispatch")
@method_decorator(csrf_protect, name="post")
class SharePageView(View):
    """``GET`` shows the landing page or, with a grant, the object; ``POST`` opens (one use)."""

    http_method_names = ["get", "post", "head", "options"]
    landing_template = "directus_shares/landing.html"
    refusal_template = "directus_shares/refused.html"

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        now = timezone.now()
        share = access.find_share(token)
        if share is None:
            return self.refuse(request, access.Refusal.UNKNOWN)
        rights = RoleRights(effective_role(share))
        granted = grants.has_grant(request, share)
        opens_directly = granted or self.opens_on_get(share)
        instance = disclosure.load_shared_object(share, rights) if opens_directly else None
        exists = instance is not None if opens_directly else disclosure.shared_object_exists(share)
        refusal = access.refusal_for(
            share,
            object_exists=exists,
            role_can_view=rights.can_view_share(share),
            now=now,
            granted=granted,
        )
        if refusal is not None:
            return self.refuse(request, refusal, share)
        if instance is None:
            return self.landing(request, share)
        return self.show(request, share, disclosure.disclose(instance, rights))

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        now = timezone.now()
        share = access.find_share(token)
        if share is None:
            return self.refuse(request, access.Refusal.UNKNOWN)
        if grants.has_grant(request, share):  # already open for this visitor: nothing to count
            return HttpResponseRedirect(request.path, status=303)
        refusal = access.refusal_for(
            share,
            object_exists=disclosure.shared_object_exists(share),
            role_can_view=RoleRights(effective_role(share)).can_view_share(share),
            now=now,
        )
        if refusal is not None:
            return self.refuse(request, refusal, share)
        if share.has_password:
            error = self.password_error(share, request.POST.get("password", ""))
            if error:
                return self.landing(request, share, error=error, status=403)
        if not access.consume_use(share, now):  # taken by others meanwhile, or just closed
            share.refresh_from_db()
            refusal = access.refusal_for(share, object_exists=True, role_can_view=True, now=now)
            return self.refuse(request, refusal or access.Refusal.USED_UP, share)
        response = HttpResponseRedirect(request.path, status=303)
        grants.issue_grant(request, response, share)
        return response

    # -- pieces ---------------------------------------------------------------------------------

    @staticmethod
    def opens_on_get(share: Share) -> bool:
        return (
            get_config()["OPEN_UNLIMITED_ON_GET"]
            and not share.has_password
            and share.max_uses is None
        )

    @staticmethod
    def password_error(share: Share, password: str) -> str | None:
        if not password:
            return _("Enter the password.")
        if len(password) > get_config()["MAX_PASSWORD_LENGTH"]:
            return _("That password is too long.")
        if not share.check_password(password):
            return _("That password is not correct.")
        return None

    def landing(
        self, request: HttpRequest, share: Share, *, error: str | None = None, status: int = 200
    ) -> HttpResponse:
        context = {"share": share, "error": error}
        return TemplateResponse(request, self.landing_template, context, status=status)

    def show(
        self, request: HttpRequest, share: Share, disclosed: disclosure.DisclosedObject
    ) -> HttpResponse:
        templates = [
            f"directus_shares/objects/{disclosed.app_label}/{disclosed.model_name}.html",
            "directus_shares/object.html",
        ]
        return TemplateResponse(request, templates, {"share": share, "object": disclosed})

    def refuse(
        self, request: HttpRequest, refusal: access.Refusal, share: Share | None = None
    ) -> HttpResponse:
        # Only the share's own dates are shown – nothing about the object behind it.
        context = {"refusal": refusal, "share": share if refusal is not refusal.UNKNOWN else None}
        return TemplateResponse(request, self.refusal_template, context, status=refusal.status)
