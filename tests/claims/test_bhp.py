"""JHT on death with no heir: the Balai Harta Peninggalan (DOMAIN.md "Claims"; decision AE). Its officer files with
their own account through the heir's path, relationship `bhp`; the claim is paid to the office's account, never to a
person, and only while nobody is an heir."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from claims.documents import checklist_for
from claims.models import ClaimStatus, JhtReturnRate
from claims.services import claim_eligibility_for, claim_file, claim_reject, claim_review_start, claim_verify
from core.models import Role
from members.models import MemberStatus
from tests.claims.claim_helpers import (
    HEIR_NIK,
    all_documents,
    all_valid,
    death_claim,
    event,
    heir,
    paid_member,
    staff_make,
    user_make,
    walk,
)
from tests.core.helpers import staff_login

pytestmark = pytest.mark.django_db
OFFICER_NIK = HEIR_NIK  # the officer files with their own NIK (tests.claims.claim_helpers.heir)
BHP_BANK = {"bank_name": "BRI", "account_holder": "BALAI HARTA PENINGGALAN JAKARTA",
            "account_number": "0345 6789 0123"}


@pytest.fixture
def member():
    member = paid_member(months=12)  # January to December 2026 paid, JHT 20,000 a month
    JhtReturnRate.objects.create(year=2026, percent=Decimal("6"))
    return member


def bhp_claim(member, officer=None, **heir_extra):
    officer = officer or user_make()
    return claim_file(claimant=officer, member=member, claim_type="jht_death", event=event("2026-08-10"),
                      bank=BHP_BANK, heir={**heir("bhp", **heir_extra), "name": "RUDI HARTONO (PETUGAS BHP)"},
                      documents=all_documents("jht_death", heir_relationship="bhp"))


def test_the_checklist_asks_for_the_no_heir_ruling_not_an_heir_certificate(english):
    entries = {e.kind: e for e in checklist_for(claim_type="jht_death", heir_relationship="bhp")}
    assert list(entries) == ["card", "ktp", "heir_ktp", "death_cert", "no_heir"]
    assert all(e.required for e in entries.values())
    assert str(entries["heir_ktp"].note) == "The KTP of the Balai Harta Peninggalan's officer who files the claim."
    assert entries["no_heir"].label == "Court ruling or statement that there is no heir"


def test_filed_and_paid_to_the_bhp_account(english, member):
    claim = bhp_claim(member)
    assert claim.heir_relationship == "bhp"
    checks = {c.code: (c.passed, c.message) for c in claim_eligibility_for(claim).checks}
    assert checks["heir_order"] == (True, "No heir is known, on this claim or another: the Balai Harta Peninggalan "
                                          "receives the JHT.")
    claim = walk(claim, to=ClaimStatus.PAID)
    payout = claim.payout
    assert payout.account_holder == "BALAI HARTA PENINGGALAN JAKARTA" and payout.account_number_masked == "****0123"
    # The JHT balance at the death (January to August, returns at 6 %), and the months after it refunded.
    assert claim.benefit_idr > 8 * 20_000 and claim.refund_idr > 0
    assert payout.amount_idr == claim.benefit_idr + claim.refund_idr
    member.refresh_from_db()
    assert member.status == MemberStatus.CLOSED


def test_the_pages_say_it_is_the_bhp_not_a_person(client, member):
    claim = bhp_claim(member)
    client.force_login(claim.claimant)
    client.cookies["bpu_lang"] = "id"
    page = client.get(f"/klaim/{claim.number}/").content.decode()
    assert "peserta tidak meninggalkan ahli waris, sehingga JHT ini tidak diterima oleh perorangan" in page
    assert "Penetapan pengadilan atau surat keterangan tidak ada ahli waris" in page
    staff_login(client, staff_make())
    client.cookies["bpu_lang"] = "en"
    html = client.get(f"/staf/klaim/{claim.pk}/").content.decode()
    facts = html.split('id="facts"')[1].split("</dl>")[0]
    assert "Balai Harta Peninggalan (no heir)" in facts and "not a person" in facts
    assert "Officer who filed" in facts and "RUDI HARTONO" in facts and "Heir (claimant)" not in facts
    assert OFFICER_NIK not in html


@pytest.mark.parametrize("other", ["spouse", "child", "parent", "sibling", "will"])
def test_refused_when_the_officer_names_an_heir(english, member, other):
    with pytest.raises(ValidationError) as exc:
        bhp_claim(member, other_heirs=[other])
    assert "the Balai Harta Peninggalan does not claim" in exc.value.message_dict["heir_relationship"][0]


def test_refused_when_another_claim_names_an_heir(english, member):
    spouse_claim = death_claim(member, claim_type="jkm_death", relationship="spouse")
    with pytest.raises(ValidationError) as exc:
        bhp_claim(member)
    assert exc.value.message_dict["heir_relationship"] == [
        "There is an heir (Spouse): the Balai Harta Peninggalan does not claim."]
    staff = staff_make(Role.SUPERVISOR)
    claim_reject(claim=spouse_claim, staff=staff, reason="Bukan pasangan yang sah")
    assert bhp_claim(member).status == ClaimStatus.SUBMITTED  # a rejected claim names nobody


def test_an_heir_who_comes_forward_later_stops_the_bhp_at_verification(english, member):
    claim = bhp_claim(member)
    death_claim(member, claim_type="jkm_death", relationship="child")  # JKM: the BHP claims JHT only
    staff = staff_make()
    claim = claim_review_start(claim=claim, staff=staff)
    all_valid(claim, staff)
    with pytest.raises(ValidationError, match=r"There is an heir \(Child\)"):
        claim_verify(claim=claim, staff=staff)


def test_a_real_heirs_jht_claim_is_refused_while_the_bhp_claim_is_live(english, member):
    claim = bhp_claim(member)
    with pytest.raises(ValidationError) as exc:
        death_claim(member, claim_type="jht_death", relationship="spouse")
    assert exc.value.message_dict["claim_type"] == [
        f"A claim of this type for this member is already being handled ({claim.number})."]
    claim_reject(claim=claim, staff=staff_make(Role.SUPERVISOR), reason="Ada ahli waris: istri almarhum")
    assert death_claim(member, claim_type="jht_death", relationship="spouse").status == ClaimStatus.SUBMITTED


@pytest.mark.parametrize("claim_type", ["jkm_death", "jkk_death"])
def test_the_bhp_claims_jht_only(english, member, claim_type):
    with pytest.raises(ValidationError) as exc:
        death_claim(member, claim_type=claim_type, relationship="bhp")
    assert exc.value.message_dict["heir_relationship"] == [
        "The Balai Harta Peninggalan claims only the JHT balance of a participant who left no heir."]
