import datetime as dt
import json
import re

import pytest
from django.contrib.sessions.models import Session

from enrollment.services import member_register
from members.models import Member
from tests.conftest import VALID_NIK_WOMAN
from tests.core.helpers import field_block, field_errors

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "reference_data", "regions")]

IDENTITY = {"nik": VALID_NIK_WOMAN, "full_name": "Siti Rahayu", "birth_place": "Jakarta",
            "birth_date": "1990-08-17", "gender": "P"}


@pytest.fixture
def address(village_code):
    return {"province": "31", "regency": "31.74", "district": "31.74.01", "village": village_code,
            "address_line": "Jl. Melati 5 RT 2/RW 3", "occupation": "ojek-online"}


CONTRIBUTION = {"income_base_idr": "1000000", "jht": "on"}


def _next(client, url, data, expect):
    response = client.post(url, {**data, "action": "next"})
    assert response.status_code == 302, field_errors_summary(response)
    assert response["Location"] == expect
    return response


def field_errors_summary(response) -> str:
    return " | ".join(re.findall(r'role="alert"><p>(.*?)</p>', response.content.decode()))


@pytest.fixture
def at_review(worker_client, address):
    _next(worker_client, "/daftar/identitas/", IDENTITY, "/daftar/alamat/")
    _next(worker_client, "/daftar/alamat/", address, "/daftar/iuran/")
    _next(worker_client, "/daftar/iuran/", CONTRIBUTION, "/daftar/tinjau/")
    return worker_client


def _session_data(client) -> dict:
    return Session.objects.get(session_key=client.session.session_key).get_decoded()


# --- identity step ---------------------------------------------------------------------------------------


def test_identity_needs_sign_in(client):
    response = client.get("/daftar/identitas/")
    assert response.status_code == 302 and response["Location"].startswith("/masuk/")


def test_wrong_nik_shows_error_next_to_field_and_keeps_every_value(worker_client):
    typed = {**IDENTITY, "nik": "3174015709900001"}  # NIK says 17-09-1990
    response = worker_client.post("/daftar/identitas/", {**typed, "action": "next"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "does not match the birth date" in field_errors(html, "nik")
    assert 'value="3174015709900001"' in field_block(html, "nik")
    assert 'value="Siti Rahayu"' in field_block(html, "full_name")
    assert 'value="Jakarta"' in field_block(html, "birth_place")
    assert 'value="1990-08-17"' in field_block(html, "birth_date")
    assert re.search(r'<input type="radio" name="gender" value="P"[^>]*checked', field_block(html, "gender"))
    assert field_errors(html, "full_name") == ""


def test_malformed_nik_and_missing_fields(worker_client):
    response = worker_client.post("/daftar/identitas/", {"nik": "3174-01", "full_name": "Siti", "action": "next"})
    html = response.content.decode()
    assert "16 digits" in field_errors(html, "nik")
    assert 'value="3174-01"' in field_block(html, "nik")
    assert "Please enter your date of birth." in field_errors(html, "birth_date")
    assert "Please choose your gender." in field_errors(html, "gender")


def test_registered_nik_is_refused_without_revealing_the_member(worker_client, registration_data):
    other = member_register(data=registration_data(phone="+6285712345678"), user=None, actor=None)
    response = worker_client.post("/daftar/identitas/", {**IDENTITY, "action": "next"})
    html = response.content.decode()
    assert "already registered" in field_errors(html, "nik")
    # offers to sign out and in again with the number the NIK was registered with
    assert re.search(r'<form method="post" action="/keluar/" id="switch-account">', html)
    assert '<input type="hidden" name="next" value="/masuk/">' in html
    assert other.kpj not in html
    assert "RAHAYU" not in html  # our typed name is kept as typed; the stored (upper-case) one is not shown


def test_valid_identity_goes_to_address_and_session_has_no_clear_nik(worker_client):
    _next(worker_client, "/daftar/identitas/", {**IDENTITY, "nik": "3174 0157 0890 0001"}, "/daftar/alamat/")
    data = _session_data(worker_client)
    dumped = json.dumps(data)
    assert VALID_NIK_WOMAN not in dumped and "3174 0157 0890 0001" not in dumped
    assert data["registration"]["identity"]["full_name"] == "Siti Rahayu"


def test_nik_warning_is_shown_but_not_blocking(worker_client):
    response = worker_client.post("/daftar/identitas/", {**IDENTITY, "nik": "3199995708900001", "action": "next"},
                                  follow=True)
    assert response.redirect_chain[-1][0] == "/daftar/alamat/"
    assert "We do not recognise the district code" in response.content.decode()


# --- moving between steps --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/daftar/alamat/", "/daftar/iuran/", "/daftar/tinjau/"])
def test_cannot_jump_ahead_of_identity(worker_client, url):
    response = worker_client.get(url)
    assert response.status_code == 302 and response["Location"] == "/daftar/identitas/"
    response = worker_client.post(url, {"consent": "on", "action": "next"})
    assert response["Location"] == "/daftar/identitas/"
    assert not Member.objects.exists()


def test_jump_goes_to_first_incomplete_step(worker_client, address):
    _next(worker_client, "/daftar/identitas/", IDENTITY, "/daftar/alamat/")
    assert worker_client.get("/daftar/tinjau/")["Location"] == "/daftar/alamat/"
    assert worker_client.get("/daftar/iuran/")["Location"] == "/daftar/alamat/"
    _next(worker_client, "/daftar/alamat/", address, "/daftar/iuran/")
    assert worker_client.get("/daftar/tinjau/")["Location"] == "/daftar/iuran/"


def test_back_keeps_answers(worker_client, address):
    _next(worker_client, "/daftar/identitas/", IDENTITY, "/daftar/alamat/")
    partial = {**address, "village": "", "address_line": "Gang Mawar 7"}
    response = worker_client.post("/daftar/alamat/", {**partial, "action": "back"})
    assert response.status_code == 302 and response["Location"] == "/daftar/identitas/"

    html = worker_client.get("/daftar/identitas/").content.decode()
    assert f'value="{VALID_NIK_WOMAN}"' in field_block(html, "nik")
    assert 'value="Siti Rahayu"' in field_block(html, "full_name")

    html = worker_client.get("/daftar/alamat/").content.decode()
    assert 'value="Gang Mawar 7"' in field_block(html, "address_line")
    assert re.search(r'<option value="31\.74\.01" selected>', field_block(html, "district"))
    assert field_errors(html, "village") == ""  # going back does not scold about unfinished fields


def test_address_refresh_fills_the_next_list_without_javascript(worker_client):
    _next(worker_client, "/daftar/identitas/", IDENTITY, "/daftar/alamat/")
    html = worker_client.get("/daftar/alamat/").content.decode()
    assert '<option value="31.74"' not in html
    assert "Choose the one above first" in field_block(html, "regency")

    response = worker_client.post("/daftar/alamat/", {"province": "31", "action": "refresh"})
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<option value="31" selected>', field_block(html, "province"))
    assert '<option value="31.74">Kota Administrasi Jakarta Selatan</option>' in field_block(html, "regency")
    assert '<option value="32.04"' not in html
    assert "Choose the one above first" in field_block(html, "district")
    assert field_errors(html, "regency") == ""

    html = worker_client.post("/daftar/alamat/", {"province": "31", "regency": "31.74", "action": "refresh"}).content
    assert '<option value="31.74.01">Tebet</option>' in field_block(html.decode(), "district")


def test_changing_province_drops_lists_below(worker_client):
    _next(worker_client, "/daftar/identitas/", IDENTITY, "/daftar/alamat/")
    html = worker_client.post(
        "/daftar/alamat/", {"province": "32", "regency": "31.74", "district": "31.74.01", "action": "refresh"}
    ).content.decode()
    assert '<option value="32.04">Kabupaten Bandung</option>' in field_block(html, "regency")
    assert '<option value="31.74.01"' not in html
    assert "Choose the one above first" in field_block(html, "district")


def test_village_outside_district_is_refused(worker_client, address):
    _next(worker_client, "/daftar/identitas/", IDENTITY, "/daftar/alamat/")
    response = worker_client.post("/daftar/alamat/", {**address, "village": "32.04.05.2001", "action": "next"})
    assert response.status_code == 200
    assert field_errors(response.content.decode(), "village")


def test_contribution_requires_an_income_from_the_list(worker_client, address):
    _next(worker_client, "/daftar/identitas/", IDENTITY, "/daftar/alamat/")
    _next(worker_client, "/daftar/alamat/", address, "/daftar/iuran/")
    response = worker_client.post("/daftar/iuran/", {"income_base_idr": "1234567", "action": "next"})
    assert "Please choose an income from the list." in field_errors(response.content.decode(), "income_base_idr")


# --- review and registration -----------------------------------------------------------------------------


@pytest.mark.clock(dt.date(2025, 12, 15))  # before PP 50/2025
def test_review_shows_everything_and_the_monthly_total(at_review):
    html = at_review.get("/daftar/tinjau/").content.decode()
    assert "SITI RAHAYU" in html
    assert "Ride-hailing motorbike driver" in html
    assert "Tebet" in html and "Jl. Melati 5 RT 2/RW 3" in html
    assert "Rp1,000,000" in html
    assert re.search(r'class="num total">Rp36,800<', html)


@pytest.mark.clock(dt.date(2026, 12, 15))
def test_review_total_with_pp_50_2025_discount(at_review):
    html = at_review.get("/daftar/tinjau/").content.decode()
    assert re.search(r'class="num total">Rp28,400<', html)
    assert "Rp10,000 less PP 50/2025" in html


@pytest.mark.clock(dt.date(2025, 12, 15))
def test_review_without_jht(worker_client, address):
    _next(worker_client, "/daftar/identitas/", IDENTITY, "/daftar/alamat/")
    _next(worker_client, "/daftar/alamat/", address, "/daftar/iuran/")
    _next(worker_client, "/daftar/iuran/", {"income_base_idr": "1000000"}, "/daftar/tinjau/")
    html = worker_client.get("/daftar/tinjau/").content.decode()
    assert re.search(r'class="num total">Rp16,800<', html)


@pytest.mark.clock(dt.date(2025, 12, 15))
def test_review_in_indonesian(at_review):
    at_review.cookies["bpu_lang"] = "id"
    html = at_review.get("/daftar/tinjau/").content.decode()
    assert re.search(r'class="num total">Rp36\.800<', html)
    assert "Pengemudi ojek online" in html


def test_consent_missing(at_review):
    response = at_review.post("/daftar/tinjau/", {"action": "next"})
    assert response.status_code == 200
    assert "Please tick the box to give your consent" in field_errors(response.content.decode(), "consent")
    assert not Member.objects.exists()


def test_review_back(at_review):
    response = at_review.post("/daftar/tinjau/", {"action": "back"})
    assert response.status_code == 302 and response["Location"] == "/daftar/iuran/"
    html = at_review.get("/daftar/iuran/").content.decode()
    assert re.search(r'<option value="1000000" selected>', field_block(html, "income_base_idr"))
    assert "checked" in field_block(html, "jht")


@pytest.mark.parametrize(("url", "data"), [("/daftar/iuran/", CONTRIBUTION), ("/daftar/identitas/", IDENTITY)])
def test_change_on_the_review_step_comes_back_to_it(at_review, url, data):
    review = at_review.get("/daftar/tinjau/").content.decode()
    assert f'href="{url}?kembali=tinjau"' in review
    html = at_review.get(f"{url}?kembali=tinjau").content.decode()
    assert "<form" in html
    _next(at_review, f"{url}?kembali=tinjau", data, "/daftar/tinjau/")
    _next(at_review, url, data, {"/daftar/iuran/": "/daftar/tinjau/", "/daftar/identitas/": "/daftar/alamat/"}[url])


def test_registration_success(at_review, worker_user):
    response = at_review.post("/daftar/tinjau/", {"consent": "on", "action": "next"})
    assert response.status_code == 302 and response["Location"] == "/anggota/"
    member = Member.objects.get()
    assert member.user == worker_user
    assert str(member.phone) == str(worker_user.phone)
    assert member.nik == VALID_NIK_WOMAN and member.full_name == "SITI RAHAYU"
    assert member.has_jht and member.income_base_idr == 1_000_000
    assert member.occupation.code == "ojek-online" and member.address_line == "Jl. Melati 5 RT 2/RW 3"
    assert "registration" not in _session_data(at_review)

    html = at_review.get("/anggota/").content.decode()
    assert member.kpj in html
    assert f"Your participant number (KPJ) is {member.kpj}" in html

    # Registered: the steps send the member to the membership page.
    assert at_review.get("/daftar/identitas/")["Location"] == "/anggota/"
    assert at_review.get("/daftar/")["Location"] == "/anggota/"


def test_nik_registered_meanwhile_sends_back_to_identity_with_the_reason(at_review, registration_data):
    member_register(data=registration_data(phone="+6285712345678"), user=None, actor=None)
    response = at_review.post("/daftar/tinjau/", {"consent": "on", "action": "next"}, follow=True)
    assert response.redirect_chain[-1][0] == "/daftar/identitas/"
    assert "already registered" in response.content.decode()
    assert Member.objects.count() == 1


def test_member_home_without_membership_goes_to_registration(worker_client):
    assert worker_client.get("/anggota/")["Location"] == "/daftar/identitas/"
    assert worker_client.get("/anggota/kartu/").status_code == 404
    assert worker_client.get("/anggota/kartu.pdf").status_code == 404


# --- card ------------------------------------------------------------------------------------------------


@pytest.mark.clock(dt.date(2025, 12, 15))
def test_member_home_shows_status_and_amount_due(worker_client, member):
    html = worker_client.get("/anggota/").content.decode()
    assert member.kpj in html
    assert "Awaiting first payment" in html
    assert "Pay your first contribution of Rp36,800" in html


def test_card_page_shows_qr_svg(worker_client, member):
    response = worker_client.get("/anggota/kartu/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html
    assert member.kpj in html and "SITI RAHAYU" in html
    assert "JKK · JKM · JHT" in html


def test_card_pdf(worker_client, member):
    response = worker_client.get("/anggota/kartu.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="kartu-bpu-{member.kpj}.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    assert len(response.content) > 1000


def test_public_card_check_shows_only_masked_data(client, member):
    response = client.get(f"/cek/{member.card_token}/")
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex"
    html = response.content.decode()
    assert "S*** R*****" in html
    assert member.kpj in html
    assert "Awaiting first payment" in html
    for secret in ("SITI", "Siti", "RAHAYU", "Rahayu", VALID_NIK_WOMAN, "3174********0001", "81234567890"):
        assert secret not in html


def test_unknown_card_token_is_404(client, member):
    assert client.get("/cek/not-a-real-token/").status_code == 404
    assert client.get(f"/cek/{member.card_token}x/").status_code == 404


def test_someone_else_cannot_see_my_card(client, member):
    from core.models import User

    stranger = User.objects.create(username="p6285700000000", phone="+6285700000000")
    client.force_login(stranger)
    assert client.get("/anggota/kartu/").status_code == 404
    assert client.get("/anggota/")["Location"] == "/daftar/identitas/"


def test_registration_without_an_ecosystem_choice_takes_it_from_the_occupation(at_review):
    at_review.post("/daftar/tinjau/", {"consent": "on", "action": "next"})
    assert Member.objects.get().ecosystem_id == "ecommerce_umkm"  # ojek-online: no rule, the default


def test_the_workers_ecosystem_choice_is_shown_on_review_and_stored(worker_client, address):
    _next(worker_client, "/daftar/identitas/", IDENTITY, "/daftar/alamat/")
    page = worker_client.get("/daftar/alamat/").content.decode()
    assert 'name="ecosystem" value="pasar"' in page and "Not sure: decide from my occupation" in page
    _next(worker_client, "/daftar/alamat/", {**address, "ecosystem": "pasar"}, "/daftar/iuran/")
    _next(worker_client, "/daftar/iuran/", CONTRIBUTION, "/daftar/tinjau/")
    assert "Where you mostly work" in worker_client.get("/daftar/tinjau/").content.decode()
    worker_client.post("/daftar/tinjau/", {"consent": "on", "action": "next"})
    assert Member.objects.get().ecosystem_id == "pasar"


def test_an_unknown_ecosystem_is_an_error_next_to_the_field(worker_client, address):
    _next(worker_client, "/daftar/identitas/", IDENTITY, "/daftar/alamat/")
    response = worker_client.post("/daftar/alamat/", {**address, "ecosystem": "bulan", "action": "next"})
    assert response.status_code == 200
    assert "Select a valid choice" in field_errors(response.content.decode(), "ecosystem")
