"""Remembering that a visitor was granted a share, so reloads do not count again.

A grant is a signed, HttpOnly cookie scoped to the share's own URL. It carries only a fingerprint
of the share as it was when access was granted – its id, link key, password hash, grant epoch and
target – so rotating the link, changing or removing the password, or revoking the share ends
every grant at once. Expiry, deletion and the role are checked on every request anyway.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare, salted_hmac

from .conf import get_config, grant_max_age
from .models import Share

_SALT = "directus_shares.grant"


def fingerprint(share: Share) -> str:
    """What a grant is bound to; any change to these ends the grant."""
    value = "|".join(
        str(part)
        for part in (
            share.pk,
            share.key,
            share.password,
            share.grant_epoch,
            share.content_type_id,
            share.object_pk,
        )
    )
    return salted_hmac(_SALT, value, algorithm="sha256").hexdigest()


def issue_grant(request: HttpRequest, response: HttpResponse, share: Share) -> None:
    """Set the cookie that remembers a granted access on ``response``."""
    config = get_config()
    secure = config["GRANT_COOKIE_SECURE"]
    if secure is None:
        secure = settings.SESSION_COOKIE_SECURE or request.is_secure()
    response.set_cookie(
        config["GRANT_COOKIE_NAME"],
        signing.dumps(fingerprint(share), salt=_SALT),
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
    return isinstance(grant, str) and constant_time_compare(grant, fingerprint(share))
