"""The app's models: shares, and the rules that say what their roles may see."""

from .roles import RoleRule, RoleSettings, shareable_field_names
from .share import Share, ShareQuerySet, ShareStatus

__all__ = [
    "RoleRule",
    "RoleSettings",
    "Share",
    "ShareQuerySet",
    "ShareStatus",
    "shareable_field_names",
]
