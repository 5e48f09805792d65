"""Shares as JSON for the people who manage them; the rules are :mod:`..sharing`'s and the
model's (``Share.clean``), this module turns their answers into DRF errors.

The password is write-only: a response says only ``has_password``. A share's object and creator
are fixed when it is created; an update that tries to change them is refused (400), not ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from datetime import timezone as dt_timezone
from typing import Any, cast

from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.settings import api_settings

from .. import lockout, sharing
from ..models import RecipientStatus, Share, ShareRecipient, ShareStatus
from ..models.share import TOO_FEW_DEVICES
from ..models.verification_code import MAX_ALLOWED_ADDRESSES, MAX_EMAIL_LENGTH
from ..shareable import is_shareable_model
from ..sharing import SHARE_OPTIONS, SharingDenied

#: Fixed at creation: an update may repeat their current value, never change it.
FIXED_FIELDS = ("content_type", "object_pk", "created_by")

#: The most devices a share may allow per recipient: a ``PositiveSmallIntegerField`` holds up to
#: 32767 on every database Django supports (SQLite would store more, PostgreSQL fail with a 500).
MAX_DEVICES_PER_RECIPIENT = 32767


class SharingDeniedError(PermissionDenied):
    """403 ``{"code": "sharing_denied", "detail": …}``: nothing was created or changed."""

    default_code = "sharing_denied"

    def __init__(self, refusal: SharingDenied | str) -> None:
        detail = str(refusal.args[0] if isinstance(refusal, SharingDenied) else refusal)
        super().__init__(detail, self.default_code)


def content_type_label(content_type: ContentType) -> str:
    """``"app_label.model"``, the way the API names a model."""
    return f"{content_type.app_label}.{content_type.model}"


def content_type_from_label(label: str) -> ContentType:
    """The content type named ``"app_label.model"``.

    Raises:
        ContentType.DoesNotExist: there is no such model.
    """
    app_label, _dot, model_name = label.strip().lower().partition(".")
    try:  # the app registry, not the database: any text is looked up safely (NUL bytes too)
        model = django_apps.get_model(app_label, model_name)
    except (LookupError, ValueError) as error:
        raise ContentType.DoesNotExist(label) from error
    return ContentType.objects.get_for_model(model)


class ContentTypeField(serializers.CharField):
    """A shareable model as ``"app_label.model"``."""

    default_error_messages = {
        "unknown": "There is no model “{label}”; use “app_label.model”.",
        "not_shareable": sharing.NOT_SHAREABLE,
        "invalid": "Expected a string “app_label.model”.",
    }

    # text on the wire, a ContentType in Python: DRF's stubs fix a CharField's value to str
    def to_representation(self, value: ContentType) -> str:  # type: ignore[override]
        return content_type_label(value)

    def to_internal_value(self, data: Any) -> ContentType:  # type: ignore[override]
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            content_type = content_type_from_label(data)
        except ContentType.DoesNotExist:
            self.fail("unknown", label=data)
        model = content_type.model_class()
        if model is None or not is_shareable_model(model):
            self.fail("not_shareable")
        return content_type


class DateTimeField(serializers.DateTimeField):
    """DRF's, refusing (400) a moment with no UTC equivalent where DRF fails with a 500.

    DRF catches the overflow only for input that names its offset: ``0001-01-01T00:00:00``
    without one, read in a zone east of UTC, overflows while DRF checks it (or later, in the
    database adapter, which stores UTC).
    """

    default_error_messages = {
        "skipped": gettext_lazy(
            "{time} does not exist in the time zone {zone} (the clocks skip it): give the time "
            "with its UTC offset, e.g. {example}."
        ),
        "twice": gettext_lazy(
            "{time} occurs twice in the time zone {zone}: give the time with its UTC offset, "
            "e.g. {example}."
        ),
    }

    def enforce_timezone(self, value: datetime) -> datetime:
        # DRF returns the current time zone (a tzinfo) when USE_TZ is on; the stubs say str.
        zone = cast("tzinfo | None", self.default_timezone())
        if timezone.is_naive(value) and zone is not None:
            self._refuse_unless_one_moment(value, zone)
        try:
            value = super().enforce_timezone(value)
            if timezone.is_aware(value):
                value.astimezone(UTC)
        except OverflowError:
            self.fail("overflow")
        return value

    def _refuse_unless_one_moment(self, value: datetime, zone: tzinfo) -> None:
        """Refuse a naive ``value`` that names no moment, or two, in ``zone``: the clocks skip
        it, or show it twice. (DRF itself refuses only the latter, without saying what to do,
        and moves a skipped time silently.)"""
        try:
            offsets = [value.replace(fold=fold, tzinfo=zone).utcoffset() for fold in (0, 1)]
            exists = all(
                value.replace(fold=fold, tzinfo=zone).astimezone(UTC).astimezone(zone)
                .replace(tzinfo=None) == value
                for fold in (0, 1)
            )  # fmt: skip
        except OverflowError:
            return  # DRF says "out of range"
        if exists and offsets[0] == offsets[1]:
            return
        example = value.replace(tzinfo=dt_timezone(offsets[0] or timedelta())).isoformat()
        self.fail(
            "twice" if exists else "skipped", time=value.isoformat(), zone=zone, example=example
        )


class LockedUntilField(DateTimeField):
    """Until when wrong passwords lock the share for everybody; ``null`` when they do not."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, source="*", allow_null=True, **kwargs)

    def to_representation(self, share: Share) -> str | None:  # type: ignore[override]
        locks = self.context.get("share_locks")  # a listed page's, looked up at once
        lock = locks.get(share.pk) if locks is not None else lockout.share_lock(share)
        return None if lock is None else super().to_representation(lock.until)


class ShareSerializer(serializers.ModelSerializer):
    """A share with its state and absolute link; ``password`` and ``remove_password`` in only."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
    }

    role = serializers.PrimaryKeyRelatedField(
        queryset=Group.objects.all(), allow_null=True, required=False
    )
    role_name = serializers.SerializerMethodField()
    content_type = ContentTypeField()
    object_pk = serializers.CharField(max_length=255)
    password = serializers.CharField(
        write_only=True,
        required=False,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Set or change the password (never returned). "
        "To remove it send remove_password: true.",
    )
    remove_password = serializers.BooleanField(
        write_only=True, required=False, help_text="true removes the password."
    )
    allowed_addresses = serializers.ListField(
        child=serializers.CharField(max_length=MAX_EMAIL_LENGTH),
        required=False,
        max_length=MAX_ALLOWED_ADDRESSES,
        help_text="E-mail addresses and `@domain` entries that may open the link, each after "
        "proving the address with a one-time code; stored lower-case. `[]`: anyone with the link.",
    )
    verify_recipients = serializers.BooleanField(
        required=False,
        help_text="true: a recipient's own link opens only after a one-time code mailed to the "
        "recipient's address (a forwarded link is useless); the common link is not affected.",
    )
    devices_per_recipient = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_DEVICES_PER_RECIPIENT,
        error_messages={"min_value": TOO_FEW_DEVICES},
        help_text="How many devices may open each recipient's own link; the next is refused as "
        "a forwarded link. null: the site's DEVICES_PER_RECIPIENT (see device_limit).",
    )
    device_limit = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The limit in force: devices_per_recipient, else the site's "
        "DEVICES_PER_RECIPIENT; null: forwarded links are not caught.",
    )
    has_password = serializers.BooleanField(read_only=True)
    uses_left = serializers.IntegerField(read_only=True, allow_null=True)
    status = serializers.SerializerMethodField()
    created_by: serializers.PrimaryKeyRelatedField[models.Model] = (
        serializers.PrimaryKeyRelatedField(read_only=True)
    )
    link = serializers.SerializerMethodField()
    locked_until = LockedUntilField(
        help_text="Until when too many wrong passwords lock the share for everybody (null: not "
        "locked). POST …/unlock/ ends it."
    )

    class Meta:
        model = Share
        fields = [
            "id",
            "name",
            "role",
            "role_name",
            "content_type",
            "object_pk",
            "password",
            "remove_password",
            "has_password",
            "date_start",
            "date_end",
            "max_uses",
            "allowed_addresses",
            "verify_recipients",
            "devices_per_recipient",
            "device_limit",
            "times_used",
            "uses_left",
            "status",
            "revoked_at",
            "created_by",
            "created_at",
            "updated_at",
            "link",
            "locked_until",
        ]
        read_only_fields = ["times_used", "revoked_at", "created_at", "updated_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance is not None:  # an update names the target only to repeat it
            self.fields["content_type"].required = False
            self.fields["object_pk"].required = False

    # -- output ---------------------------------------------------------------------------------

    def get_role_name(self, share: Share) -> str | None:
        return share.role.name if share.role is not None else None  # no query for None

    def get_status(self, share: Share) -> str:
        return share.status_at(self.context.get("now") or timezone.now()).value

    def get_link(self, share: Share) -> str:
        return self.context["request"].build_absolute_uri(share.get_absolute_url())

    # -- validation -----------------------------------------------------------------------------

    def validate_password(self, password: str) -> str:
        try:
            sharing.validate_share_password(password)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return password

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The fixed fields, the password change and the model's own validation
        (``Share.clean``) on the share as the request would leave it, all reported at once."""
        errors: dict[str, Any] = {}
        if self.instance is not None:
            errors.update(self._retargeting_errors())
        try:
            sharing.validate_password_change(
                attrs.get("password"), bool(attrs.get("remove_password"))
            )
        except DjangoValidationError as error:
            errors["password"] = error.messages
        try:
            self._as_saved(attrs).clean()
        except DjangoValidationError as error:
            errors.update(_drf_errors(error))
        if errors:
            raise serializers.ValidationError(errors)
        if self.instance is None:
            attrs["content_object"] = self._shared_object(attrs["content_type"], attrs["object_pk"])
        return attrs

    def _as_saved(self, attrs: dict[str, Any]) -> Share:
        """An unsaved share with the values ``attrs`` would give it, for the model's checks."""
        values = {name: attrs[name] for name in (*SHARE_OPTIONS, "role") if name in attrs}
        if self.instance is None:
            return Share(**values)
        current = {name: getattr(self.instance, name) for name in SHARE_OPTIONS}
        if "role" not in values:
            current["role_id"] = self.instance.role_id  # no query for the role
        return Share(**{**current, **values}, times_used=self.instance.times_used)

    def _retargeting_errors(self) -> dict[str, str]:
        """An error for each fixed field the request gives a value other than the current one."""
        share = self.instance
        assert share is not None  # validate() asks on updates only
        current = {
            "content_type": content_type_label(share.content_type).lower(),
            "object_pk": share.object_pk,
            "created_by": share.created_by_id,
        }
        message = str(sharing.RETARGETING_REFUSED)
        return {
            name: message
            for name in FIXED_FIELDS
            if name in self.initial_data
            and _as_text(self.initial_data[name], lower=name == "content_type")
            != _as_text(current[name])
        }

    def _shared_object(self, content_type: ContentType, object_pk: str) -> models.Model:
        """The object to share; one the user cannot see is "not found", so existence does not
        leak (one they see but may not share is refused later, with 403)."""
        model = content_type.model_class()
        assert model is not None  # ContentTypeField takes installed, shareable models only
        obj = sharing.object_to_share(self.context["request"].user, model, object_pk)
        if obj is None:
            raise serializers.ValidationError({"object_pk": sharing.NO_SUCH_OBJECT})
        return obj

    # -- saving ---------------------------------------------------------------------------------

    def create(self, validated_data: dict[str, Any]) -> Share:
        options = {k: v for k, v in validated_data.items() if k in SHARE_OPTIONS}
        with api_errors():
            return sharing.create_share(
                self.context["request"].user,
                validated_data["content_object"],
                role=validated_data.get("role"),
                password=validated_data.get("password") or None,
                **options,
            )

    def update(self, share: Share, validated_data: dict[str, Any]) -> Share:
        changes = {k: v for k, v in validated_data.items() if k in {*SHARE_OPTIONS, "role"}}
        with api_errors():
            return sharing.edit_share(
                self.context["request"].user,
                share,
                password=validated_data.get("password") or None,
                remove_password=bool(validated_data.get("remove_password")),
                **changes,
            )


class RecipientsField(serializers.JSONField):
    """E-mail addresses as a list, or as one string separated by commas (any JSON to the
    schema: a string or a list of strings)."""

    default_error_messages = {"invalid": "Expected a list of addresses or one string."}

    # any JSON value is valid JSON; DRF's stubs say an object or a list of objects
    def to_internal_value(self, data: Any) -> str | list[str]:  # type: ignore[override]
        if isinstance(data, str):
            return data
        if isinstance(data, list) and all(isinstance(item, str) for item in data):
            return data
        self.fail("invalid")

    def to_representation(self, value: Any) -> Any:
        return value


class InviteSerializer(serializers.Serializer):
    """Whom to send a share's link to, and an optional note (the admin's "Send link")."""

    recipients = RecipientsField(
        help_text=f'["a@example.com", …] or "a@example.com, b@example.com"; '
        f"at most {sharing.MAX_RECIPIENTS}."
    )
    message = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    recipient_links = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: each address gets a link of its own (a recipient of the share, added "
        "if it is not one yet; see …/recipients/) instead of the share's common link.",
    )


class RecipientSerializer(serializers.ModelSerializer):
    """A recipient of a share with its own absolute link, uses and state."""

    serializer_field_mapping = ShareSerializer.serializer_field_mapping

    uses_left = serializers.IntegerField(read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=RecipientStatus.choices, read_only=True)
    link = serializers.SerializerMethodField()
    devices = serializers.IntegerField(
        source="device_count",  # annotated by RecipientViewSet's queryset: no query per row
        read_only=True,
        help_text="How many devices opened the link so far.",
    )
    device_limit = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="How many devices may open it: the share's limit plus extra_devices; null: "
        "no limit. POST …/allow-device/ raises it by one.",
    )

    class Meta:
        model = ShareRecipient
        fields = [
            "id",
            "address",
            "max_uses",
            "times_used",
            "uses_left",
            "status",
            "revoked_at",
            "created_at",
            "first_opened_at",
            "last_opened_at",
            "link",
            "devices",
            "device_limit",
            "extra_devices",
            "forwarded_at",
        ]
        read_only_fields = fields

    def get_link(self, recipient: ShareRecipient) -> str:
        return self.context["request"].build_absolute_uri(recipient.get_absolute_url())


class AddRecipientsSerializer(serializers.Serializer):
    """Addresses to give a link of their own to a share, and their own use limit."""

    recipients = RecipientsField(
        help_text=f'["a@example.com", …] or "a@example.com, b@example.com"; '
        f"at most {sharing.MAX_RECIPIENTS}."
    )
    max_uses = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=2**31 - 1,
        help_text="Each new recipient's own use limit; null: only the share's limit.",
    )


class AddedRecipientsSerializer(serializers.Serializer):
    """The recipients added, and those that already were (unchanged)."""

    added = RecipientSerializer(many=True)
    already = RecipientSerializer(many=True)


class DeliverySerializer(serializers.Serializer):
    """Per-address outcome of mails: sent, failed (with the mail error) or queued for a worker
    (:class:`..tasks.Delivery`)."""

    sent = serializers.ListField(
        child=serializers.EmailField(), help_text="Sent during the request."
    )
    failed = serializers.DictField(
        child=serializers.CharField(), help_text="Address → why its mail was not sent."
    )
    queued = serializers.ListField(
        child=serializers.EmailField(),
        help_text="Queued for the task worker (answer 202): sent later, failures logged there.",
    )


class InviteResultSerializer(DeliverySerializer):
    """Per-address outcome of an invitation: as :class:`DeliverySerializer`, or not a valid
    address."""

    invalid = serializers.ListField(child=serializers.CharField())


class ShareFilterSerializer(serializers.Serializer):
    """The list's filters (query parameters), for validation and the schema."""

    object = serializers.CharField(required=False, help_text="app_label.model:pk")
    content_type = serializers.CharField(required=False, help_text="app_label.model")
    # Bounded: SQLite cannot even compare its column with a larger integer (a 500).
    created_by = serializers.IntegerField(
        required=False, min_value=1, max_value=models.BigIntegerField.MAX_BIGINT
    )
    status = serializers.ChoiceField(choices=ShareStatus.choices, required=False)


def _as_text(value: Any, *, lower: bool = False) -> str | None:
    if value is None:
        return None
    return str(value).strip().lower() if lower else str(value)


@contextmanager
def api_errors() -> Iterator[None]:
    """:mod:`..sharing`'s refusals as 403 ``sharing_denied``, validation errors as 400."""
    try:
        yield
    except SharingDenied as refusal:
        raise SharingDeniedError(refusal) from None
    except DjangoValidationError as error:
        raise serializers.ValidationError(_drf_errors(error)) from None


def _drf_errors(error: DjangoValidationError) -> Any:
    if not hasattr(error, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}
    return {
        api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field: messages
        for field, messages in error.message_dict.items()
    }
