"""SERTAKAN: sponsors register workers, pay for them, see only what they may; members answer sponsors."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from contributions.services.billing import bill_for_month
from contributions.services.payments import payment_order_create
from core.models import AuditEvent, OutboxMessage, User
from enrollment.services import member_register
from members.models import Member, RegistrationChannel, Sponsorship
from members.services import sponsor_become, sponsorship_answer
from sponsors.selectors import sponsor_workers
from sponsors.services import sponsor_register_worker, sponsorship_respond
from tests.conftest import VALID_NIK_MAN
from tests.factories.members import SponsorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sponsor():
    user = User.objects.create(username="s", phone="+6281311112222")
    return sponsor_become(user=user, name="Ibu Ani")


def test_sponsor_registers_a_worker_who_is_paid_for_by_a_donor(sponsor, registration_data):
    member = sponsor_register_worker(sponsor=sponsor, data=registration_data(), relationship="household_helper")
    assert member.channel == RegistrationChannel.SPONSOR and member.funding_source == "donor"
    assert member.user.phone == "+6281234567890"
    assert Sponsorship.objects.get(member=member).active
    sms = OutboxMessage.objects.filter(purpose="sponsorship", recipient="+6281234567890").get()
    assert "Ibu Ani" in sms.body
    rows = sponsor_workers(sponsor=sponsor)
    assert rows[0]["kpj"] == member.kpj and rows[0]["masked_name"] == "S*** R*****"
    assert "nik" not in rows[0] and "address" not in str(rows[0]).lower()


def test_an_existing_member_must_confirm_before_the_sponsor_sees_anything(sponsor, registration_data, worker_user):
    existing = member_register(data=registration_data(), user=worker_user, actor=worker_user)
    assert sponsor_register_worker(sponsor=sponsor, data=registration_data(phone="+6285700000000"),
                                   relationship="regular_vendor") is None
    assert Member.objects.count() == 1
    assert sponsor_workers(sponsor=sponsor) == []
    request = Sponsorship.objects.get(member=existing)
    assert request.confirmed_at is None
    assert OutboxMessage.objects.filter(purpose="sponsorship", recipient="+6281234567890").exists()
    sponsorship_answer(sponsorship_id=request.pk, member=existing, accept=True)
    assert [row["kpj"] for row in sponsor_workers(sponsor=sponsor)] == [existing.kpj]
    sponsorship_answer(sponsorship_id=request.pk, member=existing, accept=False)  # the member takes over paying
    assert sponsor_workers(sponsor=sponsor) == []
    assert AuditEvent.objects.filter(action__in=["sponsorship.accepted", "sponsorship.ended"]).count() == 2


def test_a_sponsor_never_sees_another_sponsors_workers(sponsor, registration_data):
    other = sponsor_become(user=User.objects.create(username="o", phone="+6281399990000"), name="Pak Budi")
    sponsor_register_worker(sponsor=other, data=registration_data(), relationship="private_driver")
    assert sponsor_workers(sponsor=sponsor) == []


def test_worker_phone_already_a_member_is_refused(sponsor, registration_data, worker_user):
    member_register(data=registration_data(), user=worker_user, actor=worker_user)
    data = registration_data(nik=VALID_NIK_MAN, birth_date=dt.date(1985, 3, 12), gender="L")
    with pytest.raises(ValidationError) as exc:
        sponsor_register_worker(sponsor=sponsor, data=data, relationship="other")
    assert "phone" in exc.value.message_dict


def test_sponsor_pages_show_no_nik_and_pay_many_in_one_checkout(client, sponsor, registration_data):
    first = sponsor_register_worker(sponsor=sponsor, data=registration_data(), relationship="household_helper")
    second = sponsor_register_worker(
        sponsor=sponsor, relationship="private_driver",
        data=registration_data(nik=VALID_NIK_MAN, birth_date=dt.date(1985, 3, 12), gender="L",
                               phone="+6285712345678"))
    client.force_login(sponsor.user)
    html = client.get("/penyantun/").content.decode()
    assert first.kpj in html and second.kpj in html
    for secret in (first.nik, second.nik, first.full_name, first.address_line):
        assert secret not in html
    response = client.post("/penyantun/bayar/", {"members": [first.pk, second.pk], "months": 3})
    assert response.status_code == 302
    from contributions.models import PaymentOrder

    order = PaymentOrder.objects.get()
    assert {line.member_id for line in order.lines.all()} == {first.pk, second.pk}
    assert order.payer == sponsor.user
    # A sponsor cannot pay for (and so learn about) someone else's member.
    stranger = User.objects.create(username="z", phone="+6281200009999")
    stranger_member = member_register(
        data=registration_data(nik="3204054508920003", birth_date=dt.date(1992, 8, 5), gender="P",
                               phone="+6281200009999"), user=stranger, actor=stranger)
    client.post("/penyantun/bayar/", {"members": [stranger_member.pk], "months": 1})
    assert PaymentOrder.objects.count() == 1


def test_the_sponsors_form_asks_the_workers_ecosystem_and_the_service_stores_it(client, sponsor, registration_data):
    client.force_login(sponsor.user)
    assert 'name="ecosystem"' in client.get("/penyantun/daftarkan/").content.decode()
    member = sponsor_register_worker(sponsor=sponsor, data=registration_data(ecosystem="desa"),
                                     relationship="household_helper")
    assert member.ecosystem_id == "desa"


@pytest.mark.parametrize("value", ["foreign", "abc", None, str(2**70), "-3", "٣"])
def test_answering_a_sponsorship_that_is_not_the_members_is_404(client, sponsor, registration_data, worker_user,
                                                                 value):
    other = sponsor_register_worker(sponsor=sponsor, data=registration_data(nik=VALID_NIK_MAN, phone="+6285711112222",
                                                                           full_name="Budi Santoso", gender="L",
                                                                           birth_date=dt.date(1985, 3, 12)),
                                    relationship="private_driver")
    member_register(data=registration_data(), user=worker_user, actor=worker_user)
    foreign = Sponsorship.objects.get(member=other)
    client.force_login(worker_user)
    post = {"answer": "decline"}
    if value is not None:
        post["sponsorship"] = str(foreign.pk) if value == "foreign" else value
    response = client.post("/anggota/penyantun/", post)
    assert response.status_code == 404
    assert Sponsorship.objects.get(pk=foreign.pk).ended_at is None


# --- who pays decides the discount: PP 50/2025 art. 3 leaves budget-paid JKK/JKM out ------------------------------
# An ojek driver (transport) with JKK, JKM and JHT on Rp1,000,000 in June 2026: JKK 10,000 and JKM 6,800 get 50 % off,
# JHT 20,000 does not: 28,400 with the discount, 36,800 without.


@pytest.mark.clock(dt.date(2026, 6, 15))
def test_a_local_government_registers_a_budget_paid_worker_without_the_discount(registration_data):
    government = SponsorFactory(user__username="pemda", user__phone="+6281300000001", government=True)
    member = sponsor_register_worker(sponsor=government, data=registration_data(), relationship="other")
    assert member.funding_source == "apbd"
    bill = member.bills.get()
    assert (bill.total_idr, bill.jkk_discount_idr, bill.jkm_discount_idr, bill.discount_id) == (36_800, 0, 0, None)


@pytest.mark.clock(dt.date(2026, 6, 15))
def test_a_citizen_sponsor_keeps_the_discount(sponsor, registration_data):
    member = sponsor_register_worker(sponsor=sponsor, data=registration_data(), relationship="household_helper")
    assert member.funding_source == "donor" and member.bills.get().total_idr == 28_400


@pytest.mark.clock(dt.date(2026, 6, 15))
def test_the_payer_decides_the_price_of_open_months_when_a_budget_sponsor_comes_and_goes(registration_data,
                                                                                        worker_user):
    member = member_register(data=registration_data(), user=worker_user, actor=worker_user)
    bill_for_month(member=member, month=dt.date(2026, 7, 1))  # July is open too
    order = payment_order_create(member=member, months_count=1, payer=worker_user)  # June, in a pending checkout
    assert order.months == ["2026-06"] and member.funding_source == "self"
    government = SponsorFactory(user__username="pemda", user__phone="+6281300000001", government=True)
    assert sponsor_register_worker(sponsor=government, data=registration_data(phone="+6285700000000"),
                                   relationship="other") is None
    request = Sponsorship.objects.get(member=member)

    sponsorship_respond(sponsorship_id=request.pk, member=member, accept=True)
    member.refresh_from_db()
    assert member.funding_source == "apbd"
    totals = dict(member.bills.values_list("month", "total_idr"))
    assert totals == {dt.date(2026, 6, 1): 28_400,  # the checkout's amount stands
                      dt.date(2026, 7, 1): 36_800}
    july = member.bills.get(month=dt.date(2026, 7, 1))
    assert (july.jkk_discount_idr, july.jkm_discount_idr, july.discount_id) == (0, 0, None)
    assert bill_for_month(member=member, month=dt.date(2026, 8, 1)).total_idr == 36_800  # later months too
    changed = AuditEvent.objects.get(action="member.funding_changed")
    assert changed.changes == {"funding_source": ["self", "apbd"], "sponsor": government.pk}
    assert list(AuditEvent.objects.filter(action="bill.repriced").values_list("object_id", flat=True)) == [
        str(july.pk)]

    sponsorship_respond(sponsorship_id=request.pk, member=member, accept=False)  # the member pays again
    member.refresh_from_db()
    assert member.funding_source == "self"
    assert dict(member.bills.values_list("month", "total_idr")) == {
        dt.date(2026, 6, 1): 28_400, dt.date(2026, 7, 1): 28_400, dt.date(2026, 8, 1): 28_400}
    assert AuditEvent.objects.filter(action="bill.repriced").count() == 3


@pytest.mark.clock(dt.date(2026, 6, 15))
def test_accepting_a_donor_changes_no_price(sponsor, registration_data, worker_user):
    member = member_register(data=registration_data(), user=worker_user, actor=worker_user)
    sponsor_register_worker(sponsor=sponsor, data=registration_data(phone="+6285700000000"), relationship="other")
    sponsorship_respond(sponsorship_id=Sponsorship.objects.get(member=member).pk, member=member, accept=True)
    member.refresh_from_db()
    assert member.funding_source == "donor" and member.bills.get().total_idr == 28_400
    assert not AuditEvent.objects.filter(action="bill.repriced").exists()
