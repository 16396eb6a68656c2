"""When a month's contribution is due. The rule is a setting (DOMAIN.md marks the BPU rule as single-source)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from lokal.holidays import is_working_day

logger = logging.getLogger(__name__)


def _working(day: dt.date) -> bool:
    try:
        return is_working_day(day.isoformat(), cuti_bersama=settings.BILL_DUE_CUTI_BERSAMA)
    except ValueError:
        # lokal-id has holidays only for the years the government has published; beyond them, weekends only.
        logger.warning("no holiday data for %s; counting weekends only", day.year)
        return day.weekday() < 5


def due_date_for(month: dt.date) -> dt.date:
    """BILL_DUE_DAY of the covered month (or of the next month when BILL_DUE_NEXT_MONTH), moved to the next
    working day when it falls on a weekend or public holiday (and cuti bersama)."""
    month = month.replace(day=1)
    if settings.BILL_DUE_NEXT_MONTH:
        month = (month + dt.timedelta(days=32)).replace(day=1)
    day = month.replace(day=settings.BILL_DUE_DAY)
    while not _working(day):
        day += dt.timedelta(days=1)
    return day


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)
