"""What a role (a Django ``Group``) may see through shares, beyond its model permissions.

``view_<model>`` and ``share_<model>`` are ordinary Django permissions of the group. These models
narrow them: a :class:`RoleRule` per model (fields, rows to read, rows to share) and one
:class:`RoleSettings` per role (who else may assign it, which networks may open its shares).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..rights import parse_networks
from ..row_filters import row_filter_errors
from ..shareable import is_never_shown

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django_stubs_ext import StrOrPromise


class RoleRule(models.Model):
    """Which fields and rows of one model a role may read, and which rows it may share."""

    role = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="share_rules", verbose_name=_("role")
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", verbose_name=_("model")
    )
    all_fields = models.BooleanField(
        _("all fields"),
        default=False,
        help_text=_("Every field, also those added to the model later. Otherwise only 'fields'."),
    )
    fields = models.JSONField(
        _("fields"),
        default=list,
        blank=True,
        help_text=_("Names of the fields (and relations) the role may read."),
    )
    read_filter = models.JSONField(
        _("rows it may read"),
        default=dict,
        blank=True,
        help_text=_('Lookups all rows must match, e.g. {"status": "done"}. Empty: every row.'),
    )
    share_filter = models.JSONField(
        _("rows it may share"),
        default=dict,
        blank=True,
        help_text=_("Lookups the objects its members share must match. Empty: every row."),
    )

    class Meta:
        verbose_name = _("share rule")
        verbose_name_plural = _("share rules")
        constraints = [
            models.UniqueConstraint(fields=["role", "content_type"], name="ds_rule_role_model")
        ]

    def __str__(self) -> str:
        return f"{self.role} – {self.content_type}"

    def clean(self) -> None:
        super().clean()
        model = self.content_type.model_class() if self.content_type_id else None
        if model is None:
            return
        errors: dict[str, Sequence[StrOrPromise]] = {}
        if not isinstance(self.fields, list) or not all(isinstance(f, str) for f in self.fields):
            errors["fields"] = [_("A list of field names.")]
        else:
            unknown = sorted(set(self.fields) - set(shareable_field_names(model)))
            if unknown:
                errors["fields"] = [
                    _("%(model)s has no shareable field %(names)s.")
                    % {"model": model._meta.verbose_name, "names": ", ".join(unknown)}
                ]
        for name in ("read_filter", "share_filter"):
            if problems := row_filter_errors(model, getattr(self, name)):
                errors[name] = problems
        if errors:
            raise ValidationError(errors)


def shareable_field_names(model: type[models.Model]) -> list[str]:
    """Names a rule may list for ``model``: its fields and relations, secrets left out."""
    return [
        field.name
        for field in model._meta.get_fields()
        if not is_never_shown(model, field) and not getattr(field, "parent_link", False)
    ]


class RoleSettings(models.Model):
    """Sharing settings of a role as a whole."""

    role = models.OneToOneField(
        Group,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="share_settings",
        verbose_name=_("role"),
    )
    assignable = models.BooleanField(
        _("assignable by everyone who may share"),
        default=False,
        help_text=_(
            "Staff who are not members may still give this role to their shares. "
            "What a share shows never exceeds what its creator may see."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
        help_text=_("Who created the role while sharing; they may assign it."),
    )
    allowed_networks = models.TextField(
        _("allowed networks"),
        blank=True,
        help_text=_(
            "IP addresses or CIDR ranges (IPv4 or IPv6), separated by commas or new lines, "
            "from which its shares open. Empty: from anywhere."
        ),
    )

    class Meta:
        verbose_name = _("share settings")
        verbose_name_plural = _("share settings")

    def __str__(self) -> str:
        return str(self.role)

    def clean(self) -> None:
        super().clean()
        try:
            parse_networks(self.allowed_networks)
        except ValueError as error:
            raise ValidationError({"allowed_networks": str(error)}) from error
