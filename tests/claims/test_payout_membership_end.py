"""A paid death claim (and JHT for leaving Indonesia) ends the membership: the member is closed with an audit event,
the auto-debit is revoked, open bills after the event are voided and sponsorships end, and billing, reminders, lapses
and auto-debit pass the member by. JHT at 56 does not."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from claims.models import ClaimStatus, JhtReturnRate
from claims.services import claim_file
from claims.services.payout import MEMBERSHIP_ENDING_TYPES
from contributions.models import AttemptStatus, Bill, BillStatus, DebitAttempt, MandateStatus, Reminder
from contributions.services.autodebit import debit_attempts_create, debit_mandate_create
from contributions.services.billing import bill_generate_for_period
from contributions.services.membership import members_lapse
from contributions.services.reminders import reminder_is_stale, reminders_send
from core.models import AuditEvent, OutboxMessage
from members.models import Member, MemberStatus, Sponsorship
from tests.claims.claim_helpers import BANK, all_documents, death_claim, event, paid_member, staff_make, user_make, walk
from tests.contributions.helpers import bills_make, payer_make
from tests.factories.members import SponsorFactory, SponsorshipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

WIB = ZoneInfo("Asia/Jakarta")
SEP_12 = dt.datetime(2026, 9, 12, 8, 0, tzinfo=WIB)  # the September bill is due on the 15th: "due soon"
DIED = "2026-06-10"


def insured():
    """Paid January to June 2026 (June covers a death on 10 June); July to September billed, open."""
    member = paid_member(months=6)
    bills_make(member, "2026-07", "2026-08", "2026-09")
    return member


def mandate_for(member):
    return debit_mandate_create(payer=payer_make(), member=member, method="bank", issuer="BCA", account="1234567890",
                                max_amount_idr=500_000, consent_ip=None)


@pytest.fixture
def member():
    return insured()


@pytest.fixture
def neighbour():
    """The same months, alive: what the services still do for everyone else."""
    return insured()


@pytest.fixture
def staff():
    return staff_make()


def pay(claim, staff):
    return walk(claim, to=ClaimStatus.PAID, staff=staff)


def status_of(member) -> str:
    return Member.objects.values_list("status", flat=True).get(pk=member.pk)


def test_the_claims_that_end_the_membership_are_those_that_refund_later_months():
    assert MEMBERSHIP_ENDING_TYPES == {"jkk_death", "jkm_death", "jht_death", "jht_leaving", "jht_age",
                                       "jht_disability", "jht_stopped"}


def test_a_paid_death_claim_closes_the_member_with_an_audit_event(member, staff):
    assert status_of(member) == MemberStatus.ACTIVE
    claim = pay(death_claim(member, day=DIED), staff)
    assert status_of(member) == MemberStatus.CLOSED
    event_ = AuditEvent.objects.filter(action="member.status_changed", object_id=str(member.pk)).latest("pk")
    assert event_.changes == {"status": ["active", "closed"]}
    assert event_.reason == f"death claim {claim.number} paid"
    assert event_.actor == staff


def test_an_approved_claim_not_yet_paid_leaves_the_member(member, staff):
    walk(death_claim(member, day=DIED), to=ClaimStatus.APPROVED, staff=staff)
    assert status_of(member) == MemberStatus.ACTIVE


def test_the_auto_debit_is_revoked_and_its_waiting_attempt_skipped(member, staff):
    mandate = mandate_for(member)
    debit_attempts_create(month=dt.date(2026, 9, 1), now=dt.datetime(2026, 9, 5, 6, 0, tzinfo=WIB))
    attempt = DebitAttempt.objects.get(mandate=mandate)
    assert attempt.status == AttemptStatus.SCHEDULED
    claim = pay(death_claim(member, day=DIED), staff)
    mandate.refresh_from_db()
    attempt.refresh_from_db()
    assert mandate.status == MandateStatus.REVOKED and mandate.revoked_at is not None
    assert attempt.status == AttemptStatus.SKIPPED
    revoked = AuditEvent.objects.get(action="debit_mandate.revoked", object_id=str(mandate.pk))
    assert (revoked.actor, revoked.reason) == (None, f"death claim {claim.number} paid")


def test_no_auto_debit_attempt_next_month(member, neighbour, staff):
    mandate_for(member)
    mandate_for(neighbour)
    pay(death_claim(member, day=DIED), staff)
    debit_attempts_create(month=dt.date(2026, 10, 1), now=dt.datetime(2026, 10, 5, 6, 0, tzinfo=WIB))
    assert set(DebitAttempt.objects.values_list("mandate__member", flat=True)) == {neighbour.pk}


def test_no_bill_next_month(member, neighbour, staff):
    pay(death_claim(member, day=DIED), staff)
    bill_generate_for_period(month=dt.date(2026, 10, 1))
    october = Bill.objects.filter(month=dt.date(2026, 10, 1))
    assert set(october.values_list("member", flat=True)) == {neighbour.pk}


def test_open_bills_after_the_event_are_voided_with_an_audit_event(member, staff):
    pay(death_claim(member, day=DIED), staff)
    later = Bill.objects.filter(member=member, month__gt=dt.date(2026, 6, 1)).order_by("month")
    assert list(later.values_list("status", flat=True)) == [BillStatus.VOID] * 3
    events = AuditEvent.objects.filter(action="bill.void", object_id__in=[str(pk) for pk in later.values_list(
        "pk", flat=True)])
    assert events.count() == 3 and all("death claim" in event.reason for event in events)
    assert set(Bill.objects.filter(member=member, month__lte=dt.date(2026, 6, 1))
               .values_list("status", flat=True)) == {BillStatus.PAID}


def test_sponsorships_end_so_no_sponsor_is_asked_to_pay(member, staff):
    sponsor = SponsorFactory()
    SponsorshipFactory(sponsor=sponsor, member=member)
    pay(death_claim(member, day=DIED), staff)
    sponsorship = Sponsorship.objects.get(member=member)
    assert sponsorship.ended_at is not None
    assert AuditEvent.objects.filter(action="sponsorship.ended", reason__startswith="death claim").exists()


def test_no_reminder(member, neighbour, staff):
    pay(death_claim(member, day=DIED), staff)
    reminders_send(now=SEP_12)
    assert set(Reminder.objects.values_list("bill__member", flat=True)) == {neighbour.pk}


def test_a_reminder_queued_before_the_payout_is_not_sent(member, staff):
    reminders_send(now=SEP_12)
    ids = set(Reminder.objects.filter(bill__member=member).values_list("message", flat=True))
    messages = list(OutboxMessage.objects.filter(pk__in=ids))
    assert messages and not any(reminder_is_stale(m) for m in messages)
    pay(death_claim(member, day=DIED), staff)
    assert all(reminder_is_stale(m) for m in messages)


def test_no_lapse(member, neighbour, staff):
    pay(death_claim(member, day=DIED), staff)
    assert members_lapse(today=dt.date(2026, 10, 10)) == 1
    assert (status_of(member), status_of(neighbour)) == (MemberStatus.CLOSED, MemberStatus.LAPSED)


def test_a_second_death_claim_finds_the_member_closed(member, staff):
    JhtReturnRate.objects.create(year=2026, percent=Decimal("5"))
    heir = user_make()
    pay(death_claim(member, heir, day=DIED), staff)
    jht = pay(death_claim(member, heir, claim_type="jht_death", day=DIED), staff)
    assert jht.status == ClaimStatus.PAID and status_of(member) == MemberStatus.CLOSED
    changes = AuditEvent.objects.filter(action="member.status_changed", object_id=str(member.pk)).order_by("pk")
    closing = [e.changes for e in changes]
    assert closing == [{"status": ["registered", "active"]}, {"status": ["active", "closed"]}]


def test_jkk_death_closes_too(member, staff):
    claim = pay(death_claim(member, claim_type="jkk_death", day=DIED), staff)
    assert status_of(member) == MemberStatus.CLOSED
    assert AuditEvent.objects.filter(action="member.status_changed", reason=f"death claim {claim.number} paid") \
        .exists()


def worker_of(member):
    user = user_make()
    member.user = user
    member.save(update_fields=["user"])
    return user


def test_jht_for_leaving_indonesia_closes(member, staff):
    JhtReturnRate.objects.create(year=2026, percent=Decimal("5"))
    mandate = mandate_for(member)
    claim = claim_file(claimant=worker_of(member), member=member, claim_type="jht_leaving",
                       event=event(DIED), bank=BANK, documents=all_documents("jht_leaving"))
    claim = pay(claim, staff)
    assert status_of(member) == MemberStatus.CLOSED
    assert AuditEvent.objects.filter(action="member.status_changed").latest("pk").reason == \
        f"claim {claim.number} paid: left Indonesia for good"
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.REVOKED


def test_jht_at_56_ends_the_membership_with_its_refund(member, staff):
    """Its refund returns every paid month after the event (JKK and JKM included), so those months cannot stay
    covered: the membership ends with the payout, as for a death."""
    JhtReturnRate.objects.create(year=2026, percent=Decimal("5"))
    Member.objects.filter(pk=member.pk).update(birth_date=dt.date(1970, 1, 1))
    member.refresh_from_db()
    mandate = mandate_for(member)
    claim = claim_file(claimant=worker_of(member), member=member, claim_type="jht_age", event=event(DIED),
                       bank=BANK, documents=all_documents("jht_age"))
    claim = pay(claim, staff)
    assert claim.status == ClaimStatus.PAID
    assert status_of(member) == MemberStatus.CLOSED
    assert AuditEvent.objects.filter(action="member.status_changed").latest("pk").reason == \
        f"claim {claim.number} paid: JHT at retirement age"
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.REVOKED


def test_jht_for_a_bpu_member_who_stopped_working_pays_the_balance_and_ends_the_membership(member, staff):
    """Permenaker 4/2022 art. 6(2): the worker files it from their own page, with a statement that they stopped."""
    JhtReturnRate.objects.create(year=2026, percent=Decimal("5"))
    claim = claim_file(claimant=worker_of(member), member=member, claim_type="jht_stopped", event=event(DIED),
                       bank=BANK, documents=all_documents("jht_stopped"))
    assert set(claim.documents.values_list("kind", flat=True)) == {"card", "ktp", "stopped"}
    claim = pay(claim, staff)
    assert claim.benefit_idr > 6 * 20_000  # six months of JHT with their returns
    assert claim.breakdown["benefit"]["lines"][0]["text"]["code"] == "jht_contributions"
    assert status_of(member) == MemberStatus.CLOSED
    assert AuditEvent.objects.filter(action="member.status_changed").latest("pk").reason == \
        f"claim {claim.number} paid: stopped working"

