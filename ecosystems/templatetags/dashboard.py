"""Numbers as the dashboards show them: Indonesian grouping on Indonesian pages (1.234.567; 34,5 %; Rp1.234.567),
English on English ones (1,234,567; 34.5%; Rp1,234,567). Cells carry their kind in their type: `Rupiah` is money,
a Decimal a percentage, a date a month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.utils import translation
from django.utils.numberformat import format as number_format

from core.money import format_idr

register = template.Library()
MISSING = "–"


class Rupiah(int):
    """An amount in rupiah inside a dashboard table (an int that formats as money)."""


class Month(dt.date):
    """A calendar month inside a dashboard table (its first day; shown as "Okt 2026", exported as 2026-10)."""

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month, 1)


def _english() -> bool:
    return (translation.get_language() or "id").startswith("en")


def fmt_int(value) -> str:
    if value is None:
        return MISSING
    sep, dec = (",", ".") if _english() else (".", ",")
    return number_format(int(value), dec, grouping=3, thousand_sep=sep, force_grouping=True)


def fmt_pct(value) -> str:
    if value is None:
        return MISSING
    sep, dec = (",", ".") if _english() else (".", ",")
    text = number_format(Decimal(value), dec, decimal_pos=1, grouping=3, thousand_sep=sep, force_grouping=True)
    return f"{text}%" if _english() else f"{text}\u00a0%"


def fmt_idr(value) -> str:
    return MISSING if value is None else format_idr(int(value))


def fmt_month(value: dt.date) -> str:
    from django.utils.dateformat import format as date_format

    return date_format(value, "M Y")


def fmt_cell(value) -> str:
    if value is None:
        return MISSING
    if isinstance(value, Rupiah):
        return fmt_idr(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal):
        return fmt_pct(value)
    if isinstance(value, int):
        return fmt_int(value)
    if isinstance(value, Month):
        return fmt_month(value)
    if isinstance(value, dt.date):
        return value.strftime("%d-%m-%Y")
    return str(value)


def is_number(value) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


register.filter("num", fmt_int)
register.filter("pct", fmt_pct)
register.filter("idr", fmt_idr)
register.filter("cell", fmt_cell)
register.filter("is_number", is_number)
