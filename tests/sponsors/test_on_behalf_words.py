"""Someone registering a worker (a sponsor, an agent, a bulk file) is spoken to about the worker: labels, hints and
error messages say "pekerja", never "Anda"."""

import datetime as dt

import pytest

from members.services import identity_errors
from tests.core.helpers import english  # noqa: F401 - fixture
from tests.factories.members import AgentFactory, SponsorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sponsor_client(client):
    client.force_login(SponsorFactory().user)
    client.cookies["bpu_lang"] = "id"
    return client


def test_the_sponsor_form_speaks_about_the_worker(sponsor_client):
    html = sponsor_client.get("/penyantun/daftarkan/").content.decode()
    for words in ("NIK pekerja (16 angka di KTP-nya)", "Nama lengkap pekerja sesuai KTP-nya", "Tanggal lahir pekerja",
                  "Pilih pekerjaan pekerja", "Penghasilan bulanan pekerja yang dilaporkan"):
        assert words in html
    assert "KTP Anda" not in html and "Pilih pekerjaan Anda" not in html


def test_empty_fields_are_asked_about_the_worker(sponsor_client):
    html = sponsor_client.post("/penyantun/daftarkan/", {}).content.decode()
    assert "Mohon isi NIK pekerja." in html and "Mohon pilih pekerjaan pekerja." in html
    assert "Mohon isi NIK Anda." not in html


def test_the_agent_form_speaks_about_the_trader_as_the_worker(client):
    client.force_login(AgentFactory().user)
    client.cookies["bpu_lang"] = "id"
    html = client.get("/agen/daftarkan/").content.decode()
    assert "NIK pekerja (16 angka di KTP-nya)" in html and "KTP Anda" not in html


def test_the_age_message_names_the_worker_in_bulk_and_on_behalf(english):  # noqa: F811 - fixture
    errors, _warnings = identity_errors(nik="3174015708150001", birth_date=dt.date(2015, 8, 17), gender="P",
                                        check_registered=False, about_worker=True, today=dt.date(2026, 12, 7))
    assert errors["birth_date"] == ["The worker must be at least 15 years old to be registered."]
    errors, _warnings = identity_errors(nik="3174015708150001", birth_date=dt.date(2015, 8, 17), gender="P",
                                        check_registered=False, today=dt.date(2026, 12, 7))
    assert errors["birth_date"] == ["You must be at least 15 years old to register."]


def test_the_sponsors_list_tells_workers_apart_and_leaves_out_other(sponsor_client):
    from members.models import Sponsor
    from tests.factories.members import MemberFactory, SponsorshipFactory

    sponsor = Sponsor.objects.get()
    SponsorshipFactory(sponsor=sponsor, member=MemberFactory(full_name="SUMINAH"), relationship="other")
    SponsorshipFactory(sponsor=sponsor, member=MemberFactory(full_name="SUPRIADI"), relationship="private_driver")
    html = sponsor_client.get("/penyantun/").content.decode()
    workers = html.split('class="workers"')[1].split("</ul>")[0]
    assert "Tebet Timur" in workers and "Lainnya" not in workers and "Sopir pribadi" in workers, workers


def test_accepting_a_sponsor_is_confirmed_to_the_worker(client):
    from tests.factories.core import UserFactory
    from tests.factories.members import MemberFactory, SponsorFactory, SponsorshipFactory

    member = MemberFactory(user=UserFactory())
    request = SponsorshipFactory(member=member, sponsor=SponsorFactory(name="Ibu Ani"), confirmed_at=None)
    client.force_login(member.user)
    client.cookies["bpu_lang"] = "id"
    response = client.post("/anggota/penyantun/", {"sponsorship": request.pk, "answer": "accept"}, follow=True)
    assert "Sudah dikonfirmasi: Ibu Ani sekarang membayar iuran Anda." in response.content.decode()
