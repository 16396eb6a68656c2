"""Reading the spreadsheet: its columns, the template, the rows of a file and how many there are.

Files are read as a stream (CSV: UTF-8 with or without BOM, comma or semicolon; XLSX: read-only mode), so memory
stays flat whatever the size.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence

from django.utils.translation import gettext as _

from core.spreadsheets import csv_writer

COLUMNS = ["nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "no_hp", "kode_desa", "alamat",
           "pekerjaan", "penghasilan", "jht", "bulan"]
REQUIRED = [c for c in COLUMNS if c != "jht"]


class FileUnreadable(Exception):
    pass


def template_csv() -> str:
    example = ["3174015708900001", "SITI RAHAYU", "Jakarta", "17-08-1990", "P", "081234567890", "31.74.01.1001",
               "Jl. Melati 5 RT 2/RW 3", "asisten-rumah-tangga", "1000000", "tidak", "3"]
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(COLUMNS)
    writer.writerow(example)
    return out.getvalue()


def _norm_header(value) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(value or "").strip().lower()).strip("_")


def _rows_from_cells(cells: Iterator[Sequence]) -> Iterator[tuple[int, dict]]:
    """Finds the header row (the first with a NIK column: title rows and merged cells above it are skipped),
    then yields (row number, {column: value}) for every non-empty row."""
    header = None
    for number, values in enumerate(cells, start=1):
        values = tuple(values)
        if header is None:
            names = [_norm_header(v) for v in values]
            if "nik" in names:
                header = names
            continue
        if not any(str(v).strip() for v in values if v is not None):
            continue
        yield number, {name: values[i] if i < len(values) else None for i, name in enumerate(header) if name}
    if header is None:
        raise FileUnreadable(_("No header row with a “nik” column was found. Please use the template."))


def read_rows(path: str, filename: str) -> Iterator[tuple[int, dict]]:
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any broken workbook gets the same answer
            raise FileUnreadable(_("This XLSX file cannot be opened.")) from exc
        try:
            yield from _rows_from_cells(book.active.iter_rows(values_only=True))
        finally:
            book.close()
        return
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            sample = handle.read(4096)
            handle.seek(0)
            delimiter = ";" if sample.count(";") > sample.count(",") else ","
            yield from _rows_from_cells(csv.reader(handle, delimiter=delimiter))
    except UnicodeDecodeError as exc:
        raise FileUnreadable(_("The file is not UTF-8 text. Please save it as CSV UTF-8 or XLSX.")) from exc
    except csv.Error as exc:  # a cell longer than 128 KB, a stray NUL byte: not a list of workers
        raise FileUnreadable(_("This CSV file cannot be read: %(error)s. Please save it again from the "
                               "template.") % {"error": exc}) from exc


def _rows_expected(path: str, filename: str) -> int:
    """How many rows the progress bar counts to: lines after the header (CSV) or the sheet's rows (XLSX). An
    estimate (empty lines and title rows count); the exact number replaces it at the end."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True)
            rows = book.active.max_row or 0
            book.close()
        except Exception:  # noqa: BLE001 - read_rows gives the reason in words
            return 0
        return max(rows - 1, 0)
    lines = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
    return max(lines - 1, 0)


def _rows_in_upload(uploaded, name: str) -> int:
    """Rows after the header, counted before anything is saved: lines of a CSV (read in chunks), the sheet's size
    of an XLSX (the check counts again while it reads, for sheets that do not say their size)."""
    try:
        if name.lower().endswith(".xlsx"):
            from openpyxl import load_workbook

            try:
                book = load_workbook(uploaded, read_only=True)
                rows = book.active.max_row or 0
                book.close()
            except Exception:  # noqa: BLE001 - an unreadable workbook is reported by the check, in words
                return 0
            return max(rows - 1, 0)
        lines, last = 0, b"\n"
        for chunk in uploaded.chunks():
            lines += chunk.count(b"\n")
            last = chunk[-1:] or last
        return max(lines + (last != b"\n") - 1, 0)  # a last line without its newline counts too
    finally:
        uploaded.seek(0)
