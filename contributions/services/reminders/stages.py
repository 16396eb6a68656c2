"""Which open bills are due a reminder now, and at which stage. Stages of a bill (days are settings):
- due_soon: REMINDER_DAYS_BEFORE_DUE days before the due date, up to the day before;
- due: from the due date, for REMINDER_OVERDUE_AFTER_DAYS days;
- overdue: from then, for a week of catch-up (a job that did not run for a few days still sends it, once);
- before_lapse: the bill is the ARREARS_MONTHS-th unpaid month in a row, in the last REMINDER_BEFORE_LAPSE_DAYS
  days of its month (the lapse job stops the membership on the 1st of the next month);
- lapsed: the membership stopped at the start of this month (within REMINDER_LAPSED_WITHIN_DAYS).

Members whose bills a sponsor pays are reminded through the sponsor (or both, REMINDER_SPONSORED_AUDIENCE). A
member with a working auto-debit mandate gets no reminder before the due date: the debit pays it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from contributions.models import AttemptStatus, Audience, BillStatus, MandateStatus, ReminderStage
from contributions.services.reminders._sql import _ATTEMPT, _BILL, _MANDATE, _MEMBER, _REMINDER, _SPONSORSHIP, _postgres
from members.models import MemberStatus, Sponsor
from reference.duedates import add_months

OVERDUE_CATCH_UP_DAYS = 7
BILLABLE = (MemberStatus.REGISTERED, MemberStatus.ACTIVE)


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
