"""The access log: one row per attempt to open a share, granted or refused."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccessReason(models.TextChoices):
    """Why an attempt was granted or refused: ``outcomes.Refusal`` codes and the landing page's."""

    GRANTED = "granted", _("Granted")
    WRONG_PASSWORD = "wrong_password", _("Wrong, empty or too long password")
    LOCKED_OUT = "locked_out", _("Locked out: too many wrong passwords")
    CHANGED = "changed", _("Share changed while opening")
    FORBIDDEN_NETWORK = "forbidden_network", _("Network not allowed")
    UNAVAILABLE = "unavailable", _("No longer available")
    RECIPIENT_REVOKED = "recipient_revoked", _("Recipient's link revoked")
    NOT_YET_OPEN = "not_yet_open", _("Not open yet")
    EXPIRED = "expired", _("Expired")
    USED_UP = "used_up", _("Used up")
    RECIPIENT_USED_UP = "recipient_used_up", _("Recipient's link used up")
    RECIPIENT_FORWARDED = "recipient_forwarded", _("Recipient's link opened on too many devices")
    GRANTS_NOTHING = "grants_nothing", _("Grants nothing")
    CODE_NOT_USED = "code_not_used", _("Code sent for a share that needs none")
    CODE_REQUESTED = "code_requested", _("One-time code requested")
    TOO_MANY_CODES = "too_many_codes", _("Too many codes requested for the address")
    TOO_MANY_CODE_REQUESTS = (
        "too_many_code_requests",
        _("Too many codes requested from the client address"),
    )
    EMAIL_INVALID = "email_invalid", _("Not an e-mail address")
    CODE_REQUIRED = "code_required", _("No code given, or none requested")
    WRONG_CODE = "wrong_code", _("Wrong code")
    CODE_EXPIRED = "code_expired", _("Code expired")
    CODE_USED = "code_used", _("Code already used")
    CODE_TRIES_USED_UP = "code_tries_used_up", _("Too many wrong codes")
    SERVICE_UNAVAILABLE = (
        "service_unavailable",
        _("Not answered: the cache or the database was unavailable"),
    )


class LogEntryKey(models.BigAutoField):
    """The access log's primary key, on SQLite without ``AUTOINCREMENT``: that keyword makes
    every insert also update the table's row in ``sqlite_sequence`` – one page more written per
    logged attempt – only to promise that the key of a deleted newest row is never reused, and
    nothing refers to a log entry by its key."""

    def db_type_suffix(self, connection: Any) -> str | None:
        if connection.vendor == "sqlite":
            return None
        return connection.data_types_suffix.get(self.get_internal_type())


class ShareAccess(models.Model):
    """One attempt to open a share: when, whether it was granted, why, and from where."""

    id = LogEntryKey(primary_key=True, serialize=False, verbose_name="ID")
    share = models.ForeignKey(
        "directus_shares.Share",
        on_delete=models.CASCADE,
        related_name="accesses",
        verbose_name=_("share"),
        db_index=False,  # the (share, -at) index below serves lookups by share too
    )
    # RESTRICT: a recipient with log rows is deleted only with its share (or once its rows are
    # purged) – SET_NULL would make its opens look like opens of the common link.
    recipient = models.ForeignKey(
        "directus_shares.ShareRecipient",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="accesses",
        verbose_name=_("recipient"),
        help_text=_("Empty: opened through the share's common link."),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    granted = models.BooleanField(_("granted"))
    reason = models.CharField(_("reason"), max_length=32, choices=AccessReason.choices)
    address = models.CharField(
        _("client address"),
        max_length=64,
        blank=True,
        help_text=_("As the ACCESS_LOG_ADDRESSES setting keeps it: full, truncated or empty."),
    )

    email = models.CharField(
        _("e-mail address"),
        max_length=254,
        blank=True,
        help_text=_(
            "The address the visitor proved with a one-time code – or, on a refused code, gave."
        ),
    )

    class Meta:
        verbose_name = _("share access")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["share", "-at"], name="ds_access_share_at_idx")]

    def __str__(self) -> str:
        # Names no share: the admin prints one per row, and must not load a share for each.
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M:%S} {self.reason}"
