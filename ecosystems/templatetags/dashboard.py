"""Numbers as the dashboards show them: Indonesian grouping on Indonesian pages (1.234.567; 34,5 %; Rp1.234.567),
English on English ones (1,234,567; 34.5%; Rp1,234,567). Cells carry their kind in their type: `Rupiah` is money,
a Decimal a percentage, a date a month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.utils import translation
from django.utils.dateformat import format as date_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

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


def _swap(text: str) -> str:
    """Python's 1,234.5 as the page's language writes it (1.234,5 in Indonesian)."""
    return text if _english() else text.translate(_ID)


_ID = str.maketrans({",": ".", ".": ","})


def fmt_int(value) -> str:
    if value is None:
        return MISSING
    return _swap(f"{int(value):,}")


def fmt_pct(value) -> str:
    if value is None:
        return MISSING
    text = _swap(f"{Decimal(value):,.1f}")
    return f"{text}%" if _english() else f"{text}\u00a0%"


def fmt_pct_whole(value) -> str:
    """A percentage without decimals, for chart axes (100 %)."""
    text = fmt_int(round(value))
    return f"{text}%" if _english() else f"{text}\u00a0%"


def fmt_idr(value) -> str:
    return MISSING if value is None else format_idr(int(value))


def fmt_month(value: dt.date) -> str:
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


@register.simple_tag
def dash_table(table) -> SafeString:
    """A dashboard table (ecosystems.dashboards.Table) in its scrolling box. Built in Python rather than with a
    template loop: the national page has a few hundred cells and this keeps it fast."""
    cid = f"{table.key}-caption"
    numeric = table.numeric
    head = "".join(format_html('<th scope="col"{}>{}</th>', _NUM_SAFE if num else "", column)
                   for column, num in zip(table.columns, numeric, strict=True))
    rows = []
    for cells in table.body:
        out = []
        for value, header, link, num in cells:
            text = fmt_cell(value)
            inner = format_html('<a href="{}">{}</a>', link, text) if link else escape(text)
            tag = "th" if header else "td"
            scope = ' scope="row"' if header else ""
            out.append(f"<{tag}{scope}{_NUM if num else ''}>{inner}</{tag}>")
        rows.append("<tr>" + "".join(out) + "</tr>")
    if not rows:
        rows.append(format_html('<tr><td colspan="{}">{}</td></tr>', len(table.columns), _("Nothing to show yet.")))
    return format_html(
        '<div class="table-scroll" role="region" aria-labelledby="{}" tabindex="0"><table class="dtable" '
        'id="table-{}"><caption id="{}">{}</caption><thead><tr>{}</tr></thead><tbody>{}</tbody></table></div>',
        cid, table.key, cid, table.title, mark_safe(head), mark_safe("".join(rows)))  # noqa: S308 - escaped above


_NUM = ' class="num"'
_NUM_SAFE = mark_safe(_NUM)  # noqa: S308 - a constant

register.filter("num", fmt_int)
register.filter("pct", fmt_pct)
register.filter("idr", fmt_idr)
register.filter("cell", fmt_cell)
register.filter("is_number", is_number)
