"""Access tokens of the API: what ``auth`` hands out and ``item`` asks for.

A token is signed with ``SECRET_KEY`` under its own salt (neither a link token nor a grant cookie
passes for one) and carries only the share's fingerprint (:func:`grants.fingerprint`: its id,
link key, password hash, grant epoch and target, hashed). Rotating the link, changing the
password or revoking the share changes the fingerprint, so every token ends at once; a token
also ends after ``GRANT_MAX_AGE``, as the page's grant does.
"""

from __future__ import annotations

from django.core import signing
from django.utils.crypto import constant_time_compare
from rest_framework.request import Request

from .. import grants
from ..conf import grant_max_age
from ..models import Share

SALT = "directus_shares.api.access"
#: The scheme of the ``Authorization`` header: ``Authorization: Share <access token>``.
SCHEME = "Share"


def issue_access_token(share: Share) -> str:
    """A new access token for ``share`` as it is now."""
    return signing.dumps(grants.fingerprint(share), salt=SALT)


def lifetime_seconds() -> int:
    """How long an access token is accepted (``GRANT_MAX_AGE``), in seconds."""
    return int(grant_max_age().total_seconds())


def access_token_from(request: Request) -> str | None:
    """The access token of an ``Authorization: Share <token>`` header, or ``None``."""
    scheme, _sep, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == SCHEME.lower() and token else None


def access_token_valid(token: str | None, share: Share) -> bool:
    """Whether ``token`` is an unexpired access token for ``share`` as it is now."""
    if not token:
        return False
    try:
        value = signing.loads(token, salt=SALT, max_age=grant_max_age())
    except signing.BadSignature:  # includes SignatureExpired
        return False
    return isinstance(value, str) and constant_time_compare(value, grants.fingerprint(share))
