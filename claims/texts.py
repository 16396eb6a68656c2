"""The words of a benefit breakdown, kept as a code and its parameters and rendered in the reader's language.

A breakdown is calculated once, by the staff member who verifies the claim, and read later by the heir, a
supervisor and auditors, each in their own language. So a stored line holds `{"code": …, "params": {…}}`, never
the sentence: an English-speaking supervisor no longer leaves English lines on an heir's Indonesian page. Rupiah
parameters are stored as integers and formatted when read. Breakdowns stored before this kept their sentences;
they are shown as they were written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from claims.models import SchoolLevel
from core.money import format_idr

TEXTS = {
    "jkm_early_death": _("Death benefit in the first months of membership"),
    "lump_sum": _("Lump sum"),
    "periodic": _("Periodic benefit (24 months, paid at once)"),
    "funeral": _("Funeral costs"),
    "income_multiple": _("%(multiple)s × declared monthly income %(income)s"),
    "income_multiple_floor": _("At least the JKM lump sum (%(multiple)s × income is %(amount)s)"),
    "multiple_provisional": _("The multiple is provisional: sources disagree."),
    "children_refused": _("%(name)s: refused, scholarships are paid for %(count)s children at most."),
    "scholarship_capped": _("Capped at the scholarship total of %(cap)s."),
    "not_at_school": _("%(name)s is not at school yet: paid from the school year they start, on a school certificate."),
    "school_age_limit": _("%(name)s reaches the age limit of %(age)s: no later school years."),
    "scholarship_yearly": _("Later school years are paid one year at a time, each after the school certificate "
                            "is checked."),
    "disability_part": _("%(part)s: %(percent)s %% × %(multiple)s × declared monthly income %(income)s"),
    "disability_functional": _("%(part)s: %(lost)s %% of the function lost × %(percent)s %% × %(multiple)s × "
                               "declared monthly income %(income)s"),
    "disability_provisional": _("The table's row for %(part)s is provisional: check it against PP 44/2015."),
    "disability_ceiling": _("The parts together, at most %(multiple)s × declared monthly income %(income)s"),
    "disability_ceiling_note": _("The parts add up to more than total permanent disability pays: capped."),
    "stmb_full": _("%(start)s to %(end)s: %(days)s days at %(percent)s %% of %(income)s a month"),
    "stmb_later": _("%(start)s to %(end)s: %(days)s days at %(percent)s %% of %(income)s a month (after the first "
                    "months)"),
    "stmb_days": _("A month's income covers %(days)s days."),
    "cost_medical": _("Medical care, invoices: %(count)s"),
    "cost_no_ceiling": _("PP 82/2019: medical care as needed, no ceiling"),
    "cost_transport_land": _("Transport by land, river or lake (%(amount)s, at most %(cap)s)"),
    "cost_transport_sea": _("Transport by sea (%(amount)s, at most %(cap)s)"),
    "cost_transport_air": _("Transport by air (%(amount)s, at most %(cap)s)"),
    "cost_home_care": _("Home care in %(year)s (%(amount)s, at most %(cap)s a year)"),
    "cost_capped": _("Invoices of %(amount)s: %(paid)s paid, the cap is %(cap)s."),
    "cost_orthosis": _("Orthosis or prosthesis: rehabilitation-centre price %(amount)s × %(multiple)s"),
    "jht_none": _("No JHT contributions were paid."),
    "jht_contributions": _("JHT contributions paid (%(count)s months)"),
    "jht_returns": _("Returns %(year)s at %(percent)s %% a year"),
    "jht_rate_by_admin": _("JHT return rate set by an admin"),
    "jht_rates_provisional": _("Provisional return rates: %(years)s."),
    "jht_contributions_less_partial": _("JHT contributions paid (%(count)s months) less the partial withdrawal "
                                        "%(number)s of %(amount)s paid on %(day)s"),
    "jht_partial_from_returns": _("The partial withdrawal is larger than the contributions: %(amount)s of it is "
                                  "taken from the earliest returns."),
    "jht_partial": _("Partial withdrawal: %(percent)s %% of the JHT balance of %(amount)s"),
    "jht_partial_balance": _("JHT balance on %(day)s: %(amount)s. The rest stays saved and is paid with a later "
                             "full JHT claim."),
    "refund_month": _("Refund of contributions for %(month)s"),
    "refunded_elsewhere": _("%(month)s is refunded with another claim."),
    "entered_by": _("Amount entered by %(name)s"),
    "entered_note": _("Entered by staff: DOMAIN.md gives no figure for this benefit."),
}
MONEY_PARAMS = frozenset({"income", "amount", "cap", "paid"})
DATE_PARAMS = frozenset({"day", "start", "end"})


@dataclass(frozen=True)
class Text:
    """A sentence of a breakdown: `code` names it (TEXTS, or `school_level` with a `level`), `params` fill it."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return text_render(self.code, self.params)

    def stored(self) -> dict:
        return {"code": self.code, "params": dict(self.params)}


def text_render(code: str, params: Mapping[str, Any]) -> str:
    """The sentence in the active language."""
    if code == "school_level":
        return str(SchoolLevel(params["level"]).label)
    template = str(TEXTS[code])
    if not params:
        return template
    return template % {key: _param(key, value) for key, value in params.items()}


def _param(key: str, value: Any) -> Any:
    """Rupiah formatted; days (stored as ISO dates, several joined by ", ") written as the reader's language does."""
    if key in MONEY_PARAMS:
        return format_idr(value)
    if key in DATE_PARAMS and isinstance(value, str):
        try:
            return ", ".join(date_format(dt.date.fromisoformat(day), "j F Y") for day in value.split(", "))
        except ValueError:
            return value
    return value


def stored_render(value: Any) -> str:
    """A stored sentence in the active language: `{"code", "params"}`, or the words of an older breakdown."""
    if isinstance(value, Mapping) and value.get("code") in (*TEXTS, "school_level"):
        return text_render(value["code"], value.get("params") or {})
    return "" if value is None else str(value)


def stored(value: Text | str) -> dict | str:
    """What a breakdown keeps of a sentence: the code of ours, the words of a source (a regulation's name)."""
    return value.stored() if isinstance(value, Text) else value


def breakdown_lines(lines: list[dict]) -> list[dict]:
    """Stored lines with `label` and `rule` in the active language (older lines kept their words)."""
    return [{**line, "label": stored_render(line.get("text", line.get("label"))),
             "rule": stored_render(line.get("rule"))} for line in lines]


def record_label(line: dict) -> str:
    """A line's words for a record that is written once (a payout entry): in Indonesian, whoever records it."""
    with translation.override("id"):
        return stored_render(line.get("text", line.get("label")))[:200]

