"""Applying charge results, from the run or the provider's callback, each once."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from contributions.locks import attempts_for_update, members_for_update
from contributions.models import AttemptStatus, Channel, DebitAttempt, DebitMandate, MandateStatus
from contributions.providers import DebitOutcome, DebitResult
from contributions.services.autodebit.common import (
    _ATTEMPT,
    _MANDATE,
    FINAL_REASONS,
    TIMEOUT,
    _month,
    _skip_waiting,
    _tell_payers,
    _window,
    attempt_key_parse,
    attempt_ref,
)
from contributions.services.payments.ledger import _MEMBER, _book, _Line, _open_bills, _payments_insert_many, _Received
from contributions.transitions import (
    ATTEMPT,
    MANDATE,
    debit_attempts_status_transition_locked,
    debit_attempts_status_transition_where,
    debit_attempts_succeed,
    debit_mandates_status_transition_where,
)
from core.services import audit_events_spec, notifications_deliver_after_commit
from core.sql import chunks, in_list, insert_together, no_jit, placeholders

logger = logging.getLogger(__name__)


def debit_results_apply(*, provider: str, results: Sequence[DebitResult], attempts: dict[str, int] | None = None,
                        now: dt.datetime | None = None) -> Counter:
    """Applies charge results, from the run or a callback, each once. `attempts` maps keys to attempt ids when the
    caller knows them; otherwise they are looked up from the keys."""
    now = now or timezone.now()
    if attempts is None:
        attempts = _attempts_for_keys([r.idempotency_key for r in results])
    counts: Counter = Counter()
    succeeded: dict[int, DebitResult] = {}
    declined, lost = [], []
    for result in results:
        attempt_id = attempts.get(result.idempotency_key)
        parsed = attempt_key_parse(result.idempotency_key)
        if attempt_id is None or parsed is None:
            counts["unknown"] += 1
            continue
        if result.outcome == DebitOutcome.SUCCEEDED:
            if attempt_id in succeeded:
                counts["replays"] += 1  # the same result twice in one call
                continue
            succeeded[attempt_id] = result
        elif result.outcome == DebitOutcome.DECLINED:
            declined.append((attempt_id, parsed[2], result))
        else:
            lost.append((attempt_id, parsed[2]))
    items = sorted(succeeded.items())
    for first in range(0, len(items), settings.AUTODEBIT_BATCH_SIZE):
        counts.update(_settle(provider=provider, results=items[first:first + settings.AUTODEBIT_BATCH_SIZE],
                              now=now))
    if declined:
        counts.update(_decline(declined, now=now))
    if lost:
        counts.update(_lost(lost, now=now))
    return counts


def _attempts_for_keys(keys: Sequence[str]) -> dict[str, int]:
    found = {}
    for key in keys:
        parsed = attempt_key_parse(key)
        if parsed:
            pk = DebitAttempt.objects.filter(mandate_id=parsed[0], month=parsed[1]).values_list("pk", flat=True).first()
            if pk is not None:
                found[key] = pk
    return found


def _lock_attempts(cursor, ids: Collection[int], extra: str = "") -> list[tuple]:
    """Attempt rows locked in pk order (before members and mandates, as everywhere), with their mandate's."""
    rows = []
    for some in chunks(sorted(ids)):
        ids_sql, params = in_list("a.id", some)
        cursor.execute(
            f"SELECT a.id, a.status, a.tries, a.month, a.provider_reference, a.mandate_id, d.member_id, d.payer_id"  # noqa: S608
            f"{extra} FROM {_ATTEMPT} a INNER JOIN {_MANDATE} d ON d.id = a.mandate_id "
            f"WHERE {ids_sql} {attempts_for_update('a')}", params)
        rows += cursor.fetchall()
    return rows


def _settle(*, provider: str, results: list[tuple[int, DebitResult]], now: dt.datetime) -> Counter:
    """Successful charges become payments in one transaction per batch: attempts locked and re-checked (a
    replayed result settles nothing), members locked in pk order, then payments, ledger, bills, audit and receipts
    with one statement per table (payments.ledger's own booking), then the attempts marked paid."""
    counts: Counter = Counter()
    by_id = dict(results)
    adapt = connection.ops.adapt_datetimefield_value
    with transaction.atomic(), connection.cursor() as cursor:
        no_jit(cursor)  # thousands of rows a statement: over JIT's cost thresholds, compiled for nothing
        todo = []
        for pk, status, _tries, month, reference, mandate_id, member_id, payer_id in _lock_attempts(cursor, by_id):
            result = by_id[pk]
            if not ATTEMPT.allows(status, AttemptStatus.SUCCEEDED):
                if status == AttemptStatus.SUCCEEDED and reference != result.reference:
                    logger.error("auto-debit: attempt %s paid as %s, provider reports another charge %s", pk,
                                 reference, result.reference)
                    counts["conflicts"] += 1
                else:
                    counts["replays"] += 1
                continue
            todo.append((pk, _month(month), mandate_id, member_id, payer_id, result, status))
        if not todo:
            return counts
        members = {}
        member_ids = sorted({t[3] for t in todo})
        for some in chunks(member_ids):
            ids_sql, params = in_list("m.id", some)
            cursor.execute(f"SELECT m.id, m.status, m.kpj, m.phone FROM {_MEMBER} m "  # noqa: S608
                           f"WHERE {ids_sql} {members_for_update('m')}", params)
            members.update({row[0]: row for row in cursor.fetchall()})
        lines = []
        for _pk, month, _mandate_id, member_id, _payer, result, _before in todo:
            _id, status, kpj, phone = members[member_id]
            lines.append(_Line(member_id, _window(month), result.amount_idr, status, kpj, phone))
        bills = _open_bills(cursor, lines)
        paid_at = {pk: result.charged_at or now for pk, _m, _d, _mem, _p, result, _b in todo}
        inserted = _payments_insert_many(provider=provider, channel=Channel.AUTO_DEBIT, rows=[
            (member_id, result.reference, result.amount_idr, paid_at[pk])
            for pk, _m, _d, member_id, _p, result, _b in todo])
        received, done = [], []
        for (pk, month, mandate_id, member_id, payer_id, result, before), line, payment in zip(todo, lines, inserted,
                                                                                              strict=True):
            if payment is None:  # this charge reference is recorded already
                counts["replays"] += 1
                continue
            audit = {"members": [line.kpj], "amount_idr": result.amount_idr,
                     "attempt": attempt_ref(mandate_id, month), "payer": payer_id}
            received.append(_Received(payment[0], payment[1], result.amount_idr, member_id, paid_at[pk], [line],
                                      audit))
            done.append((pk, mandate_id, result.reference, payment[0], before))
        _book(cursor, received=received, bills=bills, transition_reason="first payment by auto-debit",
              as_arrays=True, audit=ATTEMPT.events([(d[0], d[4]) for d in done], to=AttemptStatus.SUCCEEDED))
        debit_attempts_succeed(cursor, done=[(pk, before, ref, pay) for pk, _m, ref, pay, before in done],
                               at=adapt(now))
        for some in chunks(sorted({d[1] for d in done})):
            ids_sql, params = in_list("id", some)
            cursor.execute(f"UPDATE {_MANDATE} SET failed_months = 0 WHERE failed_months > 0 AND {ids_sql}",  # noqa: S608
                           params)
        counts["succeeded"] += len(done)
    notifications_deliver_after_commit()
    return counts


def _lost(items: list[tuple[int, int]], *, now: dt.datetime) -> Counter:
    """No answer: the same key is asked again after AUTODEBIT_RESEND_AFTER_SECONDS (the tries count stays)."""
    later = now + dt.timedelta(seconds=settings.AUTODEBIT_RESEND_AFTER_SECONDS)
    changed = 0
    with transaction.atomic():
        by_try: dict[int, list[int]] = defaultdict(list)
        for pk, tries in items:
            by_try[tries].append(pk)
        for tries, ids in by_try.items():
            for some in chunks(ids):
                # only from processing: the gate's sources of scheduled
                changed += len(debit_attempts_status_transition_where(
                    rows=DebitAttempt.objects.filter(pk__in=some, tries=tries), to=AttemptStatus.SCHEDULED,
                    actor=None, last_outcome=TIMEOUT, next_try_at=later, updated_at=now))
    return Counter(timeouts=changed)


def _decline(items: list[tuple[int, int, DebitResult]], *, now: dt.datetime) -> Counter:
    """A declined try waits for the next day of AUTODEBIT_RETRY_DAYS; the last one fails the month, tells the payer,
    and counts towards suspending the mandate (AUTODEBIT_SUSPEND_AFTER_MONTHS in a row)."""
    counts: Counter = Counter()
    sent = {pk: (tries, result) for pk, tries, result in items}
    retry_days = settings.AUTODEBIT_RETRY_DAYS
    with transaction.atomic(), connection.cursor() as cursor:
        retry: dict[tuple[int, str], list[int]] = defaultdict(list)
        final: dict[str, list[tuple]] = defaultdict(list)
        for pk, status, tries, _month_v, _ref, mandate_id, _member, _payer in _lock_attempts(cursor, sent):
            tries_sent, result = sent[pk]
            if status != AttemptStatus.PROCESSING or tries != tries_sent:
                counts["replays"] += 1  # an answer to a try already settled
                continue
            if tries <= len(retry_days) and result.reason not in FINAL_REASONS:
                retry[(tries, result.reason)].append(pk)
            else:
                final[result.reason].append((pk, mandate_id))
        for (tries, reason), ids in retry.items():
            debit_attempts_status_transition_locked(
                ids=ids, before=AttemptStatus.PROCESSING, to=AttemptStatus.SCHEDULED, last_outcome=reason[:30],
                next_try_at=now + dt.timedelta(days=retry_days[tries - 1]), updated_at=now)
            counts["retrying"] += len(ids)
        if not final:
            return counts
        for reason, rows in final.items():
            debit_attempts_status_transition_locked(
                ids=[pk for pk, _m in rows], before=AttemptStatus.PROCESSING, to=AttemptStatus.FAILED,
                reason=reason, last_outcome=reason[:30], next_try_at=None, updated_at=now)
        failed = [row for rows in final.values() for row in rows]
        counts["failed"] += len(failed)
        per_mandate = Counter(mandate_id for _pk, mandate_id in failed)
        suspended = _count_failed_months(cursor, per_mandate, now=now)
        _tell_payers(attempt_ids=[pk for pk, _m in failed], kind="failed")
        if suspended:
            _tell_payers(attempt_ids=[pk for pk, mandate_id in failed if mandate_id in suspended], kind="suspended")
        counts["suspended"] += len(suspended)
    return counts


def _count_failed_months(cursor, per_mandate: Counter, *, now: dt.datetime) -> set[int]:
    """failed_months + 1 per failed month; mandates reaching AUTODEBIT_SUSPEND_AFTER_MONTHS are suspended (the
    transition table's rule, set-based), their waiting tries cancelled, an audit event each."""
    for increment in sorted(set(per_mandate.values())):
        ids = sorted(m for m, n in per_mandate.items() if n == increment)
        for some in chunks(ids):
            cursor.execute(f"UPDATE {_MANDATE} SET failed_months = failed_months + %s "  # noqa: S608
                           f"WHERE id IN ({placeholders(len(some))})", [increment, *some])
    suspended: list[tuple[int, str]] = []
    for some in chunks(sorted(per_mandate)):
        suspended += debit_mandates_status_transition_where(
            rows=DebitMandate.objects.filter(pk__in=some, failed_months__gte=settings.AUTODEBIT_SUSPEND_AFTER_MONTHS),
            to=MandateStatus.SUSPENDED, actor=None, audit=False, suspended_at=now)
    if suspended:
        _skip_waiting(mandate_ids=[pk for pk, _b in suspended], outcome="mandate_suspended", now=now)
        months = dict(DebitMandate.objects.filter(pk__in=[pk for pk, _b in suspended])
                      .values_list("pk", "failed_months"))
        insert_together(audit_events_spec(actor_id=None, events=[
            event for pk, before in suspended for event in MANDATE.events(
                [(pk, before)], to=MandateStatus.SUSPENDED, changes={"failed_months": months[pk]},
                reason=f"{months[pk]} months in a row without a successful debit")]))
    return {pk for pk, _b in suspended}


def debit_callback_apply(*, provider: str, result: DebitResult) -> dict:
    """A signed callback from the provider: the same result the run applies, so a replay changes nothing."""
    attempts = _attempts_for_keys([result.idempotency_key])
    counts = debit_results_apply(provider=provider, results=[result], attempts=attempts)
    attempt_id = attempts.get(result.idempotency_key)
    attempt = DebitAttempt.objects.filter(pk=attempt_id).first() if attempt_id is not None else None
    return {"attempt": attempt.key if attempt else None, "status": attempt.status if attempt else None,
            "replay": bool(counts["replays"]), "known": attempt is not None}
