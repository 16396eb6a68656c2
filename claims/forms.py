"""Claim forms: filing (worker and heir), adding a document, and the staff review actions. The forms only shape
and check the input; the services decide (and repeat every check that matters)."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, cast

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from claims.form_fields import ACCEPT, _date_field
from claims.models import HEIRS, ClaimStatus, ClaimType, DocumentKind, HeirRelationship
from claims.scholarship_forms import ChildrenFields
from claims.uploads import upload_check
from contributions.forms import AUTODEBIT_ISSUERS
from core.forms import DATE_INPUT_FORMATS

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise  # a lazy translation, to the type checker

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
# The worker files these for their own membership; death claims are filed by an heir.
# (the JKK scholarship too: for the children of a worker left totally disabled by a work accident).
WORKER_TYPES = (ClaimType.JKK_MEDICAL, ClaimType.JKK_TEMPORARY_INCAPACITY, ClaimType.JKK_DISABILITY,
                ClaimType.JKK_SCHOLARSHIP, ClaimType.JHT_AGE, ClaimType.JHT_DISABILITY, ClaimType.JHT_LEAVING,
                ClaimType.JHT_STOPPED, ClaimType.JHT_PARTIAL_PENSION, ClaimType.JHT_PARTIAL_HOUSING)
HEIR_TYPES = (ClaimType.JKM_DEATH, ClaimType.JKK_DEATH, ClaimType.JHT_DEATH, ClaimType.JKM_SCHOLARSHIP,
              ClaimType.JKK_SCHOLARSHIP)
JKK_TYPES = (ClaimType.JKK_MEDICAL, ClaimType.JKK_TEMPORARY_INCAPACITY, ClaimType.JKK_DISABILITY,
             ClaimType.JKK_DEATH)
# Cards are usually photographed on the spot; certificates often exist as PDFs, so no camera hint for them.
CAMERA_KINDS = (DocumentKind.PARTICIPANT_CARD, DocumentKind.KTP, DocumentKind.HEIR_KTP, DocumentKind.BANK_BOOK)

EVENT_DATE_LABELS: dict[str, StrPromise] = {  # by claim type
    ClaimType.JHT_AGE: _("Date you reached retirement age"),
    ClaimType.JHT_DISABILITY: _("Date the disability was established"),
    ClaimType.JKK_SCHOLARSHIP: _("Date the disability was established"),
    ClaimType.JHT_LEAVING: _("Date you leave (or left) Indonesia"),
    ClaimType.JHT_STOPPED: _("Date you stopped working"),
}


def document_field(kind: str, *, help_text: str = "") -> forms.FileField:
    """Optional at filing: a missing document is added later on the claim's page."""
    attrs = {"accept": ACCEPT}
    if kind in CAMERA_KINDS:
        attrs["capture"] = "environment"
    return forms.FileField(label=DocumentKind(kind).label, required=False, help_text=help_text,
                           widget=forms.FileInput(attrs=attrs),
                           error_messages={"required": _("Please choose a photo or PDF of this document."),
                                           "empty": _("This file is empty. Please choose another.")})


def upload_hint() -> str:
    return _("A photo or a PDF, at most %(mb)s MB each.") % {
        "mb": settings.CLAIM_DOCUMENT_MAX_BYTES // (1024 * 1024)}


class BankFields(forms.Form):
    bank_name = forms.ChoiceField(label=_("Bank"), choices=[("", "—")] + [(b, b) for b in AUTODEBIT_ISSUERS["bank"]],
                                  error_messages={"required": _("Please choose the bank.")})
    account_holder = forms.CharField(label=_("Name of the account holder"), max_length=120,
                                     help_text=_("As written in the bank book."),
                                     error_messages={"required": _("Please enter the account holder's name.")})
    account_number = forms.CharField(label=_("Account number"), max_length=30,
                                     error_messages={"required": _("Please enter the account number.")},
                                     widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))

    def clean_account_number(self) -> str:
        digits = re.sub(r"[\s.-]", "", self.cleaned_data["account_number"])
        if not digits.isdigit() or not 6 <= len(digits) <= 20:
            raise forms.ValidationError(_("An account number has 6 to 20 digits, for example 0123456789."))
        return digits

    def bank(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("bank_name", "account_holder", "account_number")}


class DocumentFields(forms.Form):
    """One optional file input per checklist item (missing documents can be added later)."""

    def add_documents(self, entries) -> None:
        """`entries`: claims.documents.ChecklistEntry items (kind, required, note)."""
        self.document_kinds = [entry.kind for entry in entries]
        for entry in entries:
            self.fields[f"doc_{entry.kind}"] = document_field(entry.kind, help_text=entry.note)

    def clean(self):
        # The content check here too, so a refused file's message sits next to its own input.
        super().clean()
        data = self.cleaned_data
        for kind in self.document_kinds:
            upload = data.get(f"doc_{kind}")
            if upload:
                try:
                    upload_check(upload)
                except forms.ValidationError as refused:
                    self.add_error(f"doc_{kind}", refused)
        return data

    def documents(self) -> list[tuple[str, object]]:
        return [(kind, self.cleaned_data[f"doc_{kind}"]) for kind in self.document_kinds
                if self.cleaned_data.get(f"doc_{kind}")]

    def document_fields(self):
        return [self[f"doc_{kind}"] for kind in self.document_kinds]


class EventFields(forms.Form):
    claim_type: str  # set by the form the fields are mixed into
    event_date = _date_field(_("Date of the accident"))
    event_time = forms.TimeField(label=_("Time"), required=False, input_formats=["%H:%M", "%H.%M"],
                                 error_messages={"invalid": _("Please write the time as hours:minutes, e.g. 07:30.")},
                                 widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    event_place = forms.CharField(label=_("Place"), max_length=200, required=False,
                                  help_text=_("Street, village or landmark."))
    event_description = forms.CharField(label=_("What happened"), required=False, max_length=2000,
                                        widget=forms.Textarea(attrs={"rows": 4}))
    commuting = forms.ChoiceField(label=_("Were you on the way to or from work?"), choices=YES_NO,
                                  widget=forms.RadioSelect, required=False)
    traffic_accident = forms.ChoiceField(label=_("Was it a traffic accident?"), choices=YES_NO,
                                         widget=forms.RadioSelect, required=False)

    def setup_event(self, claim_type: str) -> None:
        self.is_accident = claim_type in JKK_TYPES
        if self.is_accident:
            for name in ("event_time", "event_place", "event_description", "commuting", "traffic_accident"):
                self.fields[name].required = True
            self.fields["event_time"].error_messages["required"] = _("Please enter the time, e.g. 07:30.")
            self.fields["event_place"].error_messages["required"] = _("Please say where it happened.")
            self.fields["event_description"].error_messages["required"] = _("Please say briefly what happened.")
            self.fields["commuting"].error_messages["required"] = _("Please answer yes or no.")
            self.fields["traffic_accident"].error_messages["required"] = _("Please answer yes or no.")
        else:
            for name in ("event_time", "event_place", "event_description", "commuting", "traffic_accident"):
                del self.fields[name]
            self.fields["event_date"].label = EVENT_DATE_LABELS.get(claim_type, _("Date of the event"))

    def clean_event_date(self) -> dt.date:
        day = self.cleaned_data["event_date"]
        if day > timezone.localdate() and self.claim_type != ClaimType.JHT_LEAVING:
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day

    def event(self) -> dict:
        """The keys claims.services.claim_file takes."""
        data = self.cleaned_data
        event = {"date": data["event_date"]}
        if self.is_accident:
            event.update(time=data["event_time"], place=data["event_place"], description=data["event_description"],
                         commuting=data["commuting"] == "yes", traffic_accident=data["traffic_accident"] == "yes")
        return event


class WorkerClaimForm(EventFields, BankFields, ChildrenFields, DocumentFields):
    def __init__(self, *args, claim_type: str, document_kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.claim_type = claim_type
        self.setup_event(claim_type)
        self.add_children(claim_type)
        self.add_documents(document_kinds)


def heir_order_help() -> StrPromise:
    return _("Heirs claim in this order: first the husband or wife and the children; if there are none, the "
             "parents; then the grandchildren; then the grandparents; then brothers and sisters; then the "
             "parents-in-law; last, a person named in a will. Claim only if nobody comes before you.")


class HeirFindForm(forms.Form):
    claim_type = forms.ChoiceField(label=_("What do you claim?"), widget=forms.RadioSelect, initial=ClaimType.JKM_DEATH,
                                   choices=[(t.value, t.label) for t in HEIR_TYPES],
                                   help_text=_("A scholarship is for the children at school of a participant who "
                                               "died. The JKM scholarship needs 3 years of membership: the branch "
                                               "checks this."),
                                   error_messages={"required": _("Please choose what you claim.")})
    kpj_or_nik = forms.CharField(label=_("Participant number (KPJ) or NIK of the deceased"), max_length=24,
                                 help_text=_("The 11-digit KPJ on the participant card, or the 16-digit NIK on the "
                                             "KTP."),
                                 error_messages={"required": _("Please enter the KPJ or the NIK.")},
                                 widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    birth_date = forms.DateField(
        label=_("Date of birth of the deceased"), input_formats=DATE_INPUT_FORMATS,
        error_messages={"required": _("Please enter the date of birth."),
                        "invalid": _("Please write the date as day-month-year, for example 17-08-1990.")},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean_kpj_or_nik(self) -> str:
        digits = re.sub(r"[\s.-]", "", self.cleaned_data["kpj_or_nik"])
        if not digits.isdigit() or len(digits) not in (11, 16):
            raise forms.ValidationError(_("A KPJ has 11 digits and a NIK 16 digits."))
        return digits


class HeirClaimForm(EventFields, BankFields, ChildrenFields, DocumentFields):
    heir_name = forms.CharField(label=_("Your full name as on your KTP"), max_length=120,
                                error_messages={"required": _("Please enter your name as written on your KTP.")},
                                widget=forms.TextInput(attrs={"autocomplete": "name"}))
    heir_nik = forms.CharField(label=_("Your NIK (16 digits on your KTP)"), max_length=24,
                               error_messages={"required": _("Please enter your NIK.")},
                               widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    heir_relationship = forms.ChoiceField(label=_("Your relationship to the deceased"),
                                          choices=[("", "—")] + [(r.value, r.label) for r in HEIRS],
                                          error_messages={"required": _("Please choose your relationship.")})

    def __init__(self, *args, claim_type: str, document_kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.claim_type = claim_type
        if claim_type != ClaimType.JHT_DEATH:  # the Balai Harta Peninggalan takes only a JHT balance without heirs
            cast(forms.ChoiceField, self.fields["heir_relationship"]).choices = [
                ("", "—"), *((r.value, r.label) for r in HEIRS if r != HeirRelationship.BHP)]
        self.setup_event(claim_type)
        # JKK death: the event is the work accident that caused it; otherwise the death itself.
        if not self.is_accident:
            self.fields["event_date"].label = _("Date of death")
        else:
            self.fields["commuting"].label = _("Was the participant on the way to or from work?")
        self.fields["heir_relationship"].help_text = heir_order_help()
        self.add_children(claim_type)
        self.add_documents(document_kinds)

    def clean_heir_nik(self) -> str:
        digits = re.sub(r"[\s.-]", "", self.cleaned_data["heir_nik"])
        if not digits.isdigit() or len(digits) != 16:
            raise forms.ValidationError(_("A NIK has 16 digits."))
        return digits

    def heir(self) -> dict:
        return {"name": " ".join(self.cleaned_data["heir_name"].split()), "nik": self.cleaned_data["heir_nik"],
                "relationship": self.cleaned_data["heir_relationship"]}


class DocumentAddForm(forms.Form):
    kind = forms.ChoiceField(choices=DocumentKind.choices, widget=forms.HiddenInput)
    file = forms.FileField(label=_("Photo or PDF"), widget=forms.FileInput(attrs={"accept": ACCEPT}),
                           error_messages={"required": _("Please choose a photo or PDF of this document."),
                                           "empty": _("This file is empty. Please choose another.")})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        upload_check(upload)
        return upload


# --- staff -----------------------------------------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    """GET parameters of the branch queue; a wrong value is ignored rather than an error page."""

    type = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("All types"))] + list(ClaimType.choices))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Open claims"))] + [
        (value, _("Paid out") if value == ClaimStatus.PAID else label)
        for value, label in ClaimStatus.choices])
    age = forms.TypedChoiceField(label=_("Age"), required=False, coerce=int, empty_value=None,
                                 choices=[("", _("Any age")), (3, _("Older than 3 days")),
                                          (7, _("Older than 7 days")), (30, _("Older than 30 days"))])


class DocumentReviewForm(forms.Form):
    document_id: int  # set by the staff view: which document the bound form is about
    verdict = forms.ChoiceField(label=_("This document is"), widget=forms.RadioSelect,
                                choices=[("valid", _("Valid")), ("invalid", _("Not valid: ask for another"))],
                                error_messages={"required": _("Choose valid, or ask for another.")})
    note = forms.CharField(label=_("Note for the claimant"), max_length=300, required=False)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("verdict") == "invalid" and not data.get("note", "").strip():
            self.add_error("note", _("Tell the claimant what is wrong, e.g. the photo is blurred."))
        return data


class DocumentsRequestForm(forms.Form):
    kinds = forms.MultipleChoiceField(label=_("Documents to ask for"), choices=DocumentKind.choices,
                                      widget=forms.CheckboxSelectMultiple,
                                      error_messages={"required": _("Choose at least one document.")})
    note = forms.CharField(label=_("Message to the claimant"), max_length=300,
                           error_messages={"required": _("Please write what the claimant must send.")},
                           widget=forms.Textarea(attrs={"rows": 3}))


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the rejection"), max_length=1000,
                             help_text=_("The claimant reads this: write it plainly."),
                             error_messages={"required": _("A rejection needs a reason.")},
                             widget=forms.Textarea(attrs={"rows": 3}))


class PayoutForm(forms.Form):
    transfer_reference = forms.CharField(label=_("Transfer reference"), max_length=60,
                                         error_messages={"required": _("Please enter the bank's transfer reference.")})
    paid_on = _date_field(_("Date of the transfer"))

    def clean_paid_on(self) -> dt.date:
        day = self.cleaned_data["paid_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day
