"""Staff sign in with username, password and TOTP, then read the notification outbox."""

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value

from core.models import OutboxMessage, Role, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SECRET = "JBSWY3DPEHPK3PXPTESTAAAA"


def _code():
    return format_hotp_value(hotp_value(SECRET, int(time.time()) // 30))


def test_staff_sign_in_with_totp_and_outbox(page, shoot):
    user = User.objects.create(username="petugas", role=Role.BRANCH_STAFF)
    user.set_password("a-long-test-password")
    user.save()
    TOTP.activate(user, SECRET)
    OutboxMessage.objects.create(channel="sms", recipient="+6281234567890", body="Selamat datang KPJ 12345678901",
                                 purpose="registration", status="sent")

    page.goto("/staf/kotak-keluar/")
    page.locator("input[name=login]").fill("petugas")
    page.locator("input[name=password]").fill("a-long-test-password")
    shoot(page, "staff/01-sign-in")
    page.locator("main form button[type=submit]").first.click()
    # A wrong TOTP code is refused; the right one lets the staff member in.
    page.locator("input[name=code]").fill("000000" if _code() != "000000" else "111111")
    page.locator("main form button[type=submit]").first.click()
    assert page.locator("input[name=code]").is_visible()
    page.locator("input[name=code]").fill(_code())
    shoot(page, "staff/02-totp")
    page.locator("main form button[type=submit]").first.click()
    page.goto("/staf/kotak-keluar/")
    assert "Selamat datang KPJ 12345678901" in page.locator(".outbox").inner_text()
    shoot(page, "staff/03-outbox")


def test_staff_without_totp_must_set_it_up(page):
    user = User.objects.create(username="baru", role=Role.SUPERVISOR)
    user.set_password("a-long-test-password")
    user.save()
    page.goto("/akun/login/")
    page.locator("input[name=login]").fill("baru")
    page.locator("input[name=password]").fill("a-long-test-password")
    page.locator("main form button[type=submit]").first.click()
    page.goto("/staf/kotak-keluar/")
    # allauth asks for the password once more before showing the TOTP set-up page.
    assert "totp%2Factivate" in page.url or "/akun/2fa/totp/activate/" in page.url
    if "reauthenticate" in page.url:
        page.locator("input[name=password]").fill("a-long-test-password")
        page.locator("main form button[type=submit]").first.click()
    assert "/akun/2fa/totp/activate/" in page.url
    assert page.locator("input[name=code]").is_visible()
