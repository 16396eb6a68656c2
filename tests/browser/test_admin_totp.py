"""The first admin, made with `createsuperuser`, opens /admin/: staff sign-in, TOTP set-up, then the admin."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.core.helpers import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-test-password"


def test_a_new_superuser_sets_up_totp_before_the_admin_opens(page, shoot, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", interactive=False, username="kepala", email="kepala@bpu.example", verbosity=0)

    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/akun/login/\?next=%2Fadmin%2F$"))  # the staff sign-in, not Django's
    page.locator("input[name=login]").fill("kepala")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()

    # On to TOTP set-up before any staff or admin page; allauth asks for the password once more before MFA changes.
    expect(page).to_have_url(re.compile(r"/akun/(reauthenticate/\?next=%2Fakun%2F2fa%2Ftotp%2Factivate%2F|2fa/totp/activate/)$"))
    if "/reauthenticate/" in page.url:
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/akun/2fa/totp/activate/$"))
    page.goto("/staf/")
    expect(page).to_have_url(re.compile(r"/akun/2fa/totp/activate/$"))
    secret = page.locator("#authenticator_secret").input_value()
    shoot(page, "staff/admin-01-totp-setup")
    page.locator("input[name=code]").fill(totp_code(secret))
    page.locator("main form button[type=submit]").first.click()
    expect(page).not_to_have_url(re.compile(r"/totp/activate/"))

    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.locator("#site-name")).to_be_visible()
    shoot(page, "staff/admin-02-admin")
    page.goto("/staf/")
    expect(page).to_have_url(re.compile(r"/staf/$"))
