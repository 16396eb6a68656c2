"""One page to register someone else (sponsors, agents): the self-registration forms on a single page."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.forms import Form

from enrollment.forms import AddressForm, ContributionForm, IdentityForm, speak_about_worker
from members.services import RegistrationData


@dataclass
class OnBehalfForms:
    identity: IdentityForm
    address: AddressForm
    contribution: ContributionForm
    contact: Form

    @property
    def all(self) -> tuple[Form, ...]:
        return (self.identity, self.address, self.contribution, self.contact)

    def is_valid(self) -> bool:
        return all([form.is_valid() for form in self.all])  # every form validated, so every error shows

    def data(self) -> RegistrationData:
        i, a = self.identity.cleaned_data, self.address.cleaned_data
        c, e = self.contribution.cleaned_data, self.contact.cleaned_data
        return RegistrationData(
            nik=i["nik"], full_name=i["full_name"], birth_place=i["birth_place"], birth_date=i["birth_date"],
            gender=i["gender"], phone=str(e["phone"]), village_code=a["village"], address_line=a["address_line"],
            occupation_code=a["occupation"], income_base_idr=c["income_base_idr"],
            programs=["JKK", "JKM"] + (["JHT"] if c["jht"] else []), consent=e["consent"],
            ecosystem=a.get("ecosystem") or "",
        )

    def add_service_errors(self, exc: ValidationError) -> list[str]:
        """Puts a service's field errors next to their fields; returns the ones no form owns."""
        leftover = []
        for field, errors in exc.message_dict.items():
            owner = next((form for form in self.all if field in form.fields), None)
            for error in errors:
                if owner is None:
                    leftover.append(error)
                else:
                    owner.add_error(field, error)
        return leftover

    def context(self) -> dict:
        return {"identity": self.identity, "address": self.address, "contribution": self.contribution,
                "extra": self.contact}


def on_behalf_forms(*, contact_class: type[Form], refresh_url: str, data=None, initial=None,
                    check_registered: bool = True, ask_ecosystem: bool = True) -> OnBehalfForms:
    """`data` binds the forms (a submit); `initial` refills them (the address lists were refreshed)."""
    forms = OnBehalfForms(
        identity=IdentityForm(data, initial=initial, check_registered=check_registered, about_worker=True),
        address=AddressForm(data, initial=initial, refresh_url=refresh_url, ask_ecosystem=ask_ecosystem),
        contribution=ContributionForm(data, initial=initial),
        contact=contact_class(data, initial=initial),
    )
    speak_about_worker(forms.address)  # the person filling it in is not the worker
    speak_about_worker(forms.contribution)
    return forms
