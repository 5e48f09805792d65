"""Admin integration: the list of all shares, and mixins and opt-ins for the project's admins.

Importing it registers :class:`ShareAdmin` only; other apps' admins change only when the project
calls :func:`add_shares_panel` or :func:`extend_group_admin`.
"""

from .extend import add_shares_panel, extend_group_admin
from .forms import SendLinkForm, ShareForm
from .panel import SharesAdminMixin
from .roles import (
    RoleRuleForm,
    RoleRuleInline,
    RoleSettingsInline,
    ShareRulesGroupAdminMixin,
)
from .shares import ShareAdmin

__all__ = [
    "RoleRuleForm",
    "RoleRuleInline",
    "RoleSettingsInline",
    "SendLinkForm",
    "ShareAdmin",
    "ShareForm",
    "SharesAdminMixin",
    "ShareRulesGroupAdminMixin",
    "add_shares_panel",
    "extend_group_admin",
]
