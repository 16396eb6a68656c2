"""The daily reminder job, and the outbox's question before it sends one: the outbox drops a reminder whose bills
were paid before it went out."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from contributions.models import BillStatus, Reminder
from contributions.services.reminders._sql import _postgres
from contributions.services.reminders.member_reminders import _member_batch
from contributions.services.reminders.sponsor_reminders import _sponsor_batch, _sponsor_messages
from contributions.services.reminders.stages import _Window
from core.models import OutboxMessage
from core.services import notifications_deliver_after_commit
from members.models import Member, MemberStatus


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
