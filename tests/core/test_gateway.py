"""The SMS/WhatsApp gateway backend against the gateway simulator over real HTTP (the live server), its retries,
the signed delivery receipts, and the simulator's own API and inbox page."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.utils import timezone

from core.models import Channel, OutboxMessage, OutboxStatus, SimulatedMessage
from core.notifications.gateway import receipt_body, sign
from core.notifications.simulator import simulated_receipts_send
from core.services import notification_deliver, notification_enqueue, notification_flush_pending, phone_code_request

PHONE = "+6281234567890"
KEY = "test-gateway-key"
SECRET = "test-callback-secret"
RECEIPTS = "/api/v1/notifications/receipts/"
SEND = "/simulator/sms/api/v1/messages"


@pytest.fixture
def gateway(settings):
    """The gateway backend pointed at a base URL the test gives (the live server's simulator by default)."""
    settings.NOTIFICATION_BACKEND = "core.notifications.gateway.GatewayBackend"
    settings.SMS_SIMULATOR_ENABLED = True
    settings.SMS_GATEWAY_API_KEY = settings.SMS_SIMULATOR_API_KEY = KEY
    settings.SMS_GATEWAY_CALLBACK_SECRET = settings.SMS_SIMULATOR_CALLBACK_SECRET = SECRET
    settings.SMS_GATEWAY_READ_TIMEOUT_SECONDS = 5.0
    settings.SMS_SIMULATOR_RECEIPT_DELAY_SECONDS = 1.0
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 60
    return settings


@pytest.fixture
def simulator(gateway, live_server):
    gateway.SMS_GATEWAY_URL = live_server.url + "/simulator/sms/api"
    gateway.SMS_GATEWAY_CALLBACK_URL = live_server.url + RECEIPTS
    return live_server


def _later(seconds: int = 5) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def _sms(recipient: str = PHONE, body: str = "Iuran Mei diterima", **kwargs) -> OutboxMessage:
    return OutboxMessage.objects.create(channel=kwargs.pop("channel", Channel.SMS), recipient=recipient, body=body,
                                        purpose=kwargs.pop("purpose", "receipt"), **kwargs)


# --- sending through the simulator over HTTP ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_sign_in_code_goes_through_the_gateway_and_its_receipt_marks_it_delivered(simulator):
    phone_code_request(phone=PHONE, ip_address="127.0.0.1")  # commits: the outbox sweep sends it at once

    message = OutboxMessage.objects.get(purpose="otp")
    assert message.status == OutboxStatus.SENT and message.attempts == 1
    simulated = SimulatedMessage.objects.get()
    assert message.provider_reference == simulated.message_id and simulated.message_id.startswith("SIM")
    assert (simulated.channel, simulated.recipient) == ("sms", PHONE)
    assert re.search(r"\b\d{6}\b", simulated.text).group() in message.body  # the phone got the code
    assert simulated.callback_url == simulator.url + RECEIPTS

    assert simulated_receipts_send(now=_later()) == {"handled": 1, "failed": 0, "skipped": 0}
    message.refresh_from_db()
    simulated.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED and message.receipt_at is not None
    assert (simulated.receipt_answer, simulated.receipt_due_at, simulated.receipt_attempts) == (200, None, 1)
    assert simulated_receipts_send(now=_later(3600))["handled"] == 0  # taken: never sent again


@pytest.mark.django_db(transaction=True)
def test_a_phone_that_is_off_gets_a_failed_receipt(simulator):
    message = _sms(recipient="+6281234560410")
    notification_deliver(message_id=message.pk)
    simulated_receipts_send(now=_later())
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED and message.receipt_at is not None
    assert message.last_error == "gateway: unreachable"


@pytest.mark.django_db(transaction=True)
def test_a_failed_whatsapp_receipt_sends_the_message_by_sms(simulator):
    message = _sms(channel=Channel.WHATSAPP, recipient="+6281234560410", fallback_channel=Channel.SMS,
                   fallback_recipient=PHONE)
    notification_deliver(message_id=message.pk)
    simulated_receipts_send(now=_later())
    message.refresh_from_db()
    assert (message.channel, message.recipient, message.status) == (Channel.SMS, PHONE, OutboxStatus.PENDING)
    assert message.last_error == "whatsapp: gateway: unreachable"
    notification_flush_pending()
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert list(SimulatedMessage.objects.order_by("pk").values_list("channel", "recipient")) == [
        ("whatsapp", "+6281234560410"), ("sms", PHONE)]


@pytest.mark.django_db(transaction=True)
def test_a_5xx_is_tried_again_after_the_backoff_and_sent_once(simulator):
    message = _sms(recipient="+6281234560503")  # the simulator answers 503 to the first try
    notification_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert message.last_error == "gateway: HTTP 503 temporarily_unavailable"
    assert message.next_attempt_at > timezone.now() + dt.timedelta(seconds=55)
    assert notification_flush_pending()["handled"] == 0  # not before the backoff is over
    assert not SimulatedMessage.objects.exists()

    with time_machine.travel(message.next_attempt_at + dt.timedelta(seconds=1), tick=True):
        assert notification_flush_pending()["handled"] == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 2)
    assert SimulatedMessage.objects.get().message_id == message.provider_reference


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("recipient, key, error", [
    ("+6281234560400", KEY, "gateway: HTTP 400 invalid_recipient"),
    (PHONE, "a-wrong-key", "gateway: HTTP 401 unauthorized"),
])
def test_a_4xx_is_a_permanent_failure(simulator, gateway, recipient, key, error):
    gateway.SMS_GATEWAY_API_KEY = key
    message = _sms(recipient=recipient)
    notification_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.FAILED, 1, error)
    assert not SimulatedMessage.objects.exists()
    assert notification_flush_pending(older_than_seconds=0)["handled"] == 0


class _SlowGateway(BaseHTTPRequestHandler):
    release = threading.Event()

    def do_POST(self):  # noqa: N802 - the http.server name
        self.rfile.read(int(self.headers["Content-Length"]))
        self.release.wait(5)  # answers only after the client gave up
        self.send_response(202)
        self.end_headers()
        self.wfile.write(b'{"id": "late", "status": "accepted"}')

    def log_message(self, *args):
        pass


@pytest.mark.django_db
def test_a_timeout_and_a_refused_connection_are_tried_again(gateway):
    _SlowGateway.release.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    gateway.SMS_GATEWAY_READ_TIMEOUT_SECONDS = 0.3
    gateway.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}"
    try:
        message = _sms()
        notification_deliver(message_id=message.pk)
    finally:
        _SlowGateway.release.set()
        server.shutdown()
        server.server_close()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.PENDING, 1, "gateway: timeout")

    gateway.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}"  # closed now: nobody listens
    with time_machine.travel(message.next_attempt_at + dt.timedelta(seconds=1), tick=True):
        notification_flush_pending()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 2)
    assert message.last_error == "gateway: ConnectionError"
    assert message.next_attempt_at > timezone.now() + dt.timedelta(seconds=115)  # doubled


@pytest.mark.django_db(transaction=True)
def test_the_last_retry_gives_up(simulator, gateway):
    gateway.NOTIFICATION_MAX_ATTEMPTS = 1
    message = _sms(recipient="+6281234560503")
    notification_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED


# --- the simulator's API (Django test client) ---------------------------------------------------------------


def _send(client, payload=None, key=KEY, idempotency="outbox-1-sms"):
    body = payload if payload is not None else {"channel": "sms", "to": PHONE, "text": "Halo",
                                                "callback_url": "http://127.0.0.1:9/receipts/"}
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if idempotency:
        headers["HTTP_IDEMPOTENCY_KEY"] = idempotency
    return client.post(SEND, json.dumps(body) if isinstance(body, dict) else body, content_type="application/json",
                       **headers)


@pytest.mark.django_db
def test_the_simulator_keeps_one_message_per_idempotency_key(client, gateway):
    first = _send(client)
    again = _send(client)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] == SimulatedMessage.objects.get().message_id


@pytest.mark.django_db
@pytest.mark.parametrize("change, status, code", [
    ({"key": "wrong"}, 401, "unauthorized"),
    ({"key": ""}, 401, "unauthorized"),
    ({"idempotency": ""}, 400, "idempotency_key_required"),
    ({"payload": "not json"}, 400, "invalid_json"),
    ({"payload": "[1, 2]"}, 400, "invalid_json"),
    ({"payload": {"channel": "pigeon", "to": PHONE, "text": "x", "callback_url": "http://a/"}}, 400,
     "invalid_channel"),
    ({"payload": {"channel": "sms", "to": "0812", "text": "x", "callback_url": "http://a/"}}, 400,
     "invalid_recipient"),
    ({"payload": {"channel": "sms", "to": PHONE, "text": "", "callback_url": "http://a/"}}, 400, "invalid_text"),
    ({"payload": {"channel": "sms", "to": PHONE, "text": "x", "callback_url": "ftp://a/"}}, 400,
     "invalid_callback_url"),
])
def test_the_simulator_refuses_bad_requests_and_stores_nothing(client, gateway, change, status, code):
    response = _send(client, **change)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert not SimulatedMessage.objects.exists()


@pytest.mark.django_db
def test_the_simulator_is_not_there_when_switched_off(client, gateway):
    gateway.SMS_SIMULATOR_ENABLED = False
    assert _send(client).status_code == 404
    assert client.get("/simulator/sms/").status_code == 404
    assert not SimulatedMessage.objects.exists()


@pytest.mark.django_db
def test_the_inbox_page_shows_a_phones_messages(client, gateway):
    _send(client, {"channel": "sms", "to": PHONE, "text": "975310 adalah kode BPU Anda",
                   "callback_url": "http://127.0.0.1:9/r/"})
    _send(client, {"channel": "whatsapp", "to": "+6281299998888", "text": "Iuran diterima",
                   "callback_url": "http://127.0.0.1:9/r/"}, idempotency="outbox-2-whatsapp")
    html = client.get("/simulator/sms/").content.decode()
    assert "0812-3456-7890" in html and "0812-9999-8888" in html and "975310" not in html  # phones only
    response = client.get("/simulator/sms/", {"nomor": "0812 3456 7890"})
    html = response.content.decode()
    assert "975310 adalah kode BPU Anda" in html and "Iuran diterima" not in html
    assert 'class="messages"' not in html  # the inbox is not mistaken for the page's messages box
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    client.cookies["bpu_lang"] = "en"
    assert "This is not a phone number." in client.get("/simulator/sms/", {"nomor": "abc"}).content.decode()


# --- signed delivery receipts --------------------------------------------------------------------------------------


def _post_receipt(client, body: bytes, *, timestamp: int | None = None, secret: str = SECRET, signature=None):
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return client.post(RECEIPTS, body, content_type="application/json", HTTP_X_GATEWAY_TIMESTAMP=stamp,
                       HTTP_X_GATEWAY_SIGNATURE=signature or sign(body, stamp, secret))


@pytest.fixture
def sent(gateway):
    return _sms(status=OutboxStatus.SENT, attempts=1, provider_reference="SIMABC123", sent_at=timezone.now())


def _receipt(message_id="SIMABC123", status="delivered", reported_at=None, **extra) -> bytes:
    body = json.loads(receipt_body(message_id=message_id, status=status,
                                   reported_at=reported_at or timezone.now().isoformat()))
    body.update(extra)
    return json.dumps(body).encode()


def _unchanged(message: OutboxMessage) -> bool:
    message.refresh_from_db()
    return message.status == OutboxStatus.SENT and message.receipt_at is None and message.last_error == ""


@pytest.mark.django_db
def test_a_signed_receipt_marks_the_message_and_a_replay_changes_nothing(client, sent):
    reported = timezone.now().replace(microsecond=0) - dt.timedelta(seconds=20)
    response = _post_receipt(client, _receipt(reported_at=reported.isoformat()))
    assert response.status_code == 200 and response.json() == {"status": "delivered", "replay": False}
    sent.refresh_from_db()
    assert sent.status == OutboxStatus.DELIVERED and sent.receipt_at == reported
    response = _post_receipt(client, _receipt(status="failed"))
    assert response.status_code == 200 and response.json() == {"status": "delivered", "replay": True}
    sent.refresh_from_db()
    assert sent.status == OutboxStatus.DELIVERED and sent.receipt_at == reported


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["bad signature", "other secret", "no headers", "stale", "future", "not digits"])
def test_a_receipt_with_a_bad_or_stale_signature_is_refused(client, sent, case):
    # The clock stands still, so a stamp one second past the window is past it when checked, however slow the run.
    with time_machine.travel(time.time(), tick=False):
        response = _refused_receipt_post(client, case)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert _unchanged(sent)


def _refused_receipt_post(client, case: str):
    body = _receipt()
    if case == "bad signature":
        response = _post_receipt(client, body, signature="0" * 64)
    elif case == "other secret":
        response = _post_receipt(client, body, secret="someone-else")
    elif case == "no headers":
        response = client.post(RECEIPTS, body, content_type="application/json")
    elif case == "stale":
        response = _post_receipt(client, body, timestamp=int(time.time()) - 301)
    elif case == "future":
        response = _post_receipt(client, body, timestamp=int(time.time()) + 301)
    else:
        response = client.post(RECEIPTS, body, content_type="application/json", HTTP_X_GATEWAY_TIMESTAMP="1e9",
                               HTTP_X_GATEWAY_SIGNATURE=sign(body, "1e9", SECRET))
    return response


@pytest.mark.django_db
@pytest.mark.parametrize("make, status", [
    (lambda: _receipt(message_id="SIMUNKNOWN"), 404),
    (lambda: _receipt(message_id=""), 400),
    (lambda: _receipt(status="read"), 400),
    (lambda: _receipt(reported_at="2026-12-07T10:00:00"), 400),  # no time zone
    (lambda: _receipt(reported_at="yesterday"), 400),
    (lambda: _receipt(reported_at="2026-13-45T99:00:00+07:00"), 400),
    (lambda: b"not json", 400),
    (lambda: b"[]", 400),
])
def test_a_signed_receipt_that_names_no_message_of_ours_is_a_4xx(client, sent, make, status):
    response = _post_receipt(client, make())
    assert response.status_code == status
    assert "error" in response.json()
    assert _unchanged(sent)


@pytest.mark.django_db
def test_receipts_are_off_without_a_callback_secret(client, sent, gateway):
    body = _receipt()
    gateway.SMS_GATEWAY_CALLBACK_SECRET = ""
    assert _post_receipt(client, body).status_code == 404
    assert _unchanged(sent)


@pytest.mark.django_db(transaction=True)
def test_a_receipt_the_portal_refuses_is_sent_again_later(simulator):
    message = _sms()
    notification_deliver(message_id=message.pk)
    message.refresh_from_db()
    reference = message.provider_reference
    # The receipt outran the send's answer: the portal does not know the gateway's id yet and says 404.
    OutboxMessage.objects.filter(pk=message.pk).update(provider_reference="")
    assert simulated_receipts_send(now=_later())["failed"] == 1
    simulated = SimulatedMessage.objects.get()
    assert (simulated.receipt_answer, simulated.receipt_attempts) == (404, 1)
    assert simulated.receipt_due_at > timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).update(provider_reference=reference)
    assert simulated_receipts_send()["handled"] == 0  # not yet: backoff
    assert simulated_receipts_send(now=simulated.receipt_due_at + dt.timedelta(seconds=1))["handled"] == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED


@pytest.mark.django_db
def test_enqueue_through_the_gateway_keeps_the_message_when_the_gateway_is_away(gateway):
    gateway.SMS_GATEWAY_URL = "http://127.0.0.1:9"  # discard port: nothing answers
    message = notification_enqueue(channel=Channel.SMS, recipient=PHONE, body="Halo", purpose="receipt")
    notification_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.last_error == "gateway: ConnectionError"
