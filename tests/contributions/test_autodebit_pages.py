"""Auto-debit pages: a member or a sponsor sets a mandate up in two steps (details, then the exact consent text),
sees it and revokes it; bad input is explained next to its field and nothing typed is lost."""

import datetime as dt

import pytest

from contributions.models import DebitMandate, MandateStatus
from contributions.services.autodebit import debit_mandate_create
from core.models import AuditEvent, User
from members.models import MemberStatus
from tests.contributions.helpers import bills_make, member_make, payer_make
from tests.core.helpers import field_errors
from tests.factories.members import SponsorFactory, SponsorshipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data", "english")]

SETUP = "/anggota/debit-otomatis/atur/"
PAGE = "/anggota/debit-otomatis/"


@pytest.fixture
def worker(client):
    user = User.objects.create(username="worker-ad", phone="+6281234500001")
    member = member_make(billing_start=dt.date(2026, 11, 1))
    member.user = user
    member.save()
    bills_make(member, "2026-11")
    client.force_login(user)
    return member


def _details(**overrides):
    data = {"step": "details", "method": "bank", "issuer": "BCA", "account": "1234 5678 90",
            "max_amount": "Rp200.000"}
    data.update(overrides)
    return data


def test_page_offers_setup_when_there_is_no_mandate(client, worker):
    response = client.get(PAGE)
    assert response.status_code == 200
    assert SETUP in response.content.decode()
    assert PAGE in client.get("/anggota/iuran/").content.decode()


def test_setup_shows_the_exact_consent_text_then_records_it(client, worker):
    response = client.post(SETUP, _details())
    html = response.content.decode()
    assert response.status_code == 200 and 'id="consent-text"' in html
    assert "BCA •••• 7890" in html and "Rp200,000" in html.replace("\xa0", "") and worker.kpj in html
    assert not DebitMandate.objects.exists()
    response = client.post(SETUP, {**_details(), "step": "confirm", "consent": "on"}, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 302 and response["Location"] == PAGE
    mandate = DebitMandate.objects.get()
    assert (mandate.payer.username, mandate.member, mandate.max_amount_idr, mandate.issuer) == (
        "worker-ad", worker, 200_000, "BCA")
    assert (mandate.consent_ip, mandate.consent_version, mandate.account_masked) == ("198.51.100.7", "2026-11",
                                                                                   "•••• 7890")
    page = client.get(PAGE).content.decode()
    assert "Auto-debit is on" in page and "•••• 7890" in page


def test_without_the_tick_the_consent_page_comes_back_with_the_values_kept(client, worker):
    response = client.post(SETUP, {**_details(), "step": "confirm"})
    html = response.content.decode()
    assert 'id="id_consent_error"' in html and "tick the box" in html
    assert 'name="account" value="1234 5678 90"' in html and 'name="max_amount" value="Rp200.000"' in html
    assert not DebitMandate.objects.exists()


def test_going_back_keeps_what_was_typed(client, worker):
    html = client.post(SETUP, {**_details(), "step": "confirm", "back": "1"}).content.decode()
    assert 'id="consent-text"' not in html and 'value="1234 5678 90"' in html


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"account": "12ab"}, "account", "6 to 20 digits"),
    ({"method": "ewallet", "issuer": "GoPay", "account": "12345"}, "account", "mobile number"),
    ({"method": "ewallet", "issuer": "BCA"}, "issuer", "not an e-wallet"),
    ({"max_amount": "lots"}, "max_amount", "in numbers"),
    ({"max_amount": "1000"}, "max_amount", "would never pay a month"),
    ({"max_amount": "999999999"}, "max_amount", "At most"),
    ({"issuer": ""}, "issuer", "choose your bank"),
])
def test_bad_input_is_explained_next_to_its_field(client, worker, overrides, field, message):
    response = client.post(SETUP, _details(**overrides))
    html = response.content.decode()
    assert response.status_code == 200 and message in field_errors(html, field)
    assert 'id="consent-text"' not in html
    for name, value in _details(**overrides).items():
        if name not in ("step", "method", "issuer") and value:
            assert f'value="{value}"' in html
    assert not DebitMandate.objects.exists()


def test_an_ewallet_is_reached_by_its_phone_number(client, worker):
    data = _details(method="ewallet", issuer="OVO", account="0812-3456-7051")
    client.post(SETUP, {**data, "step": "confirm", "consent": "on"})
    mandate = DebitMandate.objects.get()
    assert mandate.account_masked == "•••• 7051" and mandate.method == "ewallet"


def test_simulator_test_accounts_are_listed_only_in_simulator_mode(client, worker, settings):
    settings.PAYMENT_SIMULATOR_ENABLED = True
    assert "…051" in client.get(SETUP).content.decode()
    settings.PAYMENT_SIMULATOR_ENABLED = False
    assert 'id="test-accounts"' not in client.get(SETUP).content.decode()


def test_the_payer_revokes_it(client, worker):
    client.post(SETUP, {**_details(), "step": "confirm", "consent": "on"})
    mandate = DebitMandate.objects.get()
    asked = client.post(f"/anggota/debit-otomatis/{mandate.pk}/cabut/")  # first: are you sure?
    assert asked.status_code == 200 and 'id="revoke-confirm"' in asked.content.decode()
    mandate.refresh_from_db()
    assert mandate.status != MandateStatus.REVOKED
    response = client.post(f"/anggota/debit-otomatis/{mandate.pk}/cabut/", {"confirm": "yes"})
    assert response.status_code == 302
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.REVOKED
    assert AuditEvent.objects.filter(action="debit_mandate.revoked", actor__username="worker-ad").exists()
    assert "Set up auto-debit" in client.get(PAGE).content.decode()


def test_revoking_needs_a_post_by_the_payer(client, worker):
    other = payer_make()
    mandate = debit_mandate_create(payer=other, member=worker, method="bank", issuer="BNI", account="99887766",
                                   max_amount_idr=300_000, consent_ip=None)
    assert client.get(f"/anggota/debit-otomatis/{mandate.pk}/cabut/").status_code == 405
    assert client.post(f"/anggota/debit-otomatis/{mandate.pk}/cabut/").status_code == 404
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.ACTIVE
    html = client.get(PAGE).content.decode()
    assert "only they can revoke it" in html and "Revoke auto-debit" not in html


def test_setup_is_refused_while_a_mandate_lives(client, worker):
    client.post(SETUP, {**_details(), "step": "confirm", "consent": "on"})
    response = client.post(SETUP, {**_details(account="5555555555"), "step": "confirm", "consent": "on"})
    assert response.status_code == 302 and DebitMandate.objects.count() == 1


def test_a_lapsed_member_cannot_set_it_up(client, worker):
    worker.status = MemberStatus.LAPSED
    worker.save()
    response = client.post(SETUP, {**_details(), "step": "confirm", "consent": "on"})
    assert response.status_code == 302 and not DebitMandate.objects.exists()


def test_sign_in_is_required(client):
    assert client.get(PAGE).status_code == 302


# --- sponsors ------------------------------------------------------------------------------------------------


@pytest.fixture
def sponsor_with_worker(client):
    sponsor = SponsorFactory(user__username="sponsor-ad", user__phone="+6281234500002", user__role="sponsor",
                             name="Bu Sari")
    member = member_make(billing_start=dt.date(2026, 11, 1))
    bills_make(member, "2026-11")
    SponsorshipFactory(sponsor=sponsor, member=member)
    client.force_login(sponsor.user)
    return member


def test_a_sponsor_sets_it_up_for_a_worker_and_revokes_it(client, sponsor_with_worker):
    member = sponsor_with_worker
    assert f"/penyantun/pekerja/{member.pk}/debit-otomatis/" in client.get("/penyantun/").content.decode()
    setup = f"/penyantun/pekerja/{member.pk}/debit-otomatis/atur/"
    response = client.post(setup, {**_details(), "step": "confirm", "consent": "on"})
    assert response["Location"] == f"/penyantun/pekerja/{member.pk}/debit-otomatis/"
    mandate = DebitMandate.objects.get()
    assert mandate.payer.username == "sponsor-ad" and mandate.member == member
    response = client.post(f"/anggota/debit-otomatis/{mandate.pk}/cabut/", {"confirm": "yes"})
    assert response["Location"] == f"/penyantun/pekerja/{member.pk}/debit-otomatis/"


def test_a_sponsor_cannot_reach_other_members(client, sponsor_with_worker):
    stranger = member_make()
    assert client.get(f"/penyantun/pekerja/{stranger.pk}/debit-otomatis/").status_code == 404
    assert client.get(f"/penyantun/pekerja/{stranger.pk}/debit-otomatis/atur/").status_code == 404
