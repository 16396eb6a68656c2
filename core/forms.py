import re

import phonenumbers
from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from phonenumber_field.formfields import PhoneNumberField

# Dates typed by hand: ISO first (the date input), then the Indonesian day-month-year forms.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y"]


def month_count_choices(counts):
    """Choices that read "1 bulan", "3 bulan" in the reader's language: a callable, so Django builds them anew for
    each form, in the language of that request."""
    return lambda: [(n, ngettext("%(n)s month", "%(n)s months", n) % {"n": n}) for n in counts]


class PortalFormRenderer(TemplatesSetting):
    """Every field renders as label, hint, error and input together (templates/forms/field.html)."""

    field_template_name = "forms/field.html"


INVALID_PHONE = _("Please enter an Indonesian mobile number, for example 0812 3456 7890.")
NOT_MOBILE = _("Please enter an Indonesian mobile number that can receive SMS.")
_MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


class PhoneForm(forms.Form):
    phone = PhoneNumberField(
        label=_("Mobile phone number"),
        region="ID",
        help_text=_("We send a one-time code by SMS. Example: 0812 3456 7890"),
        error_messages={"invalid": INVALID_PHONE,
                        "required": _("Please enter your mobile number: we send the sign-in code to it.")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "08xx xxxx xxxx"}),
    )

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        if not is_indonesian_mobile(phone):
            raise forms.ValidationError(NOT_MOBILE)
        return phone


def is_indonesian_mobile(number: phonenumbers.PhoneNumber) -> bool:
    return number.country_code == 62 and phonenumbers.number_type(number) in _MOBILE_TYPES


_PLAIN_ID_MOBILE = re.compile(r"(?:0|\+62)(8\d{6,13})")


def mobile_number_check(text: str) -> tuple[str, str]:
    """PhoneForm's verdict without a form, for files of a million rows: (E.164 number, "") or ("", error)."""
    plain = _PLAIN_ID_MOBILE.fullmatch(re.sub(r"[\s.-]", "", text))
    if plain:  # 08… or +628…: what phonenumbers.parse would make of it, without its general machinery
        number = phonenumbers.PhoneNumber(country_code=62, national_number=int(plain[1]))
        if is_indonesian_mobile(number):
            return f"+62{plain[1]}", ""
    try:
        number = phonenumbers.parse(text, "ID")
    except phonenumbers.NumberParseException:
        return "", str(INVALID_PHONE)
    if is_indonesian_mobile(number):  # a mobile type is only ever given to a valid number
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), ""
    return "", str(NOT_MOBILE if phonenumbers.is_valid_number(number) else INVALID_PHONE)


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
