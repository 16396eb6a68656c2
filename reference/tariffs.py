"""The one function that prices a month of cover; bills, the registration review, the calculator and the API use it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import round_idr
from reference.models import COMPULSORY_PROGRAMS, Discount, IncomeBase, Program, TariffRate


class TariffError(ValueError):
    pass


@dataclass(frozen=True)
class QuoteLine:
    program: str
    gross_idr: int
    discount_idr: int
    discount_name: str = ""
    discount_id: int | None = None

    @property
    def amount_idr(self) -> int:
        return self.gross_idr - self.discount_idr

    @property
    def label(self) -> str:
        return str(Program(self.program).label)


@dataclass(frozen=True)
class Quote:
    income_idr: int
    month: dt.date
    lines: list[QuoteLine] = field(default_factory=list)

    @property
    def gross_idr(self) -> int:
        return sum(line.gross_idr for line in self.lines)

    @property
    def discount_idr(self) -> int:
        return sum(line.discount_idr for line in self.lines)

    @property
    def total_idr(self) -> int:
        return sum(line.amount_idr for line in self.lines)


def _bases_on(day: dt.date | None):
    day = day or timezone.localdate()
    return IncomeBase.objects.filter(active=True, effective_from__lte=day).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=day)
    )


def income_bases(on: dt.date | None = None) -> list[int]:
    """The declared incomes a member may choose on a day (today by default)."""
    return list(_bases_on(on).values_list("amount_idr", flat=True))


def discounts_in_force(*, month: dt.date) -> list[Discount]:
    """The discounts of a month in the order they are tried; a program takes the first that fits the member. When
    two overlap, the most specific wins (the fewest sectors; one for every sector comes last), then the one that
    took effect latest, then the older row (decisions.md, AC)."""
    found = Discount.objects.filter(first_month__lte=month.replace(day=1), last_month__gte=month.replace(day=1))
    return sorted(found, key=lambda d: (len(d.sectors) if d.sectors else float("inf"), -d.first_month.toordinal(),
                                        d.pk))


def tariff_quote(
    *,
    income_idr: int,
    programs: list[str] | tuple[str, ...],
    month: dt.date,
    sector: str | None = None,
    funding: str = "self",
) -> Quote:
    """Prices one covered month. Each program is rounded once, then its discount is rounded once."""
    month = month.replace(day=1)
    chosen = [p for p in Program.values if p in set(programs) | set(COMPULSORY_PROGRAMS)]
    if not IncomeBase.objects.filter(amount_idr=income_idr).exists():
        raise TariffError(_("This income is not one of the declared incomes."))
    discounts = [d for d in discounts_in_force(month=month)
                 if (not d.sectors or sector in d.sectors) and funding not in d.excluded_funding]
    lines = []
    for program in chosen:
        rate = TariffRate.objects.filter(program=program, effective_from__lte=month).order_by("-effective_from").first()
        if rate is None:
            raise TariffError(_("No rate for %(program)s in %(month)s.") % {"program": program,
                                                                            "month": f"{month:%Y-%m}"})
        # a rate is a percentage or a flat amount (tariff_rate_percent_xor_flat)
        gross = (round_idr(Decimal(income_idr) * rate.percent / 100) if rate.percent is not None
                 else cast(int, rate.flat_idr))
        discount = next((d for d in discounts if program in d.programs), None)
        cut = round_idr(Decimal(gross) * discount.percent / 100) if discount else 0
        lines.append(QuoteLine(program=program, gross_idr=gross, discount_idr=cut,
                               discount_name=discount.name if discount else "",
                               discount_id=discount.pk if discount else None))
    return Quote(income_idr=income_idr, month=month, lines=lines)
