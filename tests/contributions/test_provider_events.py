"""Refused provider notifications are kept (ProviderEvent) in the refusing request, and reconciliation shows the
money a bank may have taken while the portal credited nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import pytest
from django.core.management import call_command

from contributions.models import Payment, ProviderEvent, ProviderEventOutcome
from contributions.providers import SIGNATURE_HEADER, TIMESTAMP_HEADER
from contributions.selectors import refused_provider_money
from contributions.services.payments import payment_order_create
from core.models import Role, User
from tests.contributions.helpers import member_make, signed_webhook, webhook_post
from tests.core.helpers import staff_login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data", "english")]

TODAY = dt.date(2026, 11, 21)


@pytest.fixture
def order(payer):
    member = member_make(billing_start=dt.date(2026, 11, 1))
    return payment_order_create(member=member, months_count=1, payer=payer, today=TODAY)


def only_event() -> ProviderEvent:
    assert ProviderEvent.objects.count() == 1
    return ProviderEvent.objects.get()


def test_a_bad_signature_is_kept_without_the_signature_and_marked_unverified(client, order):
    body, headers = signed_webhook(event_id="evt-forged", va_number=order.va_number, amount_idr=order.amount_idr,
                                   secret="not-the-secret")
    response, _data = webhook_post(client, body, headers)
    assert response.status_code == 401
    event = only_event()
    assert (event.outcome, event.status_code, event.signature_valid, event.kind) == (
        ProviderEventOutcome.BAD_SIGNATURE, 401, False, "payment")
    assert event.body_sha256 == hashlib.sha256(body).hexdigest() and event.body_bytes == len(body)
    assert (event.reference, event.account, event.amount_idr) == ("evt-forged", order.va_number, order.amount_idr)
    assert event.headers[TIMESTAMP_HEADER] == headers[TIMESTAMP_HEADER] and event.headers["signature_present"]
    assert headers[SIGNATURE_HEADER] not in json.dumps(event.headers)
    assert not Payment.objects.exists()


def test_an_unknown_account_is_kept_with_what_it_claimed(client, order):
    body, headers = signed_webhook(event_id="evt-unknown", va_number="880899999999", amount_idr=50_000)
    response, data = webhook_post(client, body, headers)
    assert response.status_code == 409 and data["error"]["code"] == "unknown_account"
    event = only_event()
    assert (event.outcome, event.status_code, event.signature_valid) == ("unknown_account", 409, True)
    assert (event.reference, event.account, event.amount_idr) == ("evt-unknown", "880899999999", 50_000)
    assert event.reason == "no order has this virtual account"


def test_a_wrong_amount_is_kept(client, order):
    body, headers = signed_webhook(event_id="evt-short", va_number=order.va_number, amount_idr=order.amount_idr - 1)
    response, _data = webhook_post(client, body, headers)
    assert response.status_code == 400
    event = only_event()
    assert (event.outcome, event.status_code, event.amount_idr) == ("wrong_amount", 400, order.amount_idr - 1)
    assert not Payment.objects.exists()


def test_a_body_that_is_not_a_notification_is_kept_as_invalid(client, order):
    body, headers = signed_webhook(event_id="evt-x", va_number=order.va_number, amount_idr=order.amount_idr)
    body = body.replace(b'"amount_idr":%d' % order.amount_idr, b'"amount_idr":"lots"')
    from django.conf import settings

    from contributions.providers import sign

    headers[SIGNATURE_HEADER] = sign(body, headers[TIMESTAMP_HEADER], settings.PAYMENT_SIMULATOR_SECRET)
    response, _data = webhook_post(client, body, headers)
    assert response.status_code == 400
    assert only_event().outcome == ProviderEventOutcome.INVALID


def test_accepted_notifications_and_replays_are_not_kept(client, order):
    body, headers = signed_webhook(event_id="evt-ok", va_number=order.va_number, amount_idr=order.amount_idr)
    assert webhook_post(client, body, headers)[0].status_code == 200
    assert webhook_post(client, body, headers)[0].status_code == 200  # a replay
    assert not ProviderEvent.objects.exists()


def test_an_unknown_debit_attempt_is_kept_as_a_debit_event(client):
    from django.conf import settings

    from contributions.providers import sign

    body = json.dumps({"idempotency_key": "no-such-key", "status": "succeeded", "reason": "", "reference": "R1",
                       "amount_idr": 28_400, "charged_at": "2026-11-21T10:00:00+07:00"}).encode()
    import time

    ts = str(int(time.time()))
    response = client.post("/api/v1/payments/webhooks/simulator/debit/", data=body, content_type="application/json",
                           headers={TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(body, ts,
                                                                                 settings.PAYMENT_SIMULATOR_SECRET)})
    assert response.status_code == 409
    event = only_event()
    assert (event.kind, event.outcome, event.reference, event.amount_idr) == (
        "debit", "unknown_attempt", "no-such-key", 28_400)


def test_reconciliation_shows_refused_money_until_the_provider_settles_it(client, order):
    for event_id, va, amount in (("evt-a", "880899999999", 50_000), ("evt-b", order.va_number, 1_000)):
        body, headers = signed_webhook(event_id=event_id, va_number=va, amount_idr=amount)
        webhook_post(client, body, headers)
        webhook_post(client, body, headers)  # the bank retries: one refusal, counted once
    forged, headers = signed_webhook(event_id="evt-f", va_number=va, amount_idr=9_999_999, secret="wrong")
    webhook_post(client, forged, headers)
    refused = refused_provider_money()
    assert (refused.count, refused.amount_idr, refused.unsigned) == (2, 51_000, 1)
    assert {e.reference for e in refused.rows} == {"evt-a", "evt-b"}

    admin = User.objects.create(username="admin-recon", role=Role.ADMIN)
    staff_login(client, admin)
    html = client.get("/staf/rekonsiliasi/").content.decode()
    assert "Money the portal refused" in html and "evt-a" in html and "Rp51,000" in html
    out = io.StringIO()
    call_command("reconcile", stdout=out)
    assert "2 signed notifications claiming 51000" in out.getvalue()

    # The bank sends evt-b again with the right amount: credited, so no longer outstanding.
    body, headers = signed_webhook(event_id="evt-b", va_number=order.va_number, amount_idr=order.amount_idr)
    assert webhook_post(client, body, headers)[0].status_code == 200
    refused = refused_provider_money()
    assert (refused.count, refused.amount_idr) == (1, 50_000)


def test_the_admin_lists_refused_notifications_read_only(client, order):
    body, headers = signed_webhook(event_id="evt-admin", va_number="880899999999", amount_idr=50_000)
    webhook_post(client, body, headers)
    root = User.objects.create(username="root-events", role=Role.ADMIN, is_staff=True, is_superuser=True)
    staff_login(client, root)
    html = client.get("/admin/contributions/providerevent/").content.decode()
    assert "evt-admin" in html and "880899999999" in html
    assert client.get("/admin/contributions/providerevent/add/").status_code == 403
