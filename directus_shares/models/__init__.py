"""The app's models: shares, the rules that say what their roles may see, and the access log."""

from .access_log import AccessReason, ShareAccess
from .roles import RoleRule, RoleSettings, shareable_field_names
from .share import Share, ShareQuerySet, ShareStatus
from .verification_code import VerificationCode

__all__ = [
    "AccessReason",
    "RoleRule",
    "RoleSettings",
    "Share",
    "ShareAccess",
    "ShareQuerySet",
    "ShareStatus",
    "VerificationCode",
    "shareable_field_names",
]
