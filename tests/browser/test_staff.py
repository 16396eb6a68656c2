"""Staff sign in with username, password and TOTP, then read the notification outbox."""

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from playwright.sync_api import expect

from core.models import JobRun, OutboxMessage, Role, User
from tests.core.helpers import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SECRET = "JBSWY3DPEHPK3PXPTESTAAAA"


def _code():
    return totp_code(SECRET)


def test_staff_sign_in_with_totp_and_outbox(page, shoot):
    user = User.objects.create(username="adminpusat", role=Role.ADMIN)  # the outbox is for admins only
    user.set_password("a-long-test-password")
    user.save()
    TOTP.activate(user, SECRET)
    OutboxMessage.objects.create(channel="sms", recipient="+6281234567890", body="Selamat datang KPJ 12345678901",
                                 purpose="registration", status="sent")
    OutboxMessage.objects.create(channel="sms", recipient="+6281234567890", body="482913 adalah kode BPU Anda",
                                 purpose="otp", status="delivered", provider_reference="SIM0123456789")

    page.goto("/staf/kotak-keluar/")
    page.locator("input[name=login]").fill("adminpusat")
    page.locator("input[name=password]").fill("a-long-test-password")
    shoot(page, "staff/01-sign-in")
    page.locator("main form button[type=submit]").first.click()
    # A wrong TOTP code is refused; the right one lets the staff member in.
    expect(page.locator("input[name=code]")).to_be_visible()
    page.locator("input[name=code]").fill("000000" if _code() != "000000" else "111111")
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("#id_code_error")).to_be_visible()  # refused: asked again
    expect(page.locator("input[name=code]")).to_be_visible()
    page.locator("input[name=code]").fill(_code())
    shoot(page, "staff/02-totp")
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("input[name=code]")).to_have_count(0)  # signed in before the next page is asked for
    page.goto("/staf/kotak-keluar/")
    outbox = page.locator(".outbox")
    expect(outbox).to_contain_text("Selamat datang KPJ 12345678901")
    expect(outbox).to_contain_text("SIM0123456789")  # the code's message: to whom, when, the gateway's id
    assert "482913" not in outbox.inner_text()  # but never the code
    shoot(page, "staff/03-outbox")

    # Last night's scheduled jobs, without reading logs.
    from contributions.tasks import members_lapse

    members_lapse.delay()
    JobRun.objects.create(job="outbox.retry", status="failed", errors="Traceback …\nConnectionError: sms gateway")
    page.goto("/staf/")
    page.get_by_role("link", name="Jalannya tugas terjadwal").click()
    for text in ("Peserta nonaktif setelah 3 bulan tidak membayar", "Belum pernah berjalan"):
        expect(page.locator("table.jobs")).to_contain_text(text)
    page.locator("details summary", has_text="Kesalahan").first.click()
    expect(page.locator("pre.errors").first).to_contain_text("ConnectionError: sms gateway")
    shoot(page, "staff/04-job-runs")


def test_staff_without_totp_must_set_it_up(page):
    user = User.objects.create(username="baru", role=Role.SUPERVISOR)
    user.set_password("a-long-test-password")
    user.save()
    page.goto("/akun/login/")
    page.locator("input[name=login]").fill("baru")
    page.locator("input[name=password]").fill("a-long-test-password")
    page.locator("main form button[type=submit]").first.click()
    expect(page).not_to_have_url(re.compile("/akun/login/"))  # signed in by password before the next page
    page.goto("/staf/kotak-keluar/")
    # allauth asks for the password once more before showing the TOTP set-up page.
    assert "totp%2Factivate" in page.url or "/akun/2fa/totp/activate/" in page.url
    if "reauthenticate" in page.url:
        page.locator("input[name=password]").fill("a-long-test-password")
        page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile("/akun/2fa/totp/activate/"))
    expect(page.locator("input[name=code]")).to_be_visible()


def test_staff_reads_a_member_account_and_the_reconciliation(page, shoot, registration_data, worker_user):
    import datetime as dt

    from django.utils import timezone

    from contributions.services.payments import payment_confirm, payment_order_create
    from enrollment.services import member_register

    member = member_register(data=registration_data(), user=worker_user, actor=worker_user)
    order = payment_order_create(member=member, months_count=3, payer=worker_user)
    payment_confirm(provider="simulator", reference="evt-1", va_number=order.va_number, amount_idr=order.amount_idr,
                    channel="va", paid_at=timezone.now() - dt.timedelta(minutes=1))

    user = User.objects.create(username="admin", role=Role.ADMIN)  # national: any member; reconciliation is theirs
    user.set_password("a-long-test-password")
    user.save()
    TOTP.activate(user, SECRET)
    page.goto("/staf/peserta/")
    page.locator("input[name=login]").fill("admin")
    page.locator("input[name=password]").fill("a-long-test-password")
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("input[name=code]")).to_be_visible()  # the code is taken once its form is there
    page.locator("input[name=code]").fill(_code())
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("input[name=code]")).to_have_count(0)  # signed in before the next page is asked for
    page.goto("/staf/peserta/")
    page.locator("#q").fill(member.kpj)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text(member.nik_masked)  # masked until asked for
    page.get_by_role("button", name="Tampilkan NIK (dicatat)").click()
    expect(page.locator("main")).to_contain_text(member.nik)  # a deliberate show, recorded
    text = page.locator("main").inner_text()
    assert text.count("Dialokasikan ke satu bulan") == 3
    shoot(page, "staff/04-member-account")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.goto("/staf/rekonsiliasi/")
    expect(page.locator("main")).to_contain_text("Seimbang sampai ke rupiah")
    shoot(page, "staff/05-reconciliation")


def test_branch_staff_read_the_rules_and_their_sources(page, shoot, reference_data):
    """The figures behind every bill and benefit, from the staff menu, at a desk (1280 px) and on a phone."""
    from claims.models import BenefitRule, ScholarshipLevel
    from claims.seed import claims_reference_seed

    claims_reference_seed(BenefitRule, ScholarshipLevel)
    user = User.objects.create(username="petugas2", role=Role.BRANCH_STAFF)
    user.set_password("a-long-test-password")
    user.save()
    TOTP.activate(user, SECRET)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/staf/")
    page.locator("input[name=login]").fill("petugas2")
    page.locator("input[name=password]").fill("a-long-test-password")
    page.locator("main form button[type=submit]").first.click()
    page.locator("input[name=code]").fill(_code())
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("input[name=code]")).to_have_count(0)
    page.goto("/staf/")
    page.get_by_role("link", name="Aturan dan angka").click()
    expect(page.locator("h1")).to_have_text("Aturan dan angka")
    death = page.locator("#rule-jkk_death_multiple-2019-12-02")
    expect(death).to_contain_text("48 × penghasilan yang dilaporkan")
    expect(death).to_contain_text("PP 82/2019")
    expect(page.locator("#rule-jkm_lump_sum-2019-12-02")).to_contain_text("Rp20.000.000")
    shoot(page, "staff/05-rules-desk")
    page.set_viewport_size({"width": 360, "height": 800})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shoot(page, "staff/06-rules-phone")
