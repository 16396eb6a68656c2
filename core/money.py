"""Money is integer rupiah. Formatting follows the page's language: Rp36.800 (id), Rp36,800 (en)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation


def round_idr(amount: Decimal) -> int:
    """The one rounding rule: to the whole rupiah, halves away from zero."""
    if not isinstance(amount, Decimal | int):
        raise TypeError("round rupiah from Decimal, never float")
    return int(Decimal(amount).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def format_idr(amount: int, language: str | None = None) -> str:
    if not isinstance(amount, int):
        raise TypeError("rupiah amounts are integers")
    lang = (language or translation.get_language() or "id").split("-")[0]
    sep = "," if lang == "en" else "."
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", sep)
