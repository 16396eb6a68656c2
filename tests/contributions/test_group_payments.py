"""One checkout for many members (sponsors, local governments): one virtual account, allocations per member."""

import datetime as dt

import pytest
from django.utils import timezone

from contributions.models import Bill, BillStatus, EntryKind, LedgerEntry, PaymentOrderLine
from contributions.selectors import reconciliation
from contributions.services.payments import (
    PaymentRefused,
    credit_held,
    payment_confirm,
    payment_order_create_for_many,
    payment_refund,
)
from core.models import OutboxMessage, User
from enrollment.services import member_register
from members.models import MemberStatus
from tests.conftest import VALID_NIK_MAN

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 21)


@pytest.fixture
def two_members(registration_data):
    first_user = User.objects.create(username="a", phone="+6281234567890")
    second_user = User.objects.create(username="b", phone="+6285712345678")
    first = member_register(data=registration_data(), user=first_user, actor=first_user)
    second = member_register(data=registration_data(nik=VALID_NIK_MAN, birth_date=dt.date(1985, 3, 12), gender="L",
                                                    phone="+6285712345678", programs=["JKK", "JKM"],
                                                    occupation_code="asisten-rumah-tangga"),
                             user=second_user, actor=second_user)
    return first, second


@pytest.fixture
def sponsor():
    return User.objects.create(username="sponsor", phone="+6281311112222")


def test_one_order_for_two_members_with_their_own_months(two_members, sponsor):
    first, second = two_members
    order = payment_order_create_for_many(items=[(first, 3), (second, 1)], payer=sponsor, today=TODAY)
    lines = {line.member_id: line for line in PaymentOrderLine.objects.filter(order=order)}
    assert lines[first.pk].months == ["2026-11", "2026-12", "2027-01"]
    assert lines[second.pk].months == ["2026-11"]
    # Transport trader with JHT under PP 50/2025: 28,400 a month; household helper, JKK+JKM only: 8,400.
    assert lines[first.pk].amount_idr == 3 * 28_400 and lines[second.pk].amount_idr == 8_400
    assert order.amount_idr == 93_600 and order.member is None


def test_group_payment_pays_every_line_and_activates_each_member(two_members, sponsor):
    first, second = two_members
    order = payment_order_create_for_many(items=[(first, 3), (second, 1)], payer=sponsor, today=TODAY)
    result = payment_confirm(provider="simulator", reference="grp-1", va_number=order.va_number,
                             amount_idr=order.amount_idr, channel="va", paid_at=timezone.now())
    payment = result.payment
    assert payment.member is None and payment.order.payer == sponsor
    assert Bill.objects.filter(member=first, status=BillStatus.PAID).count() == 3
    assert Bill.objects.filter(member=second, status=BillStatus.PAID).count() == 1
    for member in (first, second):
        member.refresh_from_db()
        assert member.status == MemberStatus.ACTIVE
    assert LedgerEntry.objects.get(payment=payment, kind=EntryKind.RECEIVED).member is None
    assert set(OutboxMessage.objects.filter(purpose="receipt").values_list("recipient", flat=True)) == {
        "+6281234567890", "+6285712345678"}
    assert reconciliation().balanced
    replay = payment_confirm(provider="simulator", reference="grp-1", va_number=order.va_number,
                             amount_idr=order.amount_idr, channel="va", paid_at=timezone.now())
    assert replay.replay and LedgerEntry.objects.filter(kind=EntryKind.ALLOCATION).count() == 4


def test_a_line_whose_months_were_paid_meanwhile_becomes_that_members_credit(two_members, sponsor):
    first, second = two_members
    group = payment_order_create_for_many(items=[(first, 1), (second, 1)], payer=sponsor, today=TODAY)
    own = payment_order_create_for_many(items=[(second, 1)], payer=sponsor, today=TODAY)
    payment_confirm(provider="simulator", reference="own", va_number=own.va_number, amount_idr=own.amount_idr,
                    channel="va", paid_at=timezone.now())
    payment = payment_confirm(provider="simulator", reference="grp", va_number=group.va_number,
                              amount_idr=group.amount_idr, channel="qris", paid_at=timezone.now()).payment
    assert credit_held(payment=payment, member=second) == 8_400
    assert credit_held(payment=payment, member=first) == 0
    with pytest.raises(ValueError):
        payment_refund(payment=payment, amount_idr=100, actor=sponsor, reason="x")  # must name the member
    payment_refund(payment=payment, amount_idr=8_400, actor=sponsor, reason="paid twice", member=second)
    assert credit_held(payment=payment, member=second) == 0
    assert reconciliation().balanced


def test_a_lapsed_member_cannot_be_in_a_group_order(two_members, sponsor):
    first, second = two_members
    from members.transitions import member_status_transition

    member_status_transition(member_id=second.pk, to=MemberStatus.LAPSED, actor=None, reason="test")
    second.refresh_from_db()
    with pytest.raises(PaymentRefused):
        payment_order_create_for_many(items=[(first, 1), (second, 1)], payer=sponsor, today=TODAY)
    with pytest.raises(ValueError):
        payment_order_create_for_many(items=[(first, 1), (first, 3)], payer=sponsor, today=TODAY)


def test_group_order_and_receipt_pages_are_for_the_payer_and_its_members_only(client, two_members, sponsor):
    first, second = two_members
    order = payment_order_create_for_many(items=[(first, 1), (second, 1)], payer=sponsor, today=TODAY)
    payment = payment_confirm(provider="simulator", reference="grp-view", va_number=order.va_number,
                              amount_idr=order.amount_idr, channel="va", paid_at=timezone.now()).payment
    stranger = User.objects.create(username="x", phone="+6281399998888")
    for user, allowed in ((sponsor, True), (first.user, True), (second.user, True), (stranger, False)):
        client.force_login(user)
        for url in (f"/anggota/bayar/{order.pk}/", f"/anggota/bukti-bayar/{payment.receipt_number}/",
                    f"/anggota/bukti-bayar/{payment.receipt_number}.pdf"):
            assert client.get(url).status_code == (200 if allowed else 404), (user.username, url)
    client.force_login(sponsor)
    html = client.get(f"/anggota/bukti-bayar/{payment.receipt_number}/").content.decode()
    assert first.kpj in html and second.kpj in html and first.full_name not in html


def test_a_sponsor_paying_for_one_worker_sees_the_name_masked_the_worker_in_full(client, two_members, sponsor):
    first, _second = two_members
    order = payment_order_create_for_many(items=[(first, 1)], payer=sponsor, today=TODAY)
    payment = payment_confirm(provider="simulator", reference="one-view", va_number=order.va_number,
                              amount_idr=order.amount_idr, channel="va", paid_at=timezone.now()).payment
    assert payment.member == first  # a one-worker order names its member on the receipt
    client.force_login(sponsor)
    html = client.get(f"/anggota/bukti-bayar/{payment.receipt_number}/").content.decode()
    assert first.masked_name in html and first.full_name not in html
    client.force_login(first.user)
    assert first.full_name in client.get(f"/anggota/bukti-bayar/{payment.receipt_number}/").content.decode()
