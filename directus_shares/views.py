"""The public share page: landing (password or "View"), the shared object, and refusals – what
:mod:`.opening` decided, in HTML – and the grant cookie that remembers an opened share.

A grant is a signed, HttpOnly cookie scoped to the share's own URL. It carries only a fingerprint
of the share as it was when access was granted (:func:`.signatures.fingerprint`), so rotating the
link, changing or removing the password, or revoking the share ends every grant at once.

The shared object's HTML – its fields and linked objects, escaped – is made here too
(:func:`share_fields`, :func:`share_relations`, :func:`share_value`, and :func:`time_zone_name`
for every time shown); ``{% load directus_shares %}`` gives them to templates.
"""

from __future__ import annotations

import functools
from datetime import datetime
from html import escape
from typing import Any

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
from django.utils import dateformat, timezone
from django.utils.decorators import method_decorator
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie

from . import disclosure, files, opening, outages, verification
from .conf import get_config, grant_max_age
from .csrf import share_csrf_protect
from .disclosure import DisclosedField, DisclosedRelation
from .logs import log_refusal
from .models import AccessReason, Share
from .outcomes import (
    REQUEST_TOO_LARGE_MESSAGE,
    Changed,
    CodeProblem,
    CodeProblemKind,
    CodeRequested,
    Landing,
    Locked,
    Opened,
    PasswordProblem,
    Refusal,
    Refused,
    Shown,
)
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
    response.set_cookie(
        get_config()["GRANT_COOKIE_NAME"],
        grant or new_grant(share),
        max_age=int(grant_max_age().total_seconds()),
        path=share.get_absolute_url(),
        secure=opening.cookies_secure(request),
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
        if request.POST.get("step") == "email":  # a share restricted to addresses: send a code
            return self.request_code(request, token)
        outcome = opening.open_share(
            request,
            token,
            lambda: request.POST.get("password", ""),
            holds=functools.partial(has_grant, request),
            issue=new_grant,
            proof=functools.partial(_posted_code, request),
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
            case Locked() as locked:
                return self.locked(request, locked)
            case Changed(share):
                return self.landing(request, share, error=str(Changed.message), status=409)
            case CodeProblem() as problem:
                return self.code_problem(request, problem)

    # -- one-time codes (a share restricted to addresses) --------------------------------------

    def request_code(self, request: HttpRequest, token: str) -> HttpResponse:
        """The address form was sent: the code form, saying a code went out *if* the address may
        open the share (the same answer either way), or why no code was made."""
        match opening.request_code(request, token, request.POST.get("email", "")):
            case Refused(refusal, share):
                return self.refuse(request, refusal, share)
            case CodeRequested(share, email, minutes):
                return self.landing(request, share, email=email, minutes=minutes)
            case CodeProblem() as problem:
                return self.code_problem(request, problem)

    def code_problem(self, request: HttpRequest, problem: CodeProblem) -> HttpResponse:
        """The landing page with why the address or code was not accepted: the code form again
        after a wrong code, the address form (for a new code) otherwise; past a limit that
        ends, ``Retry-After``."""
        kind = problem.kind
        again = problem.email if kind is CodeProblemKind.WRONG_CODE else ""
        response = self.landing(
            request, problem.share, error=str(kind.message), status=kind.status, email=again
        )
        if problem.retry_after is not None:
            response["Retry-After"] = str(problem.retry_after)
        return response

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return super().dispatch(request, *args, **kwargs)
        except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):  # over DATA_UPLOAD_MAX_*
            response = HttpResponseBadRequest(
                str(REQUEST_TOO_LARGE_MESSAGE), content_type="text/plain; charset=utf-8"
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

    def locked(self, request: HttpRequest, locked: Locked) -> HttpResponse:
        """429: too many wrong passwords; ``Retry-After`` says when to try again, and a lock on
        the share for everybody says that its owner was told."""
        response = self.landing(request, locked.share, error=locked.message, status=429)
        response["Retry-After"] = str(locked.retry_after or 1)
        return response

    def unavailable(self, request: HttpRequest, outage: outages.Outage) -> HttpResponse:
        """503 with ``Retry-After``: the cache or the database did not answer."""
        response = TemplateResponse(request, self.unavailable_template, status=503)
        response["Retry-After"] = str(outage.retry_after)
        return self.quietly_logged(request, response, reason=AccessReason.SERVICE_UNAVAILABLE)

    def landing(
        self,
        request: HttpRequest,
        share: Share,
        *,
        error: str | None = None,
        status: int = 200,
        email: str = "",
        minutes: int | None = None,
    ) -> HttpResponse:
        """The landing page; for a share restricted to addresses, its address form – or, with
        ``email``, its code form (``minutes``: how long the code that may have been sent lives)."""
        context = {"share": share, "error": error, "email": email, "minutes": minutes}
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


def _posted_code(request: HttpRequest) -> verification.EmailCode | None:
    """The address and one-time code of the code form, or ``None`` when it sent none."""
    if "code" not in request.POST:
        return None
    return verification.EmailCode(request.POST.get("email", ""), request.POST.get("code", ""))


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
                return response or self.refuse(request, Refusal.FILE_NOT_FOUND)


class ShareNotFoundView(SharePageView):
    """Any other path under the share prefix (``…/<token>/x/``), by any method: the share page's
    404, with its headers and logged without the link – not the site's generic page, which a
    cache could keep and whose log line would hold the token."""

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.refuse(request, Refusal.UNKNOWN)

    def http_method_not_allowed(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        return self.get(request)


# -- the shared object as HTML: the tags of {% load directus_shares %} ----------------------------


def esc(value: object) -> str:
    """``value`` escaped for HTML text and attributes – always, even if marked safe: disclosed
    values are data, never markup. (The standard library's escape, as Django's own escape does
    it, without the lazy-string wrapper that cost more than the rest of a field's rendering.)"""
    return escape(str(value), quote=True)


def _value_html(field: DisclosedField) -> str:
    if field.text == "":
        return '<span class="ds-none">—</span>'
    if field.url:
        download = " download" if field.kind == "file" else ""
        return (
            f'<a href="{esc(field.url)}" rel="noopener noreferrer" referrerpolicy="no-referrer"'
            f"{download}>{esc(field.text)}</a>"
        )
    if field.kind in ("multiline", "json"):
        return f"<pre>{esc(field.text)}</pre>"
    return esc(field.text)


def time_zone_name(value: datetime | None) -> str:
    """The zone of ``value`` in the current time zone, for "(CET)" after a time: its name, or its
    UTC offset ("UTC+01:00") where the name would not say which moment it is – Django's
    ``date:"T"`` prints nothing for a local time that occurs twice (or not at all)."""
    if not isinstance(value, datetime):
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    name = dateformat.format(local, "T")
    if name:
        return name
    offset = local.utcoffset()
    if offset is None:
        return ""
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def share_value(field: DisclosedField) -> SafeString:
    """A disclosed field's value as HTML: a link, preformatted text, or plain (escaped) text."""
    return mark_safe(_value_html(field))  # noqa: S308 - all data is escaped


def share_fields(fields: list[DisclosedField]) -> SafeString:
    """A ``<dl>`` of disclosed fields; a tag rather than an ``{% include %}``, which would cost
    more than the rest of the page when repeated for every linked object."""
    rows = "\n".join(
        f'<div class="ds-field ds-field-{esc(field.kind)}" data-field="{esc(field.name)}">'
        f"<dt>{esc(field.label)}</dt>"
        f"<dd>{_value_html(field)}</dd></div>"
        for field in fields
    )
    return mark_safe(f'<dl class="ds-fields">\n{rows}\n</dl>')  # noqa: S308 - escaped above


def share_relations(relations: list[DisclosedRelation]) -> SafeString:
    """Objects linked to a linked object (a comment's author, …), nested to any depth."""
    return mark_safe(_relations_html(relations))  # noqa: S308 - escaped in _relations_html


def share_sections(relations: list[DisclosedRelation]) -> SafeString:
    """The shared object's relations, one ``<section>`` each with its linked objects (and "Only
    the first … are shown." when cut short): what ``object.html`` shows below the fields. One tag
    instead of two nested ``{% for %}`` loops, which cost about a third of the page's render."""
    return mark_safe("".join(map(_section_html, relations)))  # noqa: S308 - escaped below


def _section_html(relation: DisclosedRelation) -> str:
    name = esc(relation.name)
    items = (
        "".join(
            f'<article class="ds-linked">{share_fields(obj.fields)}{_relations_html(obj.relations)}'
            "</article>\n"
            for obj in relation.objects
        )
        or f'<p class="ds-empty">{esc(_("None"))}</p>\n'
    )
    more = ""
    if relation.truncated:
        shown = len(relation.objects)
        text = ngettext(
            "Only the first %(shown)s is shown.", "Only the first %(shown)s are shown.", shown
        ) % {"shown": shown}
        more = f'<p class="ds-more">{esc(text)}</p>\n'
    return (
        f'<section class="ds-relation" aria-labelledby="ds-rel-{name}">\n'
        f'<h2 id="ds-rel-{name}">{esc(capfirst(relation.label))}</h2>\n{items}{more}</section>\n'
    )


def _relations_html(relations: list[DisclosedRelation]) -> str:
    parts = []
    for relation in relations:
        items = [
            f'<li class="ds-linked">{share_fields(obj.fields)}{_relations_html(obj.relations)}</li>'
            for obj in relation.objects
        ] or [f'<li class="ds-empty">{esc(_("None"))}</li>']
        parts.append(
            f'<div class="ds-nested" data-relation="{esc(relation.name)}">'
            f"<h3>{esc(capfirst(relation.label))}</h3><ul>{''.join(items)}</ul></div>"
        )
    return "".join(parts)
