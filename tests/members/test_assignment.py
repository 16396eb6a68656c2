"""Which ecosystem a new member belongs to: the form's choice where one is given, else how they came in, else the
occupation (ecosystems.services.assignment.ecosystem_for), and registration stores it on the member."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from enrollment.services import member_register
from members.assignment import ecosystem_choices, ecosystem_for
from members.models import Member, Occupation, RegistrationChannel, Sponsor
from members.services import partner_create
from reference.models import Ecosystem
from tests.conftest import VALID_NIK_MAN
from tests.factories.core import UserFactory
from tests.factories.members import AgentFactory, SponsorFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]
CH = RegistrationChannel


def occupation(code: str) -> Occupation:
    return Occupation.objects.get(code=code)


def sponsor(kind: str) -> Sponsor:
    return SponsorFactory(user__username=f"sponsor-{kind}", user__phone=None, name=kind, kind=kind)


@pytest.fixture
def agent(village_code):
    return AgentFactory(user__username="agen", user__phone="+6281200000002", body__name="Koperasi Pasar")


def test_an_agents_trader_belongs_to_the_market(agent):
    assert ecosystem_for(channel=CH.AGENT, agent=agent, occupation=occupation("ojek-online")) == "pasar"
    assert ecosystem_for(channel=CH.AGENT) == "pasar"
    assert ecosystem_for(channel=CH.SELF, agent=agent) == "pasar"


def test_a_partners_members_belong_to_the_partners_ecosystem():
    partner = partner_create(name="Koperasi Tani Digital", ecosystem="desa", actor=None)
    assert ecosystem_for(channel=CH.API, partner=partner, occupation=occupation("ojek-online")) == "desa"
    marketplace = partner_create(name="Marketplace", actor=None)
    assert ecosystem_for(channel=CH.API, partner=marketplace) == "ecommerce_umkm"


def test_a_local_governments_bulk_import_is_vulnerable_workers():
    government = sponsor(Sponsor.Kind.GOVERNMENT)
    assert ecosystem_for(channel=CH.BULK, sponsor=government, occupation=occupation("petani")) == "pekerja_rentan"
    # A company's import is not: the occupation decides.
    company = sponsor(Sponsor.Kind.ORGANISATION)
    assert ecosystem_for(channel=CH.BULK, sponsor=company, occupation=occupation("petani")) == "desa"
    assert ecosystem_for(channel=CH.BULK, sponsor=company, occupation=occupation("ojek-online")) == "ecommerce_umkm"


@pytest.mark.parametrize(("code", "expected"), [("petani", "desa"), ("nelayan", "desa"),
                                                ("pedagang-pasar", "pasar"), ("ojek-online", "ecommerce_umkm")])
def test_the_occupation_decides_for_self_registration(code, expected):
    assert ecosystem_for(channel=CH.SELF, occupation=occupation(code)) == expected


def test_nothing_known_is_the_default():
    assert ecosystem_for(channel=CH.SELF) == "ecommerce_umkm"


def test_the_forms_choice_wins_where_given(agent):
    farmer = occupation("petani")
    assert ecosystem_for(channel=CH.SELF, choice="pasar", occupation=farmer) == "pasar"
    assert ecosystem_for(channel=CH.SPONSOR, choice="pekerja_rentan", occupation=farmer) == "pekerja_rentan"
    # The choice outranks how they came in too (agent and partner forms do not ask, so never pass one).
    assert ecosystem_for(channel=CH.AGENT, agent=agent, choice="desa") == "desa"


def test_an_inactive_or_unknown_choice_is_ignored():
    Ecosystem.objects.create(code="ukm", name_id="UKM", name_en="SMEs", active=False)
    farmer = occupation("petani")
    assert ecosystem_for(channel=CH.SELF, choice="ukm", occupation=farmer) == "desa"
    assert ecosystem_for(channel=CH.SELF, choice="bulan", occupation=farmer) == "desa"
    assert "ukm" not in dict(ecosystem_choices())
    Ecosystem.objects.filter(code="ukm").update(active=True)
    assert ecosystem_for(channel=CH.SELF, choice="ukm", occupation=farmer) == "ukm"
    assert "ukm" in dict(ecosystem_choices())


# --- registration stores it ---------------------------------------------------------------------------------------


def test_self_registration_stores_the_choice(registration_data):
    member = member_register(data=registration_data(ecosystem="desa"), user=None, actor=None)
    assert Member.objects.get(pk=member.pk).ecosystem_id == "desa"


def test_self_registration_without_a_choice_takes_the_occupation(registration_data):
    member = member_register(data=registration_data(occupation_code="nelayan"), user=None, actor=None)
    assert Member.objects.get(pk=member.pk).ecosystem_id == "desa"


def test_an_unknown_choice_falls_back_when_registering(registration_data):
    member = member_register(data=registration_data(ecosystem="bulan"), user=None, actor=None)
    assert Member.objects.get(pk=member.pk).ecosystem_id == "ecommerce_umkm"  # ojek-online


def test_partner_and_agent_registrations_store_theirs(registration_data, agent):
    partner = partner_create(name="Koperasi Tani Digital", ecosystem="desa", actor=None)
    by_partner = member_register(data=registration_data(), user=None, actor=None, channel=CH.API, partner=partner)
    assert Member.objects.get(pk=by_partner.pk).ecosystem_id == "desa"
    by_agent = member_register(data=registration_data(nik=VALID_NIK_MAN, birth_date=dt.date(1985, 3, 12),
                                                      gender="L", phone="+6285712345678"),
                               user=None, actor=None, channel=CH.AGENT, agent=agent)
    assert (by_agent.ecosystem_id, by_agent.agent_id) == ("pasar", agent.pk)


def test_a_local_governments_import_stores_vulnerable_workers(village_code, settings, tmp_path,
                                                              django_capture_on_commit_callbacks):
    from sponsors.bulk import bulk_import_commit, bulk_import_start

    settings.MEDIA_ROOT = tmp_path
    user = UserFactory(username="pemda", phone="+6281300000001")
    government = SponsorFactory(user=user, government=True)
    text = ("nik,nama,tempat_lahir,tanggal_lahir,jenis_kelamin,no_hp,kode_desa,alamat,pekerjaan,penghasilan,jht,bulan\n"
            f"3174015708900001,Siti Rahayu,Jakarta,17-08-1990,P,081234567890,{village_code},Jl. A,petani,"
            "1000000,tidak,1\n")
    with django_capture_on_commit_callbacks(execute=True):
        item = bulk_import_start(sponsor=government, uploaded=SimpleUploadedFile("p.csv", text.encode()),
                                 actor=user)
    with django_capture_on_commit_callbacks(execute=True):
        bulk_import_commit(import_id=item.pk, actor=user)
    member = Member.objects.get()
    assert (member.channel, member.ecosystem_id) == (CH.BULK, "pekerja_rentan")
