"""A member chooses WhatsApp and English for reminders, makes a mistake with email, and fixes it."""

import pytest
from playwright.sync_api import expect

from tests.core.helpers import last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_chooses_how_reminders_arrive(page, shoot, registration_data, worker_user):
    from enrollment.services import member_register
    from members.models import Member

    member = member_register(data=registration_data(), user=worker_user, actor=worker_user)
    page.goto("/masuk/")
    page.locator("#id_phone").fill("0812-3456-7890")
    page.locator("main button.primary").click()
    expect(page.locator("#id_code")).to_be_visible()  # the code is sent before this page answers
    page.locator("#id_code").fill(last_code("+6281234567890"))
    page.locator("main button.primary").click()
    page.locator("main").get_by_role("link", name="Pesan dan pengingat").click()
    shoot(page, "id/50-message-preferences")

    page.get_by_label("Email", exact=True).check()
    page.get_by_label("English").check()
    page.get_by_role("button", name="Simpan").click()
    error = page.locator("#id_email_error")
    expect(error).to_contain_text("Silakan isi alamat email Anda")
    expect(page.get_by_label("English")).to_be_checked()  # nothing typed or chosen is lost
    shoot(page, "id/51-message-preferences-error")

    page.get_by_label("WhatsApp").check()
    page.get_by_label("Jangan kirimi saya pengingat pembayaran").check()
    page.get_by_role("button", name="Simpan").click()
    expect(page.locator("main")).to_contain_text("Tersimpan")  # saved before the row is read
    member.refresh_from_db()
    assert (member.notify_channel, member.language, member.reminders_opt_out) == ("whatsapp", "en", True)
    assert Member.objects.count() == 1
