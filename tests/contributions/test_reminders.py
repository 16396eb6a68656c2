"""Payment reminders with a travelling clock: each stage on its day, once, in the person's language, channel and
time zone; none for a paid bill; sponsors get one message for all their workers."""

import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from contributions.models import (
    AttemptStatus,
    Bill,
    BillStatus,
    DebitAttempt,
    DebitMandate,
    Reminder,
)
from contributions.services.membership import members_lapse
from contributions.services.reminders import release_time, reminders_send
from core.models import Channel, JobRun, OutboxMessage, OutboxStatus, User
from core.services import notification_deliver, notification_flush_pending
from members.models import MemberStatus, Sponsorship
from reference.models import Region
from tests.contributions.helpers import bills_make, member_make
from tests.factories.members import SponsorFactory, SponsorshipFactory

pytestmark = pytest.mark.django_db

WIB, WITA, WIT = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Makassar"), ZoneInfo("Asia/Jayapura")


@pytest.fixture(autouse=True)
def _today_is_fixed():
    """Here the clock travels (time_machine), so 'today' is not pinned as elsewhere in tests/contributions."""
    yield


def at(day: str, hour: int = 8, minute: int = 0, zone: ZoneInfo = WIB) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=zone)


def run(moment: dt.datetime) -> dict:
    with time_machine.travel(moment, tick=False):
        return reminders_send()


def messages(purpose: str | None = None) -> list[OutboxMessage]:
    qs = OutboxMessage.objects.filter(purpose__startswith="reminder.").order_by("pk")
    return list(qs.filter(purpose=purpose) if purpose else qs)


def total(*members, months=("2026-12",)) -> str:
    amount = sum(Bill.objects.filter(member__in=members, month__in=[dt.date.fromisoformat(m + "-01") for m in months])
                 .values_list("total_idr", flat=True))
    return f"Rp{amount:,}"


def village_in(province: str) -> Region:
    """A village row in another province (only its code matters for the time zone)."""
    code = f"{province}.01.01.1001"
    return Region.objects.get_or_create(code=code, defaults={"name": f"Desa {province}", "level": 4})[0]


@pytest.fixture
def english_member():
    member = member_make(phone="+6281200000001")
    member.language = "en"
    member.save()
    bills_make(member, "2026-12")  # due Tuesday 15 December 2026
    return member


def test_each_stage_on_its_day_and_never_twice(english_member):
    assert run(at("2026-12-11")) == {"handled": 0, "failed": 0, "skipped": 0}  # 4 days before: too early

    assert run(at("2026-12-12"))["handled"] == 1
    (soon,) = messages()
    assert soon.purpose == "reminder.due_soon"
    assert soon.channel == Channel.SMS and soon.recipient == "+6281200000001"
    assert soon.body == (f"BPJS Ketenagakerjaan: your December 2026 contribution of {total(english_member)} is due "
                         "on 15 Dec 2026. Pay: http://127.0.0.1:8000/anggota/bayar/")
    assert soon.next_attempt_at is None  # 08:00 in Jakarta: not held
    assert run(at("2026-12-12", 15))["handled"] == 0  # a second run the same day
    assert run(at("2026-12-14"))["handled"] == 0  # still in the due-soon window: sent already

    assert run(at("2026-12-15"))["handled"] == 1
    assert messages()[-1].purpose == "reminder.due"
    assert run(at("2026-12-21"))["handled"] == 0
    assert run(at("2026-12-22"))["handled"] == 1
    overdue = messages()[-1]
    assert overdue.purpose == "reminder.overdue"
    assert "(due 15 Dec 2026) is not paid yet" in overdue.body
    assert run(at("2026-12-23"))["handled"] == 0
    assert sorted(Reminder.objects.values_list("stage", flat=True)) == ["due", "due_soon", "overdue"]


def test_a_run_that_missed_days_catches_up_with_the_current_stage_only(english_member):
    run(at("2026-12-17"))
    assert [m.purpose for m in messages()] == ["reminder.due"]


def test_overdue_is_not_sent_for_old_bills_when_reminders_start(english_member):
    bills_make(english_member, "2026-10")  # due 15 October: overdue long ago
    run(at("2026-12-12"))
    assert [m.purpose for m in messages()] == ["reminder.due_soon"]


def test_before_lapse_on_the_third_unpaid_month_then_lapsed_notice(english_member):
    bills_make(english_member, "2026-10", "2026-11")
    assert run(at("2026-12-24"))["handled"] == 0 or all(m.purpose != "reminder.before_lapse" for m in messages())
    run(at("2026-12-25"))  # 7 days before the lapse date
    (warning,) = messages("reminder.before_lapse")
    three = total(english_member, months=("2026-10", "2026-11", "2026-12"))
    assert warning.body.startswith(f"BPJS Ketenagakerjaan: 3 months of contributions ({three}) are unpaid. "
                                   f"Pay before 1 Jan 2027 or membership KPJ {english_member.kpj} stops")

    with time_machine.travel(at("2027-01-01", 2), tick=False):
        assert members_lapse(today=dt.date(2027, 1, 1)) == 1
    run(at("2027-01-01"))
    (notice,) = messages("reminder.lapsed")
    assert f"membership KPJ {english_member.kpj} has stopped" in notice.body
    assert notice.body.endswith("http://127.0.0.1:8000/anggota/aktifkan-kembali/")
    run(at("2027-01-02"))
    assert len(messages("reminder.lapsed")) == 1


def test_no_before_lapse_when_an_earlier_month_is_paid(english_member):
    bills_make(english_member, "2026-10", "2026-11")
    Bill.objects.filter(member=english_member, month=dt.date(2026, 10, 1)).update(status=BillStatus.PAID)
    run(at("2026-12-28"))
    assert messages("reminder.before_lapse") == []


def test_none_for_a_paid_bill(english_member):
    Bill.objects.filter(member=english_member).update(status=BillStatus.PAID)
    for day in ("2026-12-12", "2026-12-15", "2026-12-22"):
        run(at(day))
    assert messages() == []


def test_a_bill_paid_after_the_reminder_was_written_cancels_it_at_delivery(english_member):
    run(at("2026-12-12"))
    (message,) = messages()
    Bill.objects.filter(member=english_member).update(status=BillStatus.PAID)
    with time_machine.travel(at("2026-12-12", 8, 5), tick=False):
        notification_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == OutboxStatus.CANCELLED and message.attempts == 0


def test_opted_out_members_get_only_the_required_lapse_notice(english_member):
    english_member.reminders_opt_out = True
    english_member.save()
    bills_make(english_member, "2026-10", "2026-11")
    for day in ("2026-12-12", "2026-12-15", "2026-12-22", "2026-12-28"):
        run(at(day))
    assert messages() == []
    with time_machine.travel(at("2027-01-01", 2), tick=False):
        members_lapse(today=dt.date(2027, 1, 1))
    run(at("2027-01-01"))
    assert [m.purpose for m in messages()] == ["reminder.lapsed"]


def test_member_language_indonesian_by_default():
    member = member_make()
    bills_make(member, "2026-12")
    run(at("2026-12-12"))
    (message,) = messages()
    amount = total(member).replace(",", ".")
    assert message.body == (f"BPJS Ketenagakerjaan: iuran Desember 2026 Anda sebesar {amount} jatuh tempo "
                            "15 Des 2026. Bayar: http://127.0.0.1:8000/anggota/bayar/")


@pytest.mark.parametrize(("channel", "email", "expected"), [
    (Channel.WHATSAPP, "", (Channel.WHATSAPP, "+6281200000001", Channel.SMS, "+6281200000001")),
    (Channel.EMAIL, "sari@example.com", (Channel.EMAIL, "sari@example.com", Channel.SMS, "+6281200000001")),
    (Channel.EMAIL, "", (Channel.SMS, "+6281200000001", "", "")),  # no address: SMS
])
def test_channel_by_preference_with_sms_fallback(english_member, channel, email, expected):
    english_member.notify_channel, english_member.email = channel, email
    english_member.save()
    run(at("2026-12-12"))
    (message,) = messages()
    assert (message.channel, message.recipient, message.fallback_channel, message.fallback_recipient) == expected


class WhatsAppDown:
    sent: list = []

    def send(self, message):
        if message.channel == Channel.WHATSAPP:
            raise RuntimeError("recipient is not on WhatsApp")
        WhatsAppDown.sent.append((message.channel, message.recipient))
        return "sms-1"


@override_settings(NOTIFICATION_BACKEND="tests.contributions.test_reminders.WhatsAppDown")
def test_whatsapp_that_fails_falls_back_to_sms(english_member):
    english_member.notify_channel = Channel.WHATSAPP
    english_member.save()
    run(at("2026-12-12"))
    (message,) = messages()
    with time_machine.travel(at("2026-12-12", 8, 1), tick=False) as clock:
        notification_deliver(message_id=message.pk)
        clock.shift(dt.timedelta(minutes=2))
        notification_flush_pending()
        message.refresh_from_db()
        assert (message.channel, message.status) == (Channel.SMS, OutboxStatus.PENDING)
        assert message.last_error.startswith("whatsapp: recipient is not on WhatsApp")
        clock.shift(dt.timedelta(seconds=1))
        notification_flush_pending()
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT and message.attempts == 3
    assert WhatsAppDown.sent == [(Channel.SMS, "+6281200000001")]


@pytest.mark.parametrize(("province", "zone"), [("31", WIB), ("51", WITA), ("91", WIT)])
def test_quiet_hours_hold_messages_until_seven_local_time(province, zone):
    member = member_make()
    member.village = village_in(province) if province != "31" else member.village
    member.save()
    bills_make(member, "2026-12")
    moment = at("2026-12-12", 22, 30, zone)  # 22:30 where the member lives
    run(moment)
    (message,) = messages()
    assert message.next_attempt_at == at("2026-12-13", 7, 0, zone)
    with time_machine.travel(at("2026-12-13", 6, 59, zone), tick=False):
        notification_flush_pending(older_than_seconds=0)
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.attempts == 0
    with time_machine.travel(at("2026-12-13", 7, 0, zone), tick=False):
        notification_flush_pending(older_than_seconds=0)
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT


def test_quiet_hours_differ_by_zone_at_the_same_moment():
    moment = at("2026-12-12", 6, 30, WIB)  # 06:30 WIB = 07:30 WITA = 08:30 WIT
    assert release_time(moment, ["WIB"]) == at("2026-12-12", 7, 0, WIB)
    assert release_time(moment, ["WITA"]) is None
    assert release_time(moment, ["WIT"]) is None
    evening = at("2026-12-12", 19, 30, WIB)  # 19:30 WIB = 21:30 WIT
    assert release_time(evening, ["WIB"]) is None
    assert release_time(evening, ["WIT"]) == at("2026-12-13", 7, 0, WIT)
    # Someone with people in several zones hears nothing while any of them sleeps: 07:00 WIT is 05:00 WIB.
    assert release_time(evening, ["WIB", "WIT"]) == at("2026-12-13", 7, 0, WIB)
    assert release_time(at("2026-12-13", 6, 0, WIB), ["WIB", "WIT"]) == at("2026-12-13", 7, 0, WIB)


@pytest.fixture
def sponsor():
    return SponsorFactory(user__username="penyantun", user__phone="+6281300000009", user__language="en",
                          name="Ibu Ratna")


def sponsor_of(sponsor, *members):
    for member in members:
        SponsorshipFactory(sponsor=sponsor, member=member, relationship="household_helper")


def test_a_sponsor_gets_one_message_for_all_its_workers(sponsor):
    workers = [member_make() for _ in range(3)]
    for worker in workers:
        bills_make(worker, "2026-12")
    sponsor_of(sponsor, *workers)
    own = member_make(phone="+6281200000077")
    bills_make(own, "2026-12")

    assert run(at("2026-12-12"))["handled"] == 2
    to_sponsor = OutboxMessage.objects.get(recipient="+6281300000009")
    assert to_sponsor.body == (f"BPJS Ketenagakerjaan: contributions for 3 workers you pay for, {total(*workers)} in "
                               "all, are due on 15 Dec 2026. Pay: http://127.0.0.1:8000/penyantun/")
    assert OutboxMessage.objects.filter(recipient="+6281200000077").count() == 1
    assert Reminder.objects.filter(audience="sponsor", message=to_sponsor).count() == 3
    assert run(at("2026-12-13"))["handled"] == 0

    # A worker added later is told about at the next stage only, still in one message.
    late = member_make()
    bills_make(late, "2026-12")
    sponsor_of(sponsor, late)
    run(at("2026-12-15"))
    due = OutboxMessage.objects.get(recipient="+6281300000009", purpose="reminder.due")
    assert "contributions for 4 workers" in due.body


@override_settings(REMINDER_SPONSORED_AUDIENCE="both")
def test_sponsored_members_can_be_told_as_well(sponsor):
    worker = member_make(phone="+6281200000055")
    bills_make(worker, "2026-12")
    sponsor_of(sponsor, worker)
    run(at("2026-12-12"))
    assert sorted(m.recipient for m in messages()) == ["+6281200000055", "+6281300000009"]


def test_a_sponsored_member_whose_sponsorship_ended_is_reminded_directly(sponsor):
    worker = member_make(phone="+6281200000056")
    bills_make(worker, "2026-12")
    sponsor_of(sponsor, worker)
    Sponsorship.objects.filter(member=worker).update(ended_at=timezone.now())
    run(at("2026-12-12"))
    assert [m.recipient for m in messages()] == ["+6281200000056"]


@pytest.mark.parametrize("status", [AttemptStatus.FAILED, AttemptStatus.SKIPPED])
def test_auto_debit_replaces_the_early_reminders_until_the_debit_fails(english_member, status):
    payer = User.objects.create(username="debitor")
    mandate = DebitMandate.objects.create(
        payer=payer, member=english_member, method="bank", issuer="BCA", account_masked="•••• 1234",
        provider_reference="SIM-MDT-1", max_amount_idr=100_000, consent_version="test", consented_at=timezone.now())
    run(at("2026-12-12"))
    assert messages() == []
    now = timezone.now()
    DebitAttempt.objects.create(mandate=mandate, month=dt.date(2026, 12, 1), amount_idr=36_800,
                                status=status, created_at=now, updated_at=now)
    run(at("2026-12-13"))
    assert [m.purpose for m in messages()] == ["reminder.due_soon"]


def test_the_scheduled_task_records_its_run(english_member):
    from contributions.tasks import reminders_send as task

    with time_machine.travel(at("2026-12-12"), tick=False):
        task.delay()
    run_row = JobRun.objects.get(job="reminders.daily")
    assert (run_row.status, run_row.handled) == (JobRun.Status.SUCCEEDED, 1)


def test_batches_cover_every_member_once(english_member):
    others = [member_make() for _ in range(5)]
    for member in others:
        bills_make(member, "2026-12")
    with mock.patch("contributions.services.reminders.send.settings.REMINDER_BATCH_SIZE", 2):
        assert run(at("2026-12-12"))["handled"] == 6
    assert len({m.recipient for m in messages()}) == 6
    assert MemberStatus.REGISTERED == english_member.status


@pytest.mark.parametrize(("moment", "lapsed"), [
    (at("2026-12-31", 23, 59), False),  # the 3rd unpaid month is not over yet
    (at("2027-01-01", 0, 1), True),
])
def test_the_scheduled_lapse_job_on_the_clock(english_member, moment, lapsed):
    from contributions.tasks import members_lapse as task

    bills_make(english_member, "2026-10", "2026-11")
    with time_machine.travel(moment, tick=False):
        task.delay()
    english_member.refresh_from_db()
    assert (english_member.status == MemberStatus.LAPSED) is lapsed
    assert JobRun.objects.get(job="membership.lapse").handled == int(lapsed)
