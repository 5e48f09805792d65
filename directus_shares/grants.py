"""Remembering that a visitor was granted a share, so reloads do not count again.

A grant is a signed, HttpOnly cookie scoped to the share's own URL. It is bound to the share's
link key, password and grant epoch: rotating the link, changing or removing the password, or
revoking the share ends every grant at once. Expiry is checked on every request anyway.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

from .conf import get_config, grant_max_age
from .models import Share

_SALT = "directus_shares.grant"


def issue_grant(request: HttpRequest, response: HttpResponse, share: Share) -> None:
    """Set the cookie that remembers a granted access on ``response``."""
    config = get_config()
    secure = config["GRANT_COOKIE_SECURE"]
    if secure is None:
        secure = settings.SESSION_COOKIE_SECURE or request.is_secure()
    response.set_cookie(
        config["GRANT_COOKIE_NAME"],
        signing.dumps({"s": share.pk, "f": share.grant_fingerprint()}, salt=_SALT),
        max_age=int(grant_max_age().total_seconds()),
        path=share.get_absolute_url(),
        secure=secure,
        httponly=True,
        samesite="Lax",
    )


def has_grant(request: HttpRequest, share: Share) -> bool:
    """Whether the visitor holds a valid, unexpired grant for ``share`` as it is now."""
    value = request.COOKIES.get(get_config()["GRANT_COOKIE_NAME"])
    if not value:
        return False
    try:
        grant = signing.loads(value, salt=_SALT, max_age=grant_max_age())
    except signing.BadSignature:  # includes SignatureExpired
        return False
    return (
        isinstance(grant, dict)
        and grant.get("s") == share.pk
        and grant.get("f") == share.grant_fingerprint()
    )
