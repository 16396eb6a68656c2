"""Reminders to sponsors: the sponsored members' bills recorded at their stage, then one message per sponsor and
stage for all its workers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from contributions.models import Audience, BillStatus, ReminderStage
from contributions.services.reminders._sql import _BILL, _MEMBER, _REMINDER
from contributions.services.reminders.stages import _bind_members, _candidates_sql, _Window
from contributions.services.reminders.texts import _date_text, _in_language, _link, _sponsor_texts
from contributions.services.reminders.zones import release_time, zone_of_region
from core.models import Channel
from core.money import format_idr
from core.services import notifications_deliver_after_commit, notifications_enqueue_many
from core.sql import chunks, lock_clause
from members.models import Sponsor
from reference.duedates import add_months


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
