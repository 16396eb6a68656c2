"""The NIK oracle: identity checks are limited per session, phone and IP; sponsors and agents get the same answer
whether a NIK is new or a member's; an existing member gets at most one text per sponsor (or agent) a day."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client

from core.models import OutboxMessage, User
from enrollment.services import member_register
from members.models import Member, MemberInvitation, Sponsorship
from members.services import sponsor_become
from sponsors.services import sponsor_register_worker
from tests.conftest import VALID_NIK_MAN, VALID_NIK_WOMAN
from tests.core.helpers import nik_for, pin_clock
from tests.factories.members import AgentFactory, SponsorFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "reference_data")]

THROTTLED = "You have checked many NIKs in a short time"
REGISTERED = "This NIK is already registered"


def _identity(nik: str, action: str = "next") -> dict:
    born = dt.date(1990, 8, 17)
    return {"nik": nik, "full_name": "Siti Rahayu", "birth_place": "Jakarta", "birth_date": born.isoformat(),
            "gender": "P", "action": action}


def _niks(count: int) -> list[str]:
    return [nik_for(dt.date(1990, 8, 17), "P", serial=f"{n:04d}") for n in range(2, count + 2)]


def _signed_in(phone: str, ip: str = "10.1.1.1") -> Client:
    client = Client(REMOTE_ADDR=ip)
    client.cookies["bpu_lang"] = "en"
    client.force_login(User.objects.get_or_create(phone=phone, defaults={"username": f"p{phone[1:]}"})[0])
    return client


@pytest.fixture
def existing_member(registration_data, worker_user):
    return member_register(data=registration_data(nik=VALID_NIK_MAN, birth_date=dt.date(1985, 3, 12), gender="L"),
                           user=worker_user, actor=worker_user)


def test_36_nik_checks_from_one_session_are_cut_off_with_a_kind_message_next_to_the_form(existing_member,
                                                                                         settings):
    client = _signed_in("+6281277770001")
    answers = [client.post("/daftar/identitas/", _identity(nik)) for nik in _niks(35) + [VALID_NIK_MAN]]
    assert [r.status_code for r in answers].count(302) == settings.IDENTITY_CHECKS_PER_SESSION_PER_HOUR
    refused = answers[-1]
    html = refused.content.decode()
    assert refused.status_code == 200 and THROTTLED in html
    assert REGISTERED not in html  # over the limit nothing is looked up, so nothing is told
    assert 'name="nik"' in html and f'value="{VALID_NIK_MAN}"' in html and 'value="Siti Rahayu"' in html
    # The same NIK again (fixing a typo in the name) is not a new check.
    allowed = _niks(35)[settings.IDENTITY_CHECKS_PER_SESSION_PER_HOUR - 1]  # the last one checked
    assert client.post("/daftar/identitas/", _identity(allowed)).status_code == 302


def test_the_limit_holds_per_phone_across_sessions_and_per_ip_across_accounts(existing_member, settings):
    settings.IDENTITY_CHECKS_PER_SESSION_PER_HOUR = 100
    settings.IDENTITY_CHECKS_PER_PHONE_PER_HOUR = 3
    settings.IDENTITY_CHECKS_PER_IP_PER_HOUR = 5
    niks = iter(_niks(20))
    first, second = _signed_in("+6281277770001"), _signed_in("+6281277770001", ip="10.2.2.2")
    assert [first.post("/daftar/identitas/", _identity(next(niks))).status_code for _ in range(3)] == [302] * 3
    assert THROTTLED in second.post("/daftar/identitas/", _identity(next(niks))).content.decode()
    cache.clear()
    others = [_signed_in(f"+62812777701{n:02d}", ip="10.3.3.3") for n in range(6)]
    codes = [c.post("/daftar/identitas/", _identity(next(niks))).status_code for c in others]
    assert codes == [302] * 5 + [200]


def test_answers_saved_without_a_check_are_never_looked_up_later(existing_member, settings):
    settings.IDENTITY_CHECKS_PER_SESSION_PER_HOUR = 1
    client = _signed_in("+6281277770001")
    client.post("/daftar/identitas/", _identity(_niks(1)[0]))
    # Over the limit, "back" must not store a NIK that the next step would then look up.
    client.post("/daftar/identitas/", _identity(VALID_NIK_MAN, action="back"))
    page = client.get("/daftar/alamat/", follow=True).content.decode()
    assert REGISTERED not in page


def _on_behalf_post(nik: str, phone: str, village_code: str, **extra) -> dict:
    province, regency, district = village_code[:2], village_code[:5], village_code[:8]
    born, gender = (dt.date(1985, 3, 12), "L") if nik == VALID_NIK_MAN else (dt.date(1990, 8, 17), "P")
    return {"nik": nik, "full_name": "Budi Santoso", "birth_place": "Bandung", "birth_date": born.isoformat(),
            "gender": gender, "phone": phone, "province": province, "regency": regency, "district": district,
            "village": village_code, "address_line": "Jl. Pasar 1", "occupation": "pedagang-pasar",
            "income_base_idr": "1000000", "consent": "on", "relationship": "regular_vendor", **extra}


def _flash(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_sponsor_gets_the_same_answer_for_a_member_and_a_new_worker(client, existing_member, village_code):
    sponsor = sponsor_become(user=User.objects.create(username="s", phone="+6281311112222"), name="=Ibu Ani")
    client.force_login(sponsor.user)
    for_member = client.post("/penyantun/daftarkan/", _on_behalf_post(VALID_NIK_MAN, "+6285700000001",
                                                                      village_code), follow=True)
    for_new = client.post("/penyantun/daftarkan/", _on_behalf_post(VALID_NIK_WOMAN, "+6285700000002",
                                                                   village_code), follow=True)
    assert for_member.redirect_chain[0][0] == for_new.redirect_chain[0][0] == "/penyantun/"
    assert _flash(for_member) == _flash(for_new)
    for text in _flash(for_member):
        assert "already" not in text.lower() and existing_member.kpj not in text
    assert Sponsorship.objects.filter(member=existing_member, confirmed_at=None).exists()


def test_an_agent_gets_the_same_answer_for_a_member_and_a_new_trader(client, existing_member, village_code):
    user = AgentFactory(user__username="agent", user__phone="+6281200000002", body__name="Koperasi Pasar").user
    client.force_login(user)
    for_member = client.post("/agen/daftarkan/", _on_behalf_post(VALID_NIK_MAN, "+6285700000001", village_code),
                             follow=True)
    for_new = client.post("/agen/daftarkan/", _on_behalf_post(VALID_NIK_WOMAN, "+6285700000002", village_code),
                          follow=True)
    assert for_member.redirect_chain == for_new.redirect_chain == [("/agen/tunai/", 302)]
    assert _flash(for_member) == _flash(for_new)
    assert existing_member.kpj not in for_member.content.decode()
    assert Member.objects.count() == 2  # one new trader; the member was not registered again
    for _ in range(3):  # trying the member's NIK again the same day texts them no more
        client.post("/agen/daftarkan/", _on_behalf_post(VALID_NIK_MAN, "+6285700000003", village_code))
    assert OutboxMessage.objects.filter(recipient=str(existing_member.phone), purpose="registration",
                                        body__contains="Koperasi Pasar").count() == 1


def test_the_same_for_phone_errors_whatever_the_nik(client, existing_member, village_code):
    """A phone number that belongs to a member is refused before the NIK is looked at: no other way to tell."""
    sponsor = sponsor_become(user=User.objects.create(username="s", phone="+6281311112222"), name="Ibu Ani")
    client.force_login(sponsor.user)
    taken = str(existing_member.phone)
    answers = [client.post("/penyantun/daftarkan/", _on_behalf_post(nik, taken, village_code)).content.decode()
               for nik in (VALID_NIK_MAN, VALID_NIK_WOMAN)]
    assert all("This phone number already belongs to a member." in a for a in answers)
    assert Sponsorship.objects.count() == 0


def test_a_member_gets_at_most_one_invitation_per_sponsor_a_day_even_without_the_cache(existing_member,
                                                                                      registration_data):
    sponsor = sponsor_become(user=User.objects.create(username="s", phone="+6281311112222"), name="Ibu Ani")
    other = sponsor_become(user=User.objects.create(username="o", phone="+6281311113333"), name="Pak Budi")
    data = registration_data(nik=VALID_NIK_MAN, birth_date=dt.date(1985, 3, 12), gender="L", phone="+6285700000001")

    def invitations():
        return OutboxMessage.objects.filter(recipient=str(existing_member.phone), purpose="sponsorship")

    with pin_clock(dt.datetime(2027, 3, 10, 9, 0)):
        for _ in range(5):
            assert sponsor_register_worker(sponsor=sponsor, data=data, relationship="other") is None
            cache.clear()  # the limit is in the database, not in the cache
        assert invitations().count() == 1 and "Ibu Ani" in invitations().get().body
        sponsor_register_worker(sponsor=other, data=data, relationship="other")
        assert invitations().count() == 2  # another sponsor is another invitation
    with pin_clock(dt.datetime(2027, 3, 11, 9, 0)):
        sponsor_register_worker(sponsor=sponsor, data=data, relationship="other")
        assert invitations().filter(body__contains="Ibu Ani").count() == 2  # the next day, once more
    assert MemberInvitation.objects.filter(member=existing_member).count() == 3
    # Once the member accepted, nothing is sent at all.
    request = Sponsorship.objects.get(sponsor=sponsor, member=existing_member)
    Sponsorship.objects.filter(pk=request.pk).update(confirmed_at=request.created_at)
    with pin_clock(dt.datetime(2027, 3, 12, 9, 0)):
        sponsor_register_worker(sponsor=sponsor, data=data, relationship="other")
    assert invitations().filter(body__contains="Ibu Ani").count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_bulk_file_texts_a_member_who_declined_no_more_that_day(existing_member, settings, tmp_path,
                                                                   village_code):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from members.services import sponsorship_answer
    from sponsors.bulk import bulk_import_commit, bulk_import_start

    settings.MEDIA_ROOT = tmp_path
    government = SponsorFactory(user__username="pemda", user__phone="+6281300000001", government=True,
                                name="Pemkot")
    user = government.user
    header = "nik,nama,tempat_lahir,tanggal_lahir,jenis_kelamin,no_hp,kode_desa,alamat,pekerjaan,penghasilan,jht,bulan"
    row = f"{VALID_NIK_MAN},Budi Santoso,Bandung,12-03-1985,L,085712345678,{village_code},Jl. B,petani,1000000,tidak,1"

    def upload():
        item = bulk_import_start(sponsor=government, actor=user,
                                 uploaded=SimpleUploadedFile("p.csv", f"{header}\n{row}\n".encode()))
        bulk_import_commit(import_id=item.pk, actor=user)

    def invitations():
        return OutboxMessage.objects.filter(recipient=str(existing_member.phone), purpose="sponsorship")

    with pin_clock(dt.datetime(2027, 3, 10, 9, 0)):
        upload()
        request = Sponsorship.objects.get(sponsor=government, member=existing_member)
        sponsorship_answer(sponsorship_id=request.pk, member=existing_member, accept=False)
        upload()  # asked again (a new request), but not texted again today
        assert Sponsorship.objects.filter(sponsor=government, member=existing_member, ended_at=None).count() == 1
        assert invitations().count() == 1
    with pin_clock(dt.datetime(2027, 3, 11, 9, 0)):
        Sponsorship.objects.filter(sponsor=government, ended_at=None).update(ended_at=dt.datetime(2027, 3, 11, 1, 0,
                                                                                                  tzinfo=dt.UTC))
        upload()
        assert invitations().count() == 2
