"""A sponsor meets the bulk limits and a job that stopped: the reason on the page, and the retry button."""

import re

import pytest
from playwright.sync_api import expect

from core.models import User
from members.models import Sponsor
from sponsors import bulk
from sponsors.models import BulkImport
from tests.conftest import VALID_NIK_MAN, VALID_NIK_WOMAN
from tests.core.helpers import last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HEADER = "nik;nama;tempat_lahir;tanggal_lahir;jenis_kelamin;no_hp;kode_desa;alamat;pekerjaan;penghasilan;jht;bulan"


def test_too_many_rows_are_refused_and_a_stopped_check_is_tried_again(page, shoot, tmp_path, settings,
                                                                        village_code, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BULK_IMPORT_MAX_ROWS = 1
    user = User.objects.create(username="pemda", phone="+6281200000004")
    Sponsor.objects.create(user=user, name="Pemerintah Kota Bontang", kind="government", funding_source="apbd")
    rows = [f"{VALID_NIK_WOMAN};Siti Rahayu;Jakarta;17-08-1990;P;081234567890;{village_code};Jl. A;petani;1000000;"
            "tidak;1",
            f"{VALID_NIK_MAN};Budi Santoso;Bandung;12-03-1985;L;085712345678;{village_code};Jl. B;nelayan;1000000;"
            "ya;1"]
    two, one = tmp_path / "dua.csv", tmp_path / "satu.csv"
    two.write_text("\n".join([HEADER, *rows]))
    one.write_text("\n".join([HEADER, rows[0]]))

    page.goto("/masuk/")
    page.locator("#id_phone").fill("0812 0000 0004")
    page.locator("main button.primary").click()
    expect(page.locator("#id_code")).to_be_visible()
    page.locator("#id_code").fill(last_code("+6281200000004"))
    page.locator("main button.primary").click()
    expect(page).not_to_have_url(re.compile(r"/masuk/"))
    page.goto("/penyantun/impor/")
    page.locator("#id_file").set_input_files(str(two))
    page.get_by_role("button", name="Periksa file").click()
    expect(page.locator("main")).to_contain_text("Berkas berisi lebih dari 1 baris")  # next to the field
    assert not BulkImport.objects.exists()

    real = bulk.validation._check_row
    monkeypatch.setattr(bulk.validation, "_check_row", lambda raw, lookups: 1 / 0)  # a bug in the check
    page.locator("#id_file").set_input_files(str(one))
    page.get_by_role("button", name="Periksa file").click()
    expect(page.get_by_role("alert")).to_contain_text("Pemeriksaan berkas terhenti")
    shoot(page, "bulk/03-stopped")
    monkeypatch.setattr(bulk.validation, "_check_row", real)  # fixed
    page.get_by_role("button", name="Coba lagi dengan berkas yang sama").click()
    expect(page.locator("#n-accepted")).to_have_text("1")
    assert BulkImport.objects.get().status == "validated"
