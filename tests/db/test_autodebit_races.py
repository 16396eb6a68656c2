"""Auto-debit races that only PostgreSQL's row locks, SKIP LOCKED, advisory locks and unique keys settle: two runs
at once, a run killed half-way and started again, a callback replayed while a retry is under way."""

import datetime as dt
import threading
import time
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client, override_settings

from contributions.models import (
    AttemptStatus,
    BillStatus,
    DebitAttempt,
    EntryKind,
    LedgerEntry,
    Payment,
    SimulatorCharge,
)
from contributions.providers import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DebitOutcome,
    DebitResult,
    debit_callback_payload,
    sign,
)
from contributions.selectors import reconciliation
from contributions.services.autodebit import autodebit_run, debit_attempts_process, debit_mandate_create
from contributions.services.autodebit import results as applying
from tests.contributions.helpers import bill_issue, member_make, members_bulk, payer_make
from tests.db.test_money_concurrency import _race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("reference_data")]

WIB = ZoneInfo("Asia/Jakarta")
NOV = dt.date(2026, 11, 1)
RUN_AT = dt.datetime(2026, 11, 5, 6, 0, tzinfo=WIB)


def _mandates(n: int, account: str = "1234567890"):
    payer = payer_make()
    members = members_bulk(n)
    for member in members:
        bill_issue(member, "2026-11")
        debit_mandate_create(payer=payer, member=member, method="bank", issuer="BCA", account=account,
                             max_amount_idr=5_000_000, consent_ip=None)
    return members


def _charged_once(members) -> None:
    succeeded = DebitAttempt.objects.filter(status=AttemptStatus.SUCCEEDED)
    assert succeeded.count() == len(members)
    assert SimulatorCharge.objects.count() == len(members)  # one key each: nobody was charged twice
    assert Payment.objects.count() == len(members)
    assert LedgerEntry.objects.filter(kind=EntryKind.RECEIVED).count() == len(members)
    assert not members[0].bills.filter(status=BillStatus.OPEN).exists()
    assert reconciliation().balanced


@override_settings(AUTODEBIT_BATCH_SIZE=7, AUTODEBIT_CREATE_BATCH_SIZE=10)
def test_two_runs_at_once_charge_each_mandate_once():
    members = _mandates(60)
    results = _race(lambda: autodebit_run(month=NOV, now=RUN_AT), lambda: autodebit_run(month=NOV, now=RUN_AT))
    assert not any(isinstance(r, Exception) for r in results), results
    assert sum(r["created"] for r in results) == 60
    assert sum(r["handled"] for r in results) == 60
    assert all(r["handled"] > 0 for r in results)  # they shared the work
    _charged_once(members)


class _Killed(BaseException):
    """The worker process dying: not an Exception, nothing in the service catches it."""


@pytest.mark.parametrize("where", ["after_the_provider_call", "inside_the_settlement"])
@override_settings(AUTODEBIT_BATCH_SIZE=10)
def test_a_run_killed_half_way_and_started_again_charges_once(where):
    members = _mandates(40)
    real_apply, real_book = applying.debit_results_apply, applying._book
    calls = {"n": 0}

    def dying_apply(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # two batches done, the third charged at the bank, then the process dies
            raise _Killed
        return real_apply(**kwargs)

    def dying_book(cursor, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # the third batch dies with its payments half written: all of it rolls back
            raise _Killed
        return real_book(cursor, **kwargs)

    patch = mock.patch.object(applying, "debit_results_apply", dying_apply) if where == "after_the_provider_call" \
        else mock.patch.object(applying, "_book", dying_book)

    def killed_run():
        try:
            with patch:
                autodebit_run(month=NOV, now=RUN_AT)
        except _Killed:
            return "killed"
        finally:
            connection.close()

    thread_result = []
    thread = threading.Thread(target=lambda: thread_result.append(killed_run()))
    thread.start()
    thread.join(30)
    assert thread_result == ["killed"]
    assert DebitAttempt.objects.filter(status=AttemptStatus.PROCESSING).count() == 10
    assert DebitAttempt.objects.filter(status=AttemptStatus.SUCCEEDED).count() == 20
    assert SimulatorCharge.objects.count() == 30  # the third batch was charged at the bank
    # Started again before the claim timeout: the dead run's tries are left alone, the rest is charged.
    debit_attempts_process(now=RUN_AT + dt.timedelta(minutes=1))
    assert DebitAttempt.objects.filter(status=AttemptStatus.PROCESSING).count() == 10
    # After it: sent again with the same keys; the bank answers the first call.
    result = debit_attempts_process(now=RUN_AT + dt.timedelta(minutes=20))
    assert result["handled"] == 10
    assert set(DebitAttempt.objects.values_list("tries", flat=True)) == {1}
    _charged_once(members)


def _signed_post(body: bytes):
    from django.conf import settings

    ts = str(int(time.time()))
    return Client().post("/api/v1/payments/webhooks/simulator/debit/", data=body, content_type="application/json",
                         headers={TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(body, ts,
                                                                               settings.PAYMENT_SIMULATOR_SECRET)})


def test_a_callback_replayed_while_the_retry_settles_books_once():
    """The answer was lost (timeout); the retry asks again with the same key while the bank's callback for that
    charge arrives, twice, at the same moment. One payment, one ledger receipt."""
    member = member_make(billing_start=NOV)
    bill_issue(member, "2026-11")
    debit_mandate_create(payer=payer_make(), member=member, method="bank", issuer="BCA", account="7777777077",
                         max_amount_idr=5_000_000, consent_ip=None)
    autodebit_run(month=NOV, now=RUN_AT)
    charge = SimulatorCharge.objects.get()
    body = debit_callback_payload(DebitResult(charge.idempotency_key, DebitOutcome.SUCCEEDED, "", charge.reference,
                                              charge.amount_idr, charge.created_at))
    results = _race(lambda: debit_attempts_process(now=RUN_AT + dt.timedelta(minutes=11)),
                    lambda: _signed_post(body).status_code, lambda: _signed_post(body).status_code)
    assert not any(isinstance(r, Exception) for r in results), results
    assert results[1:] == [200, 200]
    assert Payment.objects.count() == 1 and SimulatorCharge.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.RECEIVED).count() == 1
    assert DebitAttempt.objects.get().status == AttemptStatus.SUCCEEDED
    assert reconciliation().balanced
