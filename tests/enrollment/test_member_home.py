"""The member home says how far ahead the member has paid and what comes next, names who pays, and puts the one
main action in the first screen."""

import datetime as dt

import pytest

from contributions.selectors import paid_ahead
from reference.duedates import due_date_for
from tests.contributions.helpers import bills_make, bills_mark_paid, member_make, pin_today
from tests.factories.core import UserFactory
from tests.factories.members import SponsorFactory, SponsorshipFactory

pytestmark = pytest.mark.django_db
PAID_AT = dt.datetime.fromisoformat("2026-11-05T10:00:00+07:00")


@pytest.fixture
def member():
    member = member_make(income=1_000_000, jht=False, billing_start=dt.date(2026, 11, 1))
    member.user = UserFactory()
    member.save(update_fields=["user"])
    return member


@pytest.mark.parametrize(("paid", "today", "through", "following"), [
    (["2026-11"], dt.date(2026, 11, 20), dt.date(2026, 11, 1), dt.date(2026, 12, 1)),
    (["2026-11", "2026-12", "2027-01", "2027-02"], dt.date(2026, 11, 20), dt.date(2027, 2, 1), dt.date(2027, 3, 1)),
    (["2026-11", "2026-12", "2027-02"], dt.date(2026, 12, 3), dt.date(2026, 12, 1), dt.date(2027, 1, 1)),  # a gap
])
def test_paid_ahead_is_the_run_from_this_month(member, paid, today, through, following):
    bills_mark_paid(member, *paid, paid_at=PAID_AT)
    with pin_today(today):
        ahead = paid_ahead(member=member)
    assert (ahead.through, ahead.next_month, ahead.next_due) == (through, following, due_date_for(following))
    assert ahead.next_amount_idr > 0


def test_nothing_is_ahead_while_this_month_or_an_earlier_one_is_open(member):
    bills_make(member, "2026-11")
    with pin_today(dt.date(2026, 11, 20)):
        assert paid_ahead(member=member) is None
    bills_mark_paid(member, "2026-12", paid_at=PAID_AT)
    with pin_today(dt.date(2026, 12, 20)):
        assert paid_ahead(member=member) is None  # November is still open


def test_the_home_says_paid_up_to_and_what_comes_next_and_who_pays(client, member):
    bills_mark_paid(member, "2026-11", "2026-12", "2027-01", "2027-02", paid_at=PAID_AT)
    SponsorshipFactory(member=member, sponsor=SponsorFactory(name="Ibu Ani"))
    client.force_login(member.user)
    client.cookies["bpu_lang"] = "id"
    with pin_today(dt.date(2026, 11, 20)):
        html = client.get("/anggota/").content.decode()
    assert "Lunas sampai Februari 2027." in html and "Berikutnya: Maret 2027" in html
    assert "16 Maret 2027" in html  # the 15th, moved past the public holiday
    assert "Iuran Anda dibayar oleh Ibu Ani." in html
    assert "Iuran yang harus dibayar" not in html  # nothing is owed
    action = html.split('id="main-action"')[1].split("</p>")[0]
    assert "/anggota/kartu/" in action  # covered: the card is the main action


def test_the_main_action_comes_before_the_details(client, member):
    bills_make(member, "2026-11")
    client.force_login(member.user)
    with pin_today(dt.date(2026, 11, 20)):
        html = client.get("/anggota/").content.decode()
    assert html.index('id="main-action"') < html.index('class="facts"')
    assert "/anggota/bayar/" in html.split('id="main-action"')[1].split("</p>")[0]
