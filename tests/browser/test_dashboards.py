"""The admin dashboards in real Chromium: an admin signs in (password and TOTP), opens the national page on a laptop,
drills down to a province and a regency, filters by ecosystem, downloads the CSV and reads it; the same pages on a
360-px phone fit the screen (wide tables scroll in their own box). Screenshots of both sizes for a person to look at."""

from __future__ import annotations

import csv
import io
import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from playwright.sync_api import expect

from core.models import Role, User
from tests.browser.conftest import PHONE_VIEWPORT
from tests.core.helpers import totp_code
from tests.ecosystems.test_dashboard_selectors import JAKSEL, dataset  # noqa: F401 - a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-test-password"
SECRET = "JBSWY3DPEHPK3PXPDASBORAA"
LAPTOP = {"width": 1280, "height": 800}
PERIOD = "first=2026-01&last=2026-10"


def context(browser, live_server, viewport, *, phone: bool):
    ctx = browser.new_context(viewport=viewport, device_scale_factor=1, is_mobile=phone, has_touch=phone,
                              locale="id-ID", base_url=live_server.url, accept_downloads=True)
    ctx.set_default_timeout(15_000)
    return ctx


def sign_in(page):
    page.goto("/staf/dasbor/")
    page.locator("input[name=login]").fill("admin")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    code = page.locator("input[name=code]")
    expect(code).to_be_visible()  # the code is taken only once its form is there: it must not go stale
    code.fill(totp_code(SECRET))
    page.locator("main form button[type=submit]").first.click()
    expect(code).to_have_count(0)  # signed in before the next page is asked for


# Elements that stick out of the screen (wide tables scroll inside .table-scroll, so those are left out).
WIDE = ("w => [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > w + 1"
        " && !e.closest('.table-scroll')).slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className)")


def fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width, (page.url, page.evaluate(WIDE, width))


def test_admin_drills_down_filters_and_downloads(browser, live_server, dataset, shoot):  # noqa: F811
    admin = User.objects.create(username="admin", role=Role.ADMIN, first_name="Admin", is_staff=True)
    admin.set_password(PASSWORD)
    admin.save()
    TOTP.activate(admin, SECRET)

    laptop_ctx = context(browser, live_server, LAPTOP, phone=False)
    page = laptop_ctx.new_page()
    sign_in(page)
    page.goto(f"/staf/dasbor/?{PERIOD}")
    expect(page.locator("h1")).to_have_text(re.compile(r"Indonesia$"), use_inner_text=True)
    expect(page.locator("svg[role=img]").nth(2)).to_be_attached()  # at least 3 charts
    expect(page.locator("#freshness")).to_have_text(re.compile(r"\S"), use_inner_text=True)
    expect(page.locator("#kpis")).to_contain_text("75,0")  # October's payment rate, in Indonesian format
    fits(page, LAPTOP["width"])
    shoot(page, "dashboards/01-nation-laptop")

    # Drill down: the province, then the regency, from the lists of regions below.
    page.locator("#table-children a", has_text="Jakarta").first.click()
    page.wait_for_url("**/staf/dasbor/31/?*")
    expect(page.locator("h1")).to_contain_text("Jakarta")
    expect(page.locator(".crumbs a", has_text="Indonesia")).to_have_count(1)
    shoot(page, "dashboards/02-province-laptop")
    page.locator("#table-children a", has_text="Jakarta Selatan").click()
    page.wait_for_url(f"**/staf/dasbor/{JAKSEL}/?*")
    for crumb in ("Indonesia", "Jakarta Selatan"):
        expect(page.locator(".crumbs")).to_contain_text(crumb)
    expect(page.locator("#table-agents")).to_contain_text("Agus Perisai")
    assert page.locator("#table-agents").inner_text().count("Agus Perisai") == 1
    shoot(page, "dashboards/03-regency-laptop")

    # Filter by ecosystem (a plain GET form) and download the CSV of what the page shows.
    page.locator("#filters summary").click() if not page.locator("#filters").get_attribute("open") else None
    page.locator("select[name=ecosystem]").select_option("pasar")
    page.locator("#filters button[type=submit]").click()
    page.wait_for_url("**ecosystem=pasar*")
    assert f"/staf/dasbor/{JAKSEL}/?" in page.url
    expect(page.locator("#table-by_ecosystem tbody")).to_contain_text("Pasar")
    expect(page.locator("#table-by_ecosystem tbody")).not_to_contain_text("Desa")
    shoot(page, "dashboards/04-regency-pasar-laptop")
    with page.expect_download() as download_info:
        page.locator("#exports a", has_text="CSV").click()
    download = download_info.value
    assert download.suggested_filename == "dasbor-31.74-2026-01_2026-10-pasar.csv"
    content = open(download.path(), "rb").read()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert ["Pasar", "1", "1"] == rows[[r[:1] for r in rows].index(["Pasar"])][:3]
    assert any(row[:2] == ["1", "Agus Perisai"] for row in rows)

    # The same pages on a phone: nothing wider than the screen, tables scroll inside their box.
    phone_ctx = context(browser, live_server, PHONE_VIEWPORT, phone=True)
    phone_ctx.add_cookies(laptop_ctx.cookies())
    phone = phone_ctx.new_page()
    phone.goto(f"/staf/dasbor/?{PERIOD}")
    fits(phone, PHONE_VIEWPORT["width"])
    shoot(phone, "dashboards/05-nation-phone")
    phone.goto(f"/staf/dasbor/31/?{PERIOD}&ecosystem=pasar")
    fits(phone, PHONE_VIEWPORT["width"])
    scroll = phone.locator(".table-scroll:has(#table-by_ecosystem)")
    assert scroll.evaluate("e => e.scrollWidth > e.clientWidth")  # the wide table scrolls, the page does not
    phone.locator("#chart-weekly details summary").click()
    shoot(phone, "dashboards/06-province-pasar-phone")
    laptop_ctx.close()
    phone_ctx.close()
