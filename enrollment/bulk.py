"""Bulk registration from a spreadsheet (local governments, companies): read, check every row, report, then
register everyone in one transaction and issue one invoice.

Files are read as a stream (CSV: UTF-8 with or without BOM, comma or semicolon; XLSX: read-only mode), so memory
stays flat whatever the size.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Subquery, Window
from django.db.models.fields.json import KT
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from contributions.tariffs import income_bases
from core.forms import mobile_number_check
from core.models import Channel
from core.nik import nik_blind_index, nik_decrypt, nik_encrypt, nik_mask
from core.services import audit_event_record, notification_enqueue, phone_user_get_or_create
from ecosystems.models import Region, RegionLevel
from enrollment.models import (
    BulkImport,
    BulkImportRow,
    BulkRowStatus,
    Member,
    Occupation,
    RegistrationChannel,
    Sponsor,
    Sponsorship,
)
from enrollment.services import RegistrationData, identity_errors, member_register

COLUMNS = ["nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "no_hp", "kode_desa", "alamat",
           "pekerjaan", "penghasilan", "jht", "bulan"]
REQUIRED = [c for c in COLUMNS if c != "jht"]
BATCH = 5000


class FileUnreadable(Exception):
    pass


def template_csv() -> str:
    example = ["3174015708900001", "SITI RAHAYU", "Jakarta", "17-08-1990", "P", "081234567890", "31.74.01.1001",
               "Jl. Melati 5 RT 2/RW 3", "asisten-rumah-tangga", "1000000", "tidak", "3"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow(example)
    return out.getvalue()


def _norm_header(value) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(value or "").strip().lower()).strip("_")


def _rows_from_cells(cells: Iterator[tuple]) -> Iterator[tuple[int, dict]]:
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


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


_DMY = re.compile(r"(\d{1,2})[-/](\d{1,2})[-/](\d{4})")
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def _date(value) -> dt.date | None:
    """DD-MM-YYYY, DD/MM/YYYY or YYYY-MM-DD (or a real date from XLSX)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    try:
        if match := _DMY.fullmatch(text):
            return dt.date(int(match[3]), int(match[2]), int(match[1]))
        if match := _YMD.fullmatch(text):
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:  # 31-02-1990
        return None
    return None


def _village_code(value) -> str:
    digits = re.sub(r"\D", "", _text(value))
    if len(digits) != 10:
        return _text(value)
    return f"{digits[:2]}.{digits[2:4]}.{digits[4:6]}.{digits[6:]}"


class _Lookups:
    """Reference data read once per file, not once per row."""

    def __init__(self):
        self.incomes = set(income_bases())
        self.occupations = {}
        for occ in Occupation.objects.filter(active=True):
            self.occupations[occ.code] = occ.code
            self.occupations[occ.name_id.lower()] = occ.code
            self.occupations[occ.name_en.lower()] = occ.code
        self.villages: dict[str, bool] = {}
        self.today = timezone.localdate()

    def village_exists(self, code: str) -> bool:
        if code not in self.villages:
            self.villages[code] = Region.objects.filter(code=code, level=RegionLevel.VILLAGE).exists()
        return self.villages[code]


def _check_row(raw: dict, lookups: _Lookups) -> tuple[dict, list[str]]:
    """The same checks as self-registration, for one row; (data to keep, reasons it is refused)."""
    reasons = []
    cells = {c: _text(raw.get(c)) for c in COLUMNS}
    missing = [c for c in REQUIRED if not cells[c]]
    if missing:
        reasons.append(_("Missing: %(columns)s.") % {"columns": ", ".join(missing)})
    birth_date = _date(raw.get("tanggal_lahir"))
    if cells["tanggal_lahir"] and birth_date is None:
        reasons.append(_("Birth date must be DD-MM-YYYY or YYYY-MM-DD."))
    gender = cells["jenis_kelamin"].upper()[:1]
    if gender and gender not in ("L", "P"):
        reasons.append(_("Gender must be L or P."))
    nik = re.sub(r"\s", "", cells["nik"])
    if nik:
        errors, _warnings = identity_errors(nik=nik, birth_date=birth_date, gender=gender or None,
                                            check_registered=False, today=lookups.today)
        for messages in errors.values():
            reasons.extend(messages)
    phone = ""
    if cells["no_hp"]:
        phone, error = mobile_number_check(cells["no_hp"])
        if error:
            reasons.append(_("Phone: %(error)s") % {"error": error})
    village = _village_code(cells["kode_desa"])
    if village and not lookups.village_exists(village):
        reasons.append(_("Unknown village code %(code)s.") % {"code": village})
    occupation = lookups.occupations.get(cells["pekerjaan"].lower())
    if cells["pekerjaan"] and occupation is None:
        reasons.append(_("Unknown occupation “%(name)s”.") % {"name": cells["pekerjaan"]})
    income = int(re.sub(r"\D", "", cells["penghasilan"]) or 0)
    if cells["penghasilan"] and income not in lookups.incomes:
        reasons.append(_("Income %(income)s is not in the income table.") % {"income": income})
    months = int(re.sub(r"\D", "", cells["bulan"]) or 0)
    if cells["bulan"] and months not in settings.PAYMENT_MONTH_CHOICES:
        reasons.append(_("Months must be 1, 3, 6 or 12."))
    jht = cells["jht"].lower() in ("ya", "y", "yes", "1", "true")
    data = {"_index": nik_blind_index(nik) if nik else "", "nik": nik_encrypt(nik) if nik else "",
            "nik_masked": nik_mask(nik) if nik else "",
            "name": cells["nama"].upper(),
            "birth_place": cells["tempat_lahir"], "birth_date": birth_date.isoformat() if birth_date else "",
            "gender": gender, "phone": phone, "village": village, "address": cells["alamat"],
            "occupation": occupation or "", "income": income, "jht": jht, "months": months}
    return data, reasons


def bulk_import_validate(*, import_id: int) -> BulkImport:
    """Checks every row and stores the verdicts. Streams the file in batches (COPY on PostgreSQL) with progress
    saved after each; duplicates, existing members and taken phone numbers are then found in SQL over the whole
    file, so memory stays flat whatever its size. Safe to run again: it starts over."""
    bulk = BulkImport.objects.select_related("sponsor").get(pk=import_id)
    if bulk.status != BulkImport.Status.VALIDATING:
        return bulk
    BulkImportRow.objects.filter(bulk_import=bulk).delete()
    lookups = _Lookups()
    done = 0
    try:
        expected = _rows_expected(bulk.file.path, bulk.filename)
        BulkImport.objects.filter(pk=bulk.pk).update(total_rows=expected, done_rows=0)
        batch: list[tuple] = []
        for number, raw in read_rows(bulk.file.path, bulk.filename):
            data, reasons = _check_row(raw, lookups)
            batch.append((number, BulkRowStatus.REJECTED if reasons else BulkRowStatus.ACCEPTED, reasons, data))
            if len(batch) >= BATCH:
                done = _write_batch(bulk, batch, done, expected)
                batch = []
        done = _write_batch(bulk, batch, done, expected)
    except FileUnreadable as exc:
        BulkImportRow.objects.filter(bulk_import=bulk).delete()
        BulkImport.objects.filter(pk=bulk.pk).update(status=BulkImport.Status.FAILED, error=str(exc)[:300])
        return BulkImport.objects.get(pk=bulk.pk)
    if done == 0:
        BulkImport.objects.filter(pk=bulk.pk).update(status=BulkImport.Status.FAILED,
                                                     error=_("The file has no worker rows."))
        return BulkImport.objects.get(pk=bulk.pk)
    with transaction.atomic():
        _classify(bulk)
        BulkImport.objects.filter(pk=bulk.pk).update(status=BulkImport.Status.VALIDATED, total_rows=done,
                                                     done_rows=done)
    return BulkImport.objects.get(pk=bulk.pk)


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


_ROW_FIELDS = ("bulk_import_id", "row_number", "status", "reasons", "data", "nik_index", "phone", "months")


def _write_batch(bulk: BulkImport, batch: list[tuple], done: int, expected: int) -> int:
    if not batch:
        return done
    rows = [(bulk.pk, number, status, reasons, data, data.pop("_index"), data["phone"], data["months"])
            for number, status, reasons, data in batch]
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        columns = ", ".join(_ROW_FIELDS)
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {BulkImportRow._meta.db_table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row[:3], Jsonb(row[3]), Jsonb(row[4]), *row[5:]))
    else:
        BulkImportRow.objects.bulk_create([BulkImportRow(**dict(zip(_ROW_FIELDS, row, strict=True))) for row in rows],
                                          batch_size=500)
    done += len(rows)
    BulkImport.objects.filter(pk=bulk.pk).update(done_rows=done, total_rows=max(expected, done + 1))
    return done


def _classify(bulk: BulkImport) -> None:
    """Set-based verdicts over the whole file, in the order a person would give them: a later row with a NIK or
    phone number seen in an earlier accepted row is a duplicate; a NIK that is already a member's is attached to
    this sponsor instead; a phone number that already belongs to a member is refused."""
    rows = BulkImportRow.objects.filter(bulk_import=bulk)
    for column in ("nik_index", "phone"):
        later = (rows.filter(status=BulkRowStatus.ACCEPTED)
                 .annotate(k=Window(RowNumber(), partition_by=[F(column)], order_by=F("row_number").asc()))
                 .filter(k__gt=1).values("pk"))
        rows.filter(pk__in=Subquery(later)).update(
            status=BulkRowStatus.DUPLICATE, reasons=[_("The same NIK or phone number appears earlier in the file.")])
    rows.filter(status=BulkRowStatus.ACCEPTED, nik_index__in=Member.objects.values("nik_index")).update(
        status=BulkRowStatus.EXISTING,
        reasons=[_("Already a member: they will be asked to accept you as their sponsor.")])
    rows.filter(status=BulkRowStatus.ACCEPTED, phone__in=Member.objects.values("phone")).update(
        status=BulkRowStatus.REJECTED, reasons=[_("This phone number already belongs to a member.")])


def bulk_import_start(*, sponsor: Sponsor, uploaded, actor) -> BulkImport:
    name = uploaded.name or "import.csv"
    if not name.lower().endswith((".csv", ".xlsx")):
        raise ValidationError({"file": [_("Please upload a CSV or XLSX file.")]})
    if uploaded.size > settings.BULK_IMPORT_MAX_BYTES:
        raise ValidationError({"file": [_("The file is larger than %(mb)s MB. Please split it.") % {
            "mb": settings.BULK_IMPORT_MAX_BYTES // (1024 * 1024)}]})
    with transaction.atomic():
        bulk = BulkImport.objects.create(sponsor=sponsor, created_by=actor, file=uploaded, filename=name[:200])
        audit_event_record(actor=actor, action="bulk_import.started", obj=bulk, changes={"file": bulk.filename})
        from enrollment.tasks import bulk_import_validate as task

        transaction.on_commit(lambda: task.delay(bulk.pk))
    return bulk


def bulk_import_commit(*, import_id: int, actor) -> BulkImport:
    """Registers every accepted row and asks existing members to accept the sponsor, all in one transaction, then
    issues one invoice (workers × months). Nothing is half-done: any failure leaves no member behind."""
    from contributions.services.payments import payment_order_create_for_many

    with transaction.atomic():
        bulk = BulkImport.objects.select_for_update().select_related("sponsor").get(pk=import_id)
        if bulk.status != BulkImport.Status.VALIDATED:
            return bulk
        sponsor = bulk.sponsor
        items = []
        for row in bulk.rows.filter(status=BulkRowStatus.ACCEPTED).order_by("row_number"):
            d = row.data
            user, _new = phone_user_get_or_create(phone=d["phone"])
            try:
                member = member_register(
                    data=RegistrationData(
                        nik=nik_decrypt(d["nik"]), full_name=d["name"], birth_place=d["birth_place"],
                        birth_date=dt.date.fromisoformat(d["birth_date"]), gender=d["gender"], phone=d["phone"],
                        village_code=d["village"], address_line=d["address"], occupation_code=d["occupation"],
                        income_base_idr=d["income"], programs=["JKK", "JKM"] + (["JHT"] if d["jht"] else []),
                        consent=True,
                    ),
                    user=user, actor=actor, channel=RegistrationChannel.BULK, funding_source=sponsor.funding_source,
                )
            except ValidationError as exc:
                raise ValidationError(_("Row %(row)s changed since the check: %(error)s Please check the file "
                                        "again.") % {"row": row.row_number,
                                                     "error": " ".join(exc.messages)}) from None
            Sponsorship.objects.create(sponsor=sponsor, member=member, relationship="other",
                                       confirmed_at=timezone.now())
            BulkImportRow.objects.filter(pk=row.pk).update(member=member)
            items.append((member, d["months"]))
        for row in bulk.rows.filter(status=BulkRowStatus.EXISTING):
            member = Member.objects.get(nik_index=row.nik_index)
            _s, created = Sponsorship.objects.get_or_create(sponsor=sponsor, member=member, ended_at=None,
                                                            defaults={"relationship": "other"})
            if created:
                notification_enqueue(
                    channel=Channel.SMS, recipient=str(member.phone), purpose="sponsorship",
                    body=_("%(name)s would like to pay your BPJS Ketenagakerjaan contributions. Sign in to the "
                           "BPU portal to accept or decline.") % {"name": sponsor.name})
        order = payment_order_create_for_many(items=items, payer=actor) if items else None
        bulk.status = BulkImport.Status.COMMITTED
        bulk.committed_at = timezone.now()
        bulk.order = order
        bulk.save(update_fields=["status", "committed_at", "order"])
        audit_event_record(actor=actor, action="bulk_import.committed", obj=bulk,
                           changes={"registered": len(items), "order": order.pk if order else None})
        return bulk


def report_rows(bulk: BulkImport) -> Iterator[list[str]]:
    """The per-row report, for people: what happened to each row and why, with the NIK masked. Read as plain
    values (no model objects): a million-row file's report is written in seconds."""
    yield ["baris", "status", "alasan", "nik", "nama", "kpj"]
    labels = dict(BulkRowStatus.choices)
    rows = (bulk.rows.order_by("row_number")
            .values_list("row_number", "status", "reasons", KT("data__nik_masked"), KT("data__nik"),
                         KT("data__name"), "member__kpj"))
    for number, status, reasons, masked, cipher, name, kpj in rows.iterator(chunk_size=5000):
        if masked is None:  # checked before masks were kept with the row
            masked = nik_mask(nik_decrypt(cipher)) if cipher else ""
        yield [str(number), str(labels[status]), " ".join(reasons), masked, name or "", kpj or ""]
