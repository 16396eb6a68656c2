"""A local government uploads a messy spreadsheet, reads the report, confirms and pays the one invoice."""

import re

import pytest
from playwright.sync_api import expect

from contributions.models import Bill, PaymentOrder
from core.models import User
from members.models import Member, Sponsor
from tests.conftest import VALID_NIK_MAN, VALID_NIK_WOMAN
from tests.core.helpers import last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_local_government_uploads_confirms_and_pays(page, shoot, tmp_path, settings, village_code):
    settings.MEDIA_ROOT = tmp_path / "media"
    user = User.objects.create(username="pemda", phone="+6281200000004")
    Sponsor.objects.create(user=user, name="Pemerintah Kota Bontang", kind="government", funding_source="apbd")
    rows = [
        "nik;nama;tempat_lahir;tanggal_lahir;jenis_kelamin;no_hp;kode_desa;alamat;pekerjaan;penghasilan;jht;bulan",
        f"{VALID_NIK_WOMAN};Siti Rahayu;Jakarta;17-08-1990;P;081234567890;{village_code};Jl. A;petani;1000000;tidak;1",
        "",
        f"{VALID_NIK_MAN};Budi Santoso;Bandung;12-03-1985;L;085712345678;{village_code};Jl. B;nelayan;1000000;ya;1",
        f"{VALID_NIK_MAN};Budi Kembar;Bandung;12-03-1985;L;085712349999;{village_code};Jl. C;nelayan;1000000;ya;1",
        f"3174015808900001;Salah Tanggal;Jakarta;17-08-1990;P;081234567000;{village_code};Jl. D;petani;1000000;;1",
    ]
    path = tmp_path / "pekerja rentan.csv"
    path.write_bytes(("\ufeff" + "\r\n".join(rows)).encode())

    page.goto("/masuk/")
    page.locator("#id_phone").fill("0812 0000 0004")
    page.locator("main button.primary").click()
    expect(page.locator("#id_code")).to_be_visible()  # the code is sent before this page answers
    page.locator("#id_code").fill(last_code("+6281200000004"))
    page.locator("main button.primary").click()
    expect(page).not_to_have_url(re.compile(r"/masuk/"))  # signed in before the next page is asked for
    page.goto("/penyantun/")
    page.get_by_role("link", name="Banyak sekaligus (spreadsheet)").click()
    page.locator("#id_file").set_input_files(str(path))
    page.get_by_role("button", name="Periksa file").click()

    expect(page.locator("#n-accepted")).to_have_text("2")
    expect(page.locator("#n-duplicate")).to_have_text("1")
    expect(page.locator("#n-rejected")).to_have_text("1")
    expect(page.locator("main")).to_contain_text("tanggal lahir")
    shoot(page, "bulk/01-report")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename.startswith("laporan-impor-")
    assert Member.objects.count() == 0

    page.get_by_role("button", name="Daftarkan pekerja yang diterima dan buat tagihan").click()
    expect(page.locator("#va-number")).to_be_visible()  # the invoice page: registered and billed
    order = PaymentOrder.objects.get()
    assert order.lines.count() == 2 and order.amount_idr == 16_800 + 36_800  # APBD: no discount
    shoot(page, "bulk/02-invoice")
    page.get_by_role("link", name="simulator").click()
    page.locator("form.sim-order.current button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("Pembayaran diterima")
    assert Bill.objects.filter(status="paid").count() == 2
    assert set(Member.objects.values_list("status", flat=True)) == {"active"}


def test_the_confirmation_job_is_followed_on_the_page_until_the_invoice(page, shoot, tmp_path, settings,
                                                                         village_code, monkeypatch):
    """A big file's registration takes a while: the page says so and updates itself when the worker is done."""
    from sponsors import tasks
    from sponsors.bulk import bulk_import_commit_job

    settings.MEDIA_ROOT = tmp_path / "media"
    user = User.objects.create(username="pemda", phone="+6281200000004")
    Sponsor.objects.create(user=user, name="Pemerintah Kota Bontang", kind="government", funding_source="apbd")
    path = tmp_path / "pekerja.csv"
    path.write_text("nik,nama,tempat_lahir,tanggal_lahir,jenis_kelamin,no_hp,kode_desa,alamat,pekerjaan,penghasilan,"
                    f"jht,bulan\n{VALID_NIK_WOMAN},Siti Rahayu,Jakarta,17-08-1990,P,081234567890,{village_code},Jl. A,"
                    "petani,1000000,tidak,3\n", encoding="utf-8")
    queued = []
    # The worker is busy: the job is published (core.publish calls apply_async) but nobody runs it yet.
    monkeypatch.setattr(tasks.bulk_import_commit, "apply_async", lambda args, **options: queued.append(tuple(args)))

    page.goto("/masuk/")
    page.locator("#id_phone").fill("0812 0000 0004")
    page.locator("main button.primary").click()
    expect(page.locator("#id_code")).to_be_visible()
    page.locator("#id_code").fill(last_code("+6281200000004"))
    page.locator("main button.primary").click()
    expect(page).not_to_have_url(re.compile(r"/masuk/"))
    page.goto("/penyantun/impor/")
    page.locator("#id_file").set_input_files(str(path))
    page.get_by_role("button", name="Periksa file").click()
    page.get_by_role("button", name="Daftarkan pekerja yang diterima dan buat tagihan").click()

    expect(page.locator("#import-status")).to_contain_text("Sedang mendaftarkan pekerja")
    shoot(page, "bulk/03-registering")
    assert len(queued) == 1 and Member.objects.count() == 0
    bulk_import_commit_job(import_id=queued[0][0], actor_id=queued[0][1])  # the worker gets to it
    expect(page.get_by_role("link", name="Lihat tagihan")).to_be_visible()  # the page noticed by itself
    assert Member.objects.count() == 1 and PaymentOrder.objects.get().lines.count() == 1
    shoot(page, "bulk/04-registered")
