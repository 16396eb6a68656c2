"""Scholarship claims on the heir's pages: the choice on step 1, a fieldset per child the rule pays for (the first
required), level and year checked next to their fields with the input kept, and the children the claim stores."""

from __future__ import annotations

import pytest

from claims.models import BenefitRule, Claim, RuleKind
from tests.claims.claim_helpers import BANK, HEIR_NIK, paid_member, pdf, user_make
from tests.claims.test_views import login
from tests.core.helpers import field_errors

pytestmark = pytest.mark.django_db

# Children with NIKs that match their birth dates (Jakarta Selatan).
ANDI = {"child_1_birth": "2012-04-10", "child_1_nik": "3174011004120001"}
BUDI = {"child_2_birth": "2016-09-01", "child_2_nik": "3174010109160002"}


def kept(name: str, level: str, year: int, birth: str, nik: str) -> dict:
    from core.nik import nik_blind_index, nik_mask

    return {"name": name, "level": level, "year_in_level": year, "birth_date": birth,
            "nik_digest": nik_blind_index(nik), "nik_masked": nik_mask(nik)}

STEP1, STEP2 = "/klaim/ahli-waris/", "/klaim/ahli-waris/data/"
HEIR = {"heir_name": "Siti Aminah", "heir_nik": HEIR_NIK, "heir_relationship": "spouse", "event_date": "2026-05-20",
        **BANK}


@pytest.fixture
def member():
    return paid_member()


@pytest.fixture
def heir_user():
    return user_make(phone="+6281355550002")


def start(client, member, claim_type="jkm_scholarship"):
    response = client.post(STEP1, {"claim_type": claim_type, "kpj_or_nik": member.kpj, "birth_date": "1990-08-17"})
    assert response.status_code == 302 and response["Location"] == STEP2


@pytest.mark.parametrize(("language", "words"), [
    ("en", ["JKM: scholarship", "JKK: scholarship", "children at school of a participant who died"]),
    ("id", ['value="jkm_scholarship"', 'value="jkk_scholarship"', "anak yang bersekolah"])])
def test_step_one_offers_the_scholarships(client, heir_user, language, words):
    html = login(client, heir_user, language).get(STEP1).content.decode()
    for word in words:
        assert word in html


@pytest.mark.parametrize(("language", "words"), [("en", ["Child 1", "Child 2 (optional)", "School level now",
                                                         "Year in that level", "Date of death", "Child&#x27;s NIK",
                                                         "Not at school yet"]),
                                                 ("id", ["Anak 1", "Anak 2 (tidak wajib)", "Jenjang sekolah",
                                                         "Tanggal meninggal", "NIK anak", "Belum bersekolah"])])
def test_step_two_has_a_fieldset_per_child_the_rule_pays_for(client, member, heir_user, language, words):
    login(client, heir_user, language)
    start(client, member)
    html = client.get(STEP2).content.decode()
    for word in words:
        assert word in html
    assert 'name="child_2_year"' in html and 'name="child_3_name"' not in html
    assert 'value="junior_high"' in html and "doc_school" in html


def test_the_number_of_children_comes_from_the_rule(client, member, heir_user):
    BenefitRule.objects.filter(kind=RuleKind.SCHOLARSHIP_MAX_CHILDREN).update(quantity=3)
    login(client, heir_user)
    start(client, member)
    html = client.get(STEP2).content.decode()
    assert 'name="child_3_name"' in html and 'name="child_4_name"' not in html


def test_a_child_is_required(client, member, heir_user):
    login(client, heir_user)
    start(client, member)
    html = client.post(STEP2, HEIR).content.decode()
    assert "child&#x27;s name" in field_errors(html, "child_1_name")
    assert "date of birth" in field_errors(html, "child_1_birth") and "NIK" in field_errors(html, "child_1_nik")
    assert "school level" in field_errors(html, "child_1_level")
    assert "year in that level" in field_errors(html, "child_1_year")
    assert field_errors(html, "child_2_name") == "" and Claim.objects.count() == 0


def test_level_and_year_are_checked_next_to_their_fields_with_the_input_kept(client, member, heir_user):
    login(client, heir_user)
    start(client, member)
    html = client.post(STEP2, {**HEIR, "child_1_name": "Andi Pratama", "child_1_level": "junior_high",
                               "child_1_year": "5", "child_2_name": "Budi", "child_2_level": "",
                               "child_2_year": "2"}).content.decode()
    assert "Junior high school has 3 years: choose 1 to 3." in field_errors(html, "child_1_year")
    assert "school level" in field_errors(html, "child_2_level")
    assert field_errors(html, "child_2_name") == "" and field_errors(html, "child_1_level") == ""
    assert 'value="Andi Pratama"' in html and 'value="Budi"' in html and 'value="Siti Aminah"' in html
    assert '<option value="junior_high" selected>' in html and '<option value="5" selected>' in html
    assert Claim.objects.count() == 0


def test_an_unknown_level_is_refused_next_to_it(client, member, heir_user):
    login(client, heir_user)
    start(client, member)
    html = client.post(STEP2, {**HEIR, "child_1_name": "Andi", "child_1_level": "playgroup",
                               "child_1_year": "1"}).content.decode()
    assert "Select a valid choice" in field_errors(html, "child_1_level")


def test_the_filed_claim_keeps_the_children(client, member, heir_user):
    login(client, heir_user)
    start(client, member)
    response = client.post(STEP2, {**HEIR, "child_1_name": "  Andi   Pratama ", "child_1_level": "junior_high",
                                   "child_1_year": "2", "child_2_name": "Budi", "child_2_level": "none",
                                   "child_2_year": "", "doc_school": pdf(), **ANDI, **BUDI})
    claim = Claim.objects.get()
    assert response["Location"] == f"/klaim/{claim.number}/"
    assert claim.claim_type == "jkm_scholarship" and claim.documents.get().kind == "school"
    assert claim.details["children"] == [kept("Andi Pratama", "junior_high", 2, "2012-04-10", "3174011004120001"),
                                         kept("Budi", "", 1, "2016-09-01", "3174010109160002")]


def test_an_empty_second_child_is_left_out(client, member, heir_user):
    login(client, heir_user)
    start(client, member, "jkk_scholarship")
    client.post(STEP2, {**HEIR, "child_1_name": "Andi", "child_1_level": "university", "child_1_year": "1",
                        "child_2_name": "", "child_2_level": "", "child_2_year": "", "child_2_birth": "",
                        "child_2_nik": "", **ANDI})
    claim = Claim.objects.get()
    assert claim.claim_type == "jkk_scholarship"
    assert claim.details["children"] == [kept("Andi", "university", 1, "2012-04-10", "3174011004120001")]


def test_the_services_children_error_goes_next_to_the_first_child(client, member, heir_user, monkeypatch):
    from django.core.exceptions import ValidationError

    from claims import services

    def refuse(**kwargs):
        raise ValidationError({"children": ["Name at least one child at school."]})

    monkeypatch.setattr(services, "claim_file", refuse)
    login(client, heir_user)
    start(client, member)
    html = client.post(STEP2, {**HEIR, "child_1_name": "Andi", "child_1_level": "primary",
                               "child_1_year": "1", **ANDI}).content.decode()
    assert "Name at least one child" in field_errors(html, "child_1_name")


def test_a_wrong_child_nik_is_shown_next_to_it_with_the_input_kept(client, member, heir_user):
    login(client, heir_user)
    start(client, member)
    html = client.post(STEP2, {**HEIR, "child_1_name": "Andi", "child_1_level": "primary", "child_1_year": "1",
                               "child_1_birth": "2012-04-11", "child_1_nik": "3174011004120001",
                               "doc_school": pdf()}).content.decode()
    assert "does not match the birth date" in field_errors(html, "child_1_nik")
    assert 'value="3174011004120001"' in html and 'value="2012-04-11"' in html and Claim.objects.count() == 0


def test_a_totally_disabled_worker_files_the_jkk_scholarship_for_their_children(client, member):
    """The JKK scholarship also follows the worker's total disability from a work accident: the worker files it."""
    worker = user_make()
    member.user = worker
    member.save()
    login(client, worker)
    assert "jkk_scholarship" in client.get("/klaim/ajukan/").content.decode()
    form = client.get("/klaim/ajukan/?jenis=jkk_scholarship").content.decode()
    assert "Child 1" in form and "Date the disability was established" in form and "doc_school" in form
    post = {"claim_type": "jkk_scholarship", "event_date": "2026-08-10", **BANK}
    html = client.post("/klaim/ajukan/?jenis=jkk_scholarship", post).content.decode()
    assert "enter the child" in field_errors(html, "child_1_name") and Claim.objects.count() == 0
    response = client.post("/klaim/ajukan/?jenis=jkk_scholarship", {
        **post, "child_1_name": "Andi", "child_1_level": "primary", "child_1_year": "4", "doc_school": pdf(), **ANDI})
    claim = Claim.objects.get()
    assert response["Location"] == f"/klaim/{claim.number}/"
    assert claim.claim_type == "jkk_scholarship" and claim.claimant == worker and not claim.heir_name
    assert claim.details["children"] == [kept("Andi", "primary", 4, "2012-04-10", "3174011004120001")]


# --- the school years after the claim ------------------------------------------------------------------------


@pytest.fixture
def paid_scholarship(heir_user):
    from claims.models import ClaimStatus
    from tests.claims.claim_helpers import child, staff_make, walk
    from tests.claims.test_scholarships import file_scholarship

    staff = staff_make()
    claim = file_scholarship(paid_member(months=12), heir_user, [child("ADI", "junior_high", 3, born="2016-02-01")])
    return walk(claim, to=ClaimStatus.PAID, staff=staff), staff


def test_the_heirs_page_shows_the_years_and_the_open_form(client, heir_user, paid_scholarship):
    claim, _staff = paid_scholarship
    html = login(client, heir_user, "id").get(f"/klaim/{claim.number}/").content.decode()
    assert "Beasiswa, per tahun ajaran" in html and "2029/2030" in html and "Dibayar" in html
    assert "Kirim surat keterangan sekolah untuk 2030/2031" in html
    assert "Tahun yang masih akan datang" in html


def test_a_refused_certificate_form_says_why_next_to_it_and_keeps_the_level(client, heir_user, paid_scholarship):
    from claims.models import ScholarshipChild, ScholarshipPayment

    claim, _staff = paid_scholarship
    kid = ScholarshipChild.objects.get(claim=claim)
    login(client, heir_user)
    response = client.post(f"/klaim/{claim.number}/beasiswa/", {
        "action": "submit", "child": kid.pk, f"c{kid.pk}-level": "university", f"c{kid.pk}-file": pdf()})
    assert response.status_code == 302 and response["Location"].endswith(f"#child-{kid.pk}")
    html = client.get(response["Location"]).content.decode()
    assert "Confirm this, or tell us below" in html and f'id="c{kid.pk}-declared-error"' in html
    assert f'id="c{kid.pk}-file-again"' in html  # a file is never kept: the heir is told to choose it again
    assert '<option value="university" selected>' in html and ScholarshipPayment.objects.count() == 1
    client.post(f"/klaim/{claim.number}/beasiswa/", {
        "action": "submit", "child": kid.pk, f"c{kid.pk}-level": "senior_high", f"c{kid.pk}-file": pdf(),
        f"c{kid.pk}-declared": "on"})
    assert ScholarshipPayment.objects.filter(status="submitted", level="senior_high").count() == 1


@pytest.mark.parametrize("child_id", ["999999", "x", "", "-1"])
def test_an_odd_child_is_a_404(client, heir_user, paid_scholarship, child_id):
    claim, _staff = paid_scholarship
    login(client, heir_user)
    assert client.post(f"/klaim/{claim.number}/beasiswa/", {"action": "submit", "child": child_id}).status_code == 404


def test_another_users_claim_is_a_404(client, paid_scholarship):
    from claims.models import ScholarshipChild

    claim, _staff = paid_scholarship
    kid = ScholarshipChild.objects.get(claim=claim)
    login(client, user_make())
    assert client.post(f"/klaim/{claim.number}/beasiswa/", {"action": "end", "child": kid.pk}).status_code == 404


def test_staff_release_and_a_second_staff_member_pays_on_the_claim_page(client, heir_user, paid_scholarship):
    from claims.models import ScholarshipChild, ScholarshipPayment
    from claims.services import scholarship_year_submit
    from tests.claims.claim_helpers import staff_make

    claim, staff = paid_scholarship
    kid = ScholarshipChild.objects.get(claim=claim)
    year = scholarship_year_submit(child=kid, user=heir_user, level="senior_high", upload=pdf(), declared=True)
    login(client, staff)
    queue = client.get("/staf/klaim/").content.decode()
    assert f"/staf/klaim/{claim.pk}/#year-{year.pk}" in queue and "Certificate to check" in queue
    url = f"/staf/klaim/{claim.pk}/beasiswa/"
    response = client.post(url, {"action": "review", "payment": year.pk, f"y{year.pk}-verdict": "invalid"})
    html = client.get(response["Location"]).content.decode()
    assert "Tell the heir what is wrong" in html and ScholarshipPayment.objects.get(pk=year.pk).status == "submitted"
    client.post(url, {"action": "review", "payment": year.pk, f"y{year.pk}-verdict": "valid"})
    assert ScholarshipPayment.objects.get(pk=year.pk).status == "released"
    response = client.post(url, {"action": "pay", "payment": year.pk, f"p{year.pk}-transfer_reference": "TRF-9"})
    html = client.get(response["Location"]).content.decode()
    assert f'id="pay-{year.pk}-other"' in html and f'id="p{year.pk}-transfer_reference"' not in html
    assert f'id="year-{year.pk}-error"' in html  # a forced request is refused next to the year
    login(client, staff_make())
    client.post(url, {"action": "pay", "payment": year.pk, f"p{year.pk}-transfer_reference": "TRF-9"})
    assert ScholarshipPayment.objects.get(pk=year.pk).status == "paid"
    assert client.post(url, {"action": "pay", "payment": "12x"}).status_code == 404
