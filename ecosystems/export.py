"""The page's tables as files: CSV (UTF-8 with a BOM so Excel reads it, every table under its title, a blank line
between tables) and XLSX (one sheet per table). Numbers stay numbers: rupiah as whole numbers, percentages with one
decimal, months as YYYY-MM."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from django.http import HttpResponse

from core.spreadsheets import cell_safe, csv_writer
from ecosystems.dashboards import Page, Table
from ecosystems.templatetags.dashboard import Month, Rupiah

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, Month):
        return value.strftime("%Y-%m")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.1f}"
    if isinstance(value, int):
        return int(value)
    return str(value)


def _tables(page: Page) -> list[Table]:
    return page.all_tables


def csv_bytes(page: Page, title: str) -> bytes:
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow([title])
    for table in _tables(page):
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow([str(c) for c in table.columns])
        for row in table.rows:
            writer.writerow([_plain(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(page: Page, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for table in _tables(page):
        sheet = book.create_sheet(table.key[:31])
        sheet.append([cell_safe(f"{table.title} · {title}")])
        sheet["A1"].font = bold
        sheet.append([cell_safe(str(c)) for c in table.columns])
        for cell in sheet[2]:
            cell.font = bold
        for row in table.rows:
            values: list[object] = []
            for value in row:
                if isinstance(value, Decimal):
                    values.append(float(value))  # a percentage for the spreadsheet, never money
                elif isinstance(value, Rupiah | int) and not isinstance(value, bool):
                    values.append(int(value))
                elif value is None:
                    values.append(None)
                elif isinstance(value, dt.date):
                    values.append(dt.date(value.year, value.month, value.day))
                else:
                    values.append(cell_safe(str(value)))
            sheet.append(values)
            for cell, value in zip(sheet[sheet.max_row], row, strict=False):
                if isinstance(value, Rupiah):
                    cell.number_format = '"Rp"#,##0'
                elif isinstance(value, Decimal):
                    cell.number_format = '0.0"%"'
                elif isinstance(value, dt.date):
                    cell.number_format = "yyyy-mm" if isinstance(value, Month) else "yyyy-mm-dd"
                elif isinstance(value, int):
                    cell.number_format = "#,##0"
        for column in sheet.columns:
            width = max((len(str(c.value)) for c in list(column)[1:] if c.value is not None), default=8)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 50)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_response(page: Page, *, kind: str, filename: str, title: str) -> HttpResponse:
    if kind == "csv":
        response = HttpResponse(csv_bytes(page, title), content_type=CSV_TYPE)
    else:
        response = HttpResponse(xlsx_bytes(page, title), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
