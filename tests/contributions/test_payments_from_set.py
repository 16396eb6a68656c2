"""contributions.services.payments: the order from a set (payment_order_create_from_set, bulk imports) against the
order for many (payment_order_create_for_many), field by field: the bills raised, the order, its lines, the provider's
call and the audit event."""

import datetime as dt

import pytest
from django.db import transaction

from contributions.models import Bill, PaymentOrder
from contributions.providers import SimulatorProvider
from contributions.services.payments import payment_order_create_for_many, payment_order_create_from_set
from core.models import AuditEvent
from members.models import Member
from members.services import member_create
from tests.contributions.conftest import TODAY
from tests.core.helpers import nik_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data", "english")]

MONTHS = [1, 3, 12, 6, 3]  # one line per member, each asking for its months
BILL_NOT_COMPARED = {"id", "member_id", "created_at", "updated_at", "paid_at"}


def _cohort(registration_data, serial: int) -> list[Member]:
    """Members alike in everything that prices a bill (income, programs, occupation), one cohort per path."""
    members = []
    for i, _months in enumerate(MONTHS):
        data = registration_data(nik=nik_for(dt.date(1990, 8, 17), "P", serial=f"{serial}{i:03d}"),
                                 phone=f"+62812000{serial}{i:04d}",
                                 programs=["JKK", "JKM"] + (["JHT"] if i % 2 else []),
                                 income_base_idr=[1_000_000, 2_000_000][i % 2])
        members.append(member_create(data=data, user=None, actor=None))
    return members


def _bills(member: Member) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in BILL_NOT_COMPARED}
            for row in Bill.objects.filter(member=member).order_by("month").values()]


def _spy(monkeypatch) -> list[tuple[int, str]]:
    calls = []
    issue = SimulatorProvider.issue

    def spy(self, *, amount_idr, reference):
        calls.append((amount_idr, reference))
        return issue(self, amount_idr=amount_idr, reference=reference)

    monkeypatch.setattr(SimulatorProvider, "issue", spy)
    return calls


def test_order_from_a_set_agrees_with_order_for_many(registration_data, payer, today, monkeypatch):
    today(TODAY)
    calls = _spy(monkeypatch)
    many_members, set_members = _cohort(registration_data, 1), _cohort(registration_data, 2)
    with transaction.atomic():
        for_many = payment_order_create_for_many(items=list(zip(many_members, MONTHS, strict=True)), payer=payer,
                                                 today=TODAY)
    cases = " ".join("WHEN %s THEN %s" for _m in MONTHS)
    items = (f"SELECT m.id AS member_id, (CASE m.id {cases} END) AS months FROM {Member._meta.db_table} m "  # noqa: S608
             f"WHERE m.id IN ({', '.join(['%s'] * len(MONTHS))})",
             [*(p for m, n in zip(set_members, MONTHS, strict=True) for p in (m.pk, n)), *(m.pk for m in set_members)])
    with transaction.atomic():
        from_set = payment_order_create_from_set(items=items, payer=payer, today=TODAY, changes={"bulk_import": 9})

    # The bills: the same months, due dates, gross, discounts and totals for each member.
    for one, other, months in zip(many_members, set_members, MONTHS, strict=True):
        assert _bills(one) == _bills(other) and len(_bills(one)) == months
    # The order and its lines.
    fields = ("member_id", "payer_id", "months", "amount_idr", "provider", "status")
    assert (PaymentOrder.objects.filter(pk=for_many.pk).values(*fields).get()
            == PaymentOrder.objects.filter(pk=from_set.pk).values(*fields).get())
    assert abs(for_many.expires_at - from_set.expires_at) < dt.timedelta(minutes=1)
    lines = [{m.pk: (line.months, line.amount_idr) for line in order.lines.all() for m in [line.member]}
             for order in (for_many, from_set)]
    assert [lines[0][m.pk] for m in many_members] == [lines[1][m.pk] for m in set_members]
    assert sum(amount for _months, amount in lines[1].values()) == from_set.amount_idr > 0
    # One virtual account and QRIS code for the amount, under a fresh reference each.
    assert [amount for amount, _ref in calls] == [for_many.amount_idr, from_set.amount_idr]
    assert all(len(ref) == 12 and ref == ref.upper() for _amount, ref in calls)
    assert len(for_many.va_number) == len(from_set.va_number) and for_many.qris_payload and from_set.qris_payload
    # The audit event: the same action on the order by the payer; a set counts its lines instead of listing them.
    events = [AuditEvent.objects.get(action="payment_order.created", object_id=str(o.pk)) for o in (for_many,
                                                                                                     from_set)]
    assert [(e.object_type, e.actor_id, e.changes["amount_idr"]) for e in events] == [
        ("contributions.paymentorder", payer.pk, for_many.amount_idr),
        ("contributions.paymentorder", payer.pk, from_set.amount_idr)]
    assert len(events[0].changes["lines"]) == events[1].changes["members"] == len(MONTHS)
    assert events[1].changes["bulk_import"] == 9


def test_order_from_an_empty_set_is_refused(payer):
    with pytest.raises(ValueError):
        payment_order_create_from_set(items=(f"SELECT id AS member_id, 1 AS months FROM {Member._meta.db_table} "
                                             "WHERE 1 = 0", []), payer=payer, today=TODAY)
    assert not PaymentOrder.objects.exists()
