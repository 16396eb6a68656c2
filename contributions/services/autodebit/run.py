"""The auto-debit run: the month's attempts (set-based), then batches claimed, repriced, charged and applied."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from contributions.models import AttemptStatus, BillStatus, DebitAttempt, MandateStatus
from contributions.providers import DebitCharge, DebitOutcome, DebitResult, get_debit_provider
from contributions.services.autodebit import results as applying
from contributions.services.autodebit.common import (
    _ATTEMPT,
    _MANDATE,
    PAYABLE,
    TIMEOUT,
    _month,
    _tell_payers,
    _window,
    attempt_key,
)
from contributions.services.payments.ledger import _BILL, _MEMBER
from contributions.transitions import debit_attempts_send, debit_attempts_status_transition_where
from core.sql import chunks, in_list

logger = logging.getLogger(__name__)


def debit_attempts_create(*, month: dt.date, now: dt.datetime | None = None, batch_size: int | None = None) -> int:
    """The month's attempt for every active mandate whose member has bills to pay, set-based per range of mandate
    ids, each range its own transaction. Two workers split the ranges (a PostgreSQL advisory lock per range; a range
    another worker holds is visited again at the end); ON CONFLICT keeps it one attempt per mandate and month."""
    now = now or timezone.now()
    size = batch_size or settings.AUTODEBIT_CREATE_BATCH_SIZE
    window = _window(month)
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {_MANDATE} WHERE status = %s",  # noqa: S608
                       [MandateStatus.ACTIVE])
        low, high = cursor.fetchone()
    if low is None:
        return 0
    postgres = connection.vendor == "postgresql"
    sql = (
        f"INSERT INTO {_ATTEMPT} (mandate_id, month, amount_idr, status, tries, next_try_at, last_outcome, "  # noqa: S608
        f"provider_reference, created_at, updated_at) "
        f"SELECT s.id, %s, s.total, %s, 0, %s, '', '', %s, %s FROM ("
        f"SELECT d.id, (SELECT SUM(b.total_idr) FROM {_BILL} b WHERE b.member_id = d.member_id AND b.status = %s "
        f"AND b.month >= %s AND b.month <= %s) AS total FROM {_MANDATE} d "
        f"INNER JOIN {_MEMBER} m ON m.id = d.member_id WHERE d.status = %s AND d.id >= %s AND d.id < %s "
        f"AND m.status IN (%s, %s)) s WHERE s.total > 0 ON CONFLICT (mandate_id, month) DO NOTHING")
    # No NOT EXISTS against the attempts: planned while the table looked empty, PostgreSQL scanned it whole for
    # every mandate as the other worker filled it. A range already done is seen by one index probe instead.
    done_sql = (f"SELECT 1 FROM {_ATTEMPT} WHERE mandate_id >= %s AND mandate_id < %s AND month = %s "  # noqa: S608
                f"LIMIT 1")
    m, first = ops.adapt_datefield_value(month), ops.adapt_datefield_value(dt.date.fromisoformat(window[0] + "-01"))
    when = ops.adapt_datetimefield_value(now)
    # Due from the month's first moment, not from this worker's clock: a second worker whose run started a moment
    # earlier would otherwise not see these as due and stop with half the work left to the first.
    due = ops.adapt_datetimefield_value(timezone.make_aware(dt.datetime(month.year, month.month, 1)))
    created, busy = 0, []

    def one(lo: int, wait: bool) -> bool:
        nonlocal created
        with transaction.atomic(), connection.cursor() as cursor:
            if postgres:
                cursor.execute(f"SELECT pg_{'' if wait else 'try_'}advisory_xact_lock(%s, %s)",
                               [0x0AD0, lo // size])
                if not wait and not cursor.fetchone()[0]:
                    return False
            if wait:  # visited again: another worker held it, and has most likely done it
                cursor.execute(done_sql, [lo, lo + size, m])
                if cursor.fetchone():
                    return True
            cursor.execute(sql, [m, AttemptStatus.SCHEDULED, due, when, when, BillStatus.OPEN, first, m,
                                 MandateStatus.ACTIVE, lo, lo + size, *PAYABLE])
            created += max(cursor.rowcount, 0)
        return True

    for lo in range(low - low % size, high + 1, size):
        if not one(lo, wait=False):
            busy.append(lo)
    for lo in busy:
        one(lo, wait=True)
    return created


@dataclass
class _Claimed:
    id: int
    mandate_id: int
    month: dt.date
    amount_idr: int
    tries: int
    resend: bool  # the same try again (same key): a dead run's, or one whose answer was lost
    provider: str
    mandate_reference: str
    member_id: int
    max_amount_idr: int

    @property
    def key(self) -> str:
        return attempt_key(self.mandate_id, self.month, self.tries)


def _claim(*, now: dt.datetime, size: int) -> list[_Claimed]:
    """Takes up to `size` due attempts and marks them sent, committed before the provider is called. A fresh try
    gets the next try number (a new key); a resend keeps its number, so the provider answers the first call.

    Two statements find them (tries a dead run left, then due ones), each an index range with a LIMIT: one OR would
    make PostgreSQL collect every due row for each batch. SKIP LOCKED lets two workers take different rows."""
    ops = connection.ops
    stale = ops.adapt_datetimefield_value(now - dt.timedelta(seconds=settings.AUTODEBIT_CLAIM_TIMEOUT_SECONDS))
    at = ops.adapt_datetimefield_value(now)
    postgres = connection.vendor == "postgresql"
    skip = " FOR UPDATE OF a SKIP LOCKED" if postgres else ""
    head = (f"SELECT a.id, a.mandate_id, a.month, a.amount_idr, a.tries, a.status, a.last_outcome, d.provider, "  # noqa: S608
            f"d.provider_reference, d.member_id, d.max_amount_idr, a.updated_at FROM {_ATTEMPT} a "
            f"INNER JOIN {_MANDATE} d ON d.id = a.mandate_id WHERE ")
    branches = [
        ("a.status = %s AND a.claimed_at < %s", [AttemptStatus.PROCESSING, stale]),
        ("a.status = %s AND a.next_try_at <= %s AND (d.status = %s OR a.last_outcome = %s)",
         [AttemptStatus.SCHEDULED, at, MandateStatus.ACTIVE, TIMEOUT]),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        rows: list[tuple] = []
        for condition, params in branches:
            if len(rows) < size:
                cursor.execute(f"{head}{condition} LIMIT %s{skip}", [*params, size - len(rows)])
                rows += cursor.fetchall()
        if not rows:
            return []
        claimed = []
        for pk, mandate_id, month, amount, tries, status, outcome, provider, reference, member_id, top, _u in rows:
            resend = status == AttemptStatus.PROCESSING or outcome == TIMEOUT
            claimed.append(_Claimed(pk, mandate_id, _month(month), amount, tries if resend else tries + 1, resend,
                                    provider, reference, member_id, top))
        # SQLite locked nothing: there each row changes only if it is still as read.
        raw = {row[0]: row for row in rows}
        taken = debit_attempts_send(cursor, claimed=[(c.id, raw[c.id][5], raw[c.id][4], raw[c.id][11], c.tries)
                                                     for c in claimed], at=at, locked=postgres, resend_outcome=TIMEOUT)
    return [c for c in claimed if c.id in taken]


def _reprice(claimed: list[_Claimed], *, now: dt.datetime, counts: Counter) -> list[_Claimed]:
    """A fresh try charges what is open now (paid meanwhile by transfer: less, or nothing). Above the mandate's
    maximum it is not charged at all and the payer is told. Resends keep their amount: same key, same request."""
    fresh = [c for c in claimed if not c.resend]
    if not fresh:
        return claimed
    by_month: dict[dt.date, list[_Claimed]] = defaultdict(list)
    for c in fresh:
        by_month[c.month].append(c)
    owed: dict[tuple[int, dt.date], int] = {}
    payable: set[int] = set()
    ops = connection.ops
    with connection.cursor() as cursor:
        for month, group in by_month.items():
            first = ops.adapt_datefield_value(dt.date.fromisoformat(_window(month)[0] + "-01"))
            members = sorted({c.member_id for c in group})
            for some in chunks(members):
                ids_sql, ids = in_list("m.id", some)
                cursor.execute(
                    f"SELECT m.id, m.status, (SELECT SUM(b.total_idr) FROM {_BILL} b WHERE b.member_id = m.id "  # noqa: S608
                    f"AND b.status = %s AND b.month >= %s AND b.month <= %s) FROM {_MEMBER} m WHERE {ids_sql}",
                    [BillStatus.OPEN, first, ops.adapt_datefield_value(month), *ids])
                for member_id, status, total in cursor.fetchall():
                    owed[(member_id, month)] = int(total or 0)
                    if status in PAYABLE:
                        payable.add(member_id)
    skipped: dict[str, list[_Claimed]] = defaultdict(list)
    keep = [c for c in claimed if c.resend]
    for c in fresh:
        total = owed.get((c.member_id, c.month), 0)
        if c.member_id not in payable:
            skipped["member_not_payable"].append(c)
        elif total <= 0:
            skipped["nothing_due"].append(c)
        elif total > c.max_amount_idr:
            skipped["over_maximum"].append(c)
        else:
            if total != c.amount_idr:
                DebitAttempt.objects.filter(pk=c.id).update(amount_idr=total, updated_at=now)
                c.amount_idr = total
            keep.append(c)
    if skipped:
        with transaction.atomic():
            for outcome, group in skipped.items():
                for some in chunks([c.id for c in group]):
                    debit_attempts_status_transition_where(
                        rows=DebitAttempt.objects.filter(pk__in=some, status=AttemptStatus.PROCESSING),
                        to=AttemptStatus.SKIPPED, actor=None, reason=outcome, last_outcome=outcome, next_try_at=None,
                        updated_at=now)
                counts["skipped"] += len(group)
            over = skipped.get("over_maximum", [])
            if over:
                _tell_payers(attempt_ids=[c.id for c in over], kind="over_maximum",
                             amounts={c.id: owed[(c.member_id, c.month)] for c in over})
    return keep


def debit_attempts_process(*, now: dt.datetime | None = None, batch_size: int | None = None,
                           max_batches: int | None = None) -> dict[str, int]:
    """Charges every due attempt, a batch at a time, until none is left (tries sent in this run are not due again
    in it). Returns counts for the job run: handled (paid), failed (last try failed), skipped."""
    now = now or timezone.now()
    size = batch_size or settings.AUTODEBIT_BATCH_SIZE
    counts: Counter = Counter()
    batches = 0
    while max_batches is None or batches < max_batches:
        claimed = _claim(now=now, size=size)
        if not claimed:
            break
        batches += 1
        claimed = _reprice(claimed, now=now, counts=counts)
        by_provider: dict[str, list[_Claimed]] = defaultdict(list)
        for c in claimed:
            by_provider[c.provider].append(c)
        for provider_name, group in by_provider.items():
            provider = get_debit_provider(provider_name)
            try:
                results = provider.charge_many(charges=[DebitCharge(c.key, c.mandate_reference, c.amount_idr)
                                                        for c in group])
            except OSError:  # no answer at all: like a timeout, the same keys are sent again later
                logger.warning("auto-debit: %s did not answer a batch of %s", provider_name, len(group), exc_info=True)
                results = [DebitResult(c.key, DebitOutcome.TIMEOUT) for c in group]
            counts.update(applying.debit_results_apply(provider=provider_name, results=results,
                                              attempts={c.key: c.id for c in group}, now=now))
    return {"handled": counts["succeeded"], "failed": counts["failed"], "skipped": counts["skipped"],
            "retrying": counts["retrying"], "timeouts": counts["timeouts"], "replays": counts["replays"],
            "batches": batches}


def autodebit_run(*, month: dt.date | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """The scheduled run: this month's attempts, then every due try (new ones and retries)."""
    now = now or timezone.now()
    month = month or timezone.localtime(now).date().replace(day=1)
    created = debit_attempts_create(month=month, now=now)
    return {"created": created, **debit_attempts_process(now=now)}
