import datetime as dt
import re
from typing import cast

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from core.choices import FundingSource, Sector
from core.forms import mobile_number_check, month_count_choices
from core.money import format_idr
from reference.duedates import add_months
from reference.tariffs import income_bases


def _month_choices():
    current = timezone.localdate().replace(day=1)
    months = [add_months(current, i) for i in range(-3, 13)]
    return [(f"{m:%Y-%m}", formats.date_format(m, "F Y")) for m in months]


class CalculatorForm(forms.Form):
    income = forms.TypedChoiceField(label=_("Declared monthly income"), coerce=int,
                                    error_messages={"required": _("Please choose your monthly income.")})
    jht = forms.BooleanField(label=_("Add old-age savings (JHT)"), required=False)
    sector = forms.ChoiceField(label=_("Type of work"), choices=Sector.choices, initial=Sector.OTHER)
    funding = forms.ChoiceField(label=_("Who pays"), choices=FundingSource.choices, initial=FundingSource.SELF)
    month = forms.ChoiceField(label=_("Month"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["income"]).choices = [(a, format_idr(a)) for a in income_bases()]
        cast(forms.ChoiceField, self.fields["month"]).choices = _month_choices()
        self.fields["month"].initial = f"{timezone.localdate():%Y-%m}"
        # htmx refreshes the result as choices change; without JavaScript the Calculate button does it.
        live = {"hx-get": reverse("contributions:calculator"), "hx-trigger": "change", "hx-target": "#quote",
                "hx-select": "#quote", "hx-swap": "outerHTML", "hx-include": "closest form"}
        for field in ("income", "jht", "sector", "funding", "month"):
            self.fields[field].widget.attrs.update(live)

    def month_date(self) -> dt.date:
        year, month = (int(x) for x in self.cleaned_data["month"].split("-"))
        return dt.date(year, month, 1)


class PayForm(forms.Form):
    months = forms.TypedChoiceField(
        label=_("How many months do you want to pay?"), coerce=int, widget=forms.RadioSelect,
        choices=month_count_choices(settings.PAYMENT_MONTH_CHOICES), initial=1,
        error_messages={"required": _("Please choose how many months to pay.")},
    )


# --- auto-debit ----------------------------------------------------------------------------------------------------

AUTODEBIT_ISSUERS = {
    "bank": ["BCA", "BNI", "BRI", "Mandiri", "BSI", "CIMB Niaga", "Permata", "BTN"],
    "ewallet": ["GoPay", "OVO", "DANA", "ShopeePay", "LinkAja"],
}


def _rupiah_amount(text: str) -> int | None:
    """'Rp150.000', '150,000' or '150000' -> 150000; anything else -> None."""
    cleaned = re.sub(r"^\s*rp\.?\s*|[\s.,]", "", text or "", flags=re.I)
    return int(cleaned) if cleaned.isdigit() and len(cleaned) <= 12 else None


class DebitMandateForm(forms.Form):
    """Two steps on one form: the account and maximum, then the consent text with those values (hidden fields
    carry them, so a missing tick loses nothing)."""

    method = forms.ChoiceField(label=_("Pay from"), widget=forms.RadioSelect, initial="bank", choices=[
        ("bank", _("Bank account")), ("ewallet", _("E-wallet"))],
        error_messages={"required": _("Please choose a bank account or an e-wallet.")})
    issuer = forms.ChoiceField(label=_("Bank or e-wallet"), choices=[
        ("", "—"), (_("Bank"), [(n, n) for n in AUTODEBIT_ISSUERS["bank"]]),
        (_("E-wallet"), [(n, n) for n in AUTODEBIT_ISSUERS["ewallet"]])],
        error_messages={"required": _("Please choose your bank or e-wallet.")})
    account = forms.CharField(label=_("Account number, or the e-wallet's phone number"), max_length=30,
                              error_messages={"required": _("Please enter the account number.")})
    max_amount = forms.CharField(label=_("Maximum per month (rupiah)"), max_length=20,
                                 error_messages={"required": _("Please enter the most we may take a month.")})
    consent = forms.BooleanField(required=False)

    def __init__(self, *args, minimum_idr: int, confirming: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.minimum_idr = minimum_idr
        self.confirming = confirming
        self.fields["max_amount"].help_text = _("At least %(min)s, this month's contribution.") % {
            "min": format_idr(minimum_idr)}
        self.fields["max_amount"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})
        self.fields["account"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def clean_max_amount(self) -> int:
        amount = _rupiah_amount(self.cleaned_data["max_amount"])
        if amount is None:
            raise forms.ValidationError(_("Write the amount in numbers, e.g. 150000."))
        if amount < self.minimum_idr:
            raise forms.ValidationError(_("At least %(min)s: less would never pay a month.") % {
                "min": format_idr(self.minimum_idr)})
        if amount > settings.AUTODEBIT_MAX_LIMIT_IDR:
            raise forms.ValidationError(_("At most %(max)s a month.") % {
                "max": format_idr(settings.AUTODEBIT_MAX_LIMIT_IDR)})
        return amount

    def clean(self):
        super().clean()
        data = self.cleaned_data
        method, issuer, account = data.get("method"), data.get("issuer"), data.get("account")
        if method and issuer and issuer not in AUTODEBIT_ISSUERS[method]:
            self.add_error("issuer", _("%(issuer)s is not a bank account: choose e-wallet above, or another bank.")
                           % {"issuer": issuer} if method == "bank" else
                           _("%(issuer)s is not an e-wallet: choose bank account above, or another e-wallet.")
                           % {"issuer": issuer})
        if method and account:
            if method == "ewallet":
                number, error = mobile_number_check(account)
                if error:
                    self.add_error("account", _("An e-wallet is reached by its mobile number, e.g. 0812 3456 7890."))
                else:
                    data["account"] = "0" + number[3:]
            else:
                digits = "".join(ch for ch in account if ch not in " -.")
                if not digits.isdigit() or not 6 <= len(digits) <= 20:
                    self.add_error("account", _("A bank account number has 6 to 20 digits."))
                else:
                    data["account"] = digits
        if self.confirming and not data.get("consent"):
            self.add_error("consent", _("Please tick the box to give your consent, or go back."))
        return data
