"""The dashboards' plain arithmetic and filters: no reads (the reads are ecosystems.selectors.dashboard)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from reference.duedates import add_months

HUNDRED = Decimal(100)
ONE_DECIMAL = Decimal("0.1")


def percent(part: int | Decimal | None, whole: int | Decimal | None) -> Decimal | None:
    """part / whole in percent, one decimal, or None when the whole is missing or zero."""
    if part is None or not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Filters:
    first: dt.date  # first month of the period (day 1)
    last: dt.date  # last month of the period (day 1)
    ecosystem: str = ""
    channel: str = ""

    @property
    def months(self) -> list[dt.date]:
        out, month = [], self.first
        while month <= self.last:
            out.append(month)
            month = add_months(month, 1)
        return out

    @property
    def last_day(self) -> dt.date:
        return add_months(self.last, 1) - dt.timedelta(days=1)

    @property
    def year(self) -> int:
        return self.last.year

    def q(self) -> Q:
        q = Q()
        if self.ecosystem:
            q &= Q(ecosystem=self.ecosystem)
        if self.channel:
            q &= Q(channel=self.channel)
        return q

    def matches(self, ecosystem: str, channel: str) -> bool:
        return (not self.ecosystem or ecosystem == self.ecosystem) and (not self.channel or channel == self.channel)


def filters_default(*, today: dt.date) -> Filters:
    last = today.replace(day=1)
    return Filters(first=add_months(last, -11), last=last)
