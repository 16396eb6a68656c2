"""Forms of the Perisai agents' pages: cash taken from a member, cash handed over."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import month_count_choices


class CashForm(forms.Form):
    kpj = forms.RegexField(r"^[0-9]{11}$", label=_("Participant number (KPJ)"),
                           error_messages={"invalid": _("The participant number has 11 digits."),
                                           "required": _("Please enter the participant number.")},
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    months = forms.TypedChoiceField(label=_("Months paid in cash"), coerce=int, widget=forms.RadioSelect,
                                    choices=month_count_choices((1, 3, 6, 12)), initial=1)


class SettlementForm(forms.Form):
    bank_reference = forms.CharField(label=_("Bank transfer reference"), max_length=64,
                                     error_messages={"required": _("Please enter the bank's reference.")})
