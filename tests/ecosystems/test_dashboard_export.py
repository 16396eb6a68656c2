"""Exports: CSV (UTF-8 with a BOM, every table of the page under its title) and XLSX (a sheet per table) with the
page's filters, the same numbers the page shows, and a file name that says region and period."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.ecosystems.test_dashboard_pages import PERIOD, login, staff
from tests.ecosystems.test_dashboard_selectors import JAKSEL, dataset  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, dataset):  # noqa: F811
    return login(client, staff("admin-export"))


def _csv_tables(content: bytes) -> dict[str, list[list[str]]]:
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    tables, current = {}, None
    for i, row in enumerate(rows[1:], 1):
        if not row:
            current = None
        elif current is None:
            current = tables.setdefault(row[0], [])
        else:
            current.append(row)
        del i
    return tables


def test_csv_holds_every_table_of_the_page(admin_client, dataset):  # noqa: F811
    response = admin_client.get("/staf/dasbor/31/ekspor.csv", PERIOD)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="dasbor-31-2026-01_2026-10.csv"'
    tables = _csv_tables(response.content)
    assert list(tables) == ["Summary", "New registrations per week", "New registrations per month by ecosystem",
                            "Payment rate per month", "By ecosystem", "By channel", "Regencies and cities",
                            "Furthest behind target", "Top Perisai agents", "Top SERTAKAN sponsors"]
    summary = {row[0]: row[1] for row in tables["Summary"][1:]}
    assert summary["Active members"] == "1" and summary["BPU members"] == "2"
    assert summary["Coverage"] == "2.0" and summary["Progress to the 2026 target"] == "25.0"
    assert summary["Payment rate"] == "66.7"
    claim_idr = dataset["claim"].payout.amount_idr
    assert summary["Claims paid"] == "1" and summary["Claims paid (amount)"] == str(claim_idr)
    header, *regencies = tables["Regencies and cities"]
    assert header[:4] == ["Regency/city", "Active", "BPU members", "Coverage"]
    jaksel = next(row for row in regencies if "Jakarta Selatan" in row[0])
    assert jaksel[1:4] == ["1", "2", "5.0"] and jaksel[5] == "50.0"
    assert tables["Top Perisai agents"][1][:4] == ["1", "Agus Perisai", "1", "1"]
    months = tables["Payment rate per month"]
    assert months[0] == ["Month", "Bills", "Paid", "Payment rate"] and months[-1] == ["2026-10", "3", "2", "66.7"]
    assert len(months) == 1 + 10
    # The trader (1 September) and the seller (2 October) registered in the last 12 weeks.
    assert sum(int(row[-1]) for row in tables["New registrations per week"][1:]) == 2


def test_csv_follows_the_filters_and_the_page_shows_the_same(admin_client):
    params = {**PERIOD, "ecosystem": "pasar", "channel": "agent"}
    response = admin_client.get(f"/staf/dasbor/{JAKSEL}/ekspor.csv", params)
    assert response["Content-Disposition"].endswith('dasbor-31.74-2026-01_2026-10-pasar-agent.csv"')
    tables = _csv_tables(response.content)
    assert [row[0] for row in tables["By ecosystem"][1:]] == ["Market"]
    assert [row[0] for row in tables["By channel"][1:]] == ["Perisai agent"]
    assert "Regencies and cities" not in tables  # a regency has none
    page = admin_client.get(f"/staf/dasbor/{JAKSEL}/", params).content.decode()
    query = "first=2026-01&amp;last=2026-10&amp;ecosystem=pasar&amp;channel=agent"
    assert f'href="/staf/dasbor/{JAKSEL}/ekspor.csv?{query}"' in page


def test_xlsx_has_a_sheet_per_table(admin_client, dataset):  # noqa: F811
    response = admin_client.get("/staf/dasbor/ekspor.xlsx", PERIOD)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="dasbor-ID-2026-01_2026-10.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["summary", "weekly", "monthly", "payment_rate", "by_ecosystem", "by_channel",
                               "children", "behind", "agents", "sponsors"]
    summary = {row[0]: row[1] for row in book["summary"].iter_rows(min_row=3, values_only=True)}
    assert summary["Active members"] == 2 and summary["Payment rate"] == 75.0
    assert summary["Contributions collected"] > 0 and book["summary"]["B3"].number_format == "#,##0"
    provinces = {row[0]: row for row in book["children"].iter_rows(min_row=3, values_only=True)}
    assert provinces["Daerah Khusus Ibukota Jakarta"][1] == 1
    assert [row[1] for row in book["sponsors"].iter_rows(min_row=3, values_only=True)] == ["Ibu Sari Penyantun"]
    behind = list(book["behind"].iter_rows(min_row=3, values_only=True))
    assert behind[0][1] == "Daerah Khusus Ibukota Jakarta" and behind[0][2] == 25.0


def test_indonesian_export_keeps_machine_readable_numbers(client, dataset):  # noqa: F811
    login(client, staff("admin-id-export"), language="id")
    tables = _csv_tables(client.get("/staf/dasbor/ekspor.csv", PERIOD).content)
    summary = {row[0]: row[1] for row in tables["Ringkasan" if "Ringkasan" in tables else "Summary"][1:]}
    assert "75.0" in summary.values()
