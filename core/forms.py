import phonenumbers
from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField


class PortalFormRenderer(TemplatesSetting):
    """Every field renders as label, hint, error and input together (templates/forms/field.html)."""

    field_template_name = "forms/field.html"


class PhoneForm(forms.Form):
    phone = PhoneNumberField(
        label=_("Mobile phone number"),
        region="ID",
        help_text=_("We send a one-time code by SMS. Example: 0812 3456 7890"),
        error_messages={"invalid": _("Please enter an Indonesian mobile number, for example 0812 3456 7890.")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "08xx xxxx xxxx"}),
    )

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        if phone.country_code != 62 or phonenumbers.number_type(phone) not in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        ):
            raise forms.ValidationError(_("Please enter an Indonesian mobile number that can receive SMS."))
        return phone


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        min_length=6,
        max_length=6,
        help_text=_("6 digits"),
        error_messages={
            "required": _("Please enter the 6-digit code we sent you."),
            "min_length": _("The code has 6 digits."),
            "max_length": _("The code has 6 digits."),
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise forms.ValidationError(_("The code has only digits."))
        return code
