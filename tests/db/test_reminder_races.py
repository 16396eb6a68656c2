"""Two reminder runs at once (a retried task, an admin pressing "run now" during the scheduled run): every bill
is reminded once per stage, and a sponsor gets one message."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count

from contributions.models import Reminder
from contributions.services.reminders import reminders_send
from core.models import OutboxMessage
from tests.contributions.helpers import bills_make, member_make
from tests.db.test_concurrency import _race
from tests.factories.members import SponsorFactory, SponsorshipFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

MORNING = dt.datetime(2026, 12, 12, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


@pytest.mark.parametrize("round_", range(3))
def test_two_runs_at_once_remind_each_bill_once(round_):
    members = [member_make() for _ in range(40)]
    for member in members:
        bills_make(member, "2026-12")
    sponsor = SponsorFactory(user__username=f"sp{round_}", user__phone="+6281399999999", name="Penyantun")
    for member in members[:5]:
        SponsorshipFactory(sponsor=sponsor, member=member)

    results = _race(lambda: reminders_send(now=MORNING, batch_size=7),
                    lambda: reminders_send(now=MORNING + dt.timedelta(seconds=1), batch_size=7))
    assert all(isinstance(r, dict) for r in results), results
    assert sum(r["handled"] for r in results) == 35 + 1
    assert Reminder.objects.count() == 40
    assert not Reminder.objects.values("bill", "stage").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert OutboxMessage.objects.filter(recipient="+6281399999999").count() == 1
    assert OutboxMessage.objects.filter(purpose="reminder.due_soon").count() == 36
    assert not Reminder.objects.filter(message__isnull=True).exists()
