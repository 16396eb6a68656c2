"""Spreadsheet injection: every CSV and XLSX export quotes text that a spreadsheet would run as a formula (the OWASP
way) and keeps numbers as numbers. The helper, then each export with a name like =HYPERLINK(…)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from core.spreadsheets import cell_safe, row_safe
from members.models import Sponsor
from sponsors.bulk import bulk_import_start
from tests.conftest import VALID_NIK_WOMAN
from tests.ecosystems.test_dashboard_pages import PERIOD, login, staff
from tests.ecosystems.test_dashboard_selectors import dataset  # noqa: F401 - a fixture

EVIL = '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize("text", [EVIL, "+1+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "=1+1"])
def test_text_that_starts_like_a_formula_is_quoted(text):
    assert cell_safe(text) == "'" + text


@pytest.mark.parametrize("value", [0, -5, 12.5, None, "-5", "+62", "-3.5", "12,5", "Siti", "", "a=b", "'=x"])
def test_numbers_and_plain_text_stay_as_they_are(value):
    assert cell_safe(value) == value


def test_row_safe_quotes_only_the_cells_that_need_it():
    assert row_safe(["1", EVIL, 3]) == ["1", "'" + EVIL, 3]


@pytest.mark.django_db
def test_dashboard_csv_and_xlsx_quote_a_sponsor_named_like_a_formula(client, dataset):  # noqa: F811
    Sponsor.objects.filter(name="Ibu Sari Penyantun").update(name=EVIL)
    login(client, staff("admin-formula"))
    text = client.get("/staf/dasbor/ekspor.csv", PERIOD).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    names = [row[1] for row in rows if len(row) > 1 and EVIL in row[1]]
    assert names == ["'" + EVIL]
    book = load_workbook(io.BytesIO(client.get("/staf/dasbor/ekspor.xlsx", PERIOD).content))
    cell = book["sponsors"]["B3"]
    assert cell.value == "'" + EVIL and cell.data_type == "s"  # text, not a formula
    assert isinstance(book["sponsors"]["C3"].value, int)  # the counts stay numbers


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_bulk_report_quotes_a_name_like_a_formula(client, settings, tmp_path, village_code):
    from core.models import User

    settings.MEDIA_ROOT = tmp_path
    user = User.objects.create(username="pemda-formula", phone="+6281300000009")
    sponsor = Sponsor.objects.create(user=user, name=EVIL, kind="government", funding_source="apbd")
    out = io.StringIO()
    csv.writer(out).writerows([
        "nik,nama,tempat_lahir,tanggal_lahir,jenis_kelamin,no_hp,kode_desa,alamat,pekerjaan,penghasilan,jht,bulan"
        .split(","),
        [VALID_NIK_WOMAN, EVIL, "Jakarta", "17-08-1990", "P", "081234567890", village_code, "Jl. A",
         "asisten-rumah-tangga", "1000000", "tidak", "3"]])
    content = out.getvalue()
    item = bulk_import_start(sponsor=sponsor, uploaded=SimpleUploadedFile("pekerja.csv", content.encode()),
                             actor=user)
    client.force_login(user)
    response = client.get(f"/penyantun/impor/{item.pk}/laporan.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))
    assert rows[1][0] == "2" and rows[1][4] == "'" + EVIL.upper()


@pytest.mark.django_db
def test_targets_templates_quote_their_cells(client, monkeypatch):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from core.models import Role, User
    from ecosystems import target_files as targets

    monkeypatch.setattr(targets, "TARGETS", [(2026, "", None, "members", 100, EVIL)])
    monkeypatch.setattr(targets, "WORKFORCE", [(2026, "31", 1000, None, EVIL)])
    admin = User.objects.create(username="admin-targets-formula", role=Role.ADMIN)
    TOTP.activate(admin, generate_totp_secret())
    login(client, admin)
    for url in ("/staf/target/templat-target.csv", "/staf/target/templat-tenaga-kerja.csv"):
        rows = list(csv.reader(io.StringIO(client.get(url).content.decode("utf-8-sig"))))
        assert rows[1][-1] == "'" + EVIL and rows[1][0] == "2026", url
