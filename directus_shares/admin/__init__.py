"""Admin integration: share rules on the group's page and the list of all shares."""

from .forms import SendLinkForm, ShareForm
from .panel import SharesAdminMixin
from .roles import (
    RoleRuleForm,
    RoleRuleInline,
    RoleSettingsInline,
    ShareRulesGroupAdminMixin,
    extend_group_admin,
)
from .shares import ShareAdmin

extend_group_admin()

__all__ = [
    "RoleRuleForm",
    "RoleRuleInline",
    "RoleSettingsInline",
    "SendLinkForm",
    "ShareAdmin",
    "ShareForm",
    "SharesAdminMixin",
    "ShareRulesGroupAdminMixin",
]
