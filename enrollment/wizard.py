"""The registration steps keep their answers in the session, so back/forward and a dropped connection lose nothing.

Each step stores the raw answers as typed; a step counts as done when its form accepts them. The NIK is kept
encrypted in the session as everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms

from core.nik import nik_decrypt, nik_encrypt
from enrollment.forms import AddressForm, ConsentForm, ContributionForm, IdentityForm

SESSION_KEY = "registration"


@dataclass(frozen=True)
class Step:
    name: str
    url_name: str
    form_class: type[forms.Form]


STEPS = [
    Step("identity", "enrollment:identity", IdentityForm),
    Step("address", "enrollment:address", AddressForm),
    Step("contribution", "enrollment:contribution", ContributionForm),
    Step("review", "enrollment:review", ConsentForm),
]
STEP_BY_NAME = {s.name: s for s in STEPS}


def answers(session, step: str) -> dict:
    raw = dict(session.get(SESSION_KEY, {}).get(step, {}))
    if step == "identity" and raw.get("nik"):
        raw["nik"] = nik_decrypt(raw["nik"])
    return raw


def save_answers(session, step: str, data) -> None:
    form_fields = STEP_BY_NAME[step].form_class.base_fields
    raw = {k: data.get(k, "") for k in form_fields if k in data}
    if step == "identity" and raw.get("nik"):
        raw["nik"] = nik_encrypt(raw["nik"])
    store = session.get(SESSION_KEY, {})
    store[step] = raw
    session[SESSION_KEY] = store


def bound_form(session, step: str):
    raw = answers(session, step)
    return STEP_BY_NAME[step].form_class(data=raw) if raw else None


def first_incomplete(session, upto: str) -> Step | None:
    """The first step before `upto` whose stored answers are missing or no longer valid."""
    for step in STEPS:
        if step.name == upto:
            return None
        form = bound_form(session, step.name)
        if form is None or not form.is_valid():
            return step
    return None


def clear(session) -> None:
    session.pop(SESSION_KEY, None)


def neighbours(step: str) -> tuple[Step | None, Step | None]:
    i = [s.name for s in STEPS].index(step)
    return (STEPS[i - 1] if i > 0 else None, STEPS[i + 1] if i + 1 < len(STEPS) else None)
