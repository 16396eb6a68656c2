"""A JKM scholarship in real Chromium at 360 px: the heir files it for two children (no JavaScript needed for the
children's fieldsets), the branch verifies and approves it (through the services: the review pages are walked in
test_claims.py), and the heir's status page shows the schedule per year and child."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from claims.models import Claim, ClaimStatus
from tests.browser.test_claims import claims_reference, demo, fits, jpeg_file, pdf_file  # noqa: F401 - fixtures
from tests.core.helpers import last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def membership_of_years(member, years: int) -> None:
    """The demo member also paid every month of the `years` years before their current membership, each at its
    time (a JKM scholarship needs 36 paid months)."""
    from contributions.models import Bill, BillStatus
    from reference.duedates import add_months
    from tests.contributions.helpers import bills_mark_paid

    first = Bill.objects.filter(member=member, status=BillStatus.PAID).order_by("month").first().month
    for n in range(12 * years, 0, -1):
        month = add_months(first, -n)
        bills_mark_paid(member, f"{month:%Y-%m}",
                        paid_at=timezone.make_aware(dt.datetime.combine(month, dt.time(10))))


def test_heir_files_a_jkm_scholarship_for_two_children(page, shoot, demo):  # noqa: F811 - fixture
    from claims.services import claim_approve, claim_document_review, claim_review_start, claim_verify
    from core.models import User
    from demo.claims import DECEASED_BIRTH, DECEASED_NIK, HEIR_PHONE
    from members.models import Member
    from reference.duedates import add_months

    death = add_months(timezone.localdate().replace(day=1), -1).replace(day=10)
    member = Member.objects.get(birth_date=DECEASED_BIRTH)
    membership_of_years(member, 4)

    page.goto("/klaim/ahli-waris/")
    page.locator("#id_phone").fill("0812-0000-0005")
    page.locator("main button.primary").click()
    expect(page.locator("#id_code")).to_be_visible()  # the code is sent before this page answers
    page.locator("#id_code").fill(last_code(HEIR_PHONE))
    page.locator("main button.primary").click()
    expect(page).to_have_url(re.compile(r"/klaim/ahli-waris/$"))
    expect(page.locator("main")).to_contain_text("anak yang bersekolah")
    page.locator("input[name=claim_type][value=jkm_scholarship]").check()
    page.locator("#id_kpj_or_nik").fill(DECEASED_NIK)
    page.locator("#id_birth_date").fill(DECEASED_BIRTH.isoformat())
    page.locator("main button.primary").click()
    expect(page).to_have_url(re.compile(r"/klaim/ahli-waris/data/$"))

    page.locator("#id_heir_name").fill("Sri Wahyuni")
    page.locator("#id_heir_nik").fill("3174015708900123")
    page.locator("#id_heir_relationship").select_option("spouse")
    page.locator("#id_event_date").fill(death.isoformat())
    page.locator("#id_child_1_name").fill("Rina Santoso")
    page.locator("#id_child_1_level").select_option("senior_high")
    page.locator("#id_child_1_year").select_option("5")  # senior high has 3 years: refused next to the field
    page.locator("#id_child_2_name").fill("Dimas Santoso")
    page.locator("#id_child_2_level").select_option("junior_high")
    page.locator("#id_child_2_year").select_option("3")
    page.locator("#id_bank_name").select_option("BRI")
    page.locator("#id_account_holder").fill("SRI WAHYUNI")
    page.locator("#id_account_number").fill("0123 4567 8901")
    page.locator("main button.primary").click()
    expect(page.locator("#id_child_1_year_error")).to_contain_text("pilih 1 sampai 3")
    expect(page.locator("#id_child_2_name")).to_have_value("Dimas Santoso")
    assert Claim.objects.count() == 0
    fits(page)
    shoot(page, "claims/30-scholarship-form")
    page.locator("#id_child_1_year").select_option("2")
    files = {"card": jpeg_file("kartu.jpg"), "ktp": jpeg_file("ktp-almarhum.jpg"),
             "heir_ktp": jpeg_file("ktp-saya.jpg", (160, 40, 40)), "death_cert": pdf_file("akta.pdf", "Akta kematian"),
             "family_card": jpeg_file("kk.jpg", (20, 120, 60)), "heir_cert": pdf_file("waris.pdf", "Surat waris"),
             "marriage_book": pdf_file("nikah.pdf", "Buku nikah"), "bank_book": jpeg_file("tabungan.jpg"),
             "school": pdf_file("sekolah.pdf", "Surat keterangan sekolah")}
    for kind, file in files.items():
        page.locator(f"#id_doc_{kind}").set_input_files(file)
    page.locator("main button.primary").click()

    expect(page.locator("#claim-status")).to_be_visible()  # filed: the claim's own page answered
    claim = Claim.objects.get()
    expect(page).to_have_url(re.compile(re.escape(f"/klaim/{claim.number}/") + "$"))
    assert claim.claim_type == "jkm_scholarship" and claim.details["children"] == [
        {"name": "Rina Santoso", "level": "senior_high", "year_in_level": 2},
        {"name": "Dimas Santoso", "level": "junior_high", "year_in_level": 3}]

    # The branch checks the documents, verifies and approves (the review pages themselves: test_claims.py).
    # The breakdown keeps codes, not words: the heir reads it in Indonesian whatever the staff's language.
    staff = User.objects.get(username="petugas")
    with translation.override("id"):
        claim = claim_review_start(claim=claim, staff=staff)
        for document in claim.documents.all():
            claim_document_review(document=document, staff=staff, valid=True)
        claim = claim_verify(claim=claim, staff=staff)
        assert claim.status == ClaimStatus.VERIFIED
        claim = claim_approve(claim=claim, supervisor=User.objects.get(username="supervisor"))
    assert claim.status == ClaimStatus.APPROVED  # the claimant's page shows the amount from here on

    page.reload()
    # A heading row per year, then a row per child with its school level.
    year = timezone.localdate().year
    expect(page.locator("#claim-status.claim-status-approved")).to_be_visible()
    years = page.locator("#breakdown tr.year").all_inner_texts()
    assert years[:2] == [str(year), str(year + 1)]
    rows = page.locator("#breakdown tr.per-child th").all_inner_texts()
    assert rows[:4] == ["Rina Santoso\nSMA", "Dimas Santoso\nSMP", "Rina Santoso\nSMA", "Dimas Santoso\nSMA"]
    fits(page)
    page.locator("#breakdown").scroll_into_view_if_needed()
    shoot(page, "claims/31-scholarship-breakdown")
