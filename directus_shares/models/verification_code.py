"""One-time e-mail codes: who may ask for one (a share's allowed addresses and ``@domain``
entries) and the stored code – only its keyed hash, its expiry, its tries and whether it was used.

The rules that spend a code (one conditional ``UPDATE`` per try) are in
:mod:`directus_shares.verification`; this module holds the table and the pure address rules.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

#: The most entries one share's allowed addresses may have (more belong in a domain entry).
MAX_ALLOWED_ADDRESSES = 200
#: The longest e-mail address (RFC 5321 path limit), also the longest entry.
MAX_EMAIL_LENGTH = 254


def normalise_email(value: str) -> str | None:
    """``value`` as an address is compared and stored – stripped, lower-case – or ``None`` when
    it is not an e-mail address (or is longer than :data:`MAX_EMAIL_LENGTH`)."""
    email = value.strip().lower() if isinstance(value, str) else ""
    if not email or len(email) > MAX_EMAIL_LENGTH:
        return None
    try:
        validate_email(email)
    except ValidationError:
        return None
    return email


def clean_allowed_addresses(entries: Iterable[str] | str | None) -> list[str]:
    """The allowed addresses of a share as stored: each entry an address (``anna@example.org``)
    or a whole domain (``@example.org``), lower-case, each once, in the order given.

    A string is split at commas, semicolons and white space.

    Raises:
        ValidationError: an entry is neither, or there are more than
            :data:`MAX_ALLOWED_ADDRESSES`.
    """
    if entries is None:
        return []
    if isinstance(entries, str):
        entries = entries.replace(",", " ").replace(";", " ").split()
    if not isinstance(entries, list | tuple | set | frozenset):
        raise ValidationError(_("Give a list of e-mail addresses or @domain entries."))
    cleaned: dict[str, None] = {}
    invalid: list[str] = []
    for entry in entries:
        if not isinstance(entry, str):
            invalid.append(repr(entry)[:MAX_EMAIL_LENGTH])
            continue
        text = entry.strip()
        if not text:
            continue
        # "@example.org" is valid exactly when an address at that domain is.
        checked = normalise_email("x" + text if text.startswith("@") else text)
        if checked is None:
            invalid.append(entry[:MAX_EMAIL_LENGTH])
        else:
            cleaned[checked[1:] if text.startswith("@") else checked] = None
    if invalid:
        raise ValidationError(
            _("Not an e-mail address or @domain: %(entries)s") % {"entries": ", ".join(invalid)}
        )
    if len(cleaned) > MAX_ALLOWED_ADDRESSES:
        raise ValidationError(
            ngettext(
                "At most %(count)d address or domain; use @domain entries for more.",
                "At most %(count)d addresses or domains; use @domain entries for more.",
                MAX_ALLOWED_ADDRESSES,
            )
            % {"count": MAX_ALLOWED_ADDRESSES}
        )
    return list(cleaned)


def email_allowed(email: str, allowed: Iterable[str]) -> bool:
    """Whether the normalised ``email`` is one of ``allowed`` or at one of its ``@domain``
    entries (that domain exactly: ``@example.org`` does not admit ``x@mail.example.org``)."""
    domain = "@" + email.rpartition("@")[2]
    return any(entry in (email, domain) for entry in allowed)


class VerificationCode(models.Model):
    """A one-time code mailed to ``email`` for ``share`` – or, for an address the share does not
    allow, made the same way and never sent, so that both answer alike. Holds only the code's
    keyed hash (:func:`.signatures.code_hash`)."""

    share = models.ForeignKey(
        "directus_shares.Share",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("share"),
        db_index=False,  # the (share, email, -created_at) index below serves it
    )
    email = models.CharField(_("e-mail address"), max_length=MAX_EMAIL_LENGTH)
    code_hash = models.CharField(_("code hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    tries = models.PositiveSmallIntegerField(_("tries"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("verification code")
        verbose_name_plural = _("verification codes")
        indexes = [
            models.Index(fields=["share", "email", "-created_at"], name="ds_code_share_email_idx")
        ]

    def __str__(self) -> str:
        # Names no share and shows nothing of the code.
        return f"{timezone.localtime(self.created_at):%Y-%m-%d %H:%M:%S} {self.email}"
