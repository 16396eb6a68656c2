"""A worker signs in with the code read on the simulated phone: the portal sends it through the SMS gateway backend
to the gateway simulator over HTTP, as in `make run`, and the tester opens the simulator's inbox page."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.models import OutboxMessage, OutboxStatus
from core.notifications.simulator import simulated_receipts_send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gateway(settings, live_server):
    settings.NOTIFICATION_BACKEND = "core.notifications.gateway.GatewayBackend"
    settings.SMS_SIMULATOR_ENABLED = True
    settings.SMS_GATEWAY_URL = live_server.url + "/simulator/sms/api"
    settings.SMS_GATEWAY_CALLBACK_URL = live_server.url + "/api/v1/notifications/receipts/"
    settings.SMS_GATEWAY_API_KEY = settings.SMS_SIMULATOR_API_KEY = "browser-test-key"
    settings.SMS_GATEWAY_CALLBACK_SECRET = settings.SMS_SIMULATOR_CALLBACK_SECRET = "browser-test-secret"
    return settings


def test_a_worker_signs_in_with_the_code_from_the_simulated_phone(page, gateway, shoot):
    page.goto("/masuk/")
    page.locator("#id_phone").fill("0812 3456 7890")
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("#id_code")).to_be_visible()

    with page.context.expect_page() as opened:  # the hint opens the simulated phone in a new tab
        page.locator("main a[href='/simulator/sms/']").click()
    phone = opened.value
    phone.locator("#nomor").fill("0812-3456-7890")
    phone.locator("main form button[type=submit]").click()
    sms = phone.locator(".sms-message .sms-text").first
    expect(sms).to_contain_text("BPJS Ketenagakerjaan")
    shoot(phone, "sms-simulator/01-inbox")
    code = re.search(r"\b(\d{6})\b", sms.inner_text()).group(1)
    phone.close()

    page.locator("#id_code").fill(code)
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/daftar/identitas/$"))  # a new worker goes on to register
    message = OutboxMessage.objects.get(purpose="otp")
    assert message.status == OutboxStatus.SENT and message.provider_reference.startswith("SIM")

    simulated_receipts_send(now=timezone.now() + dt.timedelta(seconds=5))  # the gateway's delivery receipt
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED
