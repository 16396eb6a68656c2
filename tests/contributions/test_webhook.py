"""The simulator's payment webhook over HTTP: HMAC-SHA256(secret, timestamp + "." + raw body)."""

import datetime as dt
import json
import time

import pytest
import time_machine
from django.utils import timezone

from contributions.models import BillStatus, EntryKind, LedgerEntry, OrderStatus, Payment, PaymentOrder
from contributions.providers import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from contributions.services.payments import payment_order_create
from members.models import MemberStatus
from tests.contributions.helpers import member_make, signed_webhook, webhook_post

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data", "english")]

TODAY = dt.date(2026, 11, 21)


@pytest.fixture
def order(payer):
    member = member_make(billing_start=dt.date(2026, 11, 1))
    return payment_order_create(member=member, months_count=3, payer=payer, today=TODAY)


def _nothing_recorded():
    assert not Payment.objects.exists()
    assert not LedgerEntry.objects.exists()


def _error(data, code):
    assert set(data) == {"error"}, data
    assert data["error"]["code"] == code, data
    assert isinstance(data["error"]["message"], str) and data["error"]["message"]
    return data["error"]


def test_good_signature_records_the_payment(client, order):
    # Nov 2026, Dec 2026, Jan 2027 for a transport worker, all three programs: 28,400 each under PP 50/2025.
    assert order.amount_idr == 3 * 28_400
    body, headers = signed_webhook(event_id="evt-1", va_number=order.va_number, amount_idr=order.amount_idr)
    response, data = webhook_post(client, body, headers)
    assert response.status_code == 200, data
    payment = Payment.objects.get()
    assert data == {"receipt_number": payment.receipt_number, "replay": False}
    assert (payment.provider, payment.provider_reference, payment.amount_idr, payment.channel) == (
        "simulator", "evt-1", 85_200, "va")
    assert payment.order == order and payment.member == order.member
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert list(order.member.bills.values_list("status", flat=True)) == [BillStatus.PAID] * 3
    assert LedgerEntry.objects.filter(kind=EntryKind.RECEIVED).count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.ALLOCATION).count() == 3
    order.member.refresh_from_db()
    assert order.member.status == MemberStatus.ACTIVE


def test_qris_channel_is_recorded(client, order):
    body, headers = signed_webhook(event_id="evt-q", va_number=order.va_number, amount_idr=order.amount_idr,
                                   channel="qris")
    response, _data = webhook_post(client, body, headers)
    assert response.status_code == 200
    assert Payment.objects.get().channel == "qris"


def test_unsigned_request_is_401(client, order):
    body, _headers = signed_webhook(event_id="evt-1", va_number=order.va_number, amount_idr=order.amount_idr)
    response, data = webhook_post(client, body, {})
    assert response.status_code == 401, data
    _error(data, "authentication_failed")
    _nothing_recorded()


def test_timestamp_without_signature_is_401(client, order):
    body, headers = signed_webhook(event_id="evt-1", va_number=order.va_number, amount_idr=order.amount_idr)
    response, _data = webhook_post(client, body, {TIMESTAMP_HEADER: headers[TIMESTAMP_HEADER]})
    assert response.status_code == 401
    _nothing_recorded()


@pytest.mark.parametrize("tamper", ["other secret", "signature of another body", "garbage", "body changed"])
def test_wrong_signature_is_401(client, order, tamper):
    body, headers = signed_webhook(event_id="evt-1", va_number=order.va_number, amount_idr=order.amount_idr)
    ts = headers[TIMESTAMP_HEADER]
    if tamper == "other secret":
        headers[SIGNATURE_HEADER] = sign(body, ts, "not-the-secret")
    elif tamper == "signature of another body":
        headers[SIGNATURE_HEADER] = sign(body + b" ", ts)
    elif tamper == "garbage":
        headers[SIGNATURE_HEADER] = "0" * 64
    else:  # the amount is changed in transit; the signature is for the original body
        body = body.replace(b'"amount_idr":85200', b'"amount_idr":1')
        assert b'"amount_idr":1,' in body
    response, data = webhook_post(client, body, headers)
    assert response.status_code == 401, data
    _error(data, "authentication_failed")
    _nothing_recorded()


def test_signature_bound_to_its_timestamp(client, order):
    body, headers = signed_webhook(event_id="evt-1", va_number=order.va_number, amount_idr=order.amount_idr)
    headers[TIMESTAMP_HEADER] = str(int(headers[TIMESTAMP_HEADER]) - 1)
    response, _data = webhook_post(client, body, headers)
    assert response.status_code == 401
    _nothing_recorded()


@pytest.mark.parametrize("age", [-3600, -301, 302, 3600])  # the check is |now - timestamp| > 300 s
def test_stale_or_future_timestamp_is_401(client, order, age):
    with time_machine.travel(time.time(), tick=False):  # a still clock: the edge is exact on a slow run
        body, headers = signed_webhook(event_id="evt-1", va_number=order.va_number, amount_idr=order.amount_idr,
                                       timestamp=int(time.time()) + age)
        response, data = webhook_post(client, body, headers)
    assert response.status_code == 401, data
    _nothing_recorded()


def test_timestamp_within_five_minutes_is_accepted(client, order):
    body, headers = signed_webhook(event_id="evt-1", va_number=order.va_number, amount_idr=order.amount_idr,
                                   timestamp=int(time.time()) - 240)
    response, _data = webhook_post(client, body, headers)
    assert response.status_code == 200


def test_replay_of_the_same_signed_body_returns_the_first_payment(client, order):
    body, headers = signed_webhook(event_id="evt-1", va_number=order.va_number, amount_idr=order.amount_idr)
    first, first_data = webhook_post(client, body, headers)
    again, again_data = webhook_post(client, body, headers)
    third, third_data = webhook_post(client, body, headers)
    assert first.status_code == again.status_code == third.status_code == 200
    assert first_data["replay"] is False
    assert again_data == third_data == {"receipt_number": first_data["receipt_number"], "replay": True}
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.RECEIVED).count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.ALLOCATION).count() == 3
    assert not LedgerEntry.objects.filter(kind=EntryKind.CREDIT).exists()


def test_replay_with_a_fresh_signature_is_still_a_replay(client, order):
    body, headers = signed_webhook(event_id="evt-1", va_number=order.va_number, amount_idr=order.amount_idr)
    webhook_post(client, body, headers)
    body, headers = signed_webhook(event_id="evt-1", va_number=order.va_number, amount_idr=order.amount_idr,
                                   timestamp=int(time.time()) + 1)
    response, data = webhook_post(client, body, headers)
    assert response.status_code == 200 and data["replay"] is True
    assert LedgerEntry.objects.count() == 1 + 3


@pytest.mark.parametrize("delta", [-1, 1, -28_400])
def test_wrong_amount_is_400(client, order, delta):
    body, headers = signed_webhook(event_id="evt-1", va_number=order.va_number, amount_idr=order.amount_idr + delta)
    response, data = webhook_post(client, body, headers)
    assert response.status_code == 400, data
    error = _error(data, "validation_error")
    assert list(error["fields"]) == ["amount_idr"]
    assert "85200" in error["fields"]["amount_idr"][0]
    _nothing_recorded()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_expired_order_is_409(client, order):
    PaymentOrder.objects.filter(pk=order.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    body, headers = signed_webhook(event_id="evt-1", va_number=order.va_number, amount_idr=order.amount_idr)
    response, data = webhook_post(client, body, headers)
    assert response.status_code == 409, data
    _error(data, "expired")
    _nothing_recorded()


def test_paid_before_expiry_but_delivered_late_is_accepted(client, order):
    """The gateway took the money before the order expired; a late notification must still be credited."""
    paid_at = timezone.now() - dt.timedelta(minutes=10)
    PaymentOrder.objects.filter(pk=order.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1),
                                                    status=OrderStatus.EXPIRED)
    body, headers = signed_webhook(event_id="evt-1", va_number=order.va_number, amount_idr=order.amount_idr,
                                   paid_at=paid_at)
    response, data = webhook_post(client, body, headers)
    assert response.status_code == 200, data
    assert Payment.objects.get().paid_at == paid_at


def test_unknown_account_is_409(client, order):
    body, headers = signed_webhook(event_id="evt-1", va_number="8808000000000000", amount_idr=order.amount_idr)
    response, data = webhook_post(client, body, headers)
    assert response.status_code == 409, data
    _error(data, "unknown_account")
    _nothing_recorded()


def test_order_paid_under_another_reference_is_409(client, order):
    body, headers = signed_webhook(event_id="evt-1", va_number=order.va_number, amount_idr=order.amount_idr)
    assert webhook_post(client, body, headers)[0].status_code == 200
    body, headers = signed_webhook(event_id="evt-2", va_number=order.va_number, amount_idr=order.amount_idr)
    response, data = webhook_post(client, body, headers)
    assert response.status_code == 409, data
    _error(data, "already_paid")
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.RECEIVED).count() == 1


def test_signed_but_not_json_is_400(client, order):
    body = b"not json"
    ts = str(int(time.time()))
    response, data = webhook_post(client, body, {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(body, ts)})
    assert response.status_code == 400
    _error(data, "validation_error")
    _nothing_recorded()


def test_signed_with_missing_fields_is_400(client, order):
    body = json.dumps({"event_id": "evt-1", "va_number": order.va_number}).encode()
    ts = str(int(time.time()))
    response, data = webhook_post(client, body, {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(body, ts)})
    assert response.status_code == 400
    error = _error(data, "validation_error")
    assert {"amount_idr", "channel", "paid_at"} <= set(error["fields"])
    _nothing_recorded()


def test_paid_at_without_time_zone_is_400(client, order):
    body = json.dumps({"event_id": "evt-1", "va_number": order.va_number, "amount_idr": order.amount_idr,
                       "channel": "va", "paid_at": "2026-11-21T10:00:00"}, separators=(",", ":")).encode()
    ts = str(int(time.time()))
    response, data = webhook_post(client, body, {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(body, ts)})
    assert response.status_code == 400
    assert list(_error(data, "validation_error")["fields"]) == ["paid_at"]
    _nothing_recorded()


def test_get_is_not_allowed(client):
    response = client.get("/api/v1/payments/webhooks/simulator/")
    assert response.status_code == 405


def test_no_secret_no_endpoint(client, order, settings):
    body, headers = signed_webhook(event_id="evt-1", va_number=order.va_number, amount_idr=order.amount_idr)
    settings.PAYMENT_SIMULATOR_SECRET = ""
    response, _data = webhook_post(client, body, headers)
    assert response.status_code == 404
    _nothing_recorded()


def test_signature_follows_the_configured_secret(client, order, settings):
    settings.PAYMENT_SIMULATOR_SECRET = "rotated-secret"
    body, headers = signed_webhook(event_id="evt-1", va_number=order.va_number, amount_idr=order.amount_idr,
                                   secret="dev-only-simulator-secret")
    assert webhook_post(client, body, headers)[0].status_code == 401
    body, headers = signed_webhook(event_id="evt-1", va_number=order.va_number, amount_idr=order.amount_idr)
    response, data = webhook_post(client, body, headers)
    assert response.status_code == 200 and data["replay"] is False
