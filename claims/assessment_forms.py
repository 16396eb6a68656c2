"""What staff read in the documents of a JKK claim before it is calculated (claims.benefits_jkk): the disability the
doctor's statement gives, the periods of incapacity, the invoices and receipts. Fixed rows, no JavaScript; each
form's `assessment()` is what claims.services.claim_verify takes."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from claims.benefits_jkk import COST_KINDS
from claims.form_fields import _date_field
from claims.models import ClaimType
from claims.selectors import disability_rates
from contributions.forms import _rupiah_amount

PARTS, PERIODS, COSTS = 3, 3, 8
COST_LABELS = {
    "medical": _("Medical care (hospital, clinic, medicines)"),
    "transport_land": _("Transport by land, river or lake"),
    "transport_sea": _("Transport by sea"),
    "transport_air": _("Transport by air"),
    "home_care": _("Home care"),
    "orthosis": _("Orthosis or prosthesis (rehabilitation-centre price)"),
}


class _Assessment(forms.Form):
    groups: list[tuple[str, list[str]]]

    def __init__(self, *args, event_date: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.event_date = event_date

    def assessment(self) -> dict:
        raise NotImplementedError

    def field_groups(self):
        """(legend, bound fields) per fieldset, for the template."""
        return [(legend, [self[name] for name in names]) for legend, names in self.groups]


class DisabilityForm(_Assessment):
    disability = forms.ChoiceField(
        label=_("The doctor's statement gives"), widget=forms.RadioSelect,
        choices=[("total", _("Total permanent disability")), ("partial", _("Partial disability (parts of the body)")),
                 ("functional", _("Loss of function of parts of the body"))],
        error_messages={"required": _("Choose the kind of disability.")})

    def __init__(self, *args, event_date: dt.date, **kwargs):
        super().__init__(*args, event_date=event_date, **kwargs)
        rows = disability_rates(on=event_date)
        choices = [("", "—")] + [(code, f"{row.label} ({row.percent.normalize():f} %)") for code, row in rows.items()]
        self.groups = [("", ["disability"])]
        for n in range(1, PARTS + 1):
            self.fields[f"part_{n}"] = forms.ChoiceField(label=_("Part of the body (PP 44/2015 table)"),
                                                         choices=choices, required=False)
            self.fields[f"lost_{n}"] = forms.IntegerField(
                label=_("Function lost (%)"), min_value=1, max_value=100, required=False,
                help_text=_("Only for loss of function, as the doctor states it."))
            self.groups.append((str(_("Part %(n)s") % {"n": n}), [f"part_{n}", f"lost_{n}"]))

    def clean(self):
        data = self.cleaned_data
        super().clean()
        kind = data.get("disability")
        if kind in ("partial", "functional"):
            chosen = [n for n in range(1, PARTS + 1) if data.get(f"part_{n}")]
            if not chosen:
                self.add_error("part_1", _("Choose the part of the body from the table."))
            for n in chosen:
                if kind == "functional" and not data.get(f"lost_{n}"):
                    self.add_error(f"lost_{n}", _("Give the share of function lost."))
        return data

    def assessment(self) -> dict:
        data = self.cleaned_data
        if data["disability"] == "total":
            return {"disability": "total"}
        parts = []
        for n in range(1, PARTS + 1):
            if data.get(f"part_{n}"):
                part: dict = {"code": data[f"part_{n}"]}
                if data["disability"] == "functional":
                    part["lost_percent"] = data[f"lost_{n}"]
                parts.append(part)
        return {"disability": data["disability"], "parts": parts}


class IncapacityForm(_Assessment):
    def __init__(self, *args, event_date: dt.date, **kwargs):
        super().__init__(*args, event_date=event_date, **kwargs)
        self.groups = []
        for n in range(1, PERIODS + 1):
            self.fields[f"period_{n}_start"] = _date_field(_("Unable to work from"), required=False)
            self.fields[f"period_{n}_end"] = _date_field(_("Until (last day)"), required=False)
            self.groups.append((str(_("Period %(n)s in the doctor's statement") % {"n": n}),
                                [f"period_{n}_start", f"period_{n}_end"]))

    def clean(self):
        data = self.cleaned_data
        super().clean()
        filled = 0
        for n in range(1, PERIODS + 1):
            start, end = data.get(f"period_{n}_start"), data.get(f"period_{n}_end")
            if start and end:
                filled += 1
                if end < start:
                    self.add_error(f"period_{n}_end", _("The last day is before the first."))
            elif start or end:
                self.add_error(f"period_{n}_end" if start else f"period_{n}_start", _("Give both days."))
        if not filled and not self.errors:
            self.add_error("period_1_start", _("Give the period of incapacity from the doctor's statement."))
        return data

    def assessment(self) -> dict:
        data = self.cleaned_data
        return {"periods": [{"start": data[f"period_{n}_start"].isoformat(), "end": data[f"period_{n}_end"].isoformat()}
                            for n in range(1, PERIODS + 1) if data.get(f"period_{n}_start")]}


class CostsForm(_Assessment):
    def __init__(self, *args, event_date: dt.date, **kwargs):
        super().__init__(*args, event_date=event_date, **kwargs)
        self.groups = []
        for n in range(1, COSTS + 1):
            self.fields[f"cost_{n}_kind"] = forms.ChoiceField(
                label=_("Kind"), required=False, choices=[("", "—")] + [(k, COST_LABELS[k]) for k in COST_KINDS])
            self.fields[f"cost_{n}_amount"] = forms.CharField(
                label=_("Amount on the invoice (rupiah)"), max_length=20, required=False,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
            self.fields[f"cost_{n}_year"] = forms.IntegerField(label=_("Year (home care)"), required=False,
                                                               min_value=event_date.year, max_value=event_date.year + 5)
            self.fields[f"cost_{n}_reference"] = forms.CharField(label=_("Invoice or receipt number"), max_length=60,
                                                                 required=False)
            self.groups.append((str(_("Invoice %(n)s") % {"n": n}),
                                [f"cost_{n}_kind", f"cost_{n}_amount", f"cost_{n}_year", f"cost_{n}_reference"]))

    def clean(self):
        data = self.cleaned_data
        super().clean()
        rows = 0
        for n in range(1, COSTS + 1):
            kind, raw = data.get(f"cost_{n}_kind"), (data.get(f"cost_{n}_amount") or "").strip()
            if not kind and not raw:
                continue
            rows += 1
            if not kind:
                self.add_error(f"cost_{n}_kind", _("Choose what the invoice is for."))
            amount = _rupiah_amount(raw) if raw else None
            if amount is None or amount <= 0:
                self.add_error(f"cost_{n}_amount", _("Write the amount in numbers, e.g. 2500000."))
            else:
                data[f"cost_{n}_amount"] = amount
            if kind == "home_care" and not data.get(f"cost_{n}_year"):
                self.add_error(f"cost_{n}_year", _("Give the year of the home care."))
        if not rows and not self.errors:
            self.add_error("cost_1_kind", _("Enter the invoices and receipts the claim pays."))
        return data

    def assessment(self) -> dict:
        data, costs = self.cleaned_data, []
        for n in range(1, COSTS + 1):
            if data.get(f"cost_{n}_kind"):
                row = {"kind": data[f"cost_{n}_kind"], "amount_idr": data[f"cost_{n}_amount"],
                       "reference": data.get(f"cost_{n}_reference", "")}
                if row["kind"] == "home_care":
                    row["year"] = data[f"cost_{n}_year"]
                costs.append(row)
        return {"costs": costs}


FORMS: dict[str, type[_Assessment]] = {ClaimType.JKK_DISABILITY: DisabilityForm,
                                       ClaimType.JKK_TEMPORARY_INCAPACITY: IncapacityForm,
                                       ClaimType.JKK_MEDICAL: CostsForm}


def assessment_form(claim, data=None) -> _Assessment | None:
    """The form for what staff read in this claim's documents; None for a claim calculated from the records."""
    form_class = FORMS.get(claim.claim_type)
    return form_class(data, event_date=claim.event_date, prefix="assess") if form_class else None
