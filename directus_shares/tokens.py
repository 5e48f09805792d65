"""Share link tokens.

A link token is ``<key>.<signature>``: ``key`` is 128 random bits from :mod:`secrets`, stored on
the share; ``signature`` is an HMAC of the key made with ``SECRET_KEY`` (Django's signing, with the
salt and keys of :mod:`.signatures`, so ``SECRET_KEY_FALLBACKS`` keeps old links working during a
key rotation). The database holds only the key, so a leaked dump is not a list of working links,
and the primary key is never the secret.
"""

from __future__ import annotations

import secrets

from django.core import signing

from .signatures import link_signer

KEY_BYTES = 16  # 128 bits
KEY_LENGTH = 22  # len(secrets.token_urlsafe(KEY_BYTES))
MAX_TOKEN_LENGTH = 128  # longer input is refused before any work is done


def new_key() -> str:
    """A fresh random share key (128 bits, URL-safe)."""
    return secrets.token_urlsafe(KEY_BYTES)


def link_token(key: str) -> str:
    """The token that goes into a share's link for ``key``."""
    return link_signer().sign(key)


def key_from_token(token: str) -> str | None:
    """The share key a link token carries, or ``None`` when the token is not one of ours.

    The signature is compared in constant time; nothing here touches the database, so a forged or
    mistyped token costs the same whether or not a share with that key exists.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    try:
        key = link_signer().unsign(token)
    except signing.BadSignature:
        return None
    return key if len(key) == KEY_LENGTH else None
