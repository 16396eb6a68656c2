"""A member sets up auto-debit on a phone (details, then the consent text with the maximum), sees it on the page,
is charged by the run, and revokes it. Screenshots at 360 px."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contributions.models import DebitAttempt, DebitMandate, MandateStatus
from contributions.services.autodebit import autodebit_run
from tests.core.helpers import last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page):
    page.goto("/masuk/")
    page.locator("#id_phone").fill("0812-3456-7890")
    page.locator("main button.primary").click()
    expect(page.locator("#id_code")).to_be_visible()  # the code is sent before this page answers
    page.locator("#id_code").fill(last_code("+6281234567890"))
    page.locator("main button.primary").click()
    expect(page).to_have_url(re.compile(r"/anggota/$"))  # signed in before the next page is asked for


def test_member_sets_up_sees_and_revokes_auto_debit(page, shoot, registration_data, worker_user, settings):
    from enrollment.services import member_register

    settings.PAYMENT_SIMULATOR_ENABLED = True
    member = member_register(data=registration_data(), user=worker_user, actor=worker_user)
    _sign_in(page)
    page.goto("/anggota/iuran/")
    page.locator("#autodebit-link a").click()
    page.locator("#setup-link").click()
    expect(page.locator("#test-accounts")).to_be_visible()  # simulator mode: test numbers listed
    shoot(page, "id/60-autodebit-setup")

    # A mistake first: the error sits next to the field and what was typed stays.
    page.locator("label", has=page.locator("input[name=method][value=bank]")).click()
    page.locator("#id_issuer").select_option("BCA")
    page.locator("#id_account").fill("12ab")
    page.locator("#id_max_amount").fill("150000")
    page.locator("main button.primary").click()
    expect(page.locator("#id_account_error")).to_be_visible()
    expect(page.locator("#id_max_amount")).to_have_value("150000")
    shoot(page, "id/61-autodebit-error")

    page.locator("#id_account").fill("0123 4567 89")
    page.locator("main button.primary").click()
    consent = page.locator("#consent-text")
    for part in ("•••• 6789", "150.000", member.kpj):
        expect(consent).to_contain_text(part)
    page.locator("main button.primary").click()  # no tick: asked again, nothing lost
    expect(page.locator("#id_consent_error")).to_be_visible()
    shoot(page, "id/62-autodebit-consent")
    page.locator("#id_consent").check()
    page.locator("main button.primary").click()

    expect(page.locator("#mandate.status-active")).to_be_visible()  # saved: the page shows it
    mandate = DebitMandate.objects.get(member=member)
    assert mandate.max_amount_idr == 150_000 and mandate.consent_ip == "127.0.0.1"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shoot(page, "id/63-autodebit-on")

    autodebit_run(month=timezone.localdate().replace(day=1))
    assert DebitAttempt.objects.get().status == "succeeded"
    page.reload()
    expect(page.locator("#attempts li")).to_have_count(1)
    shoot(page, "id/64-autodebit-paid")

    page.locator("#revoke button").click()
    page.locator("#revoke-confirm button").click()  # are you sure: yes
    expect(page.locator("#setup-link")).to_be_visible()  # revoked: set-up offered again
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.REVOKED
    shoot(page, "id/65-autodebit-revoked")
