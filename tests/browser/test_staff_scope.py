"""Regional staff on a laptop look a member up by NIK: the search is a POST, so no URL the browser asks for (and no
access log) holds the NIK; a member of another province is not found; the full NIK shows only on a recorded ask."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from playwright.sync_api import expect

from core.models import AuditEvent, Role, User
from reference.models import StaffRegion
from reference.services import regions_load
from tests.core.helpers import totp_code
from tests.scope_world import JAKARTA_VILLAGE, PALEMBANG_DISTRICT, member_in, palembang_village

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SECRET = "JBSWY3DPEHPK3PXPWILAYAHB"
LAPTOP = {"width": 1280, "height": 800}


def test_regional_staff_search_by_nik_by_post_and_the_url_holds_no_nik(browser, live_server, reference_data,
                                                                        regions, shoot):
    regions_load(root=PALEMBANG_DISTRICT)
    palembang = member_in(palembang_village(), prefix="167101")
    jakarta = member_in(JAKARTA_VILLAGE)
    staff = User.objects.create(username="wilayah", role=Role.SUPERVISOR, first_name="Staf Wilayah Sumsel")
    staff.set_password("a-long-test-password")
    staff.save()
    TOTP.activate(staff, SECRET)
    StaffRegion.objects.create(user=staff, region_id="16")

    context = browser.new_context(viewport=LAPTOP, device_scale_factor=1, locale="id-ID", base_url=live_server.url)
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append((request.method, request.url)))
    page.goto("/staf/peserta/")
    page.locator("input[name=login]").fill("wilayah")
    page.locator("input[name=password]").fill("a-long-test-password")
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("input[name=code]")).to_be_visible()
    page.locator("input[name=code]").fill(totp_code(SECRET))
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("input[name=code]")).to_have_count(0)

    page.goto("/staf/peserta/")
    page.locator("#q").fill(palembang.nik)
    page.get_by_role("button", name="Cari").click()
    main = page.locator("main")
    expect(main).to_contain_text(palembang.kpj)
    expect(main).to_contain_text(palembang.nik_masked)
    assert palembang.nik not in main.inner_text()
    shoot(page, "staff/06-member-by-nik-laptop")

    page.get_by_role("button", name="Tampilkan NIK (dicatat)").click()
    expect(main).to_contain_text(palembang.nik)
    assert AuditEvent.objects.filter(action="member.nik_shown", actor=staff, object_id=str(palembang.pk)).exists()

    # A Jakarta member: not in South Sumatra, so not found, by NIK or by participant number.
    for query in (jakarta.nik, jakarta.kpj):
        page.locator("#q").fill(query)
        with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/staf/peserta/")):
            page.get_by_role("button", name="Cari").click()
        expect(page.locator(".messages")).to_contain_text(
            "Tidak ada peserta di wilayah Anda dengan nomor peserta atau NIK ini.")
        assert jakarta.full_name not in main.inner_text()

    searches = [method for method, url in requests if url.split("?")[0].endswith("/staf/peserta/")]
    assert searches.count("POST") == 4  # three searches and one show
    for nik in (palembang.nik, jakarta.nik):
        assert not [url for _method, url in requests if nik in url]
    assert palembang.nik not in page.url and jakarta.nik not in page.url
    context.close()
