"""Coverage status, cover on a given day, lapsing after 3 unpaid months and reactivation."""

import datetime as dt
import io
import zoneinfo

import pytest
from django.core.management import call_command

from contributions.models import Bill, BillStatus, EntryKind
from contributions.selectors import coverage_status, covered_on, credit_balance, reconciliation
from contributions.services.membership import (
    member_lapse_if_unpaid,
    member_reactivate,
    members_due_to_lapse,
    members_lapse,
)
from contributions.services.payments import months_to_pay, payment_order_create
from core.models import AuditEvent
from members.models import Member, MemberStatus
from tests.contributions.helpers import bills_make, bills_mark_paid, confirm, member_make, month

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data", "english")]

JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")


def _at(y, m, d, hh=10, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=JAKARTA)


# --- coverage_status -----------------------------------------------------------------------------------------


def test_awaiting_first_payment():
    member = member_make(billing_start=dt.date(2026, 11, 1))
    for day in (dt.date(2026, 11, 1), dt.date(2026, 11, 21)):
        status = coverage_status(member=member, today=day)  # no bill yet
        assert (status.code, status.covered) == ("awaiting_payment", False)
    bills_make(member, "2026-11")
    for day in (dt.date(2026, 11, 10), dt.date(2026, 11, 30)):  # before and after the due date (16 Nov)
        status = coverage_status(member=member, today=day)
        assert (status.code, status.covered, status.unpaid_months) == ("awaiting_payment", False, 0)
        assert status.label == "Awaiting first payment"
        assert status.explanation == "Protection starts once the first monthly contribution is paid."


def test_active_when_the_current_month_is_paid():
    member = member_make(billing_start=dt.date(2026, 11, 1), status=MemberStatus.ACTIVE)
    bills_mark_paid(member, "2026-11")
    for day in (dt.date(2026, 11, 1), dt.date(2026, 11, 21), dt.date(2026, 11, 30)):
        status = coverage_status(member=member, today=day)
        assert (status.code, status.covered, status.label) == ("active", True, "Active")


def test_active_early_in_the_month_when_last_month_is_paid():
    member = member_make(billing_start=dt.date(2026, 10, 1), status=MemberStatus.ACTIVE)
    bills_mark_paid(member, "2026-10")
    assert coverage_status(member=member, today=dt.date(2026, 11, 3)).code == "active"  # November not billed yet
    bills_make(member, "2026-11")  # due Monday 16 November (the 15th is a Sunday)
    for day in (dt.date(2026, 11, 3), dt.date(2026, 11, 15), dt.date(2026, 11, 16)):
        status = coverage_status(member=member, today=day)
        assert (status.code, status.covered) == ("active", True), day
    late = coverage_status(member=member, today=dt.date(2026, 11, 17))
    assert (late.code, late.covered, late.unpaid_months) == ("in_arrears", False, 1)


def test_not_active_when_only_an_older_month_is_paid():
    member = member_make(billing_start=dt.date(2026, 9, 1), status=MemberStatus.ACTIVE)
    bills_mark_paid(member, "2026-09")
    status = coverage_status(member=member, today=dt.date(2026, 11, 3))  # October never billed
    assert status.covered is False and status.code != "active"


@pytest.mark.parametrize("paid, unpaid, text", [
    (["2026-07", "2026-08", "2026-09"], 1, "1 month is unpaid. Pay it to keep your protection."),
    (["2026-07", "2026-08"], 2, "2 months are unpaid. Pay them before the membership lapses."),
    (["2026-07"], 3, "3 months are unpaid. Pay them before the membership lapses."),
])
def test_in_arrears_counts_unpaid_months_past_their_due_date(paid, unpaid, text):
    member = member_make(billing_start=dt.date(2026, 7, 1), status=MemberStatus.ACTIVE)
    bills_make(member, "2026-07", "2026-08", "2026-09", "2026-10")  # October due Thursday 15 October
    bills_mark_paid(member, *paid)
    status = coverage_status(member=member, today=dt.date(2026, 10, 20))
    assert (status.code, status.covered, status.unpaid_months) == ("in_arrears", False, unpaid)
    assert status.label == "In arrears"
    assert status.explanation == text
    # On the due date itself October is not late yet.
    on_due = coverage_status(member=member, today=dt.date(2026, 10, 15))
    assert on_due.unpaid_months == unpaid - 1


def test_in_arrears_but_covered_when_this_month_is_paid():
    member = member_make(billing_start=dt.date(2026, 8, 1), status=MemberStatus.ACTIVE)
    bills_make(member, "2026-08", "2026-09")
    bills_mark_paid(member, "2026-08", "2026-10")
    status = coverage_status(member=member, today=dt.date(2026, 10, 20))
    assert (status.code, status.covered, status.unpaid_months) == ("in_arrears", True, 1)


@pytest.mark.parametrize("state, label", [(MemberStatus.LAPSED, "Lapsed"), (MemberStatus.CLOSED, "Closed")])
def test_lapsed_and_closed_are_not_covered_whatever_was_paid(state, label):
    member = member_make(billing_start=dt.date(2026, 11, 1), status=state)
    bills_mark_paid(member, "2026-11")
    status = coverage_status(member=member, today=dt.date(2026, 11, 20))
    assert (status.code, status.covered, status.label) == (state, False, label)


def test_cancelled_bills_do_not_count_as_arrears():
    member = member_make(billing_start=dt.date(2026, 7, 1), status=MemberStatus.ACTIVE)
    bills_make(member, "2026-07", "2026-08")
    bills_mark_paid(member, "2026-09", "2026-10")
    Bill.objects.filter(member=member, status=BillStatus.OPEN).update(status=BillStatus.VOID)
    assert coverage_status(member=member, today=dt.date(2026, 10, 20)).code == "active"


# --- covered_on ----------------------------------------------------------------------------------------------


def test_covered_on_a_day_of_a_paid_month():
    member = member_make(billing_start=dt.date(2026, 2, 1), status=MemberStatus.ACTIVE)
    bills_mark_paid(member, "2026-02", paid_at=_at(2026, 2, 20, 10))
    bills_make(member, "2026-03")
    assert covered_on(member=member, day=dt.date(2026, 2, 10)) is False  # paid later than that day
    assert covered_on(member=member, day=dt.date(2026, 2, 19)) is False
    assert covered_on(member=member, day=dt.date(2026, 2, 20)) is True  # paid during the day
    assert covered_on(member=member, day=dt.date(2026, 2, 28)) is True
    assert covered_on(member=member, day=dt.date(2026, 3, 5)) is False  # March unpaid
    assert covered_on(member=member, day=dt.date(2026, 1, 31)) is False  # before billing started


def test_covered_on_uses_the_jakarta_day():
    member = member_make(billing_start=dt.date(2026, 2, 1), status=MemberStatus.ACTIVE)
    # 00:30 in Jakarta on the 20th is still the 19th in UTC: the member was not covered on the 19th.
    bills_mark_paid(member, "2026-02", paid_at=_at(2026, 2, 20, 0, 30))
    assert covered_on(member=member, day=dt.date(2026, 2, 19)) is False
    assert covered_on(member=member, day=dt.date(2026, 2, 20)) is True
    other = member_make(billing_start=dt.date(2026, 2, 1), status=MemberStatus.ACTIVE)
    bills_mark_paid(other, "2026-02", paid_at=_at(2026, 2, 19, 23, 30))
    assert covered_on(member=other, day=dt.date(2026, 2, 19)) is True


def test_covered_on_after_a_real_payment(payer):
    member = member_make(billing_start=dt.date(2026, 11, 1))
    order = payment_order_create(member=member, months_count=1, payer=payer, today=dt.date(2026, 11, 21))
    assert covered_on(member=member, day=dt.date(2026, 11, 21)) is False
    confirm(order, paid_at=_at(2026, 11, 21, 9))
    assert covered_on(member=member, day=dt.date(2026, 11, 21)) is True
    assert covered_on(member=member, day=dt.date(2026, 11, 20)) is False
    assert covered_on(member=member, day=dt.date(2026, 12, 1)) is False


# --- lapse -------------------------------------------------------------------------------------------------

APRIL_2 = dt.date(2026, 4, 2)


@pytest.fixture
def lapse_cast():
    m = {}
    m["three_unpaid"] = member_make(billing_start=dt.date(2026, 1, 1))
    bills_make(m["three_unpaid"], "2026-01", "2026-02", "2026-03")
    m["three_unpaid_active"] = member_make(billing_start=dt.date(2025, 12, 1), status=MemberStatus.ACTIVE)
    bills_mark_paid(m["three_unpaid_active"], "2025-12")
    bills_make(m["three_unpaid_active"], "2026-01", "2026-02", "2026-03", "2026-04")
    m["january_paid"] = member_make(billing_start=dt.date(2026, 1, 1), status=MemberStatus.ACTIVE)
    bills_mark_paid(m["january_paid"], "2026-01")
    bills_make(m["january_paid"], "2026-02", "2026-03")
    m["only_two_months"] = member_make(billing_start=dt.date(2026, 2, 1))
    bills_make(m["only_two_months"], "2026-02", "2026-03")
    m["current_not_counted"] = member_make(billing_start=dt.date(2026, 1, 1), status=MemberStatus.ACTIVE)
    bills_mark_paid(m["current_not_counted"], "2026-01")
    bills_make(m["current_not_counted"], "2026-02", "2026-03", "2026-04")
    m["already_lapsed"] = member_make(billing_start=dt.date(2026, 1, 1), status=MemberStatus.LAPSED)
    bills_make(m["already_lapsed"], "2026-01", "2026-02", "2026-03")
    m["closed"] = member_make(billing_start=dt.date(2026, 1, 1), status=MemberStatus.CLOSED)
    bills_make(m["closed"], "2026-01", "2026-02", "2026-03")
    m["cancelled"] = member_make(billing_start=dt.date(2026, 1, 1), status=MemberStatus.ACTIVE)
    bills_make(m["cancelled"], "2026-01", "2026-02", "2026-03")
    Bill.objects.filter(member=m["cancelled"], month=dt.date(2026, 1, 1)).update(status=BillStatus.VOID)
    return m


def _statuses(cast):
    return {name: Member.objects.get(pk=m.pk).status for name, m in cast.items()}


def test_lapse_only_after_three_unpaid_months_before_this_one(lapse_cast):
    expected_ids = sorted([lapse_cast["three_unpaid"].pk, lapse_cast["three_unpaid_active"].pk])
    assert members_due_to_lapse(today=APRIL_2) == expected_ids
    assert members_lapse(today=APRIL_2) == 2
    assert _statuses(lapse_cast) == {
        "three_unpaid": MemberStatus.LAPSED, "three_unpaid_active": MemberStatus.LAPSED,
        "january_paid": MemberStatus.ACTIVE, "only_two_months": MemberStatus.REGISTERED,
        "current_not_counted": MemberStatus.ACTIVE, "already_lapsed": MemberStatus.LAPSED,
        "closed": MemberStatus.CLOSED, "cancelled": MemberStatus.ACTIVE,
    }
    events = AuditEvent.objects.filter(action="member.status_changed").order_by("object_id")
    assert sorted(int(e.object_id) for e in events) == expected_ids
    by_member = {int(e.object_id): e for e in events}
    assert by_member[lapse_cast["three_unpaid"].pk].changes == {"status": ["registered", "lapsed"]}
    assert by_member[lapse_cast["three_unpaid_active"].pk].changes == {"status": ["active", "lapsed"]}
    assert all(e.reason == "3 consecutive unpaid months up to 2026-03" and e.actor is None for e in events)


def test_lapse_is_idempotent(lapse_cast):
    assert members_lapse(today=APRIL_2) == 2
    events = AuditEvent.objects.count()
    assert members_lapse(today=APRIL_2) == 0
    assert members_due_to_lapse(today=APRIL_2) == []
    assert member_lapse_if_unpaid(member_id=lapse_cast["three_unpaid"].pk, today=APRIL_2) is False
    assert AuditEvent.objects.count() == events


def test_lapse_in_small_batches(lapse_cast):
    assert members_lapse(today=APRIL_2, batch_size=1) == 2
    assert members_due_to_lapse(today=APRIL_2) == []


def test_a_month_later_the_next_member_lapses(lapse_cast):
    members_lapse(today=APRIL_2)
    may_1 = dt.date(2026, 5, 1)  # window February–April
    assert members_due_to_lapse(today=may_1) == [lapse_cast["current_not_counted"].pk]
    assert members_lapse(today=may_1) == 1  # only_two_months has no April bill yet
    bills_make(lapse_cast["only_two_months"], "2026-04")
    assert members_due_to_lapse(today=may_1) == [lapse_cast["only_two_months"].pk]
    assert members_lapse(today=may_1) == 1
    assert Member.objects.get(pk=lapse_cast["january_paid"].pk).status == MemberStatus.ACTIVE  # no April bill


def test_lapse_rechecks_under_the_lock(lapse_cast):
    """The member paid after the candidates were listed: member_lapse_if_unpaid looks again."""
    member = lapse_cast["three_unpaid"]
    assert member.pk in members_due_to_lapse(today=APRIL_2)
    bills_mark_paid(member, "2026-02")
    assert member_lapse_if_unpaid(member_id=member.pk, today=APRIL_2) is False
    assert Member.objects.get(pk=member.pk).status == MemberStatus.REGISTERED


def test_lapse_members_command(lapse_cast, today):
    today(APRIL_2)
    out = io.StringIO()
    call_command("lapse_members", stdout=out)
    assert "2 memberships lapsed." in out.getvalue()
    out = io.StringIO()
    call_command("lapse_members", stdout=out)
    assert "0 memberships lapsed." in out.getvalue()


def test_lapse_task_uses_today(lapse_cast, today):
    from contributions.tasks import members_lapse as task

    today(dt.date(2026, 3, 31))  # window Dec–Feb: nobody has three unpaid months there
    assert task.delay().get() == 0
    today(APRIL_2)
    assert task.delay().get() == 2


# --- reactivation --------------------------------------------------------------------------------------------


@pytest.fixture
def lapsed():
    member = member_make(billing_start=dt.date(2026, 1, 1), status=MemberStatus.ACTIVE)
    bills_mark_paid(member, "2025-12")
    bills_make(member, "2026-01", "2026-02", "2026-03", "2026-04")
    assert member_lapse_if_unpaid(member_id=member.pk, today=APRIL_2)
    member.refresh_from_db()
    return member


def test_reactivation_keeps_identity_and_restarts_billing(lapsed, payer):
    before = Member.objects.filter(pk=lapsed.pk).values("kpj", "nik_index", "nik_ciphertext", "card_token").get()
    member = member_reactivate(member_id=lapsed.pk, actor=payer, today=dt.date(2026, 5, 10))
    assert member.status == MemberStatus.ACTIVE
    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE
    assert Member.objects.filter(pk=lapsed.pk).values("kpj", "nik_index", "nik_ciphertext", "card_token").get() \
        == before
    assert member.nik == "3174015708900000"[:12] + member.nik[12:]
    assert member.billing_start == dt.date(2026, 5, 1)
    bills = dict(Bill.objects.filter(member=member).values_list("month", "status"))
    assert bills == {
        month("2025-12"): BillStatus.PAID,
        month("2026-01"): BillStatus.VOID, month("2026-02"): BillStatus.VOID, month("2026-03"): BillStatus.VOID,
        month("2026-04"): BillStatus.VOID,
        month("2026-05"): BillStatus.OPEN,
    }
    assert Bill.objects.get(member=member, month=month("2026-05")).total_idr == 28_400
    event = AuditEvent.objects.get(action="member.reactivated")
    assert event.actor == payer
    assert event.changes == {"billing_start": "2026-05",
                             "cancelled_months": ["2026-01", "2026-02", "2026-03", "2026-04"]}
    change = AuditEvent.objects.filter(action="member.status_changed").latest("pk")
    assert change.changes == {"status": ["lapsed", "active"]} and change.actor == payer


@pytest.mark.parametrize("day, due", [
    (dt.date(2026, 5, 10), dt.date(2026, 5, 18)),  # before the month's due date: the usual due date
    (dt.date(2026, 5, 20), dt.date(2026, 5, 27)),  # after it: FIRST_BILL_GRACE_DAYS from the reactivation
])
def test_reactivation_bill_due_date_follows_the_reactivation_day(lapsed, day, due):
    member_reactivate(member_id=lapsed.pk, actor=None, today=day)
    assert Bill.objects.get(member=lapsed, month=month("2026-05")).due_date == due


def test_after_reactivation_only_new_months_are_owed(lapsed, payer):
    member_reactivate(member_id=lapsed.pk, actor=None, today=dt.date(2026, 5, 10))
    lapsed.refresh_from_db()
    assert months_to_pay(member=lapsed, count=3, today=dt.date(2026, 5, 10)) == [
        month("2026-05"), month("2026-06"), month("2026-07")]
    assert members_due_to_lapse(today=dt.date(2026, 5, 10)) == []
    assert members_lapse(today=dt.date(2026, 5, 10)) == 0
    # Paid December is still in the history; nothing unpaid is past due on 10 May.
    status = coverage_status(member=lapsed, today=dt.date(2026, 5, 10))
    assert status.code == "awaiting_payment" and status.covered is False
    order = payment_order_create(member=lapsed, months_count=3, payer=payer, today=dt.date(2026, 5, 10))
    confirm(order)
    assert coverage_status(member=lapsed, today=dt.date(2026, 5, 20)).code == "active"


def test_an_old_order_paid_after_reactivation_becomes_credit(payer):
    member = member_make(billing_start=dt.date(2026, 1, 1), status=MemberStatus.ACTIVE)
    bills_make(member, "2026-01", "2026-02", "2026-03")
    order = payment_order_create(member=member, months_count=3, payer=payer, today=dt.date(2026, 3, 20))
    assert member_lapse_if_unpaid(member_id=member.pk, today=APRIL_2)
    member_reactivate(member_id=member.pk, actor=None, today=APRIL_2)
    payment = confirm(order).payment  # months January–March were cancelled by the reactivation
    assert list(payment.entries.values_list("kind", flat=True).order_by("pk")) == [EntryKind.RECEIVED,
                                                                                   EntryKind.CREDIT]
    assert credit_balance(member=member) == order.amount_idr
    assert not Bill.objects.filter(member=member, status=BillStatus.PAID).exists()
    assert reconciliation().balanced


@pytest.mark.parametrize("state", [MemberStatus.REGISTERED, MemberStatus.ACTIVE, MemberStatus.CLOSED])
def test_only_lapsed_members_are_reactivated(state):
    member = member_make(billing_start=dt.date(2026, 1, 1), status=state)
    bills_make(member, "2026-01")
    result = member_reactivate(member_id=member.pk, actor=None, today=dt.date(2026, 5, 10))
    assert result.status == state
    member.refresh_from_db()
    assert member.billing_start == dt.date(2026, 1, 1)
    assert Bill.objects.get(member=member).status == BillStatus.OPEN
    assert not AuditEvent.objects.exists()


def test_reactivation_uses_today_when_not_given(lapsed, today):
    today(dt.date(2026, 6, 3))
    member = member_reactivate(member_id=lapsed.pk, actor=None)
    assert member.billing_start == dt.date(2026, 6, 1)
    assert Bill.objects.filter(member=member, month=month("2026-06"), status=BillStatus.OPEN).exists()
