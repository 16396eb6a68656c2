"""The reminder texts in each language: in Python for sponsors, rendered in SQL for members."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from contributions.models import ReminderStage
from contributions.services.reminders._sql import _postgres


# Message texts: gettext at run time in each language; {placeholders} are filled in SQL (members) or Python.
def _member_texts() -> dict[str, str]:
    return {
        ReminderStage.DUE_SOON: _("BPJS Ketenagakerjaan: your {month} contribution of {amount} is due on {due}. "
                                  "Pay: {link}"),
        ReminderStage.DUE: _("BPJS Ketenagakerjaan: your {month} contribution of {amount} is due on {due}. Pay now "
                             "to stay covered: {link}"),
        ReminderStage.OVERDUE: _("BPJS Ketenagakerjaan: your {month} contribution of {amount} (due {due}) is not "
                                 "paid yet. Pay to stay covered: {link}"),
        ReminderStage.BEFORE_LAPSE: _("BPJS Ketenagakerjaan: 3 months of contributions ({amount}) are unpaid. Pay "
                                      "before {due} or membership KPJ {kpj} stops: {link}"),
        ReminderStage.LAPSED: _("BPJS Ketenagakerjaan: membership KPJ {kpj} has stopped because 3 months were not "
                                "paid. You can reactivate it: {link}"),
    }


def _sponsor_texts() -> dict[str, str]:
    return {
        ReminderStage.DUE_SOON: _("BPJS Ketenagakerjaan: contributions for {count} workers you pay for, {amount} "
                                  "in all, are due on {due}. Pay: {link}"),
        ReminderStage.DUE: _("BPJS Ketenagakerjaan: contributions for {count} workers you pay for, {amount} in "
                             "all, are due on {due}. Pay now to keep them covered: {link}"),
        ReminderStage.OVERDUE: _("BPJS Ketenagakerjaan: contributions for {count} workers you pay for, {amount} "
                                 "in all, are overdue. Pay to keep them covered: {link}"),
        ReminderStage.BEFORE_LAPSE: _("BPJS Ketenagakerjaan: {count} workers you pay for have 3 unpaid months "
                                      "({amount}). Pay before {due} or their membership stops: {link}"),
        ReminderStage.LAPSED: _("BPJS Ketenagakerjaan: the membership of {count} workers you pay for has stopped "
                                "after 3 unpaid months. You can reactivate it: {link}"),
    }


def _month_names() -> list[str]:
    return [_("January"), _("February"), _("March"), _("April"), _("May"), _("June"), _("July"), _("August"),
            _("September"), _("October"), _("November"), _("December")]


def _short_month_names() -> list[str]:
    return [name[:3] for name in _month_names()]


def _in_language(language: str, build):
    with translation.override(language):
        return build()


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _link(name: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name)


def _date_text(day: dt.date, language: str) -> str:
    return f"{day.day} {_in_language(language, _short_month_names)[day.month - 1]} {day.year}"


def _month_text(month: dt.date, language: str) -> str:
    return f"{_in_language(language, _month_names)[month.month - 1]} {month.year}"


# --- SQL fragments: the same text on PostgreSQL and SQLite, except for number and date parts -------------------

def _amount_sql(expr: str, language: str) -> str:
    grouped = (f"to_char({expr}, 'FM999,999,999,999,990')" if _postgres()
               else f"printf('%%,d', {expr})")  # %% : Django's SQLite cursor turns it into %
    return f"('Rp' || {grouped})" if language == "en" else f"('Rp' || replace({grouped}, ',', '.'))"


def _date_parts_sql(expr: str) -> tuple[str, str, str]:
    if _postgres():
        return (f"CAST(EXTRACT(DAY FROM {expr}) AS INTEGER)", f"CAST(EXTRACT(MONTH FROM {expr}) AS INTEGER)",
                f"CAST(EXTRACT(YEAR FROM {expr}) AS INTEGER)")
    return (f"CAST(strftime('%%d', {expr}) AS INTEGER)", f"CAST(strftime('%%m', {expr}) AS INTEGER)",
            f"CAST(strftime('%%Y', {expr}) AS INTEGER)")


def _month_name_sql(month_expr: str, names: list[str]) -> tuple[str, list]:
    return (f"(CASE {month_expr} " + " ".join("WHEN %s THEN %s" for _n in names) + " END)",
            [p for i, name in enumerate(names, 1) for p in (i, name)])


def _date_text_sql(expr: str, language: str) -> tuple[str, list]:
    day, month, year = _date_parts_sql(expr)
    name_sql, params = _month_name_sql(month, _in_language(language, _short_month_names))
    return f"(CAST({day} AS TEXT) || ' ' || {name_sql} || ' ' || CAST({year} AS TEXT))", params


def _month_text_sql(expr: str, language: str) -> tuple[str, list]:
    _day, month, year = _date_parts_sql(expr)
    name_sql, params = _month_name_sql(month, _in_language(language, _month_names))
    return f"({name_sql} || ' ' || CAST({year} AS TEXT))", params


def _body_sql(language: str) -> tuple[str, list]:
    """The member message for row c (stage, amount, due_on, month) and member m, in one language."""
    texts = _in_language(language, _member_texts)
    links = {stage: _link("contributions:reactivate" if stage == ReminderStage.LAPSED else "contributions:pay")
             for stage in texts}
    template = "(CASE c.stage " + " ".join("WHEN %s THEN %s" for _s in texts) + " END)"
    params: list = [p for stage, text in texts.items() for p in (stage, text.replace("{link}", links[stage]))]
    due_sql, due_params = _date_text_sql("c.due_on", language)
    month_sql, month_params = _month_text_sql("c.month", language)
    sql = (f"replace(replace(replace(replace({template}, '{{amount}}', {_amount_sql('c.amount', language)}), "
           f"'{{due}}', {due_sql}), '{{month}}', {month_sql}), '{{kpj}}', m.kpj)")
    return sql, params + due_params + month_params
