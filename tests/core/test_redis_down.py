"""With Redis unreachable (cache and broker) every request path still answers; once the broker is back, the beat
sweeps deliver what waited: the outbox is sent and the bulk import checked.

Celery publishes for real here (not eagerly): first to a Redis URL nobody listens on, then to the working broker
(Redis db of REDIS_URL on CI, the filesystem broker otherwise), where a real worker runs the sweeps."""

import datetime as dt
import json
import time
import uuid
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.test import Client, override_settings

from config.celery import app
from contributions.services.payments import payment_order_create
from core.cache import failover_reset
from core.models import OutboxMessage, OutboxStatus, PhoneCode, User
from members.services import partner_create, partner_key_issue
from sponsors.models import BulkImport
from tests.conftest import VALID_NIK_MAN, VALID_NIK_WOMAN
from tests.contributions.helpers import member_make, payer_make, signed_webhook, webhook_post
from tests.factories.members import SponsorFactory

# One xdist worker runs them all, one after another: the end-to-end test's real worker consumes the very queues the
# routing test reads, and both use the one broker.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data", "english"),
              pytest.mark.xdist_group("broker-queues")]
UNREACHABLE = "redis://127.0.0.1:1/0"
CACHES_REDIS_DOWN = {
    "default": {"BACKEND": "core.cache.FailoverCache",
                "OPTIONS": {"PRIMARY": "redis", "FALLBACK": "fallback", "RETRY_AFTER": 10}},
    "redis": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": UNREACHABLE,
              "OPTIONS": {"socket_connect_timeout": 1}},
    "fallback": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_table"},
}
QUEUES = ("urgent", "default", "bulk")


@contextmanager
def broker(url: str, transport_options: dict):
    """Celery publishes to url for real (eager off) inside the block."""
    saved = app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager
    app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager = url, transport_options, False
    app._after_fork()  # drop pooled connections and producers to the old broker
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager = saved
        app._after_fork()


def _purge(queues) -> None:
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in queues:
            try:
                channel.queue_purge(queue)
            except Exception:  # noqa: BLE001 - a queue that does not exist yet holds nothing
                pass


@pytest.fixture(autouse=True)
def _clean_fallback_cache():
    """The database cache's table outlives transactional tests' flushes: start and end with it empty."""
    from django.core.cache import caches

    caches["fallback"].clear()
    failover_reset()
    yield
    caches["fallback"].clear()
    failover_reset()


@pytest.fixture
def world(settings, village_code, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.NOTIFICATION_BACKEND = "core.notifications.backends.ConsoleBackend"
    settings.NOTIFICATION_SWEEP_SECONDS = 0.0
    admin = User.objects.create_user(username="admin-redis", password="a-long-staff-password", role="admin",
                                     is_staff=True)
    sponsor = SponsorFactory(user__username="pemda", user__phone="+6281300000001", government=True)
    partner = partner_create(name="Toko Contoh", actor=None)
    key = partner_key_issue(partner=partner, scopes=["members:register"], actor=None)[1]
    member = member_make(billing_start=dt.date.today().replace(day=1), phone="+6281311112222")
    order = payment_order_create(member=member, months_count=1, payer=payer_make())
    return {"admin": admin, "sponsor": sponsor, "key": key, "order": order, "village": village_code}


def _bulk_file(village: str) -> bytes:
    header = "nik,nama,tempat_lahir,tanggal_lahir,jenis_kelamin,no_hp,kode_desa,alamat,pekerjaan,penghasilan,jht,bulan"
    row = (f"{VALID_NIK_MAN},Budi Santoso,Bandung,12-03-1985,L,085712345678,{village},Jl. B,nelayan,1000000,"
           "tidak,1")
    return f"{header}\n{row}\n".encode()


def test_every_request_path_answers_with_redis_down_and_the_sweeps_deliver_once_it_is_back(
        client, world, settings):
    started = time.monotonic()
    with override_settings(CACHES=CACHES_REDIS_DOWN), broker(UNREACHABLE, {"socket_connect_timeout": 1}):
        # Registration: a code by the web page and by the API.
        response = client.post("/masuk/", {"phone": "0812-3456-7890"})
        assert response.status_code == 302 and response["Location"].startswith("/masuk/kode/"), response
        api = client.post("/api/v1/auth/code/request/", {"phone": "0812-9999-0001"}, content_type="application/json")
        assert api.status_code < 300, api.content
        # Staff sign-in (allauth counts attempts in the cache): the password step answers, MFA comes next.
        staff = client.post("/akun/login/", {"login": "admin-redis", "password": "a-long-staff-password"})
        assert staff.status_code in (200, 302), staff.status_code
        assert staff.status_code == 302 or "error" not in staff.content.decode().lower()
        # The partner API (DRF's throttle counts in the cache).
        body = {"nik": VALID_NIK_WOMAN, "full_name": "Siti Rahayu", "birth_place": "Jakarta",
                "birth_date": "1990-08-17", "gender": "P", "phone": "0812 3456 7000", "village_code": world["village"],
                "address_line": "Jl. Melati 5", "occupation": "penjual-online", "income_base_idr": 1_000_000,
                "programs": ["JKK", "JKM"], "consent": True}
        partner = Client().post("/api/v1/partner/members/", data=json.dumps(body), content_type="application/json",
                              HTTP_AUTHORIZATION=f"Api-Key {world['key']}", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
        assert partner.status_code == 201, partner.content
        # The payment webhook: the payment is booked, its receipt waits in the outbox.
        order = world["order"]
        webhook, headers = signed_webhook(event_id="evt-redis-down", va_number=order.va_number,
                                          amount_idr=order.amount_idr)
        paid, data = webhook_post(Client(), webhook, headers)
        assert paid.status_code == 200, data
        # A bulk upload: stored, its check waits for the sweep.
        client.force_login(world["sponsor"].user)
        upload = client.post("/penyantun/impor/", {"file": SimpleUploadedFile("a.csv", _bulk_file(world["village"]))})
        assert upload.status_code == 302, upload.content
        assert client.get(upload["Location"]).status_code == 200
    assert time.monotonic() - started < 60  # a second or so per publish, never a hang
    assert PhoneCode.objects.count() == 2
    waiting = OutboxMessage.objects.filter(status=OutboxStatus.PENDING, attempts=0)
    assert set(waiting.values_list("purpose", flat=True)) >= {"otp", "receipt", "registration"}
    assert not OutboxMessage.objects.filter(status=OutboxStatus.SENT).exists()  # no sweep could be queued
    item = BulkImport.objects.get()
    assert item.status == "validating" and item.done_rows == 0

    # Redis is back: beat's sweeps (the outbox every minute, stalled bulk jobs every five) deliver everything.
    OutboxMessage.objects.update(created_at=F("created_at") - dt.timedelta(minutes=5))
    BulkImport.objects.update(updated_at=F("updated_at") - dt.timedelta(seconds=settings.BULK_IMPORT_STALE_SECONDS
                                                                          + 60))
    with broker(settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS):
        _purge(QUEUES)
        with start_worker(app, pool="solo", perform_ping_check=False, queues=list(QUEUES), shutdown_timeout=10):
            app.send_task("core.tasks.notification_flush_pending")
            app.send_task("sponsors.tasks.bulk_imports_sweep")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                item.refresh_from_db()
                if item.status != "validating" and not OutboxMessage.objects.filter(
                        status=OutboxStatus.PENDING).exists():
                    break
                time.sleep(0.2)
    item.refresh_from_db()
    assert item.status == "validated" and item.rows.get().status == "accepted"
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    assert app.conf.broker_url == settings.CELERY_BROKER_URL


def test_rate_limits_still_count_while_redis_is_down(settings):
    """Not a free pass: the database cache keeps the per-phone limit while Redis cannot be reached."""
    from core.services import CodeRequestRefused, phone_code_request

    settings.OTP_RESEND_AFTER_SECONDS, settings.OTP_REQUESTS_PER_PHONE_PER_HOUR = 0, 2
    with override_settings(CACHES=CACHES_REDIS_DOWN), broker(UNREACHABLE, {"socket_connect_timeout": 1}):
        phone_code_request(phone="+6281234567890", ip_address="10.0.0.1")
        phone_code_request(phone="+6281234567890", ip_address="10.0.0.1")
        with pytest.raises(CodeRequestRefused):
            phone_code_request(phone="+6281234567890", ip_address="10.0.0.1")
        from django.core.cache import caches

        assert caches["fallback"].get("otp:phone:+6281234567890") == 3


def test_tasks_are_routed_to_their_queues():
    route = app.amqp.router.route
    expected = {
        "core.tasks.notifications_deliver_urgent": "urgent",
        "core.tasks.notifications_deliver_fresh": "default",
        "core.tasks.notification_flush_pending": "default",
        "sponsors.tasks.bulk_import_validate": "bulk",
        "sponsors.tasks.bulk_import_commit": "bulk",
        "ecosystems.tasks.rollups_refresh": "bulk",
        "ecosystems.tasks.rollups_rebuild": "bulk",
        "contributions.tasks.reminders_send": "bulk",
        "contributions.tasks.autodebit_run": "bulk",
        "contributions.tasks.payment_orders_expire": "default",
    }
    assert {name: route({}, name)["queue"].name for name in expected} == expected


def test_a_sign_in_code_is_published_to_the_urgent_queue(settings, django_capture_on_commit_callbacks, monkeypatch):
    """The code's delivery sweep goes to `urgent`, which no bulk job, rollup or reminder run occupies: what the code
    request publishes (through the real publish path) and the queue Celery's own router gives each task."""
    from core.services import outbox, phone_code_request

    # No sweep still due from an earlier test in this process (each kind is queued at most once per interval).
    monkeypatch.setattr(outbox, "_sweep_at", float("-inf"))
    monkeypatch.setattr(outbox, "_urgent_sweep_at", float("-inf"))
    sent = []
    real_publish = outbox.task_publish

    def spy(task, *args, **options):
        sent.append((task.name, app.amqp.router.route(dict(options), task.name, args)["queue"].name))
        return real_publish(task, *args, **options)

    monkeypatch.setattr(outbox, "task_publish", spy)
    settings.NOTIFICATION_SWEEP_SECONDS = 0.0
    with broker(settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS):
        _purge(QUEUES)
        with django_capture_on_commit_callbacks(execute=True):
            phone_code_request(phone="+6281234567890", ip_address=None)
        _purge(QUEUES)
    assert sent == [("core.tasks.notifications_deliver_urgent", "urgent"),
                    ("core.tasks.notifications_deliver_fresh", "default")]
