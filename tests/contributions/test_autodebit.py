"""Auto-debit: mandates with consent, the monthly run, retries with backoff, suspension, revocation, the simulator's
scripted outcomes and its signed callbacks. Every charge goes through the simulated provider's idempotency key."""

import datetime as dt
import json
import time
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django_celery_beat.models import PeriodicTask

from contributions.models import (
    AttemptStatus,
    Bill,
    BillStatus,
    Channel,
    DebitAttempt,
    DebitMandate,
    EntryKind,
    LedgerEntry,
    MandateStatus,
    Payment,
    SimulatorCharge,
    SimulatorMandate,
)
from contributions.providers import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DebitCharge,
    DebitOutcome,
    DebitResult,
    SimulatorDebitProvider,
    debit_callback_payload,
    sign,
)
from contributions.selectors import reconciliation
from contributions.services import autodebit
from contributions.services.autodebit import (
    MandateRefused,
    attempt_key_parse,
    autodebit_run,
    debit_attempts_create,
    debit_attempts_process,
    debit_mandate_create,
    debit_mandate_revoke,
)
from contributions.services.autodebit import run as debit_run
from core.models import AuditEvent, JobRun, OutboxMessage
from members.models import MemberStatus
from tests.contributions.helpers import bills_make, confirm, member_make, payer_make

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data", "english")]

WIB = ZoneInfo("Asia/Jakarta")
NOV = dt.date(2026, 11, 1)
RUN_AT = dt.datetime(2026, 11, 5, 6, 0, tzinfo=WIB)


def _mandate(member, *, account="1234567890", max_amount_idr=500_000, payer=None, method="bank", issuer="BCA"):
    payer = payer or member.user or payer_make()
    return debit_mandate_create(payer=payer, member=member, method=method, issuer=issuer, account=account,
                                max_amount_idr=max_amount_idr, consent_ip="203.0.113.9")


@pytest.fixture
def billed():
    """A registered member with October and November open (due 15 Nov); a payer with a phone number."""
    member = member_make(billing_start=dt.date(2026, 10, 1))
    bills_make(member, "2026-10", "2026-11")
    payer = payer_make()
    payer.phone = "+6281299990001"
    payer.save()
    return member, payer


def _owed(member):
    return sum(Bill.objects.filter(member=member, status=BillStatus.OPEN).values_list("total_idr", flat=True))


# --- mandates ------------------------------------------------------------------------------------------------


def test_mandate_records_consent_and_tells_the_provider(billed):
    member, payer = billed
    mandate = _mandate(member, payer=payer, account="0011223344", max_amount_idr=300_000)
    assert mandate.status == MandateStatus.ACTIVE
    assert mandate.account_masked == "•••• 3344"
    assert (mandate.consent_version, mandate.consent_ip) == ("2026-11", "203.0.113.9")
    assert mandate.consented_at is not None
    sim = SimulatorMandate.objects.get(reference=mandate.provider_reference)
    assert (sim.account, sim.max_amount_idr, sim.script, sim.revoked) == ("0011223344", 300_000, [], False)
    event = AuditEvent.objects.get(action="debit_mandate.created", object_id=str(mandate.pk))
    assert event.actor == payer and event.ip_address == "203.0.113.9"
    assert event.changes["max_amount_idr"] == 300_000 and event.changes["account"] == "•••• 3344"
    message = OutboxMessage.objects.get(recipient="+6281299990001", purpose="autodebit")
    assert "Rp300,000" in message.body.replace("\xa0", "") or "300.000" in message.body


def test_test_account_numbers_pick_the_script(billed):
    member, payer = billed
    mandate = _mandate(member, payer=payer, account="9876543093")
    assert SimulatorMandate.objects.get(reference=mandate.provider_reference).script == [
        "insufficient_funds", "success"]


def test_one_live_mandate_per_member_and_a_new_one_after_revoking(billed):
    member, payer = billed
    first = _mandate(member, payer=payer)
    with pytest.raises(MandateRefused) as refused:
        _mandate(member, payer=payer)
    assert refused.value.code == "mandate_exists"
    debit_mandate_revoke(mandate=first, actor=payer)
    second = _mandate(member, payer=payer)
    assert second.status == MandateStatus.ACTIVE


def test_lapsed_member_cannot_get_a_mandate():
    member = member_make(status=MemberStatus.LAPSED)
    with pytest.raises(MandateRefused) as refused:
        _mandate(member)
    assert refused.value.code == "member_not_payable"
    assert not DebitMandate.objects.exists()


def test_revoking_cancels_waiting_tries_and_the_provider_refuses_later_charges(billed):
    member, payer = billed
    mandate = _mandate(member, payer=payer, account="1111111051")  # insufficient funds: a retry waits
    autodebit_run(month=NOV, now=RUN_AT)
    attempt = DebitAttempt.objects.get()
    assert attempt.status == AttemptStatus.SCHEDULED
    debit_mandate_revoke(mandate=mandate, actor=payer, reason="changed bank")
    mandate.refresh_from_db()
    attempt.refresh_from_db()
    assert mandate.status == MandateStatus.REVOKED and mandate.revoked_at is not None
    assert (attempt.status, attempt.last_outcome) == (AttemptStatus.SKIPPED, "mandate_revoked")
    assert SimulatorMandate.objects.get(reference=mandate.provider_reference).revoked
    assert AuditEvent.objects.filter(action="debit_mandate.revoked", object_id=str(mandate.pk),
                                     changes__status=["active", "revoked"]).exists()
    result = debit_attempts_process(now=RUN_AT + dt.timedelta(days=10))
    assert result["handled"] == 0 and SimulatorCharge.objects.count() == 1
    # asked directly, the provider declines a revoked mandate
    [answer] = SimulatorDebitProvider().charge_many(charges=[DebitCharge("X-1", mandate.provider_reference, 1000)])
    assert (answer.outcome, answer.reason) == (DebitOutcome.DECLINED, "revoked")


# --- the run -------------------------------------------------------------------------------------------------


def test_run_charges_due_bills_once_and_books_them(billed):
    member, payer = billed
    owed = _owed(member)
    mandate = _mandate(member, payer=payer)
    result = autodebit_run(month=NOV, now=RUN_AT)
    assert (result["created"], result["handled"], result["failed"]) == (1, 1, 0)
    attempt = DebitAttempt.objects.get()
    assert (attempt.status, attempt.tries, attempt.amount_idr) == (AttemptStatus.SUCCEEDED, 1, owed)
    charge = SimulatorCharge.objects.get()
    assert charge.idempotency_key == attempt.idempotency_key == f"AD{mandate.pk}-202611-1"
    payment = attempt.payment
    assert (payment.channel, payment.amount_idr, payment.member, payment.provider_reference) == (
        Channel.AUTO_DEBIT, owed, member, charge.reference)
    assert not Bill.objects.filter(member=member, status=BillStatus.OPEN).exists()
    assert LedgerEntry.objects.filter(payment=payment, kind=EntryKind.ALLOCATION).count() == 2
    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE
    assert reconciliation().balanced
    assert OutboxMessage.objects.filter(purpose="receipt", recipient=str(member.phone),
                                        body__contains=payment.receipt_number).exists()
    assert AuditEvent.objects.filter(action="payment.received", object_id=str(payment.pk)).exists()
    # again, the same day or later in the month: nothing new is charged
    again = autodebit_run(month=NOV, now=RUN_AT + dt.timedelta(days=3))
    assert (again["created"], again["handled"]) == (0, 0)
    assert SimulatorCharge.objects.count() == Payment.objects.count() == 1


def test_nothing_to_charge_makes_no_attempt(billed):
    member, payer = billed
    _mandate(member, payer=payer)
    Bill.objects.filter(member=member).update(status=BillStatus.PAID)
    assert autodebit_run(month=NOV, now=RUN_AT)["created"] == 0
    assert not DebitAttempt.objects.exists()


def test_above_the_maximum_nothing_is_charged_and_the_payer_is_told(billed):
    member, payer = billed
    _mandate(member, payer=payer, max_amount_idr=_owed(member) - 1)
    result = autodebit_run(month=NOV, now=RUN_AT)
    attempt = DebitAttempt.objects.get()
    assert (attempt.status, attempt.last_outcome, result["skipped"]) == (AttemptStatus.SKIPPED, "over_maximum", 1)
    assert not SimulatorCharge.objects.exists()
    assert OutboxMessage.objects.filter(key=f"autodebit:{attempt.pk}:over_maximum",
                                        recipient=str(payer.phone)).exists()


def test_insufficient_funds_retries_on_the_schedule_then_tells_the_payer(billed):
    member, payer = billed
    mandate = _mandate(member, payer=payer, account="5555555051")
    autodebit_run(month=NOV, now=RUN_AT)
    attempt = DebitAttempt.objects.get()
    assert (attempt.status, attempt.tries, attempt.last_outcome) == (
        AttemptStatus.SCHEDULED, 1, "insufficient_funds")
    assert attempt.next_try_at == RUN_AT + dt.timedelta(days=2)
    assert debit_attempts_process(now=RUN_AT + dt.timedelta(days=1, hours=23))["batches"] == 0
    debit_attempts_process(now=RUN_AT + dt.timedelta(days=2))
    attempt.refresh_from_db()
    assert (attempt.status, attempt.tries, attempt.next_try_at) == (
        AttemptStatus.SCHEDULED, 2, RUN_AT + dt.timedelta(days=5))
    result = debit_attempts_process(now=RUN_AT + dt.timedelta(days=5))
    attempt.refresh_from_db()
    mandate.refresh_from_db()
    assert (attempt.status, attempt.tries, result["failed"]) == (AttemptStatus.FAILED, 3, 1)
    assert (mandate.status, mandate.failed_months) == (MandateStatus.ACTIVE, 1)
    assert sorted(SimulatorCharge.objects.values_list("idempotency_key", flat=True)) == [
        f"AD{mandate.pk}-202611-{n}" for n in (1, 2, 3)]
    assert not Payment.objects.exists()
    told = OutboxMessage.objects.get(key=f"autodebit:{attempt.pk}:failed")
    assert told.recipient == str(payer.phone) and member.kpj in told.body
    assert debit_attempts_process(now=RUN_AT + dt.timedelta(days=30))["batches"] == 0


def test_failing_then_paid_on_the_retry(billed):
    member, payer = billed
    _mandate(member, payer=payer, account="5555555093")
    autodebit_run(month=NOV, now=RUN_AT)
    result = debit_attempts_process(now=RUN_AT + dt.timedelta(days=2))
    attempt = DebitAttempt.objects.get()
    assert (result["handled"], attempt.status, attempt.tries) == (1, AttemptStatus.SUCCEEDED, 2)
    assert Payment.objects.get().amount_idr == attempt.amount_idr
    assert reconciliation().balanced


def test_a_retry_charges_only_what_is_still_open(billed):
    member, payer = billed
    _mandate(member, payer=payer, account="5555555093")
    autodebit_run(month=NOV, now=RUN_AT)
    october = Bill.objects.get(member=member, month=dt.date(2026, 10, 1))
    Bill.objects.filter(pk=october.pk).update(status=BillStatus.PAID)  # paid by transfer meanwhile
    debit_attempts_process(now=RUN_AT + dt.timedelta(days=2))
    attempt = DebitAttempt.objects.get()
    november = Bill.objects.get(member=member, month=NOV)
    assert attempt.amount_idr == november.total_idr == attempt.payment.amount_idr


def test_nothing_left_to_pay_on_the_retry_skips_it(billed):
    member, payer = billed
    _mandate(member, payer=payer, account="5555555093")
    autodebit_run(month=NOV, now=RUN_AT)
    Bill.objects.filter(member=member).update(status=BillStatus.PAID)
    result = debit_attempts_process(now=RUN_AT + dt.timedelta(days=2))
    attempt = DebitAttempt.objects.get()
    assert (attempt.status, attempt.last_outcome, result["skipped"]) == (AttemptStatus.SKIPPED, "nothing_due", 1)
    assert SimulatorCharge.objects.count() == 1


def test_expired_mandate_is_retried_and_fails(billed):
    member, payer = billed
    _mandate(member, payer=payer, account="5555555069")
    autodebit_run(month=NOV, now=RUN_AT)
    debit_attempts_process(now=RUN_AT + dt.timedelta(days=2))
    debit_attempts_process(now=RUN_AT + dt.timedelta(days=5))
    attempt = DebitAttempt.objects.get()
    assert (attempt.status, attempt.last_outcome, attempt.tries) == (AttemptStatus.FAILED, "expired", 3)


def test_a_lost_answer_is_asked_again_with_the_same_key_and_charged_once(billed):
    member, payer = billed
    mandate = _mandate(member, payer=payer, account="5555555077")
    result = autodebit_run(month=NOV, now=RUN_AT)
    attempt = DebitAttempt.objects.get()
    assert (result["timeouts"], attempt.status, attempt.last_outcome, attempt.tries) == (
        1, AttemptStatus.SCHEDULED, "timeout", 1)
    assert SimulatorCharge.objects.get().outcome == "timeout"  # the provider did take the money
    debit_attempts_process(now=RUN_AT + dt.timedelta(minutes=10))
    attempt.refresh_from_db()
    assert (attempt.status, attempt.tries) == (AttemptStatus.SUCCEEDED, 1)
    charge = SimulatorCharge.objects.get()
    assert charge.idempotency_key == f"AD{mandate.pk}-202611-1"
    assert attempt.payment.provider_reference == charge.reference
    assert Payment.objects.count() == 1 and reconciliation().balanced


def test_a_duplicate_callback_settles_once(billed):
    member, payer = billed
    _mandate(member, payer=payer, account="5555555085")
    result = autodebit_run(month=NOV, now=RUN_AT)
    assert (result["handled"], result["replays"]) == (1, 1)
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.RECEIVED).count() == 1
    assert OutboxMessage.objects.filter(purpose="receipt").count() == 1


@override_settings(AUTODEBIT_SUSPEND_AFTER_MONTHS=2, AUTODEBIT_RETRY_DAYS=[1])
def test_a_mandate_failing_months_in_a_row_is_suspended(billed):
    member, payer = billed
    mandate = _mandate(member, payer=payer, account="5555555051")
    autodebit_run(month=dt.date(2026, 10, 1), now=RUN_AT - dt.timedelta(days=31))
    debit_attempts_process(now=RUN_AT - dt.timedelta(days=30))
    mandate.refresh_from_db()
    assert (mandate.status, mandate.failed_months) == (MandateStatus.ACTIVE, 1)
    bills_make(member, "2026-12")
    autodebit_run(month=NOV, now=RUN_AT)
    result = debit_attempts_process(now=RUN_AT + dt.timedelta(days=1))
    mandate.refresh_from_db()
    assert result["failed"] == 1
    assert (mandate.status, mandate.failed_months) == (MandateStatus.SUSPENDED, 2)
    assert mandate.suspended_at is not None
    assert AuditEvent.objects.filter(action="debit_mandate.suspended", object_id=str(mandate.pk)).exists()
    # In the payer's language: Indonesian unless the account chose English.
    assert OutboxMessage.objects.filter(purpose="autodebit", body__contains="dihentikan sementara").count() == 1
    # a suspended mandate is not charged in the next month
    assert autodebit_run(month=dt.date(2026, 12, 1), now=RUN_AT + dt.timedelta(days=30))["created"] == 0


@override_settings(AUTODEBIT_RETRY_DAYS=[1])
def test_a_success_resets_the_failed_months(billed):
    member, payer = billed
    mandate = _mandate(member, payer=payer)
    DebitMandate.objects.filter(pk=mandate.pk).update(failed_months=2)
    autodebit_run(month=NOV, now=RUN_AT)
    mandate.refresh_from_db()
    assert mandate.failed_months == 0


def test_lapsed_member_is_not_charged(billed):
    member, payer = billed
    _mandate(member, payer=payer)
    member.status = MemberStatus.LAPSED
    member.save()
    assert autodebit_run(month=NOV, now=RUN_AT)["created"] == 0


def test_a_run_that_died_after_claiming_is_sent_again_with_the_same_key(billed):
    member, payer = billed
    mandate = _mandate(member, payer=payer)
    debit_attempts_create(month=NOV, now=RUN_AT)
    claimed = debit_run._claim(now=RUN_AT, size=10)  # the worker dies here, before or after calling the provider
    SimulatorDebitProvider().charge_many(charges=[DebitCharge(c.key, c.mandate_reference, c.amount_idr)
                                                  for c in claimed])
    assert debit_attempts_process(now=RUN_AT + dt.timedelta(minutes=5))["batches"] == 0  # not stale yet
    later = RUN_AT + dt.timedelta(seconds=901)
    result = debit_attempts_process(now=later)
    attempt = DebitAttempt.objects.get()
    assert (result["handled"], attempt.status, attempt.tries) == (1, AttemptStatus.SUCCEEDED, 1)
    assert SimulatorCharge.objects.get().idempotency_key == f"AD{mandate.pk}-202611-1"
    assert Payment.objects.count() == 1


def test_results_applied_twice_settle_once(billed):
    member, payer = billed
    _mandate(member, payer=payer)
    debit_attempts_create(month=NOV, now=RUN_AT)
    [claimed] = debit_run._claim(now=RUN_AT, size=10)
    results = SimulatorDebitProvider().charge_many(charges=[DebitCharge(claimed.key, claimed.mandate_reference,
                                                                        claimed.amount_idr)])
    first = autodebit.debit_results_apply(provider="simulator", results=results)
    second = autodebit.debit_results_apply(provider="simulator", results=results)
    assert (first["succeeded"], second["succeeded"], second["replays"]) == (1, 0, 1)
    assert Payment.objects.count() == 1


def test_two_attempts_of_one_member_in_one_batch_share_the_bills():
    """October's retry and November's first try land in one batch: the second sees what the first allocated."""
    member = member_make(billing_start=dt.date(2026, 9, 1))
    bills_make(member, "2026-09", "2026-10", "2026-11")
    mandate = _mandate(member, account="5555555093", max_amount_idr=2_000_000)
    autodebit_run(month=dt.date(2026, 10, 1), now=RUN_AT - dt.timedelta(days=30))  # declined, retry in 2 days
    autodebit_run(month=NOV, now=RUN_AT)
    assert DebitAttempt.objects.filter(mandate=mandate, status=AttemptStatus.SUCCEEDED).count() == 2
    assert reconciliation().balanced
    assert not Bill.objects.filter(member=member, status=BillStatus.OPEN).exists()
    credit = LedgerEntry.objects.filter(kind=EntryKind.CREDIT).values_list("amount_idr", flat=True)
    paid = sum(Payment.objects.values_list("amount_idr", flat=True))
    assert paid == sum(Bill.objects.filter(member=member).values_list("total_idr", flat=True)) + sum(credit)


def test_attempt_keys_match_the_model():
    attempt = DebitAttempt(mandate_id=42, month=NOV, tries=3)
    assert autodebit.attempt_key(42, NOV, 3) == attempt.idempotency_key
    assert autodebit.attempt_ref(42, NOV) == attempt.key
    assert attempt_key_parse(attempt.idempotency_key) == (42, NOV, 3)
    assert attempt_key_parse("AD42-202613-1") is None
    assert attempt_key_parse("nonsense") is None


def test_a_transfer_and_the_debit_both_arriving_leave_credit_not_a_double_allocation(billed, payer):
    member, debit_payer = billed
    from contributions.services.payments import payment_order_create

    _mandate(member, payer=debit_payer)
    order = payment_order_create(member=member, months_count=1, payer=payer)
    autodebit_run(month=NOV, now=RUN_AT)
    confirm(order)  # the transfer arrives after the debit paid the months
    assert reconciliation().balanced
    assert LedgerEntry.objects.filter(kind=EntryKind.CREDIT).exists()


# --- jobs and schedules --------------------------------------------------------------------------------------


def test_schedules_are_created_by_the_migration():
    run = PeriodicTask.objects.get(name="Auto-debit run")
    assert run.task == "contributions.tasks.autodebit_run" and run.crontab.day_of_month == "5"
    retries = PeriodicTask.objects.get(name="Auto-debit retries")
    assert retries.task == "contributions.tasks.autodebit_retry_due" and retries.crontab.hour == "*"


def test_the_tasks_record_their_runs(billed, today):
    from contributions import tasks

    member, payer = billed
    _mandate(member, payer=payer)
    today(dt.date(2026, 11, 5))
    tasks.autodebit_run.delay()
    run = JobRun.objects.get(job="autodebit.run")
    assert (run.status, run.handled, run.failed) == (JobRun.Status.SUCCEEDED, 1, 0)
    tasks.autodebit_retry_due.delay()
    assert JobRun.objects.get(job="autodebit.retries").handled == 0


# --- signed callbacks ------------------------------------------------------------------------------------------

CALLBACK_URL = "/api/v1/payments/webhooks/simulator/debit/"


def _post(client, body: bytes, *, secret=None, timestamp=None):
    from django.conf import settings

    ts = str(int(time.time()) if timestamp is None else timestamp)
    headers = {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(body, ts, secret or settings.PAYMENT_SIMULATOR_SECRET)}
    response = client.post(CALLBACK_URL, data=body, content_type="application/json", headers=headers)
    return response, json.loads(response.content)


def test_callback_settles_a_lost_answer_and_a_replay_changes_nothing(client, billed):
    member, payer = billed
    _mandate(member, payer=payer, account="5555555077")
    autodebit_run(month=NOV, now=RUN_AT)  # the answer was lost
    charge = SimulatorCharge.objects.get()
    body = debit_callback_payload(DebitResult(charge.idempotency_key, DebitOutcome.SUCCEEDED, "", charge.reference,
                                              charge.amount_idr, charge.created_at))
    response, data = _post(client, body)
    assert response.status_code == 200, data
    assert (data["status"], data["replay"]) == ("succeeded", False)
    response, data = _post(client, body)
    assert (response.status_code, data["replay"]) == (200, True)
    debit_attempts_process(now=RUN_AT + dt.timedelta(minutes=10))  # the resend finds it paid
    assert Payment.objects.count() == 1 and SimulatorCharge.objects.count() == 1
    assert reconciliation().balanced


def test_callback_needs_a_fresh_signature_and_a_known_attempt(client, billed):
    body = debit_callback_payload(DebitResult("AD999-202611-1", DebitOutcome.SUCCEEDED, "", "SIMDX", 1000,
                                              dt.datetime(2026, 11, 5, tzinfo=WIB)))
    assert _post(client, body, secret="wrong")[0].status_code == 401
    assert _post(client, body, timestamp=int(time.time()) - 3600)[0].status_code == 401
    response, data = _post(client, body)
    assert response.status_code == 409 and data["error"]["code"] == "unknown_attempt"
    response, data = _post(client, b'{"idempotency_key": "AD1-202611-1", "status": "maybe"}')
    assert response.status_code == 400
    assert not Payment.objects.exists()


def test_a_decline_callback_for_an_old_try_changes_nothing(client, billed):
    member, payer = billed
    _mandate(member, payer=payer, account="5555555093")
    autodebit_run(month=NOV, now=RUN_AT)
    debit_attempts_process(now=RUN_AT + dt.timedelta(days=2))  # try 2 paid
    first = SimulatorCharge.objects.order_by("pk").first()
    body = debit_callback_payload(DebitResult(first.idempotency_key, DebitOutcome.DECLINED, "insufficient_funds",
                                              first.reference, first.amount_idr, first.created_at))
    response, data = _post(client, body)
    assert (response.status_code, data["status"], data["replay"]) == (200, "succeeded", True)


def test_attempts_made_by_another_worker_a_moment_later_are_due_for_this_one(billed):
    """Two workers: one creates the month's attempts with its clock slightly ahead; the other, whose run started a
    moment earlier, must still see them as due (they are due from the month's start) and share the work."""
    member, payer = billed
    _mandate(member, payer=payer)
    debit_attempts_create(month=NOV, now=RUN_AT + dt.timedelta(seconds=5))
    assert debit_attempts_process(now=RUN_AT)["handled"] == 1
