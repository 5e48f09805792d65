"""Every value the app signs, in one place: one salt table, one fingerprint, one key ring.

=================  =====================================  ========================================
value              salt                                   carries
=================  =====================================  ========================================
link token         ``directus_shares.link``               the share's key (``<key>.<signature>``)
recipient link     ``directus_shares.recipient``          a recipient's key (``<key>.<signature>``)
grant cookie       ``directus_shares.grant``              the share's fingerprint, timestamped
API access token   ``directus_shares.api.access``         the share's fingerprint, timestamped
file reference     ``directus_shares.file.<fingerprint>``  model, primary key and field, timestamped
one-time code      ``directus_shares.code`` (an HMAC)     kept as a hash only: share, address, code
device cookie      ``directus_shares.device``             a browser's random id (recipients' links)
device key         ``directus_shares.device.key`` (HMAC)  kept as a hash only: recipient, device id
=================  =====================================  ========================================

A grant or access token made after a visitor proved an address with a one-time code carries that
address too (``[fingerprint, address]``): it is accepted only while the share still allows that
address, and a share restricted to addresses accepts no token without one.

A link token is ``<key>.<signature>``: ``key`` is 128 random bits from :mod:`secrets`, stored on
the share; the database holds only the key, so a leaked dump is not a list of working links, and
the primary key is never the secret.

A value is signed with ``SECRET_KEY``. During a key rotation (new ``SECRET_KEY``, the old one in
``SECRET_KEY_FALLBACKS``) a value made with the old key is still accepted: Django's signing checks
the signature against every fallback, and :func:`fingerprints` gives the fingerprint made with
each key. Once a key leaves the fallbacks, every value made with it is refused.

The *fingerprint* is what a grant, an access token and a file reference are bound to: an HMAC of
the share's id, link key, password hash, grant epoch and target, so rotating the link, changing or
removing the password, revoking the share (a new grant epoch) or pointing it elsewhere ends them
all at once. It is keyed, so the cookie and the token show nothing of the link key or password
hash they are made from. Reached through a recipient's link (:attr:`.Share.via_recipient`), the
fingerprint also covers the recipient's id, key and grant epoch: revoking the recipient or giving
it a new link ends what was made through it, and nothing made for the common link (or another
recipient) passes for it.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any, Final, Literal

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from .conf import grant_max_age

if TYPE_CHECKING:
    from .models import Share

Kind = Literal[
    "link", "recipient", "grant", "access", "file", "fingerprint", "code", "device", "device_key"
]

#: The salt of each kind of signed value (none passes for another), and of the fingerprint (the
#: grant's salt, as before there was this table: grants and tokens issued then stay valid).
SALTS: Final[dict[Kind, str]] = {
    "link": "directus_shares.link",
    "recipient": "directus_shares.recipient",
    "grant": "directus_shares.grant",
    "access": "directus_shares.api.access",
    "file": "directus_shares.file",
    "fingerprint": "directus_shares.grant",
    "code": "directus_shares.code",
    "device": "directus_shares.device",
    "device_key": "directus_shares.device.key",
}


def secret_keys() -> list[str | bytes]:
    """The keys a signature is accepted with: ``SECRET_KEY`` first, then its fallbacks."""
    return [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]


def link_signer(kind: Literal["link", "recipient"] = "link") -> signing.Signer:
    """The signer of link tokens of ``kind`` – a share's or a recipient's (``<key>.<signature>``;
    it accepts the fallback keys)."""
    return signing.Signer(salt=SALTS[kind], sep=".")


def fingerprint(share: Share, secret: str | bytes | None = None) -> str:
    """What a grant, an access token or a file reference is bound to, made with ``secret``
    (default: ``SECRET_KEY``); any change to these parts of the share ends them."""
    parts: list[object] = [
        share.pk,
        share.key,
        share.password,
        share.grant_epoch,
        share.content_type_id,
        share.object_pk,
    ]
    recipient = share.via_recipient
    if recipient is not None:
        parts += ["recipient", recipient.pk, recipient.key, recipient.grant_epoch]
    value = "|".join(str(part) for part in parts)
    return salted_hmac(SALTS["fingerprint"], value, secret, algorithm="sha256").hexdigest()


def fingerprints(share: Share) -> list[str]:
    """The fingerprint of ``share`` made with each key in :func:`secret_keys`."""
    return [fingerprint(share, secret) for secret in secret_keys()]


def share_token(kind: Literal["grant", "access"], share: Share) -> str:
    """A new grant cookie value or access token for ``share`` as it is now – with the address
    the visitor proved (:attr:`.Share.visitor_email`), if any."""
    made = fingerprint(share)
    payload = [made, share.visitor_email] if share.visitor_email else made
    return signing.dumps(payload, salt=SALTS[kind])


def share_token_valid(kind: Literal["grant", "access"], value: str | None, share: Share) -> bool:
    """Whether ``value`` is an unexpired (``GRANT_MAX_AGE``) token of ``kind`` for ``share`` as
    it is now, made with ``SECRET_KEY`` or one of its fallbacks – and, for a share restricted to
    addresses, carrying an address it still allows."""
    email = share_token_email(kind, value, share)
    if email is None:
        return False
    return not share.requires_email or (bool(email) and share.allows_email(email))


def share_token_email(
    kind: Literal["grant", "access"], value: str | None, share: Share
) -> str | None:
    """The address an unexpired token of ``kind`` for ``share`` as it is now carries (``""``
    for none), or ``None`` when ``value`` is no such token."""
    if not value:
        return None
    try:
        carried = signing.loads(value, salt=SALTS[kind], max_age=grant_max_age())
    except signing.BadSignature:  # includes SignatureExpired
        return None
    match carried:
        case str(made):
            email = ""
        case [str(made), str(email)]:
            pass
        case _:
            return None
    matches = [constant_time_compare(made, own) for own in fingerprints(share)]
    return email if any(matches) else None


def share_reference(share: Share, payload: Any) -> str:
    """``payload`` signed for ``share`` as it is now (a file reference)."""
    return signing.dumps(payload, salt=_reference_salt(fingerprint(share)), compress=True)


def share_reference_payload(share: Share, reference: str) -> Any | None:
    """What :func:`share_reference` signed into ``reference``, or ``None`` when it was made for
    another share, or this share as it was before a change, or has expired (``GRANT_MAX_AGE``)."""
    for made in fingerprints(share):
        try:
            return signing.loads(reference, salt=_reference_salt(made), max_age=grant_max_age())
        except signing.BadSignature:  # includes SignatureExpired
            continue
    return None


def _reference_salt(share_fingerprint: str) -> str:
    return f"{SALTS['file']}.{share_fingerprint}"


# -- link tokens ---------------------------------------------------------------------------------
KEY_BYTES = 16  # 128 bits
KEY_LENGTH = 22  # len(secrets.token_urlsafe(KEY_BYTES))
MAX_TOKEN_LENGTH = 128  # longer input is refused before any work is done


def new_key() -> str:
    """A fresh random share key (128 bits, URL-safe)."""
    return secrets.token_urlsafe(KEY_BYTES)


def link_token(key: str) -> str:
    """The token that goes into a share's link for ``key``."""
    return link_signer().sign(key)


def recipient_link_token(key: str) -> str:
    """The token that goes into a recipient's own link for ``key``."""
    return link_signer("recipient").sign(key)


def key_from_token(token: str, kind: Literal["link", "recipient"] = "link") -> str | None:
    """The share key a link token carries (with ``kind="recipient"``: the recipient key a
    recipient's link token carries), or ``None`` when the token is not one of ours.

    The signature is compared in constant time; nothing here touches the database, so a forged or
    mistyped token costs the same whether or not a share with that key exists.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    try:
        key = link_signer(kind).unsign(token)
    except signing.BadSignature:
        return None
    return key if len(key) == KEY_LENGTH else None


# -- one-time codes ------------------------------------------------------------------------------


def code_hash(share_pk: object, email: str, code: str, secret: str | bytes | None = None) -> str:
    """What is stored of the one-time ``code`` sent to ``email`` for the share ``share_pk``: a
    keyed HMAC (SHA-256), made with ``secret`` (default: ``SECRET_KEY``). Six digits need no slow
    hash – a code allows a few tries – but the key keeps a dump of the table from being checked
    against all million codes."""
    value = f"{share_pk}|{email}|{code}"
    return salted_hmac(SALTS["code"], value, secret, algorithm="sha256").hexdigest()


def code_matches(share_pk: object, email: str, code: str, stored: str) -> bool:
    """Whether ``code`` is the one ``stored`` (:func:`code_hash`) was made of, with
    ``SECRET_KEY`` or one of its fallbacks; compared in constant time, every key tried."""
    matches = [
        constant_time_compare(code_hash(share_pk, email, code, secret), stored)
        for secret in secret_keys()
    ]
    return any(matches)


# -- devices of recipients' links ----------------------------------------------------------------


def device_keys(recipient_pk: object, device: str) -> tuple[str, ...]:
    """What is stored of the device id ``device`` for the recipient ``recipient_pk``: a keyed HMAC
    (SHA-256, 64 hex characters) – made with ``SECRET_KEY`` first, then with each fallback, so
    that a device stored before a key rotation is still known (and stored anew with the first)."""
    value = f"{recipient_pk}:{device}"
    return tuple(
        salted_hmac(SALTS["device_key"], value, secret, algorithm="sha256").hexdigest()
        for secret in secret_keys()
    )
