"""allauth's forms with the portal's words: labels, hints and error messages for organisation sponsors."""

from __future__ import annotations

from allauth.account.fields import EmailField
from allauth.account.forms import LoginForm, ResetPasswordForm, ResetPasswordKeyForm, SignupForm
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.views import client_ip
from sponsors.organisations import organisation_sponsor_register

PASSWORD_HINT = _("At least 10 characters. Not only digits, not a common password and not like your email address.")
EMAIL_ERRORS = {
    "required": _("Please enter your email address."),
    "invalid": _("Please enter an email address like nama@organisasi.or.id."),
}


def _email_field(**kwargs) -> EmailField:
    return EmailField(
        label=_("Email address"), error_messages=EMAIL_ERRORS,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "nama@organisasi.or.id"}), **kwargs)


def _password(field: forms.Field, label, *, required_message, help_text="") -> None:
    field.label = label
    field.help_text = help_text
    field.error_messages = {**field.error_messages, "required": required_message}
    field.widget.attrs.pop("placeholder", None)


class OrganisationSignupForm(SignupForm):
    organisation_name = forms.CharField(
        label=_("Name of the organisation"), max_length=120,
        help_text=_("As the workers you register will see it, e.g. Yayasan Peduli Pekerja or PT Maju Bersama (CSR)."),
        error_messages={"required": _("Please enter the name of your organisation.")},
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    contact_name = forms.CharField(
        label=_("Contact person"), max_length=150,
        help_text=_("The person who looks after this account."),
        error_messages={"required": _("Please enter the name of the contact person.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    field_order = ["organisation_name", "contact_name", "email", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"] = _email_field(
            help_text=_("You sign in with it. We send a link to it to confirm that it is yours."))
        self.order_fields(self.field_order)
        _password(self.fields["password1"], _("Password"), help_text=PASSWORD_HINT,
                  required_message=_("Please choose a password."))
        _password(self.fields["password2"], _("Password again"),
                  required_message=_("Please type the password again."))

    def try_save(self, request):
        try:
            return super().try_save(request)
        except ValidationError:
            # The address was taken between the check and the save: answer as allauth does for a taken address
            # (an email to it, the same "check your email" page), so nobody learns which addresses have accounts.
            self.account_already_exists = True
            return super().try_save(request)

    def save(self, request):
        sponsor = organisation_sponsor_register(
            email=self.cleaned_data["email"], password=self.cleaned_data["password1"],
            organisation_name=self.cleaned_data["organisation_name"],
            contact_name=self.cleaned_data["contact_name"],
            language=getattr(request, "LANGUAGE_CODE", "id"), ip_address=client_ip(request))
        return sponsor.user


class OrganisationLoginForm(LoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"] = _email_field()
        self.order_fields(["login", "password", "remember"])
        _password(self.fields["password"], _("Password"), required_message=_("Please enter your password."))
        if "remember" in self.fields:
            self.fields["remember"].label = _("Keep me signed in on this device")


class OrganisationPasswordResetForm(ResetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"] = _email_field(help_text=_("The address your organisation signs in with."))


class OrganisationPasswordSetForm(ResetPasswordKeyForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _password(self.fields["password1"], _("New password"), help_text=PASSWORD_HINT,
                  required_message=_("Please choose a new password."))
        _password(self.fields["password2"], _("New password again"),
                  required_message=_("Please type the new password again."))
