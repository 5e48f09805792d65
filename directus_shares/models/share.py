"""The Share model: a link to one object, seen through one role."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import connections, models, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Cast, Lower, Replace
from django.db.models.lookups import Range
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import signatures
from ..conf import get_config
from .verification_code import clean_allowed_addresses, email_allowed, normalise_email

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from ..lockout import ShareLock
    from ..outcomes import Refusal
    from .recipient import ShareRecipient

#: Shares start and end in this century: older dates mean a typo, and in many time zones they fall
#: before standard time, whose offsets (seconds included) no ISO 8601 date-time can carry.
EARLIEST_DATE = datetime(2000, 1, 1, tzinfo=UTC)
#: Why a share's devices per recipient is refused: below one (every surface says it so).
TOO_FEW_DEVICES = _("Allow at least one device.")
_NOT_LOADED = object()  # a field deferred when the share was loaded (``.only()``/``.defer()``)
_TARGET_FIELDS = ("content_type_id", "object_pk", "created_by_id")  # fixed at creation


class ShareStatus(models.TextChoices):
    """Where a share stands at a given moment, judged from its own fields."""

    ACTIVE = "active", _("Active")
    NOT_YET_OPEN = "not_yet_open", _("Not yet open")
    EXPIRED = "expired", _("Expired")
    USED_UP = "used_up", _("Used up")
    REVOKED = "revoked", _("Revoked")


# A share's ``object_pk`` in the type of its model's primary key – NULL where it cannot be one –
# so that looking the object up uses the key's index (and PostgreSQL never fails on a cast).
_AS_BIGINT = Case(
    When(
        object_pk__regex=r"^-?[0-9]{1,19}$",
        then=Case(
            When(
                Range(
                    Cast("object_pk", models.DecimalField(max_digits=20, decimal_places=0)),
                    (-(2**63), 2**63 - 1),
                ),
                then=Cast("object_pk", models.BigIntegerField()),
            )
        ),
    )
)
_AS_UUID = Case(
    When(
        object_pk__regex=r"^[0-9a-fA-F]{8}(-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}$",
        then=Cast("object_pk", models.UUIDField()),
    )
)
_AS_HEX = Lower(Replace("object_pk", Value("-"), Value("")))  # UUIDs without a native type


def _existing_object(
    model: type[models.Model], native_uuid: bool
) -> tuple[dict[str, Any], models.QuerySet]:
    """The shared object in ``model``'s table, as a subquery of a share (with the aliases the
    share needs for it). Counts rows the default manager hides (soft deletion) as existing."""
    pk = model._meta.pk
    while isinstance(pk, models.ForeignObject):  # multi-table inheritance: the parent's key
        pk = pk.target_field
    objects = model._base_manager.all()
    if isinstance(pk, models.CharField | models.TextField):
        return {}, objects.filter(pk=OuterRef("object_pk"))
    if isinstance(pk, models.UUIDField):
        key, expression = (
            ("_ds_object_uuid", _AS_UUID) if native_uuid else ("_ds_object_hex", _AS_HEX)
        )
    elif isinstance(pk, models.IntegerField):
        key, expression = "_ds_object_int", _AS_BIGINT
    else:  # any other type of key: compare it as the text str(pk) stored (no index)
        text = objects.alias(_ds_pk_text=Cast("pk", models.CharField()))
        return {}, text.filter(_ds_pk_text=OuterRef("object_pk"))
    return {key: expression}, objects.filter(pk=OuterRef(key))


class ShareQuerySet(models.QuerySet["Share"]):
    def for_object(self, obj: models.Model) -> ShareQuerySet:
        """Shares of ``obj`` (of a proxy too: shares point to the concrete model, as
        ``content_object`` stores it)."""
        return self.filter(
            content_type=ContentType.objects.get_for_model(obj), object_pk=str(obj.pk)
        )

    def open_at(self, now: datetime) -> ShareQuerySet:
        """Shares that are not revoked and whose window contains ``now``.

        The SQL twin of :meth:`Share.status_at`, for the atomic use counter.
        """
        return self.filter(
            Q(date_start__isnull=True) | Q(date_start__lte=now),
            Q(date_end__isnull=True) | Q(date_end__gt=now),
            revoked_at__isnull=True,
        )

    def with_uses_left(self) -> ShareQuerySet:
        """Shares without a use limit, or with uses left."""
        return self.filter(Q(max_uses__isnull=True) | Q(times_used__lt=F("max_uses")))

    def orphaned(self) -> ShareQuerySet:
        """Shares whose object no longer exists, or whose model left the project.

        Asks which content types the shares point to (one query), then filters with one
        ``NOT EXISTS`` subquery per content type on its model's table, which matches
        ``object_pk`` in the primary key's own type.
        """
        native_uuid = connections[self.db].features.has_native_uuid_field
        aliases: dict[str, Any] = {}
        gone = Q(pk__in=[])
        content_type_ids = self.order_by().values_list("content_type_id", flat=True).distinct()
        for content_type_id in sorted(content_type_ids):
            model = ContentType.objects.get_for_id(content_type_id).model_class()
            if model is None:
                gone |= Q(content_type_id=content_type_id)
                continue
            needed, existing = _existing_object(model, native_uuid)
            aliases.update(needed)
            gone |= Q(content_type_id=content_type_id) & Q(~Exists(existing))
        return self.alias(**aliases).filter(gone)

    def with_status(self, status: str, now: datetime) -> ShareQuerySet:
        """The shares whose :meth:`Share.status_at` ``now`` is ``status``, decided in SQL.

        The same order as ``status_at``: revoked, then not yet open, expired, used up; a share is
        active when none applies.

        Raises:
            ValueError: ``status`` is not a :class:`ShareStatus`.
        """
        live = self.filter(revoked_at__isnull=True)
        if status == ShareStatus.REVOKED:
            return self.filter(revoked_at__isnull=False)
        if status == ShareStatus.NOT_YET_OPEN:
            return live.filter(date_start__gt=now)
        if status == ShareStatus.EXPIRED:
            return live.filter(date_end__lte=now).exclude(date_start__gt=now)
        if status == ShareStatus.USED_UP:
            return self.open_at(now).filter(max_uses__isnull=False, times_used__gte=F("max_uses"))
        if status == ShareStatus.ACTIVE:
            return self.open_at(now).with_uses_left()
        raise ValueError(f"Unknown share status: {status!r}")


def max_uses_below_used(times_used: int) -> str:
    """Why a limit below the uses already counted is refused (:meth:`Share.clean`)."""
    return ngettext(
        "It was used %(count)d time already: the limit cannot be lower.",
        "It was used %(count)d times already: the limit cannot be lower.",
        times_used,
    ) % {"count": times_used}


def link_key_field(help_text: StrOrPromise) -> models.CharField:
    """The random, secret part of a link (see :mod:`..signatures`): a share's, a recipient's."""
    return models.CharField(
        _("key"), max_length=32, default=signatures.new_key, editable=False, help_text=help_text
    )


def max_uses_field(too_low: StrOrPromise, help_text: StrOrPromise) -> models.PositiveIntegerField:
    """An optional use limit of at least 1 (``too_low`` says why 0 is refused)."""
    return models.PositiveIntegerField(
        _("max uses"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1, message=too_low)],
        help_text=help_text,
    )


def uses_left(max_uses: int | None, times_used: int) -> int | None:
    """The uses a limit of ``max_uses`` leaves after ``times_used``; ``None``: no limit."""
    return None if max_uses is None else max(max_uses - times_used, 0)


def times_used_field() -> models.PositiveIntegerField:
    return models.PositiveIntegerField(_("times used"), default=0, editable=False)


def revoked_at_field() -> models.DateTimeField:
    return models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)


class Share(models.Model):
    """A link that lets anyone who holds it see one object, as one role may see it."""

    key = link_key_field(_("Random part of the link. The link itself is signed with SECRET_KEY."))
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.CASCADE,
        verbose_name=_("content type"),
        related_name="+",
        db_index=False,  # the (content_type, object_pk) index below serves lookups by type too
    )
    object_pk = models.CharField(_("object ID"), max_length=255)
    content_object = GenericForeignKey("content_type", "object_pk")

    name = models.CharField(
        _("name"),
        max_length=200,
        blank=True,
        help_text=_("Without a name the share is hard to recognise later."),
    )
    role = models.ForeignKey(
        Group,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("role"),
        help_text=_(
            "What the link shows is what this role may see. "
            "Without a role it grants only what the public role (if one is set) may see."
        ),
    )
    password = models.CharField(_("password"), max_length=255, blank=True, editable=False)
    date_start = models.DateTimeField(
        _("start"), null=True, blank=True, help_text=_("Empty: open from the moment it is saved.")
    )
    date_end = models.DateTimeField(_("end"), null=True, blank=True, help_text=_("Empty: no end."))
    max_uses = max_uses_field(
        _("A share must allow at least one use. Leave it empty for no limit."),
        _("How many times the link may be opened. Empty: unlimited."),
    )
    times_used = times_used_field()
    allowed_addresses = models.JSONField(
        _("allowed addresses"),
        default=list,
        blank=True,
        help_text=_(
            "Only these e-mail addresses (and addresses at @domain entries) may open the link: "
            "the visitor is mailed a one-time code. Empty: anyone with the link."
        ),
    )
    verify_recipients = models.BooleanField(
        _("verify recipients"),
        default=False,
        help_text=_(
            "A recipient's own link opens only after a one-time code mailed to the recipient's "
            "address: a forwarded link is useless. The common link is not affected."
        ),
    )
    devices_per_recipient = models.PositiveSmallIntegerField(
        _("devices per recipient"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1, message=TOO_FEW_DEVICES)],
        help_text=_(
            "How many devices may open each recipient's own link; the next one is refused as a "
            "forwarded link. Empty: the site's default (DEVICES_PER_RECIPIENT)."
        ),
    )
    revoked_at = revoked_at_field()
    role_removed = models.BooleanField(
        _("role removed"),
        default=False,
        editable=False,
        help_text=_("Its role was deleted: it grants nothing until another role is chosen."),
    )
    creator_removed = models.BooleanField(
        _("creator removed"),
        default=False,
        editable=False,
        help_text=_("The user who created it was deleted: it no longer opens."),
    )
    # Bumped to end every grant made so far (revocation, password change).
    grant_epoch = models.PositiveIntegerField(default=0, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ShareQuerySet.as_manager()

    # Set on the shares the admin lists (admin.shares.attach_row_details), and on the one its
    # change form shows (object_deleted): not columns.
    link_url: str
    shared_object_html: str
    object_deleted: bool
    lock: ShareLock | None
    opening_refusal: Refusal | None
    recipient_counts: dict[str, int] | None
    #: The address the visitor gave for a one-time code (proved, once the code was right): set by
    #: the visitor path for the access log and the grant; not a column.
    visitor_email: str = ""

    #: The recipient whose own link this share was reached through – set by
    #: :func:`.opening.find_share` for a recipient's link token, ``None`` for the share's common
    #: link; not a column. Its link (:attr:`token`), the fingerprint its grants, access tokens
    #: and file links are bound to, its password lockout window and its access-log rows are then
    #: the recipient's.
    via_recipient: ShareRecipient | None = None

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_pk"], name="ds_share_object_idx")]
        constraints = [
            # A constraint rather than unique=True: on PostgreSQL that would add a second,
            # LIKE-pattern index that exact lookups do not need.
            models.UniqueConstraint(fields=["key"], name="ds_share_key_unique"),
            models.CheckConstraint(
                condition=Q(date_start__isnull=True)
                | Q(date_end__isnull=True)
                | Q(date_end__gt=F("date_start")),
                name="ds_share_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(max_uses__gte=1),
                name="ds_share_max_uses_positive",
            ),
            models.CheckConstraint(
                condition=Q(devices_per_recipient__isnull=True) | Q(devices_per_recipient__gte=1),
                name="ds_share_devices_positive",
            ),
        ]

    #: Set when the share is created and never written again: a share cannot be retargeted.
    CREATION_FIELDS = frozenset({"content_type", "object_pk", "created_by", "created_at"})
    #: Written on an existing share only by the methods that own them (or atomic updates), so
    #: that saving an out-of-date copy can neither give back spent uses, undo a revocation, nor
    #: bring back an old password or link.
    STATE_FIELDS = frozenset(
        {
            "times_used",
            "revoked_at",
            "role_removed",
            "creator_removed",
            "grant_epoch",
            "key",
            "password",
        }
    )

    def __str__(self) -> str:
        return self.name or str(_("Share %(pk)s") % {"pk": self.pk})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._changed_state: set[str] = set()
        self._end_grants_on_save = False
        self._loaded_target: tuple[Any, ...] | None = None

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; on an existing share, only the fields an editor may change (see STATE_FIELDS)."""
        if self.role_id is not None and self.role_removed:  # a new role was chosen
            self.role_removed = False
            self._changed_state.add("role_removed")
        if self._state.adding:
            super().save(*args, **kwargs)
        else:
            self._save_existing(*args, **kwargs)
        self._changed_state.clear()
        self._end_grants_on_save = False
        self._loaded_target = self._target()

    def get_absolute_url(self) -> str:
        return reverse("directus_shares:share", kwargs={"token": self.token})

    def _save_existing(self, *args: Any, **kwargs: Any) -> None:
        if self._target_changed():
            raise ValueError("A share's object and creator cannot change; create a new share.")
        editable = {f.name for f in self._meta.concrete_fields if not f.primary_key}
        editable -= self.CREATION_FIELDS | self.STATE_FIELDS
        requested = kwargs.get("update_fields")
        if requested is None:
            fields = editable | self._changed_state
        else:
            fields = set(requested) & (editable | self._changed_state)
        kwargs["update_fields"] = fields | {"updated_at"}  # auto_now only writes when named
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)
            if self._end_grants_on_save:
                self._bump_grant_epoch()

    def _target_changed(self) -> bool:
        loaded, now = self._loaded_target, self._target()
        if loaded is None:
            return False
        if any(
            was is _NOT_LOADED and value is not _NOT_LOADED
            for was, value in zip(loaded, now, strict=True)
        ):
            # Deferred at load time and set or read since: compare with the stored values.
            stored = Share.objects.filter(pk=self.pk).values_list(*_TARGET_FIELDS).first()
            loaded = tuple(None if v is None else str(v) for v in stored or ())
        return any(
            _NOT_LOADED not in (was, value) and was != value
            for was, value in zip(loaded, now, strict=True)
        )

    def _target(self) -> tuple[Any, ...]:
        # Read from __dict__: touching a deferred field would load it (and recurse via from_db).
        values = (self.__dict__.get(field, _NOT_LOADED) for field in _TARGET_FIELDS)
        return tuple(
            value if value is None or value is _NOT_LOADED else str(value)  # a UUID == its str
            for value in values
        )

    def _bump_grant_epoch(self, **changes: Any) -> None:
        """Atomically end every grant (and apply ``changes``), then reload the changed fields."""
        Share.objects.filter(pk=self.pk).update(
            grant_epoch=F("grant_epoch") + 1, updated_at=timezone.now(), **changes
        )
        self.refresh_from_db(fields=["grant_epoch", "updated_at", *changes])

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any, **kwargs: Any) -> Share:
        share = super().from_db(db, field_names, values, **kwargs)  # Django 6.1: fetch_mode
        share._loaded_target = share._target()
        return share

    # -- validation -----------------------------------------------------------------------------

    def clean(self) -> None:
        super().clean()
        errors: dict[str, StrOrPromise] = {}
        for name in ("date_start", "date_end"):
            value = getattr(self, name)
            if value is not None and value < EARLIEST_DATE:
                errors[name] = _("Choose a date in the year 2000 or later.")
        if self.date_start and self.date_end and self.date_end <= self.date_start:
            errors.setdefault("date_end", _("The end must be after the start."))
        if self.max_uses is not None and self.max_uses < self.times_used:
            errors["max_uses"] = max_uses_below_used(self.times_used)
        try:
            self.allowed_addresses = clean_allowed_addresses(self.allowed_addresses)
        except ValidationError as error:
            errors["allowed_addresses"] = error.messages[0]
        if errors:
            raise ValidationError(errors)

    @property
    def shared_model(self) -> type[models.Model] | None:
        """The model class of the shared object (``None`` if it left the project); no query."""
        return ContentType.objects.get_for_id(self.content_type_id).model_class()

    # -- the link -------------------------------------------------------------------------------

    @property
    def token(self) -> str:
        """The secret that goes into the link (signed; see :mod:`directus_shares.signatures`):
        the recipient's own when the share was reached through one (:attr:`via_recipient`)."""
        if self.via_recipient is not None:
            return self.via_recipient.token
        return signatures.link_token(self.key)

    def rotate_key(self) -> None:
        """Give the share a new link on the next save; the old link and its grants stop working."""
        self.key = signatures.new_key()
        self._changed_state.add("key")
        self._end_grants_on_save = True

    # -- password -------------------------------------------------------------------------------

    @property
    def has_password(self) -> bool:
        return bool(self.password)

    def set_password(self, raw_password: str | None) -> None:
        """Set (or with ``None``/``""`` remove) the password on the next save; grants end then."""
        self.password = (
            make_password(raw_password, hasher=get_config()["PASSWORD_HASHER"])
            if raw_password
            else ""
        )
        self._changed_state.add("password")
        self._end_grants_on_save = True

    def check_password(self, raw_password: str) -> bool:
        """Whether ``raw_password`` is this share's password (False when it has none)."""
        return bool(self.password) and check_password(raw_password, self.password)

    # -- allowed addresses ----------------------------------------------------------------------

    @property
    def requires_email(self) -> bool:
        """Whether a visitor must prove an address with a one-time code to open it: an allowed
        one, or on a recipient's link of a share that verifies recipients, the recipient's."""
        return bool(self.allowed_addresses) or self.recipient_to_verify is not None

    @property
    def recipient_to_verify(self) -> ShareRecipient | None:
        """The recipient whose address the visitor must prove – on a recipient's link
        (:attr:`via_recipient`) of a share with :attr:`verify_recipients` – else ``None``."""
        return self.via_recipient if self.verify_recipients else None

    def allows_email(self, email: str) -> bool:
        """Whether the normalised ``email`` may be sent a code for this share (on a link whose
        recipient is verified: only the recipient's own address, whatever else it allows)."""
        recipient = self.recipient_to_verify
        if recipient is not None:
            return email == normalise_email(recipient.address)
        return email_allowed(email, self.allowed_addresses or ())

    @property
    def device_limit(self) -> int | None:
        """How many devices may open each recipient's own link: :attr:`devices_per_recipient`,
        else the ``DEVICES_PER_RECIPIENT`` setting; ``None``: no limit (forwarding not caught)."""
        if self.devices_per_recipient is not None:
            return self.devices_per_recipient
        limit: int | None = get_config()["DEVICES_PER_RECIPIENT"]
        return limit

    # -- revocation -----------------------------------------------------------------------------

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def revoke(self) -> None:
        """Switch the share off now; every grant made so far ends, also if it is re-enabled."""
        if self._state.adding:
            self.revoked_at = timezone.now()  # created revoked
        else:
            self._bump_grant_epoch(revoked_at=timezone.now())

    def reenable(self) -> None:
        """Switch a revoked share on again (grants made before the revocation stay ended)."""
        if self._state.adding:
            self.revoked_at = None
        else:
            Share.objects.filter(pk=self.pk).update(revoked_at=None, updated_at=timezone.now())
            self.refresh_from_db(fields=["revoked_at", "updated_at"])

    # -- state ----------------------------------------------------------------------------------

    @property
    def uses_left(self) -> int | None:
        """Uses still available, or ``None`` when unlimited."""
        return uses_left(self.max_uses, self.times_used)

    @property
    def link_uses_left(self) -> int | None:
        """Uses left through the link the share was reached by: the share's – or, through a
        recipient's link, the lower of the share's and the recipient's; ``None``: unlimited."""
        recipient = self.via_recipient
        limits = [self.uses_left, None if recipient is None else recipient.uses_left]
        left = [count for count in limits if count is not None]
        return min(left) if left else None

    def status_at(self, now: datetime) -> ShareStatus:
        """The share's status at ``now``, in the order visitors are refused."""
        if self.is_revoked:
            return ShareStatus.REVOKED
        if self.date_start and now < self.date_start:
            return ShareStatus.NOT_YET_OPEN
        if self.date_end and now >= self.date_end:
            return ShareStatus.EXPIRED
        if self.uses_left == 0:
            return ShareStatus.USED_UP
        return ShareStatus.ACTIVE

    @property
    def status(self) -> ShareStatus:
        return self.status_at(timezone.now())
