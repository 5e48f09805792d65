"""Remembering that a visitor was granted a share, so reloads do not count again.

A grant is a signed, HttpOnly cookie scoped to the share's own URL. It carries only a fingerprint
of the share as it was when access was granted (:func:`signatures.fingerprint`: its id, link key,
password hash, grant epoch and target) – so rotating the link, changing or removing the password,
or revoking the share ends every grant at once. A grant made with a key in
``SECRET_KEY_FALLBACKS`` holds until that key leaves the fallbacks. Expiry, deletion and the role
are checked on every request anyway.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .conf import get_config, grant_max_age
from .models import Share
from .signatures import share_token, share_token_valid


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
