"""No registration channel puts a membership into an account that already exists: a member registered by someone
else with the phone number of an existing account waits without an account, and the phone's owner claims it after
signing in by code, with the NIK and date of birth. One refusal message for every wrong answer."""

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agents.services import agent_register_trader
from core.models import AuditEvent, User
from enrollment.services import member_register
from members.models import Member
from members.services import ClaimRefused, member_claim, partner_create, partner_key_issue, sponsor_become
from sponsors.bulk import bulk_import_commit, bulk_import_start
from sponsors.services import sponsor_register_worker
from tests.conftest import VALID_NIK_MAN, VALID_NIK_WOMAN
from tests.core.helpers import last_code
from tests.factories.members import AgentFactory, SponsorFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEIR_PHONE = "+6281299990000"  # an account that is no member: an heir, another sponsor, anyone
STRANGER_BIRTH = dt.date(1990, 8, 17)  # VALID_NIK_WOMAN's
NOT_FOUND = "We found no membership waiting for this phone number with this NIK and date of birth."
HEADER = "nik,nama,tempat_lahir,tanggal_lahir,jenis_kelamin,no_hp,kode_desa,alamat,pekerjaan,penghasilan,jht,bulan"


@pytest.fixture
def heir(db):
    return User.objects.create(username="heir", phone=HEIR_PHONE)


@pytest.fixture
def sponsor(db):
    return sponsor_become(user=User.objects.create(username="s", phone="+6281311112222"), name="Ibu Ani")


@pytest.fixture
def agent(db):
    return AgentFactory(user__username="agent", user__phone="+6281200000002", body__name="Koperasi Pasar")


def _sign_in_by_code(client, phone: str) -> None:
    client.post("/masuk/", {"phone": phone})
    response = client.post("/masuk/kode/", {"code": last_code(phone)})
    assert response.status_code == 302, response.content


def _register_by_partner(client, village_code) -> Member:
    partner = partner_create(name="Toko Contoh", actor=None)
    key = partner_key_issue(partner=partner, scopes=["members:register"], actor=None)[1]
    body = {"nik": VALID_NIK_WOMAN, "full_name": "Siti Rahayu", "birth_place": "Jakarta",
            "birth_date": "1990-08-17", "gender": "P", "phone": HEIR_PHONE, "village_code": village_code,
            "address_line": "Jl. Melati 5", "occupation": "penjual-online", "income_base_idr": 1_000_000,
            "programs": ["JKK", "JKM"], "consent": True}
    response = client.post("/api/v1/partner/members/", data=json.dumps(body), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Api-Key {key}", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 201, response.content
    return Member.objects.get(kpj=response.json()["kpj"])


def _register_by_bulk(client, village_code) -> Member:
    government = SponsorFactory(user__username="pemda", user__phone="+6281300000001", government=True)
    user = government.user
    row = (f"{VALID_NIK_WOMAN},Siti Rahayu,Jakarta,17-08-1990,P,{HEIR_PHONE},{village_code},Jl. A,"
           "asisten-rumah-tangga,1000000,tidak,1")
    item = bulk_import_start(sponsor=government, actor=user,
                             uploaded=SimpleUploadedFile("pekerja.csv", f"{HEADER}\n{row}\n".encode()))
    assert bulk_import_commit(import_id=item.pk, actor=user).status == "committed"
    return Member.objects.get()


def _register_by_sponsor(client, registration_data) -> Member:
    sponsor = sponsor_become(user=User.objects.create(username="s", phone="+6281311112222"), name="Ibu Ani")
    return sponsor_register_worker(sponsor=sponsor, data=registration_data(phone=HEIR_PHONE),
                                   relationship="household_helper")


def _register_by_agent(client, registration_data) -> Member:
    agent = AgentFactory(user__username="agent", user__phone="+6281200000002", body__name="Koperasi")
    return agent_register_trader(agent=agent, data=registration_data(phone=HEIR_PHONE))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("channel", ["bulk", "partner", "sponsor", "agent"])
def test_no_channel_puts_a_stranger_into_an_existing_account_and_the_worker_claims_it(
        client, heir, channel, registration_data, village_code, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    register = {"bulk": lambda: _register_by_bulk(client, village_code),
                "partner": lambda: _register_by_partner(client, village_code),
                "sponsor": lambda: _register_by_sponsor(client, registration_data),
                "agent": lambda: _register_by_agent(client, registration_data)}[channel]
    member = register()
    member.refresh_from_db()
    assert member.user is None and str(member.phone) == HEIR_PHONE
    assert not Member.objects.filter(user=heir).exists()

    # The account's owner signs in by code: no stranger's NIK or card anywhere.
    client.cookies.clear()
    client.cookies["bpu_lang"] = "en"
    _sign_in_by_code(client, HEIR_PHONE)
    for path in ("/anggota/", "/anggota/kartu/", "/masuk/lanjut/", "/daftar/identitas/"):
        response = client.get(path, follow=True)
        assert VALID_NIK_WOMAN not in response.content.decode() and member.kpj not in response.content.decode()
    assert client.get("/anggota/kartu.pdf").status_code == 404
    # The member home leads to the claim step, which asks NIK and date of birth.
    assert client.get("/anggota/")["Location"] == "/anggota/klaim/"

    # Wrong NIK, wrong birth date: the same refusal, nothing attached.
    wrong_nik = client.post("/anggota/klaim/", {"nik": VALID_NIK_MAN, "birth_date": "1990-08-17"})
    wrong_date = client.post("/anggota/klaim/", {"nik": VALID_NIK_WOMAN, "birth_date": "1990-08-18"})
    for response in (wrong_nik, wrong_date):
        assert response.status_code == 200 and NOT_FOUND in response.content.decode()
    assert wrong_nik.content.decode().count(NOT_FOUND) == wrong_date.content.decode().count(NOT_FOUND) == 1
    member.refresh_from_db()
    assert member.user is None

    response = client.post("/anggota/klaim/", {"nik": VALID_NIK_WOMAN, "birth_date": "17-08-1990"})
    assert response.status_code == 302 and response["Location"] == "/anggota/"
    member.refresh_from_db()
    assert member.user == heir
    assert VALID_NIK_WOMAN in client.get("/anggota/").content.decode()  # its owner sees it now
    assert AuditEvent.objects.filter(action="member.claimed", object_id=str(member.pk), actor=heir).exists()
    assert AuditEvent.objects.filter(action="member.claim_refused", actor=heir).count() == 2


def test_a_new_phone_number_still_gets_its_own_new_account(sponsor, registration_data):
    member = sponsor_register_worker(sponsor=sponsor, data=registration_data(), relationship="household_helper")
    assert member.user.phone == "+6281234567890" and member.user.date_joined is not None


@pytest.mark.parametrize("who", ["sponsor", "agent"])
def test_the_registering_persons_own_phone_number_is_refused_with_a_reason(who, sponsor, agent, registration_data):
    actor_phone = str(sponsor.user.phone if who == "sponsor" else agent.user.phone)
    with pytest.raises(Exception) as exc:
        if who == "sponsor":
            sponsor_register_worker(sponsor=sponsor, data=registration_data(phone=actor_phone),
                                    relationship="other")
        else:
            agent_register_trader(agent=agent, data=registration_data(phone=actor_phone))
    assert "your own phone number" in " ".join(exc.value.message_dict["phone"])
    assert Member.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_bulk_row_with_the_uploaders_own_phone_is_refused_with_a_reason(village_code, settings, tmp_path,
                                                                          reference_data):
    settings.MEDIA_ROOT = tmp_path
    government = SponsorFactory(user__username="pemda", user__phone="+6281300000001", government=True,
                                name="Pemkot")
    user = government.user
    rows = [f"{VALID_NIK_WOMAN},Siti Rahayu,Jakarta,17-08-1990,P,081300000001,{village_code},Jl. A,petani,"
            "1000000,tidak,1",
            f"{VALID_NIK_MAN},Budi Santoso,Bandung,12-03-1985,L,085712345678,{village_code},Jl. B,petani,"
            "1000000,tidak,1"]
    item = bulk_import_start(sponsor=government, actor=user,
                             uploaded=SimpleUploadedFile("p.csv", "\n".join([HEADER, *rows]).encode()))
    verdicts = {r.row_number: (r.status, " ".join(r.reasons)) for r in item.rows.all()}
    assert verdicts[2][0] == "rejected" and "your own phone number" in verdicts[2][1]
    assert verdicts[3][0] == "accepted"
    bulk_import_commit(import_id=item.pk, actor=user)
    assert list(Member.objects.values_list("phone", flat=True)) == ["+6285712345678"]


def test_the_claim_needs_the_members_own_phone_and_refuses_everything_else_alike(registration_data, heir, sponsor):
    member = sponsor_register_worker(sponsor=sponsor, data=registration_data(phone=HEIR_PHONE),
                                     relationship="household_helper")
    other = User.objects.create(username="other", phone="+6281277778888")
    messages = set()
    for user, nik, born in ((other, VALID_NIK_WOMAN, STRANGER_BIRTH),  # right answers, another phone
                            (heir, VALID_NIK_MAN, STRANGER_BIRTH),  # unknown NIK
                            (heir, VALID_NIK_WOMAN, dt.date(1990, 8, 18)),  # wrong birth date
                            (heir, "12345", STRANGER_BIRTH)):  # not a NIK
        with pytest.raises(ClaimRefused) as refused:
            member_claim(user=user, nik=nik, birth_date=born)
        messages.add(refused.value.message)
    assert len(messages) == 1
    assert member_claim(user=heir, nik=VALID_NIK_WOMAN, birth_date=STRANGER_BIRTH).pk == member.pk
    with pytest.raises(ClaimRefused):  # claimed once: never again, by anyone
        member_claim(user=heir, nik=VALID_NIK_WOMAN, birth_date=STRANGER_BIRTH)


def test_a_member_with_an_account_cannot_be_claimed(registration_data, worker_user):
    member_register(data=registration_data(), user=worker_user, actor=worker_user)
    twin = User.objects.create(username="twin", phone="+6281234567891")
    Member.objects.update(phone="+6281234567891")  # even with the phone number matching
    with pytest.raises(ClaimRefused):
        member_claim(user=twin, nik=VALID_NIK_WOMAN, birth_date=STRANGER_BIRTH)
    assert Member.objects.get().user == worker_user


def test_claim_tries_are_limited_per_account(registration_data, heir, sponsor, settings):
    settings.MEMBER_CLAIM_TRIES_PER_HOUR = 3
    sponsor_register_worker(sponsor=sponsor, data=registration_data(phone=HEIR_PHONE), relationship="other")
    for _ in range(3):
        with pytest.raises(ClaimRefused):
            member_claim(user=heir, nik=VALID_NIK_WOMAN, birth_date=dt.date(1990, 1, 1), ip_address="10.0.0.1")
    with pytest.raises(ClaimRefused) as refused:  # even the right answer waits now
        member_claim(user=heir, nik=VALID_NIK_WOMAN, birth_date=STRANGER_BIRTH, ip_address="10.0.0.1")
    assert "Too many tries" in refused.value.message
    assert Member.objects.get().user is None


def test_self_registration_of_a_nik_waiting_for_this_phone_leads_into_the_claim(client, heir, sponsor,
                                                                                registration_data):
    sponsor_register_worker(sponsor=sponsor, data=registration_data(phone=HEIR_PHONE), relationship="other")
    client.force_login(heir)
    page = client.get("/daftar/identitas/").content.decode()
    assert "/anggota/klaim/" in page  # the notice: a membership waits for this number
    response = client.post("/daftar/identitas/", {
        "nik": VALID_NIK_WOMAN, "full_name": "Siti Rahayu", "birth_place": "Jakarta", "birth_date": "1990-08-17",
        "gender": "P", "action": "next"})
    assert response.status_code == 302 and response["Location"] == "/anggota/klaim/"
    claim_page = client.get("/anggota/klaim/").content.decode()
    assert f'value="{VALID_NIK_WOMAN}"' in claim_page  # what was typed is kept
    client.post("/anggota/klaim/", {"nik": VALID_NIK_WOMAN, "birth_date": "1990-08-17"})
    assert Member.objects.get().user == heir


def test_self_registration_of_a_nik_registered_with_another_phone_says_registered(client, sponsor,
                                                                                   registration_data):
    sponsor_register_worker(sponsor=sponsor, data=registration_data(), relationship="other")
    somebody = User.objects.create(username="x", phone="+6281277778888")
    client.force_login(somebody)
    response = client.post("/daftar/identitas/", {
        "nik": VALID_NIK_WOMAN, "full_name": "Siti Rahayu", "birth_place": "Jakarta", "birth_date": "1990-08-17",
        "gender": "P", "action": "next"})
    assert response.status_code == 200 and "already registered" in response.content.decode()


def _api_token(client, phone: str) -> str:
    assert client.post("/api/v1/auth/code/request/", {"phone": phone}, content_type="application/json"
                       ).status_code == 202
    response = client.post("/api/v1/auth/code/verify/", {"phone": phone, "code": last_code(phone)},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def test_the_app_claims_through_the_api_with_the_same_refusal_for_every_wrong_answer(client, heir, sponsor,
                                                                                      registration_data):
    member = sponsor_register_worker(sponsor=sponsor, data=registration_data(phone=HEIR_PHONE), relationship="other")
    auth = {"HTTP_AUTHORIZATION": f"Token {_api_token(client, HEIR_PHONE)}"}
    assert client.get("/api/v1/members/me/", **auth).status_code == 404

    def claim(nik, born):
        return client.post("/api/v1/members/me/claim/", {"nik": nik, "birth_date": born},
                           content_type="application/json", **auth)

    wrong = [claim(VALID_NIK_MAN, "1990-08-17"), claim(VALID_NIK_WOMAN, "1990-08-18")]
    assert [r.status_code for r in wrong] == [400, 400] and wrong[0].json() == wrong[1].json()
    assert NOT_FOUND in json.dumps(wrong[0].json())
    right = claim(VALID_NIK_WOMAN, "1990-08-17")
    assert right.status_code == 200 and right.json()["kpj"] == member.kpj
    assert client.get("/api/v1/members/me/", **auth).json()["kpj"] == member.kpj


def test_the_api_answers_too_many_claim_tries_with_429(client, heir, settings):
    settings.MEMBER_CLAIM_TRIES_PER_HOUR = 1
    auth = {"HTTP_AUTHORIZATION": f"Token {_api_token(client, HEIR_PHONE)}"}
    codes = [client.post("/api/v1/members/me/claim/", {"nik": VALID_NIK_WOMAN, "birth_date": "1990-08-17"},
                         content_type="application/json", **auth).status_code for _ in range(2)]
    assert codes == [400, 429]


def test_registering_through_the_api_counts_against_the_nik_check_limits(client, settings, registration_data):
    settings.IDENTITY_CHECKS_PER_PHONE_PER_HOUR = 2
    auth = {"HTTP_AUTHORIZATION": f"Token {_api_token(client, '+6281277770001')}"}
    body = {"nik": VALID_NIK_MAN, "full_name": "Budi", "birth_place": "Bandung", "birth_date": "1985-03-12",
            "gender": "L", "village_code": "00.00.00.0000", "address_line": "Jl. A", "occupation": "petani",
            "income_base_idr": 1_000_000, "programs": ["JKK", "JKM"], "consent": True}
    codes = [client.post("/api/v1/registrations/", body, content_type="application/json", **auth).status_code
             for _ in range(3)]
    assert codes == [400, 400, 429]
