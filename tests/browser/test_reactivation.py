"""A lapsed member reactivates with the same participant number and can pay again."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from contributions.models import Bill
from members.models import MemberStatus
from tests.core.helpers import last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lapsed_member_reactivates(page, shoot, registration_data, worker_user):
    from django.utils import timezone

    from contributions.services.membership import member_lapse_if_unpaid
    from enrollment.services import member_register
    from members.models import Member

    member = member_register(data=registration_data(), user=worker_user, actor=worker_user)
    today = timezone.localdate()
    start = (today.replace(day=1) - dt.timedelta(days=95)).replace(day=1)
    Member.objects.filter(pk=member.pk).update(billing_start=start)
    from contributions.services.billing import bill_for_month

    month = start
    while month < today.replace(day=1):
        bill_for_month(member=member, month=month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    assert member_lapse_if_unpaid(member_id=member.pk, today=today)

    page.goto("/masuk/")
    page.locator("#id_phone").fill("0812-3456-7890")
    page.locator("main button.primary").click()
    expect(page.locator("#id_code")).to_be_visible()  # the code is sent before this page answers
    page.locator("#id_code").fill(last_code("+6281234567890"))
    page.locator("main button.primary").click()
    expect(page.locator(".status")).to_contain_text("Tidak aktif")
    page.locator("main").get_by_role("link", name="Aktifkan kembali kepesertaan saya").click()
    shoot(page, "id/40-lapsed")
    page.get_by_role("button", name="Aktifkan kembali kepesertaan saya").click()
    expect(page).to_have_url(re.compile(r"/anggota/bayar/$"))  # reactivated: on to paying
    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE and member.billing_start == today.replace(day=1)
    assert not Bill.objects.filter(member=member, status="open", month__lt=today.replace(day=1)).exists()
    assert member.kpj
