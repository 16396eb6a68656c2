"""Auto-debit: a payer's mandate to charge an account for a member's bills, up to a maximum a month, and the runs
that charge every active mandate once per month.

The run is set-based and safe to repeat or to run twice at once:
- attempts: one INSERT … SELECT per range of mandate ids makes the month's DebitAttempt rows (unique per mandate and
  month, so a second run or a second worker adds nothing);
- claim: a batch of due attempts is marked `processing` with its try number in one statement (SKIP LOCKED on
  PostgreSQL: two workers take different batches) and committed before the provider is called;
- charge: the provider gets the batch with one idempotency key per try (`AD<mandate>-<yyyymm>-<try>`), so asking
  again (a restarted run, a lost answer) never charges twice;
- apply: successes are settled per batch with one statement per table (payments, ledger, bills, audit, outbox);
  declines wait for their next try (AUTODEBIT_RETRY_DAYS), the last one tells the payer; answers lost to a timeout
  are asked again with the same key. A try left `processing` by a run that died is sent again, same key, after
  AUTODEBIT_CLAIM_TIMEOUT_SECONDS.
Results arriving twice (the provider's answer and its callback) settle once: the attempt row is locked and its
status checked first.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from contributions.duedates import add_months
from contributions.models import (
    AttemptStatus,
    BillStatus,
    Channel,
    DebitAttempt,
    DebitMandate,
    MandateStatus,
)
from contributions.providers import DebitCharge, DebitOutcome, DebitResult, get_debit_provider
from contributions.services.payments import (
    _BILL,
    _MEMBER,
    _book,
    _Line,
    _open_bills,
    _payments_insert_many,
    _Received,
)
from core.models import Channel as MessageChannel
from core.models import OutboxMessage, User
from core.money import format_idr
from core.services import (
    audit_event_record,
    audit_events_spec,
    notification_enqueue,
    notifications_deliver_after_commit,
)
from core.sql import InsertSpec, chunks, in_list, insert_together, placeholders
from enrollment.models import Member, MemberStatus

logger = logging.getLogger(__name__)

_ATTEMPT, _MANDATE = DebitAttempt._meta.db_table, DebitMandate._meta.db_table
_USER = User._meta.db_table
PAYABLE = (MemberStatus.REGISTERED, MemberStatus.ACTIVE)

# The one table of allowed status changes for each status field (DESIGN rule 5).
MANDATE_TRANSITIONS = {
    MandateStatus.ACTIVE: {MandateStatus.SUSPENDED, MandateStatus.REVOKED},
    MandateStatus.SUSPENDED: {MandateStatus.REVOKED},
    MandateStatus.REVOKED: set(),
}
ATTEMPT_TRANSITIONS = {
    AttemptStatus.SCHEDULED: {AttemptStatus.PROCESSING, AttemptStatus.SKIPPED, AttemptStatus.SUCCEEDED},
    # processing -> processing: a try left by a dead run, sent again with the same key
    AttemptStatus.PROCESSING: {AttemptStatus.PROCESSING, AttemptStatus.SUCCEEDED, AttemptStatus.SCHEDULED,
                               AttemptStatus.FAILED},
    AttemptStatus.FAILED: {AttemptStatus.SUCCEEDED},  # the money was taken after all (a late callback)
    AttemptStatus.SKIPPED: set(),
    AttemptStatus.SUCCEEDED: set(),
}
TIMEOUT = "timeout"
FINAL_REASONS = {"revoked", "unknown_mandate"}  # no later try can succeed


def _from(to: str) -> list[str]:
    """The attempt statuses allowed to move to `to`, for the WHERE clause of a set-based change."""
    return [before for before, after in ATTEMPT_TRANSITIONS.items() if to in after]


class MandateRefused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def attempt_ref(mandate_id: int, month: dt.date) -> str:
    """DebitAttempt.key without building the model (a million a run)."""
    return f"AD{mandate_id}-{month:%Y%m}"


def attempt_key(mandate_id: int, month: dt.date, tries: int) -> str:
    """DebitAttempt.idempotency_key, likewise."""
    return f"{attempt_ref(mandate_id, month)}-{tries}"


_KEY = re.compile(r"^AD(\d+)-(\d{4})(\d{2})-(\d+)$")


def attempt_key_parse(key: str) -> tuple[int, dt.date, int] | None:
    match = _KEY.match(key or "")
    if not match or not 1 <= int(match[3]) <= 12:
        return None
    return int(match[1]), dt.date(int(match[2]), int(match[3]), 1), int(match[4])


def _window(month: dt.date) -> list[str]:
    """The months an attempt pays: open bills from ARREARS_MONTHS back up to its month, oldest first."""
    return [f"{add_months(month, -n):%Y-%m}" for n in range(settings.ARREARS_MONTHS, -1, -1)]


def _contact(user: User) -> tuple[str, str] | None:
    if user.phone:
        return MessageChannel.SMS, str(user.phone)
    if user.email:
        return MessageChannel.EMAIL, user.email
    return None


# --- mandates ------------------------------------------------------------------------------------------------------


def debit_mandate_create(*, payer: User, member: Member, method: str, issuer: str, account: str,
                         max_amount_idr: int, consent_ip: str | None, consent_version: str | None = None,
                         provider_name: str = "simulator") -> DebitMandate:
    """Records the payer's consent and registers the mandate with the provider. One live mandate per member."""
    if member.status not in PAYABLE:
        raise MandateRefused("member_not_payable", _("This membership is not active; it must be reactivated first."))
    if max_amount_idr <= 0:
        raise ValueError("max_amount_idr must be positive")
    provider = get_debit_provider(provider_name)
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).first()  # one creation per member at a time
        if DebitMandate.objects.filter(member=member).exclude(status=MandateStatus.REVOKED).exists():
            raise MandateRefused("mandate_exists", _("This membership already has an auto-debit. Revoke it first."))
        issued = provider.mandate_create(method=method, issuer=issuer, account=account,
                                         max_amount_idr=max_amount_idr)
        mandate = DebitMandate.objects.create(
            payer=payer, member=member, method=method, issuer=issuer, account_masked=issued.account_masked,
            provider=provider.name, provider_reference=issued.reference, max_amount_idr=max_amount_idr,
            consent_version=consent_version or settings.AUTODEBIT_CONSENT_VERSION, consented_at=timezone.now(),
            consent_ip=consent_ip or None)
        audit_event_record(actor=payer, action="debit_mandate.created", obj=mandate, ip_address=consent_ip or None,
                           changes={"member": member.kpj, "method": method, "issuer": issuer,
                                    "account": issued.account_masked, "max_amount_idr": max_amount_idr,
                                    "consent_version": mandate.consent_version})
        contact = _contact(payer)
        if contact:
            with override(payer.language):
                body = _("Auto-debit is set up: %(issuer)s %(account)s will pay the contributions of KPJ %(kpj)s, "
                         "at most %(max)s a month. You can revoke it at any time on your page.") % {
                    "issuer": issuer, "account": issued.account_masked, "kpj": member.kpj,
                    "max": format_idr(max_amount_idr)}
            notification_enqueue(channel=contact[0], recipient=contact[1], body=body, purpose="autodebit")
    return mandate


def debit_mandate_transition(*, mandate_id: int, to: str, actor: User | None, reason: str = "") -> DebitMandate:
    """The one way a single mandate changes status: provider told on revocation, waiting tries cancelled, audit."""
    with transaction.atomic():
        # Attempts before the mandate: the run takes them in that order too.
        list(DebitAttempt.objects.select_for_update().filter(mandate_id=mandate_id, status=AttemptStatus.SCHEDULED)
             .order_by("pk").values_list("pk", flat=True))
        mandate = DebitMandate.objects.select_for_update().get(pk=mandate_id)
        before = mandate.status
        if before == to:
            return mandate
        if to not in MANDATE_TRANSITIONS[before]:
            raise MandateRefused("transition", f"mandate {mandate_id}: {before} -> {to}")
        now = timezone.now()
        if to == MandateStatus.REVOKED:
            get_debit_provider(mandate.provider).mandate_revoke(reference=mandate.provider_reference)
            mandate.revoked_at = now
        else:
            mandate.suspended_at = now
        mandate.status = to
        mandate.save(update_fields=["status", "revoked_at", "suspended_at"])
        _skip_waiting(mandate_ids=[mandate_id], outcome=f"mandate_{to}", now=now)
        audit_event_record(actor=actor, action=f"debit_mandate.{to}", obj=mandate,
                           changes={"status": [before, to]}, reason=reason)
    return mandate


def debit_mandate_revoke(*, mandate: DebitMandate, actor: User | None, reason: str = "") -> DebitMandate:
    return debit_mandate_transition(mandate_id=mandate.pk, to=MandateStatus.REVOKED, actor=actor, reason=reason)


def _skip_waiting(*, mandate_ids: Sequence[int], outcome: str, now: dt.datetime) -> None:
    """Tries not sent yet are cancelled; one whose answer was lost is still asked (the money may be taken)."""
    for some in chunks(list(mandate_ids)):
        DebitAttempt.objects.filter(mandate_id__in=some, status=AttemptStatus.SCHEDULED).exclude(
            last_outcome=TIMEOUT).update(status=AttemptStatus.SKIPPED, last_outcome=outcome, next_try_at=None,
                                         updated_at=now)


# --- the run -------------------------------------------------------------------------------------------------------


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
        f"AND m.status IN (%s, %s) AND NOT EXISTS (SELECT 1 FROM {_ATTEMPT} a WHERE a.mandate_id = d.id "
        f"AND a.month = %s)) s WHERE s.total > 0 ON CONFLICT (mandate_id, month) DO NOTHING")
    m, first = ops.adapt_datefield_value(month), ops.adapt_datefield_value(dt.date.fromisoformat(window[0] + "-01"))
    when = ops.adapt_datetimefield_value(now)
    created, busy = 0, []

    def one(lo: int, wait: bool) -> bool:
        nonlocal created
        with transaction.atomic(), connection.cursor() as cursor:
            if postgres:
                cursor.execute(f"SELECT pg_{'' if wait else 'try_'}advisory_xact_lock(%s, %s)",
                               [0x0AD0, lo // size])
                if not wait and not cursor.fetchone()[0]:
                    return False
            cursor.execute(sql, [m, AttemptStatus.SCHEDULED, when, when, when, BillStatus.OPEN, first, m,
                                 MandateStatus.ACTIVE, lo, lo + size, *PAYABLE, m])
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
        rows = []
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
        if postgres:
            for some in chunks(claimed):
                ids_sql, ids = in_list("id", [c.id for c in some])
                cursor.execute(
                    f"UPDATE {_ATTEMPT} SET tries = CASE WHEN status = %s AND last_outcome <> %s THEN tries + 1 "  # noqa: S608
                    f"ELSE tries END, status = %s, claimed_at = %s, updated_at = %s WHERE {ids_sql}",
                    [AttemptStatus.SCHEDULED, TIMEOUT, AttemptStatus.PROCESSING, at, at, *ids])
            return claimed
        # SQLite locked nothing: each row changes only if it is still as read (another process may have taken it).
        raw = {row[0]: row for row in rows}
        taken = set()
        for c in claimed:
            cursor.execute(f"UPDATE {_ATTEMPT} SET tries = %s, status = %s, claimed_at = %s, updated_at = %s "  # noqa: S608
                           f"WHERE id = %s AND status = %s AND tries = %s AND updated_at = %s",
                           [c.tries, AttemptStatus.PROCESSING, at, at, c.id, raw[c.id][5], raw[c.id][4],
                            raw[c.id][11]])
            if cursor.rowcount:
                taken.add(c.id)
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
                    DebitAttempt.objects.filter(pk__in=some, status=AttemptStatus.PROCESSING).update(
                        status=AttemptStatus.SKIPPED, last_outcome=outcome, next_try_at=None, updated_at=now)
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
            counts.update(debit_results_apply(provider=provider_name, results=results,
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


# --- results -------------------------------------------------------------------------------------------------------


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


def _lock_attempts(cursor, ids: Sequence[int], extra: str = "") -> list[tuple]:
    """Attempt rows locked in pk order (before members and mandates, as everywhere), with their mandate's."""
    lock = " FOR UPDATE OF a" if connection.features.has_select_for_update_of else ""
    rows = []
    for some in chunks(sorted(ids)):
        ids_sql, params = in_list("a.id", some)
        cursor.execute(
            f"SELECT a.id, a.status, a.tries, a.month, a.provider_reference, a.mandate_id, d.member_id, d.payer_id"  # noqa: S608
            f"{extra} FROM {_ATTEMPT} a INNER JOIN {_MANDATE} d ON d.id = a.mandate_id "
            f"WHERE {ids_sql} ORDER BY a.id{lock}", params)
        rows += cursor.fetchall()
    return rows


def _month(value) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _settle(*, provider: str, results: list[tuple[int, DebitResult]], now: dt.datetime) -> Counter:
    """Successful charges become payments in one transaction per batch: attempts locked and re-checked (a
    replayed result settles nothing), members locked in pk order, then payments, ledger, bills, audit and receipts
    with one statement per table (payments.py's own booking), then the attempts marked paid."""
    counts: Counter = Counter()
    by_id = dict(results)
    adapt = connection.ops.adapt_datetimefield_value
    with transaction.atomic(), connection.cursor() as cursor:
        todo = []
        for pk, status, _tries, month, reference, mandate_id, member_id, payer_id in _lock_attempts(cursor, by_id):
            result = by_id[pk]
            if status not in _from(AttemptStatus.SUCCEEDED):
                if status == AttemptStatus.SUCCEEDED and reference != result.reference:
                    logger.error("auto-debit: attempt %s paid as %s, provider reports another charge %s", pk,
                                 reference, result.reference)
                    counts["conflicts"] += 1
                else:
                    counts["replays"] += 1
                continue
            todo.append((pk, _month(month), mandate_id, member_id, payer_id, result))
        if not todo:
            return counts
        members = {}
        member_ids = sorted({t[3] for t in todo})
        for some in chunks(member_ids):
            lock = " FOR UPDATE OF m" if connection.features.has_select_for_update_of else ""
            ids_sql, params = in_list("m.id", some)
            cursor.execute(f"SELECT m.id, m.status, m.kpj, m.phone FROM {_MEMBER} m "  # noqa: S608
                           f"WHERE {ids_sql} ORDER BY m.id{lock}", params)
            members.update({row[0]: row for row in cursor.fetchall()})
        lines = []
        for _pk, month, _mandate_id, member_id, _payer, result in todo:
            _id, status, kpj, phone = members[member_id]
            lines.append(_Line(member_id, _window(month), result.amount_idr, status, kpj, phone))
        bills = _open_bills(cursor, lines)
        paid_at = {pk: result.charged_at or now for pk, _m, _d, _mem, _p, result in todo}
        inserted = _payments_insert_many(provider=provider, channel=Channel.AUTO_DEBIT, rows=[
            (member_id, result.reference, result.amount_idr, paid_at[pk])
            for pk, _m, _d, member_id, _p, result in todo])
        received, done = [], []
        for (pk, month, mandate_id, member_id, payer_id, result), line, payment in zip(todo, lines, inserted,
                                                                                      strict=True):
            if payment is None:  # this charge reference is recorded already
                counts["replays"] += 1
                continue
            audit = {"members": [line.kpj], "amount_idr": result.amount_idr,
                     "attempt": attempt_ref(mandate_id, month), "payer": payer_id}
            received.append(_Received(payment[0], payment[1], result.amount_idr, member_id, paid_at[pk], [line],
                                      audit))
            done.append((pk, mandate_id, result.reference, payment[0]))
        _book(cursor, received=received, bills=bills, transition_reason="first payment by auto-debit",
              as_arrays=True)
        at = adapt(now)
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {_ATTEMPT} a SET status = %s, last_outcome = 'success', next_try_at = NULL, "  # noqa: S608
                f"updated_at = %s, provider_reference = v.ref, payment_id = v.pay FROM (SELECT unnest(%s::bigint[]) "
                f"AS id, unnest(%s::text[]) AS ref, unnest(%s::bigint[]) AS pay) v WHERE a.id = v.id",
                [AttemptStatus.SUCCEEDED, at, [d[0] for d in done], [d[2] for d in done], [d[3] for d in done]])
        else:
            cursor.executemany(
                f"UPDATE {_ATTEMPT} SET status = %s, last_outcome = 'success', next_try_at = NULL, "  # noqa: S608
                f"updated_at = %s, provider_reference = %s, payment_id = %s WHERE id = %s",
                [(AttemptStatus.SUCCEEDED, at, ref, pay, pk) for pk, _m, ref, pay in done])
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
                changed += DebitAttempt.objects.filter(pk__in=some, tries=tries, status=AttemptStatus.PROCESSING) \
                    .update(status=AttemptStatus.SCHEDULED, last_outcome=TIMEOUT, next_try_at=later, updated_at=now)
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
            DebitAttempt.objects.filter(pk__in=ids).update(
                status=AttemptStatus.SCHEDULED, last_outcome=reason[:30],
                next_try_at=now + dt.timedelta(days=retry_days[tries - 1]), updated_at=now)
            counts["retrying"] += len(ids)
        if not final:
            return counts
        for reason, rows in final.items():
            DebitAttempt.objects.filter(pk__in=[pk for pk, _m in rows]).update(
                status=AttemptStatus.FAILED, last_outcome=reason[:30], next_try_at=None, updated_at=now)
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
    allowed = [s for s, targets in MANDATE_TRANSITIONS.items() if MandateStatus.SUSPENDED in targets]
    suspended: list[tuple[int, str]] = []
    ids = sorted(per_mandate)
    for some in chunks(ids):
        cursor.execute(
            f"UPDATE {_MANDATE} SET status = %s, suspended_at = %s WHERE failed_months >= %s "  # noqa: S608
            f"AND status IN ({placeholders(len(allowed))}) AND id IN ({placeholders(len(some))}) "
            f"RETURNING id, failed_months",
            [MandateStatus.SUSPENDED, connection.ops.adapt_datetimefield_value(now),
             settings.AUTODEBIT_SUSPEND_AFTER_MONTHS, *allowed, *some])
        suspended += cursor.fetchall()
    if suspended:
        _skip_waiting(mandate_ids=[pk for pk, _n in suspended], outcome="mandate_suspended", now=now)
        insert_together(audit_events_spec(actor_id=None, events=[
            ("debit_mandate.suspended", DebitMandate._meta.label_lower, pk,
             {"status": [MandateStatus.ACTIVE, MandateStatus.SUSPENDED], "failed_months": n},
             f"{n} months in a row without a successful debit") for pk, n in suspended]))
    return {pk for pk, _n in suspended}


def _tell_payers(*, attempt_ids: Sequence[int], kind: str, amounts: dict[int, int] | None = None) -> None:
    """One message per attempt and kind (the outbox key keeps it once), in the payer's language; without a phone
    or email address, nothing is sent and the member page still shows it."""
    rows = []
    for attempt in DebitAttempt.objects.filter(pk__in=attempt_ids).select_related("mandate__payer",
                                                                                  "mandate__member"):
        mandate, payer = attempt.mandate, attempt.mandate.payer
        contact = _contact(payer)
        if contact is None:
            continue
        values = {"kpj": mandate.member.kpj, "month": f"{attempt.month:%m/%Y}", "issuer": mandate.issuer,
                  "account": mandate.account_masked, "max": format_idr(mandate.max_amount_idr),
                  "amount": format_idr((amounts or {}).get(attempt.pk, attempt.amount_idr)),
                  "months": mandate.failed_months}
        with override(payer.language):
            if kind == "failed":
                body = _("Auto-debit for KPJ %(kpj)s (%(month)s) failed after every try on %(issuer)s %(account)s. "
                         "Please pay by transfer or QRIS on your page; payment reminders will follow.") % values
            elif kind == "suspended":
                body = _("Auto-debit for KPJ %(kpj)s is suspended after %(months)s months without a successful "
                         "debit. Pay by transfer or QRIS, and set auto-debit up again on your page.") % values
            else:
                body = _("Auto-debit for KPJ %(kpj)s (%(month)s) was not made: %(amount)s is due, above your "
                         "maximum of %(max)s. Please pay by transfer or QRIS on your page.") % values
        key = f"autodebit:{attempt.pk}:{kind}" if kind != "suspended" else f"autodebit:m{mandate.pk}:{attempt.pk}"
        rows.append((contact[0], contact[1], body, "autodebit", key))
    if rows:
        insert_together(InsertSpec(OutboxMessage, ("channel", "recipient", "body", "purpose", "key"), rows))
        notifications_deliver_after_commit()


# --- callbacks -----------------------------------------------------------------------------------------------------


def debit_callback_apply(*, provider: str, result: DebitResult) -> dict:
    """A signed callback from the provider: the same result the run applies, so a replay changes nothing."""
    attempts = _attempts_for_keys([result.idempotency_key])
    counts = debit_results_apply(provider=provider, results=[result], attempts=attempts)
    attempt = DebitAttempt.objects.filter(pk=attempts.get(result.idempotency_key)).first()
    return {"attempt": attempt.key if attempt else None, "status": attempt.status if attempt else None,
            "replay": bool(counts["replays"]), "known": attempt is not None}
