import datetime as dt

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from contributions.duedates import add_months
from contributions.tariffs import income_bases
from core.choices import FundingSource, Sector
from core.money import format_idr


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
        self.fields["income"].choices = [(a, format_idr(a)) for a in income_bases()]
        self.fields["month"].choices = _month_choices()
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
        choices=[(n, n) for n in settings.PAYMENT_MONTH_CHOICES], initial=1,
        error_messages={"required": _("Please choose how many months to pay.")},
    )
