"""Access tokens of the API: what ``auth`` hands out and ``item`` asks for.

A token is signed with ``SECRET_KEY`` under its own salt (neither a link token nor a grant cookie
passes for one) and carries only the share's fingerprint (:func:`signatures.fingerprint`: its id,
link key, password hash, grant epoch and target, hashed). Rotating the link, changing the
password or revoking the share changes the fingerprint, so every token ends at once; a token
also ends after ``GRANT_MAX_AGE``, as the page's grant does, and when the key it was made with
leaves ``SECRET_KEY_FALLBACKS``.
"""

from __future__ import annotations

from django.core import signing
from rest_framework.request import Request

from ..conf import grant_max_age
from ..models import Share
from ..signatures import SALTS, share_token, share_token_valid

SALT = SALTS["access"]
#: The scheme of the ``Authorization`` header: ``Authorization: Share <access token>``.
SCHEME = "Share"


def issue_access_token(share: Share) -> str:
    """A new access token for ``share`` as it is now."""
    return share_token("access", share)


def lifetime_seconds() -> int:
    """How long an access token is accepted (``GRANT_MAX_AGE``), in seconds."""
    return int(grant_max_age().total_seconds())


def seconds_left(token: str) -> int:
    """How long a valid ``token`` (:func:`access_token_valid`) is still accepted, in seconds: its
    lifetime less its age, measured by the clock its signature is checked with."""
    _payload, made, _signature = token.rsplit(":", 2)
    now = signing.TimestampSigner(salt=SALT).timestamp()  # signing's own clock, in base 62
    age = signing.b62_decode(now) - signing.b62_decode(made)
    return max(0, min(lifetime_seconds(), lifetime_seconds() - age))


def access_token_from(request: Request) -> str | None:
    """The access token of an ``Authorization: Share <token>`` header, or ``None``."""
    scheme, _sep, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == SCHEME.lower() and token else None


def access_token_valid(token: str | None, share: Share) -> bool:
    """Whether ``token`` is an unexpired access token for ``share`` as it is now."""
    return share_token_valid("access", token, share)
