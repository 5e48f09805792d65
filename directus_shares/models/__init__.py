"""The app's models: shares and their recipients, the rules that say what their roles may see,
and the access log."""

from .access_log import AccessReason, ShareAccess
from .device import RecipientDevice
from .recipient import (
    MAX_ADDRESS_LENGTH,
    MAX_EXTRA_DEVICES,
    RecipientStatus,
    ShareRecipient,
    ShareRecipientQuerySet,
)
from .roles import RoleRule, RoleSettings, shareable_field_names
from .share import Share, ShareQuerySet, ShareStatus
from .verification_code import VerificationCode

__all__ = [
    "MAX_ADDRESS_LENGTH",
    "MAX_EXTRA_DEVICES",
    "AccessReason",
    "RecipientDevice",
    "RecipientStatus",
    "RoleRule",
    "RoleSettings",
    "Share",
    "ShareAccess",
    "ShareQuerySet",
    "ShareRecipient",
    "ShareRecipientQuerySet",
    "ShareStatus",
    "VerificationCode",
    "shareable_field_names",
]
