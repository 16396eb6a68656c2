"""JHT partial withdrawal (DOMAIN.md "Benefits": once, after 10 years of membership, up to 10 % to prepare for
retirement or 30 % for housing, an NPWP above Rp50 M) and the full JHT that pays the rest afterwards.

Today is 15 June 2030 (tests/claims/conftest.py). The decade member joined in June 2020 and paid every month in its
own month, Rp20,000 JHT a month (2 % of Rp1,000,000); returns are 0 % until 2029, so the balance is simple to follow.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from claims.benefits import BenefitError, jht_balance, jht_partial
from claims.documents import checklist_for
from claims.eligibility import claim_eligibility
from claims.models import BenefitRule, Claim, ClaimStatus, ClaimType, JhtReturnRate, RuleKind
from claims.services import (
    claim_document_add,
    claim_document_review,
    claim_file,
    claim_reject,
    claim_review_start,
    claim_verify,
)
from core.models import Role
from members.models import MemberStatus
from tests.claims.claim_helpers import BANK, all_documents, all_valid, jpeg, pdf, staff_make, user_make, walk
from tests.contributions.helpers import bills_mark_paid, member_make, pin_today

pytestmark = pytest.mark.django_db
PENSION, HOUSING = ClaimType.JHT_PARTIAL_PENSION, ClaimType.JHT_PARTIAL_HOUSING
TODAY = dt.date(2030, 6, 15)


def months(first: str, last: str) -> list[str]:
    year, month = map(int, first.split("-"))
    out = []
    while f"{year}-{month:02d}" <= last:
        out.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def pay_each_in_its_month(member, first: str, last: str) -> None:
    for value in months(first, last):
        bills_mark_paid(member, value, paid_at=dt.datetime.fromisoformat(f"{value}-05T10:00:00+07:00"))


def rates(rate_2030: str = "6", first: int = 2020) -> None:
    for year in range(first, 2030):
        JhtReturnRate.objects.create(year=year, percent=Decimal("0"))
    for year in (2030, 2031):
        JhtReturnRate.objects.create(year=year, percent=Decimal(rate_2030))


def decade_member(*, first: str = "2020-06", income: int = 1_000_000):
    member = member_make(billing_start=dt.date.fromisoformat(f"{first}-01"), income=income, jht=True)
    pay_each_in_its_month(member, first, "2030-06")
    return member


def worker_of(member):
    user = user_make()
    member.user = user
    member.save(update_fields=["user"])
    return user


def file_partial(member, claim_type=PENSION, *, documents=None, worker=None):
    worker = worker or member.user or worker_of(member)
    docs = all_documents(claim_type) if documents is None else documents
    return claim_file(claimant=worker, member=member, claim_type=claim_type, event={}, bank=BANK, documents=docs)


def checks(claim_or_member, claim_type=PENSION, day=TODAY) -> dict[str, bool]:
    result = claim_eligibility(member=claim_or_member, claim_type=claim_type, event_date=day)
    return {check.code: check.passed for check in result.checks}


# --- 10 years of membership, counted from the membership start ----------------------------------------------------

@pytest.mark.parametrize(("first", "day", "passed"), [
    ("2020-07", TODAY, False),                 # 9 years, 11 months and 14 days
    ("2020-06", TODAY, True),                  # 10 years and 14 days
    ("2020-06", dt.date(2030, 5, 31), False),  # a day short of 10 years from 1 June 2020
    ("2020-06", dt.date(2030, 6, 1), True),    # 10 years to the day
])
def test_ten_years_of_membership(first, day, passed):
    member = member_make(billing_start=dt.date.fromisoformat(f"{first}-01"), jht=True)
    bills_mark_paid(member, first, paid_at=dt.datetime.fromisoformat(f"{first}-05T10:00:00+07:00"))
    assert checks(member, day=day)["membership_age"] is passed


@pytest.mark.parametrize(("first", "filed"), [("2020-07", False), ("2020-06", True)])
def test_filing_before_ten_years_is_refused_with_the_day_it_opens(english, first, filed):
    member = member_make(billing_start=dt.date.fromisoformat(f"{first}-01"), jht=True)
    bills_mark_paid(member, first, paid_at=dt.datetime.fromisoformat(f"{first}-05T10:00:00+07:00"))
    if filed:
        claim = file_partial(member)
        assert claim.event_date == TODAY and claim.status == ClaimStatus.SUBMITTED  # the day of the request
        return
    with pytest.raises(ValidationError) as exc:
        file_partial(member)
    assert "after 10 years of membership" in exc.value.message_dict["claim_type"][0]
    assert "July 1, 2030" in exc.value.message_dict["claim_type"][0]


def test_the_years_are_data(english):
    BenefitRule.objects.create(kind=RuleKind.JHT_PARTIAL_YEARS, effective_from=dt.date(2030, 1, 1), quantity=11)
    member = member_make(billing_start=dt.date(2020, 6, 1), jht=True)
    bills_mark_paid(member, "2020-06", paid_at=dt.datetime.fromisoformat("2020-06-05T10:00:00+07:00"))
    assert checks(member)["membership_age"] is False


def test_the_event_date_is_the_filing_day_whatever_is_sent():
    member = decade_member()
    claim = claim_file(claimant=worker_of(member), member=member, claim_type=HOUSING,
                       event={"date": dt.date(2021, 1, 1)}, bank=BANK)
    assert claim.event_date == TODAY


# --- the amounts -------------------------------------------------------------------------------------------------

# Balance on 15 June 2030: 121 months × 20,000 = 2,420,000 paid; returns 0 until 2029; in 2030 the opening
# 2,300,000 (115 months) earns the rate × 6/12 and January to June earn 20,000 × rate × (6 + 5 + ... + 1 = 21)/12.
# At 6 %: 69,000 + 2,100 = 71,100, balance 2,491,100. At 5.5 %: 63,250 + 1,925 = 65,175, balance 2,485,175.
@pytest.mark.parametrize(("rate", "claim_type", "balance", "paid"), [
    ("6", PENSION, 2_491_100, 249_110),
    ("6", HOUSING, 2_491_100, 747_330),
    ("5.5", PENSION, 2_485_175, 248_518),  # 248,517.5 rounded half up
    ("5.5", HOUSING, 2_485_175, 745_553),  # 745,552.5
])
def test_the_withdrawal_to_the_rupiah(english, rate, claim_type, balance, paid):
    member = decade_member()
    rates(rate)
    assert jht_balance(member=member, event_date=TODAY).total_idr == balance
    claim = walk(file_partial(member, claim_type), to=ClaimStatus.VERIFIED)
    benefit = claim.breakdown["benefit"]
    assert [line["amount_idr"] for line in benefit["lines"]] == [paid]
    assert claim.benefit_idr == paid and claim.refund_idr == 0 and claim.breakdown["refund"]["lines"] == []
    percent = "10" if claim_type == PENSION else "30"
    assert benefit["lines"][0]["text"] == {"code": "jht_partial", "params": {"percent": percent, "amount": balance}}
    assert "PP 60/2015" in benefit["lines"][0]["rule"]
    assert {"code": "jht_partial_balance", "params": {"day": "2030-06-15", "amount": balance}} in benefit["notes"]


def test_the_shares_are_data():
    member = decade_member()
    rates("6")
    BenefitRule.objects.create(kind=RuleKind.JHT_PARTIAL_RETIREMENT, effective_from=dt.date(2030, 6, 1),
                               multiple=Decimal("0.05"))
    benefit = jht_partial(member=member, event_date=TODAY, share=RuleKind.JHT_PARTIAL_RETIREMENT)
    assert benefit.total_idr == 124_555  # 5 % of 2,491,100


def test_paid_the_membership_goes_on(english):
    member = decade_member()
    rates("6")
    claim = walk(file_partial(member), to=ClaimStatus.PAID)
    member.refresh_from_db()
    assert claim.payout.amount_idr == 249_110 and member.status != MemberStatus.CLOSED
    assert [e.amount_idr for e in claim.payout.entries.all()] == [249_110]


# --- once only ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("first_type", "first_status", "second_type", "refused"), [
    (PENSION, ClaimStatus.PAID, HOUSING, True),
    (HOUSING, ClaimStatus.PAID, PENSION, True),
    (PENSION, ClaimStatus.APPROVED, PENSION, True),
    (PENSION, ClaimStatus.SUBMITTED, HOUSING, True),
    (PENSION, ClaimStatus.REJECTED, HOUSING, False),  # a rejected request does not count
])
def test_a_second_withdrawal_is_refused(english, first_type, first_status, second_type, refused):
    member = decade_member()
    rates("6")
    staff, supervisor = staff_make(), staff_make(Role.SUPERVISOR)
    first = file_partial(member, first_type)
    if first_status == ClaimStatus.REJECTED:
        claim_reject(claim=first, staff=supervisor, reason="Rekening salah")
    elif first_status != ClaimStatus.SUBMITTED:
        walk(first, to=first_status, staff=staff, supervisor=supervisor)
    if not refused:
        assert file_partial(member, second_type).status == ClaimStatus.SUBMITTED
        return
    with pytest.raises(ValidationError) as exc:
        file_partial(member, second_type)
    assert f"once only, and you asked already ({first.number})" in exc.value.message_dict["claim_type"][0]


def test_two_filed_at_once_both_fail_the_check_until_one_is_rejected(english):
    member = decade_member()
    rates("6")
    first = file_partial(member)
    # A second request that slipped past the filing check (two at once): written as a race would leave it.
    Claim.objects.filter(pk=first.pk).update(status=ClaimStatus.REJECTED)
    second = file_partial(member, HOUSING)
    Claim.objects.filter(pk=first.pk).update(status=ClaimStatus.SUBMITTED)
    staff, supervisor = staff_make(), staff_make(Role.SUPERVISOR)
    second = claim_review_start(claim=second, staff=staff)
    all_valid(second, staff)
    with pytest.raises(ValidationError, match="once only; this member has 2"):
        claim_verify(claim=second, staff=staff)
    claim_reject(claim=first, staff=supervisor, reason="Dua kali diajukan")
    assert claim_verify(claim=second, staff=staff).status == ClaimStatus.VERIFIED


def test_no_partial_withdrawal_once_the_whole_balance_is_paid(english):
    member = decade_member()
    rates("6")
    member.birth_date = dt.date(1974, 1, 10)  # 56 on 10 January 2030
    member.save(update_fields=["birth_date"])
    worker = worker_of(member)
    full = claim_file(claimant=worker, member=member, claim_type=ClaimType.JHT_AGE, event={"date": TODAY},
                      bank=BANK, documents=all_documents("jht_age"))
    walk(full, to=ClaimStatus.VERIFIED)
    assert checks(member)["partial_once"] is False
    with pytest.raises(ValidationError, match=f"paid with claim {full.number}"):
        file_partial(member, worker=worker)


def test_a_full_jht_waits_for_an_approved_withdrawal_to_be_paid(english):
    member = decade_member()
    rates("6")
    walk(file_partial(member), to=ClaimStatus.APPROVED)
    with pytest.raises(BenefitError, match="verified or approved but not paid yet"):
        jht_balance(member=member, event_date=TODAY)


# --- documents and the NPWP --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("claim_type", "required", "optional"), [
    (PENSION, ["card", "ktp"], []),
    (HOUSING, ["card", "ktp", "housing"], ["npwp"]),
])
def test_the_checklists(claim_type, required, optional):
    entries = checklist_for(claim_type=claim_type)
    assert [e.kind for e in entries if e.required] == required
    assert [e.kind for e in entries if not e.required] == optional


def test_the_npwp_note_names_the_threshold_in_force(english):
    (npwp,) = [e for e in checklist_for(claim_type=HOUSING) if e.kind == "npwp"]
    assert str(npwp.note) == "Needed when your JHT balance is over Rp50,000,000; the branch checks it."


def test_the_housing_papers_are_required(english):
    member = decade_member()
    rates("6")
    claim = file_partial(member, HOUSING, documents=[("card", jpeg()), ("ktp", jpeg())])
    staff = staff_make()
    claim = claim_review_start(claim=claim, staff=staff)
    all_valid(claim, staff)
    with pytest.raises(ValidationError, match="Purchase agreement or bank credit papers for the house"):
        claim_verify(claim=claim, staff=staff)
    claim_document_add(claim=claim, user=claim.claimant, kind="housing", upload=pdf())
    all_valid(claim, staff)
    assert claim_verify(claim=claim, staff=staff).benefit_idr == 747_330


# 121 months at the highest income base: 121 × 414,000 = 50,094,000, over Rp50 M (returns 0 % in 2030).
@pytest.mark.parametrize(("income", "npwp", "outcome"), [
    (20_700_000, None, "refused"),
    (20_700_000, "invalid", "refused"),
    (20_700_000, "valid", 15_028_200),  # 30 % of 50,094,000
    (1_000_000, None, 726_000),       # 30 % of 2,420,000: below Rp50 M, no NPWP needed
])
def test_the_npwp_is_needed_above_50_million(english, income, npwp, outcome):
    member = decade_member(income=income)
    rates("0")
    documents = all_documents(HOUSING) + ([("npwp", jpeg())] if npwp else [])
    claim = file_partial(member, HOUSING, documents=documents)
    staff = staff_make()
    claim = claim_review_start(claim=claim, staff=staff)
    for document in claim.documents.all():
        valid = not (document.kind == "npwp" and npwp == "invalid")
        claim_document_review(document=document, staff=staff, valid=valid, note="" if valid else "Buram")
    if outcome == "refused":
        with pytest.raises(ValidationError) as exc:
            claim_verify(claim=claim, staff=staff)
        assert "Rp50,094,000, over Rp50,000,000" in exc.value.messages[0] and "NPWP" in exc.value.messages[0]
        return
    assert claim_verify(claim=claim, staff=staff).benefit_idr == outcome


def test_the_retirement_withdrawal_needs_no_npwp(english):
    member = decade_member(income=20_700_000)
    rates("0")
    claim = walk(file_partial(member, PENSION), to=ClaimStatus.VERIFIED)
    assert claim.benefit_idr == 5_009_400  # 10 % of 50,094,000


# --- the full JHT afterwards pays the rest -------------------------------------------------------------------------

def test_a_later_jht_at_56_pays_the_balance_less_the_withdrawal_and_its_returns(english):
    member = decade_member()
    rates("6")
    member.birth_date = dt.date(1975, 1, 10)  # 56 on 10 January 2031
    member.save(update_fields=["birth_date"])
    partial = walk(file_partial(member), to=ClaimStatus.PAID)  # 249,110 paid on 15 June 2030
    assert partial.payout.paid_at.date() == TODAY
    pay_each_in_its_month(member, "2030-07", "2031-03")
    with pin_today(dt.date(2031, 3, 20)):
        claim = claim_file(claimant=member.user, member=member, claim_type=ClaimType.JHT_AGE,
                           event={"date": dt.date(2031, 3, 10)}, bank=BANK, documents=all_documents("jht_age"))
        claim = walk(claim, to=ClaimStatus.VERIFIED)
    lines = claim.breakdown["benefit"]["lines"]
    # 130 months paid (June 2020 to March 2031): 2,600,000, less the 249,110 withdrawn in June 2030.
    assert lines[0]["amount_idr"] == 2_600_000 - 249_110
    assert lines[0]["text"] == {"code": "jht_contributions_less_partial", "params": {
        "count": 130, "amount": 249_110, "number": partial.number, "day": "2030-06-15"}}
    # 2030 at 6 %: the opening 2,300,000 earns 138,000; January to December 20,000 × 0.06 × 78/12 = 7,800; the
    # withdrawal no longer earns from June: 249,110 × 0.06 × 7/12 = 8,718.85. Returns 137,081.15.
    # 2031 to March: the opening 2,427,971.15 × 0.06 × 3/12 = 36,419.57; January to March 600. Returns in all
    # 174,100.72, rounded once: 174,101.
    assert [(line["year"], line["amount_idr"]) for line in lines[1:]] == [
        *[(year, 0) for year in range(2020, 2030)], (2030, 137_081), (2031, 174_101 - 137_081)]
    assert claim.benefit_idr == 2_350_890 + 174_101 == 2_524_991
    assert all(line["amount_idr"] >= 0 for line in lines)
    # Without the withdrawal the returns would be higher by its 8,718.85 in 2030 and, in 2031, by
    # (249,110 + 8,718.85) × 0.06 × 3/12 = 3,867.43: the withdrawal takes itself and the returns it would have earned.
    with pin_today(dt.date(2031, 3, 20)):
        Claim.objects.filter(pk=partial.pk).update(status=ClaimStatus.REJECTED)
        whole = jht_balance(member=member, event_date=dt.date(2031, 3, 10)).total_idr
    lost = Decimal("8718.85") + (Decimal("249110") + Decimal("8718.85")) * Decimal("0.06") * 3 / 12
    assert whole == round(Decimal("2600000") + Decimal("174100.71725") + lost) == 2_786_687
    assert whole - (claim.benefit_idr + 249_110) == round(lost) == 12_586


def test_the_withdrawal_line_stays_positive_when_it_is_larger_than_the_contributions(english):
    # One month paid in June 2020 and a large return in 2030 (a made-up rate): the withdrawal is more than the
    # contributions, so the rest comes from the returns and every line stays positive.
    member = member_make(billing_start=dt.date(2020, 6, 1), income=1_000_000, jht=True)
    bills_mark_paid(member, "2020-06", paid_at=dt.datetime.fromisoformat("2020-06-05T10:00:00+07:00"))
    rates("0")
    JhtReturnRate.objects.filter(year=2029).update(percent=Decimal("99"))
    JhtReturnRate.objects.filter(year=2028).update(percent=Decimal("99"))
    JhtReturnRate.objects.filter(year=2027).update(percent=Decimal("99"))
    # 20,000 × 1.99³ = 157,611.98 on 1 January 2030; 30 %: 47,284 (balance 157,612).
    partial = walk(file_partial(member, HOUSING), to=ClaimStatus.PAID)
    assert partial.benefit_idr == 47_284
    benefit = jht_balance(member=member, event_date=TODAY)
    assert benefit.total_idr == 157_612 - 47_284
    assert all(line.amount_idr >= 0 for line in benefit.lines) and benefit.lines[0].amount_idr == 0
    assert any(note.code == "jht_partial_from_returns" and note.params["amount"] == 47_284 - 20_000
               for note in benefit.notes)


# --- the filing page ---------------------------------------------------------------------------------------------

def test_the_worker_sees_both_withdrawals_with_their_documents_in_indonesian(client):
    member = decade_member()
    worker = worker_of(member)
    client.force_login(worker)
    client.cookies["bpu_lang"] = "id"
    choose = client.get("/klaim/ajukan/").content.decode()
    assert "?jenis=jht_partial_pension" in choose and "?jenis=jht_partial_housing" in choose
    assert "JHT: pengambilan sebagian untuk persiapan hari tua (paling banyak 10 %)" in choose
    assert "JHT: pengambilan sebagian untuk perumahan (paling banyak 30 %)" in choose
    housing = client.get("/klaim/ajukan/?jenis=jht_partial_housing").content.decode()
    assert 'lang="id"' in housing and "Permohonan Anda" in housing
    assert 'name="doc_card"' in housing and 'name="doc_ktp"' in housing and 'name="doc_housing"' in housing
    assert "Perjanjian jual beli atau dokumen kredit bank untuk rumah" in housing
    assert 'name="doc_npwp"' in housing and "NPWP (kartu Nomor Pokok Wajib Pajak)" in housing
    assert "Diperlukan bila saldo JHT Anda lebih dari Rp50.000.000" in housing
    # No date to type: the request is dated the day it is sent.
    assert 'type="date"' not in housing and 'name="event_date" value="2030-06-15"' in housing
    pension = client.get("/klaim/ajukan/?jenis=jht_partial_pension").content.decode()
    assert 'name="doc_card"' in pension and 'name="doc_ktp"' in pension
    assert 'name="doc_housing"' not in pension and 'name="doc_npwp"' not in pension
    response = client.post("/klaim/ajukan/?jenis=jht_partial_housing", {
        "claim_type": HOUSING, "event_date": "2030-06-15", "bank_name": "BRI", "account_holder": "PESERTA",
        "account_number": "0123456789", "doc_card": jpeg(), "doc_ktp": jpeg(), "doc_housing": pdf()})
    claim = Claim.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/klaim/{claim.number}/"
    assert claim.claim_type == HOUSING and claim.event_date == TODAY
    assert set(claim.documents.values_list("kind", flat=True)) == {"card", "ktp", "housing"}
    again = client.post("/klaim/ajukan/?jenis=jht_partial_pension", {
        "claim_type": PENSION, "event_date": "2030-06-15", "bank_name": "BRI", "account_holder": "PESERTA",
        "account_number": "0123456789"}).content.decode()
    assert f"Sebagian JHT hanya dapat diambil satu kali, dan Anda sudah mengajukannya ({claim.number})" in again
