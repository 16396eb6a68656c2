"""Quiet hours: messages written in quiet hours wait for 07:00 in the person's province (WIB/WITA/WIT)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from contributions.services.reminders._sql import _postgres
from core.sql import placeholders

# Province (first two digits of the Kemendagri code) → UTC offset; everything else is WIB (UTC+7).
WITA_PROVINCES = ("51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76")
WIT_PROVINCES = ("81", "82", "91", "92", "93", "94", "95", "96")
ZONES = {"WIB": ZoneInfo("Asia/Jakarta"), "WITA": ZoneInfo("Asia/Makassar"), "WIT": ZoneInfo("Asia/Jayapura")}


def zone_of_region(code: str) -> str:
    province = code[:2]
    return "WITA" if province in WITA_PROVINCES else "WIT" if province in WIT_PROVINCES else "WIB"


def _quiet(local: dt.datetime) -> bool:
    start, end = settings.QUIET_HOURS_START, settings.QUIET_HOURS_END
    return local.hour >= start or local.hour < end if start > end else start <= local.hour < end


def release_time(now: dt.datetime, zones: set[str] | list[str]) -> dt.datetime | None:
    """None when it is daytime in every one of the zones; otherwise the first moment it is (07:00 in the zone that
    wakes last)."""
    moment, waited = now, False
    for _round in range(len(ZONES) + 1):
        sleeping = [z for z in zones if _quiet(moment.astimezone(ZONES[z]))]
        if not sleeping:
            return moment if waited else None
        zone = ZONES[sleeping[0]]
        local = moment.astimezone(zone)
        morning = local.replace(hour=settings.QUIET_HOURS_END, minute=0, second=0, microsecond=0)
        if morning <= local:
            morning += dt.timedelta(days=1)
        moment, waited = morning.astimezone(dt.UTC), True
    return moment


def _release_sql(now: dt.datetime) -> tuple[str, list]:
    adapt = connection.ops.adapt_datetimefield_value
    times = {zone: release_time(now, [zone]) for zone in ZONES}
    province = "substr(m.village_id, 1, 2)"
    moment = "CAST(%s AS TIMESTAMP WITH TIME ZONE)" if _postgres() else "%s"  # typed even when all are NULL
    return (f"(CASE WHEN {province} IN ({placeholders(len(WITA_PROVINCES))}) THEN {moment} "
            f"WHEN {province} IN ({placeholders(len(WIT_PROVINCES))}) THEN {moment} ELSE {moment} END)",
            [*WITA_PROVINCES, adapt(times["WITA"]), *WIT_PROVINCES, adapt(times["WIT"]), adapt(times["WIB"])])
