"""The share options form, shared by the Shares panel and the share's own admin page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.admin import widgets
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .. import sharing
from ..conf import password_validators
from ..models import Share
from ..models.verification_code import clean_allowed_addresses

if TYPE_CHECKING:  # what BoundedInlineMixin is mixed into
    from django.contrib.admin.options import InlineModelAdmin as _InlineAdmin
else:
    _InlineAdmin = object


class SplitDateTimeField(forms.SplitDateTimeField):
    """The admin's date and time, refused when the moment has no UTC equivalent.

    The database stores UTC: 0001-01-01 00:00 in a zone east of UTC (or 9999-12-31 23:59 west of
    it) lies outside the years Python can represent, so SQLite fails to save it (a 500) and
    PostgreSQL saves it but can never read it back – every page listing the share then fails.
    """

    # MultiValueField.clean() passes a list (empty when nothing was entered); the stubs say a
    # (date, time) tuple or None
    def compress(self, data_list: list[Any]) -> datetime | None:  # type: ignore[override]
        value = super().compress(data_list)  # type: ignore[arg-type]
        if value is not None:
            try:
                value.astimezone(UTC)
            except OverflowError:
                raise ValidationError(
                    self.error_messages["invalid_date"], code="invalid_date"
                ) from None
        return value


class AllowedAddressesField(forms.CharField):
    """A share's allowed addresses as text – one address or ``@domain`` per line (commas and
    spaces separate too) – cleaned to the stored list (:func:`clean_allowed_addresses`)."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "anna@example.org\n@example.com"})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        return clean_allowed_addresses(super().to_python(value))


#: How the admin names "no role": the share grants what the public role may see.
PUBLIC_ROLE_LABEL = _("(public role)")


class ShareForm(forms.ModelForm):
    """Name, role, password (set, change or remove – never shown back), window and max uses.

    ``roles`` limits the role choice (:func:`sharing.offered_roles`); the password is applied by
    :meth:`apply_password` so that setting it ends earlier grants. The rules are
    :mod:`..sharing`'s and the model's; the form only shows their answers.
    """

    new_password = forms.CharField(  # not "password": that is the model's hash, never a form field
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Visitors must enter it. Leave empty to keep the current password."),
    )
    remove_password = forms.BooleanField(
        label=_("Remove the password"),
        required=False,
        help_text=_("Anyone with the link opens it."),
    )
    allowed_addresses = AllowedAddressesField(
        label=_("Only for these e-mail addresses"),
        required=False,
        help_text=_(
            "One address or @domain per line. Visitors enter their address and open the link "
            "with a one-time code mailed to it. Empty: anyone with the link."
        ),
    )

    class Meta:
        model = Share
        fields = ["role", *sharing.SHARE_OPTION_ORDER]  # the share's page: ShareAdmin.fields
        widgets = {
            "date_start": widgets.AdminSplitDateTime,
            "date_end": widgets.AdminSplitDateTime,
        }
        field_classes = {
            "date_start": SplitDateTimeField,
            "date_end": SplitDateTimeField,
        }

    def __init__(self, *args: Any, roles: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "role" not in self.fields:  # a view-only page: every field is read-only
            return
        role = cast(forms.ModelChoiceField, self.fields["role"])  # the foreign key's form field
        if roles is not None:
            role.queryset = roles
        role.empty_label = PUBLIC_ROLE_LABEL
        if not self.instance.has_password:
            del self.fields["remove_password"]
            self.fields["new_password"].help_text = _(
                "Optional. Visitors must enter it; it is stored as an Argon2 hash only."
            )
        self.fields["new_password"].widget.attrs["maxlength"] = sharing.max_password_length()
        rules = password_validators_help_texts(password_validators())  # what a new one must pass
        if rules:
            field = self.fields["new_password"]
            field.help_text = " ".join([str(field.help_text), *map(str, rules)])

    def clean_new_password(self) -> str:
        password = self.cleaned_data.get("new_password") or ""
        if password:  # empty keeps the current one
            sharing.validate_share_password(password)
        return password

    def clean(self) -> dict[str, Any]:
        super().clean()  # ModelForm's returns cleaned_data
        cleaned = self.cleaned_data
        try:
            sharing.validate_password_change(
                cleaned.get("new_password"), bool(cleaned.get("remove_password"))
            )
        except ValidationError as error:
            self.add_error("new_password", error)
        return cleaned

    def apply_password(self, share: Share) -> None:
        """Set, change or remove the share's password as the form asks (before saving it)."""
        sharing.change_password(
            share,
            self.cleaned_data.get("new_password"),
            bool(self.cleaned_data.get("remove_password")),
        )


class BoundedInlineMixin(_InlineAdmin):
    """For an inline admin: build no more forms than the inline may hold (``max_num``).

    Django builds – and, when the page is refused, renders again – up to ``max_num`` + 1000
    forms for whatever ``TOTAL_FORMS`` a request claims: a minute's work for one tampered
    request. With this mixin the formset stops at ``max_num`` ("Please submit at most …").

    The bound is the class's ``max_num`` where Django lowered the instance's: for a user who may
    add no rows it sets ``max_num = 0``, yet the existing rows still come back as forms – a bound
    of 0 would refuse every save of a parent that has any (a share with access-log entries).
    """

    def get_formset(self, request: Any, obj: Any = None, **kwargs: Any) -> Any:
        bound = max(self.get_max_num(request, obj, **kwargs) or 0, type(self).max_num or 0)
        kwargs.setdefault("absolute_max", bound)
        return super().get_formset(request, obj, **kwargs)


class SendLinkForm(forms.Form):
    """E-mail addresses to send a share's link to, checked one by one."""

    recipients = forms.CharField(
        label=_("E-mail addresses"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Separate several addresses with commas."),
    )
    message = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    recipient_links = forms.BooleanField(
        label=_("Give each address a link of their own"),
        required=False,
        help_text=_(
            "Each address becomes a recipient of the share with its own link, which can be "
            "counted, revoked and renewed separately. Off: everybody gets the share's common link."
        ),
    )

    def clean_recipients(self) -> list[str]:
        """Every address valid (:func:`sharing.recipients_to_send`), or none sent to."""
        valid, _invalid = sharing.recipients_to_send(
            self.cleaned_data["recipients"], skip_invalid=False
        )
        return valid
