"""How far the holiday data reaches. lokal-id publishes the government's holidays and cuti bersama year by year;
due dates (reference.duedates) after its last year count weekends only, so staff are told before that happens."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from lokal.holidays import HOLIDAY_YEARS


def holiday_data_end() -> dt.date:
    """The last day the holiday data covers."""
    return dt.date(max(HOLIDAY_YEARS), 12, 31)


def holiday_data_running_out(*, today: dt.date) -> dt.date | None:
    """The end of the holiday data when it is within HOLIDAY_DATA_WARNING_DAYS of today (or past), else None."""
    end = holiday_data_end()
    return end if (end - today).days < settings.HOLIDAY_DATA_WARNING_DAYS else None
