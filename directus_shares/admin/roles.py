"""Share rules and sharing settings on the group's admin page.

Add :class:`ShareRulesGroupAdminMixin` to your own group admin, or extend the registered one
with :func:`directus_shares.admin.extend_group_admin`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import RoleRule, RoleSettings, shareable_field_names
from ..shareable import is_shareable_model
from .forms import BoundedInlineMixin

if TYPE_CHECKING:  # what ShareRulesGroupAdminMixin is mixed into
    _GroupAdmin = admin.ModelAdmin[Group]
else:
    _GroupAdmin = object


def shareable_content_types() -> list[int]:
    """Ids of the content types whose objects may be shared."""
    return [
        content_type.pk
        for content_type in ContentType.objects.all()
        if (model := content_type.model_class()) is not None and is_shareable_model(model)
    ]


#: Capitalised as Django labels a model field's form field (``capfirst`` of its verbose name).
FIELDS_LABEL = capfirst(RoleRule._meta.get_field("fields").verbose_name)


class RoleRuleForm(forms.ModelForm):
    """The fields of a rule as check boxes once its model is known (as text before)."""

    class Meta:
        model = RoleRule
        fields = ["content_type", "all_fields", "fields", "read_filter", "share_filter"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        content_type = cast(forms.ModelChoiceField, self.fields["content_type"])
        content_type.queryset = ContentType.objects.filter(
            pk__in=shareable_content_types()
        ).order_by("app_label", "model")
        model = self.instance.content_type.model_class() if self.instance.content_type_id else None
        if model is not None:
            self.fields["fields"] = forms.MultipleChoiceField(
                label=FIELDS_LABEL,
                required=False,
                choices=[(name, name) for name in shareable_field_names(model)],
                widget=forms.CheckboxSelectMultiple,
                help_text=RoleRule._meta.get_field("fields").help_text,
            )
        else:
            self.fields["fields"] = forms.CharField(
                label=FIELDS_LABEL,
                required=False,
                help_text=_(
                    "Field names separated by commas. Once saved, they are offered as check boxes."
                ),
            )

    def clean_fields(self) -> list[str]:  # the form field named "fields", not Model.clean_fields
        value = self.cleaned_data.get("fields") or []
        if isinstance(value, str):
            value = [name.strip() for name in value.split(",") if name.strip()]
        return list(value)

    def validate_unique(self) -> None:
        """Also check "one rule per model" against the rules already saved.

        Django's inline forms leave every constraint that involves the parent (the role) to the
        formset, which compares only the forms it holds, so a second rule for a model that has
        one – from a stale or tampered form – reached the database: IntegrityError, a 500.
        """
        super().validate_unique()
        # What the form does not edit, or could not clean, is not the form's to judge – as
        # Django's own validate_unique() leaves such fields out.
        edited = set(self.fields) - set(self.errors)
        exclude = {field.name for field in self.instance._meta.fields} - edited
        try:
            self.instance.validate_constraints(exclude=exclude)
        except ValidationError as error:
            self.add_error(None, error)


class RoleRuleInline(BoundedInlineMixin, admin.StackedInline):
    model = RoleRule
    form = RoleRuleForm
    extra = 0
    verbose_name = _("share rule (fields and rows of one model)")
    verbose_name_plural = _("share rules: what this role sees of each model through shares")

    def get_max_num(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        """One rule per shareable model at most."""
        return len(shareable_content_types())


class RoleSettingsInline(BoundedInlineMixin, admin.StackedInline):
    model = RoleSettings
    can_delete = False
    max_num = 1
    verbose_name_plural = _("sharing settings")


class ShareRulesGroupAdminMixin(_GroupAdmin):
    """Adds the share rules and settings of a role to a group admin."""

    share_inlines = (RoleSettingsInline, RoleRuleInline)

    def get_inlines(self, request: HttpRequest, obj: Group | None) -> list[Any]:
        return [*super().get_inlines(request, obj), *self.share_inlines]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if not change:  # whoever creates a role may assign it (see sharing.assignable_roles)
            RoleSettings.objects.get_or_create(
                role=form.instance, defaults={"created_by": request.user}
            )

    def response_add(self, request: HttpRequest, obj: Group, *args: Any) -> HttpResponse:
        if not obj.permissions.exists():
            url = reverse("admin:auth_group_change", args=[obj.pk])
            messages.info(
                request,
                format_html(
                    gettext(
                        "The role “{}” has no rights yet: its shares show nothing until you "
                        'choose what it may see <a href="{}">on its page</a>.'
                    ),
                    obj,
                    url,
                ),
            )
        return super().response_add(request, obj, *args)
