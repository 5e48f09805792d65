"""A recipient of a share: one address with its own link to the share, its own uses and its own
revocation – "share with specific people"."""

from __future__ import annotations

from django.db import models, router, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import signatures
from .share import (
    link_key_field,
    max_uses_field,
    revoked_at_field,
    times_used_field,
    uses_left,
)

#: The longest address a recipient may have (RFC 5321's limit on a path).
MAX_ADDRESS_LENGTH = 254

#: The most devices staff may allow on top of a link's limit: what ``extra_devices`` holds on
#: every supported database (a small integer).
MAX_EXTRA_DEVICES = 32767


class RecipientStatus(models.TextChoices):
    """Where a recipient's own link stands, judged from its own fields (its share may still
    refuse: see :meth:`.Share.status_at`)."""

    ACTIVE = "active", _("Active")
    USED_UP = "used_up", _("Used up")
    REVOKED = "revoked", _("Revoked")


class ShareRecipientQuerySet(models.QuerySet["ShareRecipient"]):
    def with_device_count(self) -> ShareRecipientQuerySet:
        """Each recipient with ``device_count``: how many devices opened its link (a subquery
        per row – no grouping, so it combines with windows and slices – not a query each)."""
        from .device import RecipientDevice

        devices = (
            RecipientDevice.objects.filter(recipient=OuterRef("pk"))
            .order_by()
            .values("recipient")
            .annotate(count=Count("pk"))
            .values("count")
        )
        # django-stubs reads an annotation named like a declared attribute as a redefinition
        return self.annotate(device_count=Coalesce(Subquery(devices), 0))  # type: ignore[no-redef]

    def with_uses_left(self) -> ShareRecipientQuerySet:
        """Recipients that are not revoked and have a use left (the SQL twin of
        :meth:`ShareRecipient.status`, for the atomic use counter)."""
        return self.filter(
            Q(max_uses__isnull=True) | Q(times_used__lt=F("max_uses")), revoked_at__isnull=True
        )


class ShareRecipient(models.Model):
    """One person a share was sent to: their own link (a key signed like a share's link, under
    its own salt), an optional use limit of their own, their count, and when they opened it."""

    share = models.ForeignKey(
        "directus_shares.Share",
        on_delete=models.CASCADE,
        related_name="recipients",
        verbose_name=_("share"),
        db_index=False,  # the (share, address) constraint below serves lookups by share too
    )
    address = models.EmailField(_("e-mail address"), max_length=MAX_ADDRESS_LENGTH)
    key = link_key_field(
        _("Random part of the recipient's link. The link is signed with SECRET_KEY.")
    )
    max_uses = max_uses_field(
        _("Allow at least one use. Leave it empty for the share's limit only."),
        _("How many times this recipient's link may be opened. Empty: no own limit."),
    )
    times_used = times_used_field()
    revoked_at = revoked_at_field()
    # Bumped to end every grant and access token made with this recipient's link (revocation,
    # a new link), as Share.grant_epoch does for the share's.
    grant_epoch = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    first_opened_at = models.DateTimeField(_("first opened"), null=True, blank=True, editable=False)
    last_opened_at = models.DateTimeField(_("last opened"), null=True, blank=True, editable=False)
    # Devices allowed beyond the share's limit (staff's "allow one more device").
    extra_devices = models.PositiveSmallIntegerField(_("extra devices"), default=0, editable=False)
    forwarded_at = models.DateTimeField(
        _("forwarded"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When a device past the limit was refused: the link was probably forwarded."),
    )

    objects = ShareRecipientQuerySet.as_manager()

    #: How many devices opened the link: set by :meth:`ShareRecipientQuerySet.with_device_count`
    #: on the recipients the admin and the API list; not a column.
    device_count: int

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="ds_recipient_key_unique"),
            models.UniqueConstraint(fields=["share", "address"], name="ds_recipient_address"),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(max_uses__gte=1),
                name="ds_recipient_max_uses_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.address

    def get_absolute_url(self) -> str:
        """The recipient's own link to the share: the share page's URL with their token."""
        return reverse("directus_shares:share", kwargs={"token": self.token})

    @property
    def token(self) -> str:
        """The secret that goes into the recipient's link (see :mod:`.signatures`)."""
        return signatures.recipient_link_token(self.key)

    @property
    def masked_address(self) -> str:
        """The address as a visitor of the link may see it: its first character, then ``***``
        and the domain (``a***@example.com``) – enough for the recipient to recognise, too
        little for whoever the link was forwarded to to learn it."""
        local, _at, domain = self.address.rpartition("@")
        return f"{local[:1]}***@{domain}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def uses_left(self) -> int | None:
        """Uses left on the recipient's own limit, or ``None`` without one."""
        return uses_left(self.max_uses, self.times_used)

    @property
    def device_limit(self) -> int | None:
        """How many devices may open this link: its share's limit (:attr:`.Share.device_limit`)
        plus the devices staff allowed on top; ``None``: no limit."""
        limit = self.share.device_limit
        return None if limit is None else limit + self.extra_devices

    @property
    def is_forwarded(self) -> bool:
        """Whether a device past the limit was refused since the link was made or staff last
        allowed one more device."""
        return self.forwarded_at is not None

    @property
    def status(self) -> RecipientStatus:
        if self.is_revoked:
            return RecipientStatus.REVOKED
        if self.uses_left == 0:
            return RecipientStatus.USED_UP
        return RecipientStatus.ACTIVE

    # -- the state its methods own: each one UPDATE, then the fields read back -----------------

    def revoke(self) -> None:
        """Switch this recipient's link off now; its grants and access tokens end at once."""
        self._end_grants(revoked_at=timezone.now())

    def reenable(self) -> None:
        """Switch a revoked link on again (grants made before the revocation stay ended)."""
        self._change(revoked_at=None)

    def rotate_key(self) -> None:
        """Give the recipient a new link now; the old link, its grants and tokens stop working,
        and the devices it knew are forgotten (the new link starts with none, not forwarded)."""
        with transaction.atomic(using=router.db_for_write(ShareRecipient)):
            self._end_grants(key=signatures.new_key(), forwarded_at=None, extra_devices=0)
            self.devices.all().delete()

    def allow_one_more_device(self) -> bool:
        """Let one device more open this link than its limit, and clear the forwarded flag (a
        device refused later flags it, and tells the creator, again) – unless another device
        was allowed since this recipient was read: False then, and nothing changes."""
        changes = {"extra_devices": F("extra_devices") + 1, "forwarded_at": None}
        rows = ShareRecipient.objects.filter(pk=self.pk, extra_devices=self.extra_devices)
        changed = bool(rows.update(**changes))
        self.refresh_from_db(fields=list(changes))
        return changed

    def _end_grants(self, **changes: object) -> None:
        self._change(grant_epoch=F("grant_epoch") + 1, **changes)

    def _change(self, **changes: object) -> None:
        ShareRecipient.objects.filter(pk=self.pk).update(**changes)
        self.refresh_from_db(fields=list(changes))
