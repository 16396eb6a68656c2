"""After signing in each person lands where they work: their membership, the workers they pay for, their round as
an agent, the claims they filed as an heir; several places give a short chooser that remembers the choice (a
cookie, so it works without JavaScript); nobody is sent into worker registration unless they have no place."""

import pytest

from tests.factories.core import UserFactory
from tests.factories.members import AgentFactory, MemberFactory, SponsorFactory

pytestmark = pytest.mark.django_db
AFTER, CHOOSE = "/masuk/lanjut/", "/masuk/pilih/"


def signed_in(client, user, language="id"):
    client.force_login(user)
    client.cookies["bpu_lang"] = language
    return client


@pytest.mark.parametrize(("make", "lands"), [
    (lambda: MemberFactory(user=UserFactory()).user, "/anggota/"),
    (lambda: SponsorFactory().user, "/penyantun/"),
    (lambda: SponsorFactory(government=True).user, "/penyantun/"),
    (lambda: AgentFactory().user, "/agen/"),
    (lambda: UserFactory(), "/daftar/identitas/"),  # no place yet: registering as a worker
])
def test_one_place_lands_there(client, make, lands):
    assert signed_in(client, make()).get(AFTER)["Location"] == lands


def test_several_places_get_the_chooser_which_remembers(client):
    member = MemberFactory(user=UserFactory())
    SponsorFactory(user=member.user)
    signed_in(client, member.user)
    assert client.get(AFTER)["Location"] == CHOOSE
    html = client.get(CHOOSE).content.decode()
    assert "Mau ke mana?" in html and 'id="home-member"' in html and 'id="home-sponsor"' in html
    assert 'id="home-agent"' not in html
    response = client.get(f"{CHOOSE}?ke=sponsor")
    assert response["Location"] == "/penyantun/" and response.cookies["bpu_home"].value == "sponsor"
    assert response.cookies["bpu_home"]["httponly"]
    assert client.get(AFTER)["Location"] == "/penyantun/"  # the next sign-in goes straight there


@pytest.mark.parametrize("key", ["agent", "x", "", "member'--"])
def test_a_place_the_person_does_not_have_is_never_chosen(client, key):
    member = MemberFactory(user=UserFactory())
    SponsorFactory(user=member.user)
    signed_in(client, member.user)
    client.cookies["bpu_home"] = key
    assert client.get(AFTER)["Location"] == CHOOSE
    response = client.get(f"{CHOOSE}?ke={key}")
    assert response.status_code == 200 and "bpu_home" not in response.cookies


def test_the_menu_shows_my_workers_only_to_sponsors(client):
    member = MemberFactory(user=UserFactory())
    html = signed_in(client, member.user, "en").get("/anggota/").content.decode()
    assert "My workers" not in html
    SponsorFactory(user=member.user)
    assert "My workers" in client.get("/anggota/").content.decode()
