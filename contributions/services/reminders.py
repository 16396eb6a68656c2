"""Payment reminders, created set-based: per batch of members, one statement finds each open bill's stage, records
it once (a unique bill, stage and audience) and writes the message in the person's language and channel.

Stages of a bill (days are settings):
- due_soon: REMINDER_DAYS_BEFORE_DUE days before the due date, up to the day before;
- due: from the due date, for REMINDER_OVERDUE_AFTER_DAYS days;
- overdue: from then, for a week of catch-up (a job that did not run for a few days still sends it, once);
- before_lapse: the bill is the ARREARS_MONTHS-th unpaid month in a row, in the last REMINDER_BEFORE_LAPSE_DAYS
  days of its month (the lapse job stops the membership on the 1st of the next month);
- lapsed: the membership stopped at the start of this month (within REMINDER_LAPSED_WITHIN_DAYS).

Members whose bills a sponsor pays are reminded through the sponsor (or both, REMINDER_SPONSORED_AUDIENCE); a
sponsor gets one message per stage for all its workers. A member with a working auto-debit mandate gets no
reminder before the due date: the debit pays it. Messages written in quiet hours wait for 07:00 in the person's
province (WIB/WITA/WIT); the outbox drops a reminder whose bills were paid before it went out.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contributions.models import (
    AttemptStatus,
    Audience,
    Bill,
    BillStatus,
    DebitAttempt,
    DebitMandate,
    MandateStatus,
    Reminder,
    ReminderStage,
)
from core.models import Channel, OutboxMessage
from core.money import format_idr
from core.services import (
    notification_ids_sql,
    notifications_deliver_after_commit,
    notifications_enqueue_many,
    notifications_insert_select_sql,
)
from core.sql import chunks, lock_clause, no_jit, placeholders
from members.models import Member, MemberStatus, Sponsor, Sponsorship
from reference.duedates import add_months

OVERDUE_CATCH_UP_DAYS = 7
BILLABLE = (MemberStatus.REGISTERED, MemberStatus.ACTIVE)

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

def _postgres() -> bool:
    return connection.vendor == "postgresql"


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


@dataclass
class _Window:
    today: dt.date
    now: dt.datetime

    @property
    def current(self) -> dt.date:
        return self.today.replace(day=1)

    @property
    def lapse_date(self) -> dt.date:
        return add_months(self.current, 1)

    @property
    def before_lapse(self) -> bool:
        return self.today >= self.lapse_date - dt.timedelta(days=settings.REMINDER_BEFORE_LAPSE_DAYS)

    @property
    def lapsed_notice(self) -> bool:
        return (self.today - self.current).days < settings.REMINDER_LAPSED_WITHIN_DAYS


_BILL, _MEMBER = Bill._meta.db_table, Member._meta.db_table
_REMINDER, _OUTBOX = Reminder._meta.db_table, OutboxMessage._meta.db_table
_SPONSORSHIP, _MANDATE, _ATTEMPT = Sponsorship._meta.db_table, DebitMandate._meta.db_table, DebitAttempt._meta.db_table


def _candidates_sql(window: _Window, audience: str, skip_sent: bool | None = None) -> tuple[str, list]:
    """SELECT bill_id, member_id, stage, amount, due_on, month, sponsor_id for the members in a batch
    ({members}, on m and b), one row per bill and stage that is due now for this audience."""
    t = window.today
    adapt = connection.ops.adapt_datefield_value
    sponsored = "s.confirmed_at IS NOT NULL AND s.ended_at IS NULL"
    join, sponsor = "", "NULL"
    if audience == Audience.SPONSOR:
        # The few sponsored members, hashed once per statement; a member with two sponsors goes to the first.
        join = (f"INNER JOIN (SELECT s.member_id, MIN(s.sponsor_id) AS sponsor_id FROM {_SPONSORSHIP} s "  # noqa: S608
                f"WHERE {sponsored} GROUP BY s.member_id) sps ON sps.member_id = m.id "
                f"INNER JOIN {Sponsor._meta.db_table} sp ON sp.id = sps.sponsor_id")
        who, opted_out, sponsor = "1 = 1", "sp.reminders_opt_out", "sps.sponsor_id"
    elif settings.REMINDER_SPONSORED_AUDIENCE == "both":
        who, opted_out = "1 = 1", "m.reminders_opt_out"
    else:
        who = f"NOT EXISTS (SELECT 1 FROM {_SPONSORSHIP} s WHERE s.member_id = m.id AND {sponsored})"  # noqa: S608
        opted_out = "m.reminders_opt_out"
    # A working mandate pays the bill: no reminder before the due date unless this month's debit failed or was not
    # made (above the payer's maximum).
    debited = (f"EXISTS (SELECT 1 FROM {_MANDATE} d WHERE d.member_id = m.id AND d.status = %s "  # noqa: S608
               f"AND NOT EXISTS (SELECT 1 FROM {_ATTEMPT} a WHERE a.mandate_id = d.id AND a.month = b.month "
               "AND a.status IN (%s, %s)))")
    debited_params = [MandateStatus.ACTIVE, AttemptStatus.FAILED, AttemptStatus.SKIPPED]
    arrears = (f"(SELECT COUNT(*) FROM {_BILL} p WHERE p.member_id = m.id AND p.status = %s "  # noqa: S608
               "AND p.month >= %s AND p.month < %s)")
    arrears_sum = (f"(SELECT SUM(p.total_idr) FROM {_BILL} p WHERE p.member_id = m.id AND p.status = %s "  # noqa: S608
                   "AND p.month >= %s AND p.month <= %s)")
    first_arrears = add_months(window.current, 1 - settings.ARREARS_MONTHS)
    stages: list[tuple[str, str, list, str, list, str, list]] = [
        # stage, condition, params, amount, params, due_on, params
        (ReminderStage.DUE_SOON, f"b.due_date > %s AND b.due_date <= %s AND m.status IN (%s, %s) AND NOT {debited}",
         [adapt(t), adapt(t + dt.timedelta(days=settings.REMINDER_DAYS_BEFORE_DUE)), *BILLABLE, *debited_params],
         "b.total_idr", [], "b.due_date", []),
        (ReminderStage.DUE, f"b.due_date <= %s AND b.due_date > %s AND m.status IN (%s, %s) AND NOT {debited}",
         [adapt(t), adapt(t - dt.timedelta(days=settings.REMINDER_OVERDUE_AFTER_DAYS)), *BILLABLE, *debited_params],
         "b.total_idr", [], "b.due_date", []),
        (ReminderStage.OVERDUE, "b.due_date <= %s AND b.due_date > %s AND m.status IN (%s, %s)",
         [adapt(t - dt.timedelta(days=settings.REMINDER_OVERDUE_AFTER_DAYS)),
          adapt(t - dt.timedelta(days=settings.REMINDER_OVERDUE_AFTER_DAYS + OVERDUE_CATCH_UP_DAYS)), *BILLABLE],
         "b.total_idr", [], "b.due_date", []),
    ]
    if window.before_lapse:
        stages.append((ReminderStage.BEFORE_LAPSE, f"b.month = %s AND m.status IN (%s, %s) AND {arrears} = %s",
                       [adapt(window.current), *BILLABLE, BillStatus.OPEN, adapt(first_arrears),
                        adapt(window.current), settings.ARREARS_MONTHS - 1],
                       arrears_sum, [BillStatus.OPEN, adapt(first_arrears), adapt(window.current)],
                       "%s", [adapt(window.lapse_date)]))
    if window.lapsed_notice:
        stages.append((ReminderStage.LAPSED, "b.month = %s AND m.status = %s",
                       [adapt(add_months(window.current, -1)), MemberStatus.LAPSED],
                       "b.total_idr", [], "b.due_date", []))
    required = [s for s in settings.REMINDER_REQUIRED_STAGES]
    # Sent before: on SQLite skipped here; ON CONFLICT settles the rest. Not on PostgreSQL: the reminder table
    # grows during the run from what its statistics say (empty on the first run), and the planner then probes it
    # with a scan per bill (100 s per batch instead of 3); the unique index alone decides there.
    skip_sent = not _postgres() if skip_sent is None else skip_sent
    unsent = (f"NOT EXISTS (SELECT 1 FROM {_REMINDER} x WHERE x.bill_id = b.id AND x.stage = %s "  # noqa: S608
              "AND x.audience = %s)") if skip_sent else "1 = 1"
    selects, params = [], []
    for stage, condition, condition_params, amount, amount_params, due_on, due_params in stages:
        consent = "1 = 1" if stage in required else f"NOT {opted_out}"
        selects.append(
            f"SELECT b.id AS bill_id, m.id AS member_id, %s AS stage, {amount} AS amount, "  # noqa: S608
            f"{due_on} AS due_on, b.month AS month, {sponsor} AS sponsor_id "
            f"FROM {_BILL} b INNER JOIN {_MEMBER} m ON m.id = b.member_id {join} "
            f"WHERE b.status = %s AND {{members}} AND {condition} AND {who} AND {consent} AND {unsent}")
        params += [stage, *amount_params, *due_params, BillStatus.OPEN, "{members}", *condition_params,
                   *([stage, audience] if skip_sent else [])]
    return " UNION ALL ".join(selects), params


def _bind_members(sql: str, params: list, members: tuple[str, list]) -> tuple[str, list]:
    """Puts the batch's member condition (on alias m) where the candidates say {members}."""
    members_sql, members_params = members
    bound: list = []
    for p in params:
        bound += members_params if p == "{members}" else [p]
    return sql.replace("{members}", members_sql), bound


def _release_sql(now: dt.datetime) -> tuple[str, list]:
    adapt = connection.ops.adapt_datetimefield_value
    times = {zone: release_time(now, [zone]) for zone in ZONES}
    province = "substr(m.village_id, 1, 2)"
    moment = "CAST(%s AS TIMESTAMP WITH TIME ZONE)" if _postgres() else "%s"  # typed even when all are NULL
    return (f"(CASE WHEN {province} IN ({placeholders(len(WITA_PROVINCES))}) THEN {moment} "
            f"WHEN {province} IN ({placeholders(len(WIT_PROVINCES))}) THEN {moment} ELSE {moment} END)",
            [*WITA_PROVINCES, adapt(times["WITA"]), *WIT_PROVINCES, adapt(times["WIT"]), adapt(times["WIB"])])


def _message_parts(now: dt.datetime) -> dict[str, tuple[str, list]]:
    """Outbox columns for candidate row c and member m (core.services.notifications_insert_select_sql): channel by
    preference with SMS as the fallback, body in the member's language, held until morning in quiet hours."""
    email = "(m.notify_channel = 'email' AND m.email <> '')"
    channel = f"(CASE WHEN {email} THEN 'email' WHEN m.notify_channel = 'whatsapp' THEN 'whatsapp' ELSE 'sms' END)"
    bodies, body_params = [], []
    default, *others = _languages()
    for language in others:
        sql, params = _body_sql(language)
        bodies.append(f"WHEN %s THEN {sql}")
        body_params += [language, *params]
    default_sql, default_params = _body_sql(default)
    body = f"(CASE m.language {' '.join(bodies)} ELSE {default_sql} END)"
    body_params += default_params
    release, release_params = _release_sql(now)
    adapt = connection.ops.adapt_datetimefield_value
    return {"created_at": ("%s", [adapt(now)]), "channel": (channel, []),
            "recipient": (f"(CASE WHEN {email} THEN m.email ELSE m.phone END)", []), "body": (body, body_params),
            "purpose": ("'reminder.' || c.stage", []), "next_attempt_at": (release, release_params),
            "fallback_channel": (f"(CASE WHEN {channel} <> 'sms' THEN 'sms' ELSE '' END)", []),
            "fallback_recipient": (f"(CASE WHEN {channel} <> 'sms' THEN m.phone ELSE '' END)", [])}


def _member_batch(window: _Window, members: tuple[str, list]) -> int:
    """Reminders and their messages for one batch of members; returns the messages written."""
    adapt = connection.ops.adapt_datetimefield_value
    cand_sql, cand_params = _bind_members(*_candidates_sql(window, Audience.MEMBER), members)
    parts = _message_parts(window.now)
    with connection.cursor() as cursor:
        if _postgres():
            no_jit(cursor)  # the message texts make a large expression: compiling it took 100 s a batch
            # One statement: record the stage (conflicts drop what was sent before), take a message id from the
            # outbox sequence for each new one, write the messages. The reminder → message FK is checked at commit.
            outbox_sql, outbox_params = notifications_insert_select_sql(
                id_sql=("c.message_id", []), **parts,
                from_sql=(f"FROM c INNER JOIN r ON r.message_id = c.message_id "
                          f"INNER JOIN {_MEMBER} m ON m.id = c.member_id", []))
            cursor.execute(
                f"WITH c AS (SELECT cand.*, {notification_ids_sql()} AS message_id "  # noqa: S608
                f"FROM ({cand_sql}) cand), r AS (INSERT INTO {_REMINDER} (bill_id, stage, audience, created_at, "
                "message_id) SELECT c.bill_id, c.stage, %s, %s, c.message_id FROM c "
                f"ON CONFLICT (bill_id, stage, audience) DO NOTHING RETURNING message_id) {outbox_sql}",
                [*cand_params, Audience.MEMBER, adapt(window.now), *outbox_params])
            return max(cursor.rowcount, 0)
        # SQLite holds the database's write lock for the whole transaction: ids after the largest are free.
        cursor.execute(
            f"INSERT INTO {_REMINDER} (bill_id, stage, audience, created_at, message_id) "  # noqa: S608
            f"SELECT c.bill_id, c.stage, %s, %s, {notification_ids_sql()} "
            f"FROM ({cand_sql}) c WHERE 1 = 1 ON CONFLICT (bill_id, stage, audience) DO NOTHING",
            [Audience.MEMBER, adapt(window.now), *cand_params])
        if cursor.rowcount <= 0:
            return 0
        cand_sql, cand_params = _bind_members(*_candidates_sql(window, Audience.MEMBER, skip_sent=False), members)
        outbox_sql, outbox_params = notifications_insert_select_sql(
            id_sql=("r.message_id", []), **parts,
            from_sql=(f"FROM {_REMINDER} r INNER JOIN ({cand_sql}) c ON c.bill_id = r.bill_id "  # noqa: S608
                      f"AND c.stage = r.stage INNER JOIN {_MEMBER} m ON m.id = c.member_id WHERE r.audience = %s "
                      f"AND r.created_at = %s AND NOT EXISTS (SELECT 1 FROM {_OUTBOX} o WHERE o.id = r.message_id)",
                      [*cand_params, Audience.MEMBER, adapt(window.now)]))
        cursor.execute(outbox_sql, outbox_params)
        return max(cursor.rowcount, 0)


def _sponsor_batch(window: _Window, members: tuple[str, list]) -> int:
    """Records the sponsored members' bills at their stage; the combined messages are written afterwards."""
    cand_sql, cand_params = _bind_members(*_candidates_sql(window, Audience.SPONSOR), members)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_REMINDER} (bill_id, stage, audience, sponsor_id, created_at) "  # noqa: S608
            f"SELECT c.bill_id, c.stage, %s, c.sponsor_id, %s FROM ({cand_sql}) c WHERE 1 = 1 "
            "ON CONFLICT (bill_id, stage, audience) DO NOTHING",
            [Audience.SPONSOR, connection.ops.adapt_datetimefield_value(window.now), *cand_params])
        return max(cursor.rowcount, 0)


@dataclass
class _Group:
    reminder_ids: list[int]
    members: set[int]
    amount: int
    due_on: dt.date
    zones: set[str]


def _sponsor_messages(window: _Window) -> int:
    """One message per sponsor and stage for the sponsor reminders not yet in a message. Rows another run holds
    are skipped, so two runs at once never write the same sponsor's message twice."""
    adapt = connection.ops.adapt_datefield_value
    first_arrears = add_months(window.current, 1 - settings.ARREARS_MONTHS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.id, r.sponsor_id, r.stage, b.member_id, b.total_idr, b.due_date, m.village_id, "  # noqa: S608
            f"(SELECT SUM(p.total_idr) FROM {_BILL} p WHERE p.member_id = b.member_id AND p.status = %s "
            f"AND p.month >= %s AND p.month <= %s) FROM {_REMINDER} r INNER JOIN {_BILL} b ON b.id = r.bill_id "
            f"INNER JOIN {_MEMBER} m ON m.id = b.member_id WHERE r.audience = %s AND r.message_id IS NULL "
            f"ORDER BY r.id {lock_clause(of='r', skip_locked=True)}",
            [BillStatus.OPEN, adapt(first_arrears), adapt(window.current), Audience.SPONSOR])
        groups: dict[tuple[int, str], _Group] = {}
        for rid, sponsor_id, stage, member_id, total, due_date, village, arrears in cursor.fetchall():
            if isinstance(due_date, str):
                due_date = dt.date.fromisoformat(due_date)
            group = groups.setdefault((sponsor_id, stage), _Group([], set(), 0, due_date, set()))
            group.reminder_ids.append(rid)
            if member_id not in group.members:
                group.amount += int(arrears or 0) if stage == ReminderStage.BEFORE_LAPSE else 0
            group.amount += 0 if stage == ReminderStage.BEFORE_LAPSE else total
            group.members.add(member_id)
            group.due_on = min(group.due_on, due_date)
            group.zones.add(zone_of_region(village))
        if not groups:
            return 0
        sponsors = {s.pk: s for s in Sponsor.objects.select_related("user").filter(
            pk__in={sponsor_id for sponsor_id, _stage in groups})}
        rows, order = [], []
        for (sponsor_id, stage), group in groups.items():
            sponsor = sponsors[sponsor_id]
            rows.append(_sponsor_message(sponsor, stage, group, window))
            order.append(group)
        ids = notifications_enqueue_many(messages=rows, more_fields=(
            "created_at", "next_attempt_at", "fallback_channel", "fallback_recipient"))
        pairs = [(message_id, rid) for message_id, group in zip(ids, order, strict=True) for rid in group.reminder_ids]
        for some in chunks(pairs):
            cursor.executemany(f"UPDATE {_REMINDER} SET message_id = %s WHERE id = %s", some)  # noqa: S608
    notifications_deliver_after_commit()
    return len(ids)


def _sponsor_message(sponsor: Sponsor, stage: str, group: _Group, window: _Window) -> tuple:
    user = sponsor.user
    language = user.language or "id"
    phone, email = str(user.phone or ""), user.email or ""
    if sponsor.notify_channel == Channel.EMAIL and email or not phone:
        channel, recipient = Channel.EMAIL, email
    else:
        channel, recipient = (Channel.WHATSAPP if sponsor.notify_channel == Channel.WHATSAPP else Channel.SMS), phone
    fallback = (Channel.SMS, phone) if channel != Channel.SMS and phone else ("", "")
    due_on = window.lapse_date if stage == ReminderStage.BEFORE_LAPSE else group.due_on
    text = _in_language(language, _sponsor_texts)[stage].format(
        count=len(group.members), amount=format_idr(group.amount, language), due=_date_text(due_on, language),
        link=_link("sponsors:dashboard"))
    return (channel, recipient, text, f"reminder.{stage}", window.now, release_time(window.now, group.zones),
            *fallback)


def reminders_send(*, now: dt.datetime | None = None, batch_size: int | None = None,
                   workers: int | None = None) -> dict[str, int]:
    """The daily job: every bill's reminder that is due today, once. Resumable: each batch of members commits on
    its own and a rerun (or a second run at once) skips what was recorded.

    On PostgreSQL the batches run on REMINDER_WORKERS connections at once (threads that wait on the database, which
    does the work on as many cores); the sponsored members are recorded in one statement after them, then each
    sponsor's message is written."""
    now = now or timezone.now()
    window = _Window(today=timezone.localdate(now), now=now)
    batch_size = batch_size or settings.REMINDER_BATCH_SIZE
    # Other connections cannot see a caller's uncommitted rows: inside a transaction, one connection.
    workers = 1 if connection.in_atomic_block or not _postgres() else workers or settings.REMINDER_WORKERS
    bounds = Member.objects.aggregate(lo=Min("id"), hi=Max("id"))
    starts = list(range(bounds["lo"], bounds["hi"] + 1, batch_size)) if bounds["lo"] is not None else []

    def batch(start: int) -> int:
        # Bounded on both tables: each stage reads the batch's bills by the (member, status, month) index.
        members = ("m.id >= %s AND m.id < %s AND b.member_id >= %s AND b.member_id < %s",
                   [start, start + batch_size, start, start + batch_size])
        with transaction.atomic():
            return _member_batch(window, members)

    if workers > 1 and len(starts) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            handled = sum(pool.map(_in_own_connection(batch), starts))
    else:
        handled = sum(batch(start) for start in starts)
    with transaction.atomic():
        _sponsor_batch(window, ("1 = 1", []))  # few rows, driven from the sponsorships
    handled += _sponsor_messages(window)
    if handled:
        notifications_deliver_after_commit()
    return {"handled": handled, "failed": 0, "skipped": 0}


def _in_own_connection(work):
    """Runs work(arg) in a pool thread, which has its own database connection; closes it afterwards."""
    def run(arg):
        try:
            return work(arg)
        finally:
            connection.close()
    return run


def reminder_is_stale(message: OutboxMessage) -> bool:
    """The outbox asks before sending a reminder: nothing to say once every bill it names is paid or cancelled, or
    belongs to a membership closed since (a paid death claim: no "please pay" to the family's phone)."""
    bills = Reminder.objects.filter(message=message).values_list("bill__status", "bill__member__status")
    return bool(bills) and all(status != BillStatus.OPEN or member_status == MemberStatus.CLOSED
                               for status, member_status in bills)

