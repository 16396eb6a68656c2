"""Scholarships school year by school year: the payout opens the grant with this school year paid, the heir sends
each later year's school certificate, the branch checks it (valid: released; not valid: refused, sent again) and
records the transfer (not the one who released it); a child's scholarship ends at 23, on marriage or work, when
every level or the total is paid; the heir is reminded once before each school year. Today is 15 June 2030 (the
school year 2029/2030; the next starts on 1 July 2030, so its form is open from 1 June)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from claims import benefits
from claims.models import (
    BenefitRule,
    ClaimDocument,
    ClaimStatus,
    DocumentStatus,
    RuleKind,
    ScholarshipChild,
    ScholarshipEndReason,
    ScholarshipPayment,
)
from claims.scholarships import open_school_year, scholarship_schedules
from claims.selectors import claim_checklist, scholarship_years_waiting
from claims.services import (
    claim_file,
    scholarship_child_end,
    scholarship_reminders_send,
    scholarship_year_pay,
    scholarship_year_review,
    scholarship_year_submit,
)
from core.models import AuditEvent, OutboxMessage, Role
from tests.claims.claim_helpers import (
    BANK,
    all_documents,
    child,
    event,
    heir,
    paid_member,
    pdf,
    staff_make,
    user_make,
    walk,
)
from tests.contributions.helpers import pin_today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
HEIR_PHONE = "+6281377770001"


@pytest.fixture
def staff():
    return staff_make(name="Staf Satu")


@pytest.fixture
def other_staff():
    return staff_make(name="Staf Dua")


@pytest.fixture
def heir_user():
    return user_make(phone=HEIR_PHONE, language="en")


def file_scholarship(member, claimant, children):
    return claim_file(claimant=claimant, member=member, claim_type="jkk_scholarship", event=event(), bank=BANK,
                      heir=heir("child"), details={"children": children},
                      documents=all_documents("jkk_scholarship", heir_relationship="child"))


@pytest.fixture
def paid(staff, heir_user):
    """ADI in junior high year 3 (paid with the claim, 2029/2030); BUDI not at school yet."""
    claim = file_scholarship(paid_member(months=12), heir_user, [child("ADI", "junior_high", 3, born="2016-02-01"),
                                                                 child("BUDI", "", born="2024-05-05")])
    return walk(claim, to=ClaimStatus.PAID, staff=staff)


def kids(claim):
    return {c.name: c for c in ScholarshipChild.objects.filter(claim=claim)}


def send(child_row, user, level="senior_high", declared=True):
    return scholarship_year_submit(child=child_row, user=user, level=level, upload=pdf(), declared=declared)


def test_the_payout_opens_the_grant_with_this_school_year_paid(paid):
    adi, budi = kids(paid)["ADI"], kids(paid)["BUDI"]
    assert (adi.first_level, adi.first_year_in_level, adi.status) == ("junior_high", 3, "active")
    assert (budi.first_level, budi.status) == ("", "active")
    assert adi.nik_masked.startswith("3174") and len(adi.nik_digest) == 64
    first = ScholarshipPayment.objects.get()
    assert (first.child, first.school_year, first.level, first.year_in_level, first.amount_idr, first.status) == (
        adi, 2029, "junior_high", 3, 2_000_000, "paid")
    assert first.payout == paid.payout and paid.payout.amount_idr == 2_000_000


@pytest.mark.parametrize(("day", "year"), [("2030-05-31", None), ("2030-06-01", 2030), ("2030-07-01", 2030),
                                           ("2031-05-31", 2030), ("2031-06-01", 2030)])
def test_the_next_school_year_opens_a_month_before_it_starts(paid, day, year):
    adi = kids(paid)["ADI"]
    payments = list(adi.payments.all())
    years = benefits.SchoolYears(start_month=7, end_age=23)
    assert open_school_year(child=adi, payments=payments, today=dt.date.fromisoformat(day), years=years,
                            remind_days=30) == year


def test_the_heir_sends_the_certificate_and_the_branch_releases_and_pays_it(paid, heir_user, staff, other_staff):
    adi = kids(paid)["ADI"]
    payment = send(adi, heir_user)
    assert (payment.school_year, payment.level, payment.year_in_level, payment.amount_idr, payment.status) == (
        2030, "senior_high", 1, 3_000_000, "submitted")
    assert payment.document.kind == "school" and payment.document.claim == paid
    # The claim's own checklist still shows the certificate filed with it, not this year's.
    school = next(item for item in claim_checklist(claim=paid) if item.kind == "school")
    assert school.document != payment.document
    assert scholarship_years_waiting(viewer=staff) == [payment]

    scholarship_year_review(payment=payment, staff=staff, valid=True)
    payment.refresh_from_db()
    assert payment.status == "released" and payment.reviewed_by == staff
    assert ClaimDocument.objects.get(pk=payment.document_id).status == DocumentStatus.VALID
    assert "is accepted: Rp3,000,000 will be transferred" in OutboxMessage.objects.filter(
        recipient=HEIR_PHONE).latest("id").body

    with pytest.raises(PermissionDenied):
        scholarship_year_pay(payment=payment, staff=staff, transfer_reference="TRF-Y-1")
    with pytest.raises(ValidationError) as exc:
        scholarship_year_pay(payment=payment, staff=other_staff, transfer_reference=f"TRF-{paid.number}")
    assert "recorded already" in str(exc.value)
    scholarship_year_pay(payment=payment, staff=other_staff, transfer_reference="TRF-Y-1")
    payment.refresh_from_db()
    assert (payment.status, payment.transfer_reference, payment.paid_by) == ("paid", "TRF-Y-1", other_staff)
    assert "was transferred to BRI ****1234" in OutboxMessage.objects.filter(recipient=HEIR_PHONE).latest("id").body
    assert scholarship_years_waiting(viewer=staff) == []
    actions = list(AuditEvent.objects.filter(object_id=str(payment.pk), action__startswith="scholarship.year")
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["scholarship.year_submitted", "scholarship.year_released", "scholarship.year_paid"]
    schedule = next(s for s in scholarship_schedules(claim=paid, today=dt.date(2030, 6, 15))
                    if s.child.name == "ADI")
    assert schedule.paid_idr == 5_000_000 and schedule.open_year is None
    # Later: senior high years 2-3, then university until the year that starts after ADI turns 23 (1 Feb 2039).
    assert [(line.year, line.amount_idr) for line in schedule.later] == [
        (2031, 3_000_000), (2032, 3_000_000), (2033, 12_000_000), (2034, 12_000_000), (2035, 12_000_000),
        (2036, 12_000_000), (2037, 12_000_000)]


def test_a_refused_certificate_is_sent_again_for_the_same_year(paid, heir_user, staff):
    adi = kids(paid)["ADI"]
    payment = send(adi, heir_user)
    with pytest.raises(ValidationError):
        scholarship_year_review(payment=payment, staff=staff, valid=False)  # a note is needed
    scholarship_year_review(payment=payment, staff=staff, valid=False, note="The letter is for 2029")
    payment.refresh_from_db()
    assert payment.status == "refused" and payment.review_note == "The letter is for 2029"
    assert "is not accepted: The letter is for 2029" in OutboxMessage.objects.latest("id").body
    again = send(adi, heir_user)
    assert again.school_year == 2030 and again.status == "submitted"
    with pytest.raises(ValidationError, match="No school year is open"):
        send(adi, heir_user)


@pytest.mark.parametrize(("level", "message"), [
    ("junior_high", "pays no more years of this level"),  # its 3 years are paid
    ("primary", "pays no more years of this level"),  # lower than already paid
])
def test_a_level_the_child_cannot_be_in_is_refused(paid, heir_user, level, message):
    with pytest.raises(ValidationError, match=message):
        send(kids(paid)["ADI"], heir_user, level=level)
    assert ScholarshipPayment.objects.count() == 1 and ClaimDocument.objects.filter(
        scholarship_payment__isnull=False).count() == 0


def test_only_the_heir_who_claimed_sends_and_only_with_the_declaration(paid, heir_user):
    adi = kids(paid)["ADI"]
    with pytest.raises(PermissionDenied):
        send(adi, user_make())
    with pytest.raises(ValidationError) as exc:
        send(adi, heir_user, declared=False)
    assert "declared" in exc.value.message_dict
    assert ScholarshipPayment.objects.count() == 1


def test_a_child_not_at_school_yet_is_paid_from_the_year_it_starts(paid, heir_user):
    budi = kids(paid)["BUDI"]
    payment = send(budi, heir_user, level="primary")
    assert (payment.school_year, payment.level, payment.year_in_level, payment.amount_idr) == (
        2030, "primary", 1, 1_500_000)


def test_the_total_cuts_the_last_year_and_ends_the_scholarship(paid, heir_user, staff, other_staff):
    BenefitRule.objects.filter(kind=RuleKind.SCHOLARSHIP_CAP).update(amount_idr=4_000_000)
    adi = kids(paid)["ADI"]
    payment = send(adi, heir_user)
    assert payment.amount_idr == 2_000_000  # 4 M less the 2 M paid with the claim
    scholarship_year_review(payment=payment, staff=staff, valid=True)
    scholarship_year_pay(payment=payment, staff=other_staff, transfer_reference="TRF-CAP")
    adi.refresh_from_db()
    assert (adi.status, adi.end_reason) == ("ended", ScholarshipEndReason.CAP)


def test_the_last_university_year_paid_with_the_claim_ends_the_scholarship(staff, heir_user):
    claim = file_scholarship(paid_member(months=12), heir_user, [child("ADI", "university", 5, born="2008-01-01")])
    claim = walk(claim, to=ClaimStatus.PAID, staff=staff)
    adi = kids(claim)["ADI"]
    assert (adi.status, adi.end_reason) == ("ended", ScholarshipEndReason.COMPLETED)


def test_the_heir_ends_it_on_marriage_and_a_year_being_checked_is_refused(paid, heir_user, staff):
    adi = kids(paid)["ADI"]
    payment = send(adi, heir_user)
    with pytest.raises(ValidationError):
        scholarship_child_end(child=adi, actor=heir_user, reason=ScholarshipEndReason.AGE)  # not the heir's to say
    scholarship_child_end(child=adi, actor=heir_user, reason=ScholarshipEndReason.MARRIED)
    adi.refresh_from_db()
    payment.refresh_from_db()
    assert (adi.status, adi.end_reason, payment.status) == ("ended", "married", "refused")
    with pytest.raises(ValidationError, match="ended already"):
        scholarship_child_end(child=adi, actor=heir_user, reason=ScholarshipEndReason.WORKING)
    with pytest.raises(ValidationError, match="No school year is open"):
        send(adi, heir_user)


def test_staff_end_it_with_a_note_only_in_their_branch(paid, staff):
    budi = kids(paid)["BUDI"]
    with pytest.raises(ValidationError):
        scholarship_child_end(child=budi, actor=staff, reason=ScholarshipEndReason.WORKING)
    with pytest.raises(PermissionDenied):
        scholarship_child_end(child=budi, actor=staff_make(branch="PLG"), reason="working", note="Works since May")
    scholarship_child_end(child=budi, actor=staff, reason=ScholarshipEndReason.WORKING, note="Works since May")
    budi.refresh_from_db()
    assert (budi.status, budi.end_reason) == ("ended", "working")
    event_ = AuditEvent.objects.get(action="scholarship.child_ended", object_id=str(budi.pk))
    assert event_.reason == "Works since May" and event_.actor == staff


def test_the_heir_is_reminded_once_before_each_school_year_and_a_child_of_23_ends(staff, heir_user):
    claim = file_scholarship(paid_member(months=12), heir_user, [
        child("ADI", "senior_high", 1, born="2014-03-03"), child("EKA", "university", 2, born="2007-06-30")])
    claim = walk(claim, to=ClaimStatus.PAID, staff=staff)
    before = OutboxMessage.objects.filter(purpose="scholarship.reminder").count()
    with pin_today(dt.date(2030, 5, 31)):
        assert scholarship_reminders_send() == {"handled": 0}
    assert scholarship_reminders_send() == {"handled": 2}  # 15 June: ADI reminded, EKA (23 on 30 June) ended
    reminders = OutboxMessage.objects.filter(purpose="scholarship.reminder")
    assert reminders.count() == before + 1
    assert reminders.latest("id").body == (
        f"BPJS Ketenagakerjaan: the school year 2030/2031 starts on 1 July 2030. Send the school certificate of ADI "
        f"on claim {claim.number} to receive the scholarship.")
    assert reminders.latest("id").recipient == HEIR_PHONE
    eka = kids(claim)["EKA"]
    assert (eka.status, eka.end_reason) == ("ended", ScholarshipEndReason.AGE)
    assert scholarship_reminders_send() == {"handled": 0}  # once a school year
    with pin_today(dt.date(2031, 6, 2)):
        assert scholarship_reminders_send() == {"handled": 1}  # the next school year: again


def test_a_sent_certificate_means_no_reminder(paid, heir_user):
    send(kids(paid)["ADI"], heir_user)
    assert scholarship_reminders_send() == {"handled": 1}  # BUDI only
    assert "BUDI" in OutboxMessage.objects.filter(purpose="scholarship.reminder").latest("id").body


def test_other_claims_children_count_against_the_two_children(paid, staff):
    second = file_scholarship(paid.member, user_make(), [child("CICI", "primary", 2, born="2021-01-01")])
    with pytest.raises(ValidationError, match="Nothing is payable"):
        walk(second, to=ClaimStatus.VERIFIED, staff=staff)


def test_the_staff_queue_is_scoped_to_the_branch(paid, heir_user, staff):
    payment = send(kids(paid)["ADI"], heir_user)
    assert scholarship_years_waiting(viewer=staff) == [payment]
    assert scholarship_years_waiting(viewer=staff_make(branch="PLG")) == []
    assert scholarship_years_waiting(viewer=staff_make(Role.ADMIN, branch=None)) == [payment]



def test_two_children_of_the_same_name_each_get_their_own_first_year(staff, heir_user):
    claim = file_scholarship(paid_member(months=12), heir_user, [
        child("ADI", "primary", 2, born="2022-01-01", serial=1), child("ADI", "university", 1, born="2010-01-01",
                                                                   serial=2)])
    claim = walk(claim, to=ClaimStatus.PAID, staff=staff)
    rows = {(p.child.position, p.level, p.amount_idr) for p in ScholarshipPayment.objects.select_related("child")}
    assert rows == {(1, "primary", 1_500_000), (2, "university", 12_000_000)}
