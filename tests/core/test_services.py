"""core.services: each set-based twin against its row-by-row original, field by field: accounts for phone numbers
(phone_users_get_or_create_many / phone_user_get_or_create) and outbox messages (notifications_enqueue_many /
notification_enqueue)."""

import datetime as dt
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from core.models import AuditEvent, Channel, OutboxMessage, Role, User
from core.services import (
    PhoneSignInRefused,
    notification_enqueue,
    notifications_enqueue_many,
    notifications_spec,
    outbox,
    phone_user_get_or_create,
    phone_users_get_or_create_many,
)
from core.sql import insert_together

pytestmark = pytest.mark.django_db

NEW, NEW_TOO, WORKER, STAFF, INACTIVE = ("+6281200000001", "+6281200000002", "+6281200000003", "+6281200000004",
                                         "+6281200000005")
USER_FIELDS = ("username", "phone", "language", "role", "is_staff", "is_active", "is_superuser", "first_name",
               "last_name", "email")


def _accounts():
    User.objects.create(username="worker", phone=WORKER)
    User.objects.create(username="staff", phone=STAFF, role=Role.BRANCH_STAFF)
    User.objects.create(username="gone", phone=INACTIVE, is_active=False)


def _new_users() -> dict[str, dict]:
    out = {}
    for user in User.objects.filter(phone__in=[NEW, NEW_TOO]):
        events = [(e.action, e.object_type, e.actor_id == user.pk, e.changes, e.reason)
                  for e in AuditEvent.objects.filter(object_id=str(user.pk), object_type="core.user")]
        out[str(user.phone)] = {"user": {f: getattr(user, f) for f in USER_FIELDS},
                                "usable_password": user.has_usable_password(), "audit": events}
    return out


def test_users_for_many_phones_agree_with_user_per_phone():
    _accounts()
    phones = [NEW, WORKER, STAFF, INACTIVE, NEW_TOO]
    one_by_one = {}
    for phone in phones:
        try:
            user, created = phone_user_get_or_create(phone=phone)
        except PhoneSignInRefused:
            continue
        one_by_one[phone] = (user.pk, created)
    written_one = _new_users()
    ids_one = {phone: pk for phone, (pk, created) in one_by_one.items() if created}
    AuditEvent.objects.all().delete()
    User.objects.filter(pk__in=ids_one.values()).delete()

    with transaction.atomic():
        many = phone_users_get_or_create_many(phones=phones)
    written_many = _new_users()
    assert {phone: created for phone, (_pk, created) in many.items()} == {
        phone: created for phone, (_pk, created) in one_by_one.items()} == {NEW: True, WORKER: False, NEW_TOO: True}
    assert many[WORKER] == one_by_one[WORKER]
    assert written_many == written_one and set(written_many) == {NEW, NEW_TOO}
    assert not written_many[NEW]["usable_password"]
    assert written_many[NEW]["audit"] == [("user.created", "core.user", True, {"via": "phone_code"}, "")]


def test_users_for_many_phones_audit_by_the_actor_with_the_callers_changes():
    actor = User.objects.create(username="pemda", phone="+6281300000001")
    many = phone_users_get_or_create_many(phones=[NEW], actor_id=actor.pk,
                                          changes={"via": "bulk_import", "bulk_import": 3})
    event = AuditEvent.objects.get(object_id=str(many[NEW][0]))
    assert event.actor_id == actor.pk and event.changes == {"via": "bulk_import", "bulk_import": 3}
    assert phone_users_get_or_create_many(phones=[]) == {}


MESSAGES = [(Channel.SMS, "+6281200000001", "Kode Anda 123456", "code"),
            (Channel.EMAIL, "a@example.com", "Tagihan Desember", "reminder.due"),
            (Channel.WHATSAPP, "+6281200000002", "Selamat datang", "registration")]
OUTBOX_FIELDS = ("channel", "recipient", "subject", "body", "purpose", "status", "attempts", "last_error", "sent_at",
                 "provider_reference", "receipt_at", "next_attempt_at", "key", "fallback_channel",
                 "fallback_recipient")


def _outbox() -> list[dict]:
    return list(OutboxMessage.objects.order_by("pk").values(*OUTBOX_FIELDS))


def test_notifications_from_a_set_agree_with_notification_one_by_one(settings):
    settings.NOTIFICATION_URGENT_PURPOSES = ["code"]
    kicks_one, kicks_many = [], []
    with mock.patch.object(outbox, "_deliver_on_commit", lambda ids, urgent=False: kicks_one.append(urgent)):
        ids_one = [notification_enqueue(channel=c, recipient=r, body=b, purpose=p).pk for c, r, b, p in MESSAGES]
    one_by_one = _outbox()
    OutboxMessage.objects.all().delete()
    with mock.patch.object(outbox, "_deliver_on_commit", lambda ids, urgent=False: kicks_many.append(urgent)):
        ids_many = notifications_enqueue_many(messages=MESSAGES)
    assert _outbox() == one_by_one and len(one_by_one) == 3
    assert ids_many == sorted(ids_many) and len(ids_many) == len(ids_one)
    # A delivery sweep after commit, on the urgent queue too when any message is urgent.
    assert kicks_one == [True, False, False] and kicks_many == [True]


def test_notifications_from_a_set_take_what_a_set_says_beyond_one_message():
    now = timezone.now()
    later = now + dt.timedelta(hours=9)
    [pk] = notifications_enqueue_many(
        messages=[(Channel.WHATSAPP, "+6281200000001", "Tagihan", "reminder.due", now, later, Channel.SMS,
                   "+6281200000001")],
        more_fields=("created_at", "next_attempt_at", "fallback_channel", "fallback_recipient"))
    message = OutboxMessage.objects.get(pk=pk)
    assert (message.created_at, message.next_attempt_at, message.fallback_channel) == (now, later, Channel.SMS)
    with pytest.raises(ValueError):
        notifications_enqueue_many(messages=[], more_fields=("status",))


def test_notifications_for_insert_together_are_the_same_rows():
    messages = [(*message, f"key-{n}") for n, message in enumerate(MESSAGES)]
    notifications_enqueue_many(messages=messages, more_fields=("key",))
    enqueued = _outbox()
    OutboxMessage.objects.all().delete()
    insert_together(notifications_spec(messages=messages, more_fields=("key",)))
    assert _outbox() == enqueued and [m["key"] for m in enqueued] == ["key-0", "key-1", "key-2"]
