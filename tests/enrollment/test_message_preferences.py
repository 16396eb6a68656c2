"""A member chooses how reminders reach them: channel, language, or none (except the legally required notice)."""

import re

import pytest

from core.models import AuditEvent
from tests.core.helpers import field_errors
from tests.factories.members import SponsorFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

URL = "/anggota/pesan/"


def test_the_page_shows_the_current_choices(worker_client, member):
    html = worker_client.get(URL).content.decode()
    assert re.search(r'value="sms"[^>]* checked', html)
    assert "Do not send me payment reminders" in html
    assert "because the law requires it" in html


def test_saving_choices(worker_client, member):
    response = worker_client.post(URL, {"notify_channel": "whatsapp", "email": "", "language": "en",
                                        "reminders_opt_out": "on"}, follow=True)
    assert "Saved. Your messages will follow these choices." in response.content.decode()
    member.refresh_from_db()
    assert (member.notify_channel, member.language, member.reminders_opt_out) == ("whatsapp", "en", True)
    event = AuditEvent.objects.get(action="member.message_preferences")
    assert event.changes["notify_channel"] == ["sms", "whatsapp"]
    assert event.changes["reminders_opt_out"] == [False, True]


def test_email_without_an_address_is_refused_next_to_the_field_and_keeps_the_answers(worker_client, member):
    response = worker_client.post(URL, {"notify_channel": "email", "email": "", "language": "en"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Please enter your email address, or choose SMS or WhatsApp." in field_errors(html, "email")
    assert re.search(r'value="email"[^>]* checked', html)  # the answer is kept
    member.refresh_from_db()
    assert member.notify_channel == "sms"


def test_email_channel_with_an_address(worker_client, member):
    worker_client.post(URL, {"notify_channel": "email", "email": "siti@example.com", "language": "id"})
    member.refresh_from_db()
    assert (member.notify_channel, member.email) == ("email", "siti@example.com")


def test_registration_keeps_the_language_of_the_account(registration_data, worker_user):
    from enrollment.services import member_register

    worker_user.language = "en"
    worker_user.save()
    member = member_register(data=registration_data(), user=worker_user, actor=worker_user)
    assert member.language == "en"


def test_someone_without_a_membership_gets_not_found(client, worker_user):
    client.force_login(worker_user)
    assert client.get(URL).status_code == 404


@pytest.fixture
def sponsor_client(client, db):
    user = SponsorFactory(user__username="sp", user__phone="+6281300000001", user__role="sponsor",
                          name="Ibu Ratna").user
    client.force_login(user)
    return client


def test_a_sponsor_chooses_how_reminders_reach_it(sponsor_client):
    from members.models import Sponsor

    assert "Messages and reminders" in sponsor_client.get("/penyantun/").content.decode()
    sponsor_client.post("/penyantun/pesan/", {"notify_channel": "email", "email": "ratna@example.com",
                                              "language": "en", "reminders_opt_out": "on"})
    sponsor = Sponsor.objects.select_related("user").get()
    assert (sponsor.notify_channel, sponsor.reminders_opt_out) == ("email", True)
    assert (sponsor.user.email, sponsor.user.language) == ("ratna@example.com", "en")


def test_an_organisation_keeps_its_sign_in_address(sponsor_client):
    from members.models import Sponsor

    Sponsor.objects.update(kind="organisation")
    Sponsor.objects.get().user.__class__.objects.update(email="csr@example.com")
    sponsor_client.post("/penyantun/pesan/", {"notify_channel": "email", "email": "other@example.com",
                                              "language": "id"})
    sponsor = Sponsor.objects.select_related("user").get()
    assert (sponsor.notify_channel, sponsor.user.email) == ("email", "csr@example.com")
