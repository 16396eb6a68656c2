from collections import defaultdict
from typing import cast

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from core.choices import Gender, Sector
from core.forms import DATE_INPUT_FORMATS
from core.money import format_idr
from core.text import plain_text_validator
from members.models import Occupation, Relationship
from members.services import identity_errors, nik_is_registered
from reference.models import Ecosystem, RegionLevel
from reference.selectors import region_children
from reference.tariffs import income_bases


class IdentityForm(forms.Form):
    nik = forms.CharField(
        label=_("NIK (16 digits on your KTP)"),
        max_length=24,
        error_messages={"required": _("Please enter your NIK.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    full_name = forms.CharField(
        label=_("Full name as on your KTP"),
        max_length=120, validators=[plain_text_validator],
        error_messages={"required": _("Please enter your name as written on your KTP.")},
        widget=forms.TextInput(attrs={"autocomplete": "name", "autocapitalize": "characters"}),
    )
    birth_place = forms.CharField(
        label=_("Place of birth"),
        max_length=80, validators=[plain_text_validator],
        error_messages={"required": _("Please enter your place of birth.")},
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        input_formats=DATE_INPUT_FORMATS,
        help_text=_("As on your KTP, for example 17-08-1990"),
        error_messages={"required": _("Please enter your date of birth."),
                        "invalid": _("Please write the date as day-month-year, for example 17-08-1990.")},
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )
    gender = forms.ChoiceField(
        label=_("Gender"),
        choices=Gender.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose your gender.")},
    )

    def __init__(self, *args, check_registered: bool = True, about_worker: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.about_worker = about_worker
        if about_worker:
            speak_about_worker(self)
        self.warnings: list[str] = []
        self.nik_registered = False
        # Sponsors may name an existing member: that becomes a request the member confirms, not an error.
        self.check_registered = check_registered

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("nik"):
            digits = "".join(ch for ch in data["nik"] if ch.isdigit())
            errors, self.warnings = identity_errors(
                nik=data["nik"], birth_date=data.get("birth_date"), gender=data.get("gender"),
                check_registered=self.check_registered, about_worker=self.about_worker,
            )
            self.nik_registered = "nik" in errors and len(digits) == 16 and nik_is_registered(digits)
            if "nik" not in errors:
                data["nik"] = digits
            for field, messages in errors.items():
                for message in messages:
                    self.add_error(field, message)
        return data


# Registering someone else (a sponsor, an agent): the same fields, spoken about the worker, never to "you".
# field -> (label, help text or None to keep, the message when it is left empty)
ABOUT_WORKER = {
    "nik": (_("Worker's NIK (16 digits on their KTP)"), None, _("Please enter the worker's NIK.")),
    "full_name": (_("Worker's full name as on their KTP"), None,
                  _("Please enter the worker's name as written on their KTP.")),
    "birth_place": (_("Worker's place of birth"), None, _("Please enter the worker's place of birth.")),
    "birth_date": (_("Worker's date of birth"), _("As on the worker's KTP, for example 17-08-1990"),
                   _("Please enter the worker's date of birth.")),
    "gender": (_("Worker's gender"), None, _("Please choose the worker's gender.")),
    "province": (None, None, _("Please choose the worker's province.")),
    "regency": (None, None, _("Please choose the worker's regency or city.")),
    "district": (None, None, _("Please choose the worker's district.")),
    "village": (None, None, _("Please choose the worker's village.")),
    "address_line": (_("Worker's street, house number, RT/RW"), None, _("Please enter the worker's street address.")),
    "occupation": (_("Worker's occupation"), None, _("Please choose the worker's occupation.")),
    "ecosystem": (_("Where does the worker mostly work?"),
                  _("It helps us reach workers like them. If you are not sure, keep the first choice: their "
                    "occupation decides."), None),
    "income_base_idr": (_("Worker's declared monthly income"),
                        _("Choose the amount closest to what the worker earns in a month. Contributions are "
                          "calculated from it."), _("Please choose the worker's monthly income.")),
}


def speak_about_worker(form: forms.Form) -> None:
    """Rewords a registration form for someone registering a worker (labels, hints, the empty-field message)."""
    for name, (label, help_text, required) in ABOUT_WORKER.items():
        field = form.fields.get(name)
        if field is None:
            continue
        if label is not None:
            field.label = label
        if help_text is not None:
            field.help_text = help_text
        if required is not None:
            field.error_messages = {**field.error_messages, "required": required}
    occupation = form.fields.get("occupation")
    if isinstance(occupation, forms.ChoiceField) and occupation.choices:
        occupation.choices = [("", _("Choose the worker's occupation")), *occupation_choices()[1:]]


class ClaimForm(forms.Form):
    """Claiming a membership someone else registered: the NIK and date of birth, as on the KTP."""

    nik = forms.CharField(
        label=_("NIK (16 digits on your KTP)"), max_length=24,
        error_messages={"required": _("Please enter your NIK.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"), input_formats=DATE_INPUT_FORMATS,
        help_text=_("As on your KTP, for example 17-08-1990"),
        error_messages={"required": _("Please enter your date of birth."),
                        "invalid": _("Please write the date as day-month-year, for example 17-08-1990.")},
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )

    def clean_nik(self):
        digits = "".join(ch for ch in self.cleaned_data["nik"] if ch.isdigit())
        if len(digits) != 16:
            raise forms.ValidationError(_("NIK must be exactly 16 digits."))
        return digits


def _region_choices(parent_code, placeholder):
    return [("", placeholder)] + [(r.code, r.name) for r in region_children(parent_code=parent_code)]


def ecosystem_options() -> list[tuple[str, str, str]]:
    return [(e.code, e.name, e.description) for e in Ecosystem.objects.filter(active=True)]


def occupation_choices():
    groups = defaultdict(list)
    for occ in Occupation.objects.filter(active=True):
        groups[occ.sector].append((occ.code, occ.name))
    return [("", _("Choose your occupation"))] + [
        (Sector(sector).label, options) for sector, options in groups.items()
    ]


class AddressForm(forms.Form):
    """Province → regency → district → village. Each list depends on the one above it."""

    province = forms.ChoiceField(label=_("Province"), error_messages={"required": _("Please choose your province.")})
    regency = forms.ChoiceField(label=_("Regency / city"),
                                error_messages={"required": _("Please choose your regency or city.")})
    district = forms.ChoiceField(label=_("District (kecamatan)"),
                                 error_messages={"required": _("Please choose your district.")})
    village = forms.ChoiceField(label=_("Village (kelurahan/desa)"),
                                error_messages={"required": _("Please choose your village.")})
    address_line = forms.CharField(
        label=_("Street, house number, RT/RW"),
        max_length=200, validators=[plain_text_validator],
        error_messages={"required": _("Please enter your street address.")},
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    occupation = forms.ChoiceField(label=_("Occupation"),
                                   error_messages={"required": _("Please choose your occupation.")})
    ecosystem = forms.ChoiceField(
        label=_("Where do you mostly work?"), required=False, widget=forms.RadioSelect,
        help_text=_("It helps us reach workers like you. If you are not sure, keep the first choice: your "
                    "occupation decides."),
    )

    LEVELS = (("province", None), ("regency", "province"), ("district", "regency"), ("village", "district"))

    def __init__(self, *args, refresh_url: str | None = None, ask_ecosystem: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if ask_ecosystem:
            ecosystem = cast(forms.ChoiceField, self.fields["ecosystem"])
            ecosystem.choices = [("", _("Not sure: decide from my occupation"))] + [
                (code, f"{name}: {description}" if description else name)
                for code, name, description in ecosystem_options()]
        else:  # agents register market traders: the ecosystem follows from that
            del self.fields["ecosystem"]
        refresh_url = refresh_url or reverse("enrollment:address")
        values = self.data if self.is_bound else self.initial
        placeholders = {
            "province": _("Choose a province"),
            "regency": _("Choose a regency or city"),
            "district": _("Choose a district"),
            "village": _("Choose a village"),
        }
        parent_value = None
        for name, parent in self.LEVELS:
            if parent is None:
                choices = _region_choices(None, placeholders[name])
            elif parent_value:
                choices = _region_choices(parent_value, placeholders[name])
            else:
                choices = [("", _("Choose the one above first"))]
            cast(forms.ChoiceField, self.fields[name]).choices = choices
            current = values.get(name) or ""
            # A value that no longer belongs under its parent (parent changed) is dropped.
            parent_value = current if current in {c for c, _label in choices if c} else None
            if not parent_value and not self.is_bound:
                self.initial[name] = ""
            # htmx re-renders the address lists in place; without JS the "Show next list" button does the same.
            self.fields[name].widget.attrs.update(
                {"data-level": name, "hx-post": refresh_url, "hx-trigger": "change"}
            )
        cast(forms.ChoiceField, self.fields["occupation"]).choices = occupation_choices()

    def clean(self):
        super().clean()
        data = self.cleaned_data
        village = data.get("village") or ""
        district = data.get("district") or ""
        if village and district and not village.startswith(district + "."):
            self.add_error("village", _("This village is not in the chosen district."))
        return data

    @property
    def village_level(self):
        return RegionLevel.VILLAGE


class ContributionForm(forms.Form):
    income_base_idr = forms.TypedChoiceField(
        label=_("Declared monthly income"),
        coerce=int,
        help_text=_("Choose the amount closest to what you earn in a month. Contributions are calculated from it."),
        error_messages={"required": _("Please choose your monthly income."),
                        "invalid_choice": _("Please choose an income from the list.")},
    )
    jht = forms.BooleanField(
        label=_("Add old-age savings (JHT), 2% of the declared income"),
        required=False,
        help_text=_("Savings you receive back at age 56, or earlier in some cases."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["income_base_idr"]).choices = [("", _("Choose an amount"))] + [
            (amount, format_idr(amount)) for amount in income_bases()
        ]


class ConsentForm(forms.Form):
    consent = forms.BooleanField(
        label=_("I agree that BPJS Ketenagakerjaan processes my personal data to register and protect me, "
                "as described above."),
        error_messages={"required": _("Please tick the box to give your consent. We cannot register you without it.")},
    )


class SponsorForm(forms.Form):
    name = forms.CharField(label=_("Your name, as workers know you"), max_length=120,
                           error_messages={"required": _("Please enter your name.")})


class WorkerContactForm(forms.Form):
    """What someone registering a worker adds to the worker's identity, address and contribution answers."""

    phone = PhoneNumberField(
        label=_("Worker's mobile number"), region="ID",
        help_text=_("The worker signs in with it to see their card. Example: 0812 3456 7890"),
        error_messages={"invalid": _("Please enter an Indonesian mobile number, for example 0812 3456 7890."),
                        "required": _("Please enter the worker's mobile number.")},
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    consent = forms.BooleanField(
        label=_("The worker agrees to be registered and to BPJS Ketenagakerjaan processing their data."),
        error_messages={"required": _("Please confirm that the worker agrees.")},
    )


class SponsorWorkerForm(WorkerContactForm):
    relationship = forms.ChoiceField(label=_("The worker is your"), choices=Relationship.choices,
                                     widget=forms.RadioSelect,
                                     error_messages={"required": _("Please choose how you know the worker.")})


class SponsorPayForm(forms.Form):
    members = forms.TypedMultipleChoiceField(coerce=int, label=_("Workers"),
                                             error_messages={"required": _("Please choose at least one worker.")})
    months = forms.TypedChoiceField(label=_("Months for each"), coerce=int, widget=forms.RadioSelect,
                                    choices=[(1, 1), (3, 3), (6, 6), (12, 12)], initial=1)

    def __init__(self, *args, member_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["members"]).choices = [(pk, pk) for pk in member_ids]


class MessagePreferencesForm(forms.Form):
    """How a member (or sponsor) hears from the portal. Email needs an address; SMS is the fallback anyway."""

    notify_channel = forms.ChoiceField(label=_("Send messages by"), widget=forms.RadioSelect,
                                       choices=[("sms", "SMS"), ("whatsapp", "WhatsApp"), ("email", _("Email"))])
    email = forms.EmailField(label=_("Email address"), required=False,
                             help_text=_("Needed only for messages by email."))
    language = forms.ChoiceField(label=_("Language of messages"), widget=forms.RadioSelect,
                                 choices=settings.LANGUAGES)
    reminders_opt_out = forms.BooleanField(
        label=_("Do not send me payment reminders"), required=False,
        help_text=_("We will still tell you if your membership stops, because the law requires it."))

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("notify_channel") == "email" and not data.get("email"):
            self.add_error("email", _("Please enter your email address, or choose SMS or WhatsApp."))
        return data
