"""Scholarship forms: the children at filing, then the school years after the claim (the heir's certificate and
end of the scholarship; staff's check, transfer and end)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from claims.form_fields import ACCEPT, _date_field
from claims.models import SCHOLARSHIP_TYPES, RuleKind, ScholarshipEndReason, SchoolLevel
from claims.selectors import ReferenceDataMissing, benefit_rule, scholarship_levels
from claims.services.scholarships import END_BY_HEIR
from claims.uploads import upload_check

NOT_AT_SCHOOL = "none"
CHILD_PARTS = ("name", "birth", "nik", "level", "year")


class ChildrenFields(forms.Form):
    """Scholarships: the children, a fixed fieldset per child the rule pays for (no JavaScript)."""

    def add_children(self, claim_type: str) -> None:
        """Scholarships: a fixed fieldset per child the rule pays for (no JavaScript); only the first is required."""
        self.child_numbers: list[int] = []
        if claim_type not in SCHOLARSHIP_TYPES:
            return
        today = timezone.localdate()
        try:
            count = benefit_rule(kind=RuleKind.SCHOLARSHIP_MAX_CHILDREN, on=today).quantity or 1
            self.level_years = {row.level: row.years for row in scholarship_levels(on=today)}
        except ReferenceDataMissing:
            count, self.level_years = 1, {}
        most = max(self.level_years.values(), default=1)
        self.child_numbers = list(range(1, count + 1))
        for n in self.child_numbers:
            self.fields[f"child_{n}_name"] = forms.CharField(
                label=_("Child's full name"), max_length=120, required=False,
                widget=forms.TextInput(attrs={"autocomplete": "off"}))
            self.fields[f"child_{n}_birth"] = _date_field(_("Child's date of birth"), required=False)
            self.fields[f"child_{n}_nik"] = forms.CharField(
                label=_("Child's NIK"), max_length=20, required=False,
                help_text=_("16 digits, on the family card (KK)."),
                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
            self.fields[f"child_{n}_level"] = forms.ChoiceField(
                label=_("School level now"), required=False,
                choices=[("", "—")] + list(SchoolLevel.choices) + [(NOT_AT_SCHOOL, _("Not at school yet"))])
            self.fields[f"child_{n}_year"] = forms.TypedChoiceField(
                label=_("Year in that level"), required=False, coerce=int, empty_value=None,
                choices=[("", "—")] + [(y, str(y)) for y in range(1, most + 1)],
                help_text=_("E.g. 2 for the second year of junior high school. Empty if not at school yet."))

    def child_groups(self):
        """(number, [fields]) per child fieldset, for the template."""
        return [(n, [self[f"child_{n}_{part}"] for part in CHILD_PARTS]) for n in self.child_numbers]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        for n in getattr(self, "child_numbers", []):
            keys = {part: f"child_{n}_{part}" for part in CHILD_PARTS}
            name = " ".join((data.get(keys["name"]) or "").split())
            if n > 1 and not any(data.get(k) for k in keys.values()) and not any(k in self.errors
                                                                                  for k in keys.values()):
                continue  # an optional child left empty
            level, year = data.get(keys["level"]), data.get(keys["year"])
            required = {"name": (name, _("Please enter the child's name.")),
                        "birth": (data.get(keys["birth"]), _("Please enter the child's date of birth.")),
                        "nik": (data.get(keys["nik"]), _("Please enter the child's NIK.")),
                        "level": (level, _("Please choose the school level."))}
            for part, (value, message) in required.items():
                if not value and keys[part] not in self.errors:
                    self.add_error(keys[part], message)
            if level == NOT_AT_SCHOOL:
                continue
            if not year and keys["year"] not in self.errors:
                self.add_error(keys["year"], _("Please choose the year in that level."))
            elif level and year and level in self.level_years and year > self.level_years[level]:
                self.add_error(keys["year"], _("%(level)s has %(years)s years: choose 1 to %(years)s.") % {
                    "level": SchoolLevel(level).label, "years": self.level_years[level]})
        return data

    def children(self) -> list[dict]:
        """The `children` claims.services.claim_file takes, in the order given."""
        children = []
        for n in self.child_numbers:
            name = " ".join((self.cleaned_data.get(f"child_{n}_name") or "").split())
            if name:
                level = self.cleaned_data[f"child_{n}_level"]
                at_school = level != NOT_AT_SCHOOL
                children.append({"name": name, "level": level if at_school else "",
                                 "year_in_level": self.cleaned_data[f"child_{n}_year"] if at_school else 1,
                                 "birth_date": self.cleaned_data[f"child_{n}_birth"],
                                 "nik": self.cleaned_data[f"child_{n}_nik"]})
        return children

    def details(self) -> dict | None:
        return {"children": self.children()} if self.child_numbers else None


class YearSubmitForm(forms.Form):
    level = forms.ChoiceField(label=_("School level this school year"), choices=[("", "—")] + list(SchoolLevel.choices),
                              error_messages={"required": _("Choose the school level your child is in.")})
    file = forms.FileField(label=_("School certificate (photo or PDF)"),
                           help_text=_("A letter from the school that your child is a pupil or student this year."),
                           widget=forms.FileInput(attrs={"accept": ACCEPT}),
                           error_messages={"required": _("Please choose a photo or PDF of the school certificate."),
                                           "empty": _("This file is empty. Please choose another.")})
    declared = forms.BooleanField(
        label=_("My child has not married and has not started working."), required=True,
        error_messages={"required": _("Confirm this, or tell us below that your child married or started working.")})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        upload_check(upload)
        return upload


class HeirEndForm(forms.Form):
    reason = forms.ChoiceField(label=_("What happened"), widget=forms.RadioSelect,
                               choices=[(r.value, r.label) for r in ScholarshipEndReason if r in END_BY_HEIR],
                               error_messages={"required": _("Choose what happened.")})
    confirm = forms.BooleanField(label=_("I understand the scholarship for this child stops for good."),
                                 error_messages={"required": _("Tick this to stop the scholarship.")})


class YearReviewForm(forms.Form):
    verdict = forms.ChoiceField(label=_("The school certificate is"), widget=forms.RadioSelect,
                                choices=[("valid", _("Valid: release the payment")),
                                         ("invalid", _("Not valid: the heir sends another"))],
                                error_messages={"required": _("Choose valid or not valid.")})
    note = forms.CharField(label=_("Note for the heir"), max_length=300, required=False)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("verdict") == "invalid" and not data.get("note", "").strip():
            self.add_error("note", _("Tell the heir what is wrong, e.g. the year on the letter is wrong."))
        return data


class YearPayForm(forms.Form):
    transfer_reference = forms.CharField(label=_("Transfer reference"), max_length=60,
                                         error_messages={"required": _("Please enter the bank's transfer reference.")})


class StaffEndForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", "—")] + list(ScholarshipEndReason.choices),
                               error_messages={"required": _("Choose the reason.")})
    note = forms.CharField(label=_("Note"), max_length=255,
                           error_messages={"required": _("Write what the branch knows, e.g. the marriage date.")})
