"""A device that opened a recipient's own link – how a forwarded link is caught."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RecipientDevice(models.Model):
    """One device (one browser's signed device cookie) that opened a recipient's link. Only a
    keyed hash of the cookie's random id is kept: the table cannot be turned back into cookies."""

    recipient = models.ForeignKey(
        "directus_shares.ShareRecipient",
        on_delete=models.CASCADE,
        related_name="devices",
        verbose_name=_("recipient"),
        db_index=False,  # the (recipient, key) constraint below serves lookups by recipient too
    )
    key = models.CharField(_("device"), max_length=64)
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["first_seen_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="ds_device_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} #{self.pk}"
