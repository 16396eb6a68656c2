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
from django.db import transaction
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
BATCH = 1000


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
            "name": cells["nama"].upper(),
            "birth_place": cells["tempat_lahir"], "birth_date": birth_date.isoformat() if birth_date else "",
            "gender": gender, "phone": phone, "village": village, "address": cells["alamat"],
            "occupation": occupation or "", "income": income, "jht": jht, "months": months}
    return data, reasons


def bulk_import_validate(*, import_id: int) -> BulkImport:
    """Checks every row and stores the verdicts; progress is saved after each batch. Safe to run again."""
    bulk = BulkImport.objects.select_related("sponsor").get(pk=import_id)
    if bulk.status != BulkImport.Status.VALIDATING:
        return bulk
    BulkImportRow.objects.filter(bulk_import=bulk).delete()
    lookups = _Lookups()
    seen_nik: set[str] = set()
    seen_phone: set[str] = set()
    pending: list[tuple[int, dict, list[str], str]] = []
    done = 0

    def classify(rows) -> list[BulkImportRow]:
        # One query per batch for members that already exist, not one per row.
        indexes = {index for _n, _d, _r, index in rows if index}
        phones = {d["phone"] for _n, d, _r, _i in rows if d["phone"]}
        existing = set(Member.objects.filter(nik_index__in=indexes).values_list("nik_index", flat=True))
        taken = {str(p) for p in Member.objects.filter(phone__in=phones).values_list("phone", flat=True)}
        out = []
        for number, data, reasons, index in rows:
            if reasons:
                status = BulkRowStatus.REJECTED
            elif index in seen_nik or data["phone"] in seen_phone:
                status = BulkRowStatus.DUPLICATE
                reasons = [_("The same NIK or phone number appears earlier in the file.")]
            elif index in existing:
                status = BulkRowStatus.EXISTING
                reasons = [_("Already a member: they will be asked to accept you as their sponsor.")]
            elif data["phone"] in taken:
                status, reasons = BulkRowStatus.REJECTED, [_("This phone number already belongs to a member.")]
            else:
                status = BulkRowStatus.ACCEPTED
            if index:
                seen_nik.add(index)
            if data["phone"]:
                seen_phone.add(data["phone"])
            out.append(BulkImportRow(bulk_import=bulk, row_number=number, status=status, reasons=reasons,
                                     data=data, nik_index=index))
        return out

    try:
        for number, raw in read_rows(bulk.file.path, bulk.filename):
            data, reasons = _check_row(raw, lookups)
            pending.append((number, data, reasons, data.pop("_index")))
            if len(pending) >= BATCH:
                done += _flush(bulk, classify(pending), done)
                pending = []
        done += _flush(bulk, classify(pending), done)
    except FileUnreadable as exc:
        BulkImport.objects.filter(pk=bulk.pk).update(status=BulkImport.Status.FAILED, error=str(exc)[:300])
        return BulkImport.objects.get(pk=bulk.pk)
    if done == 0:
        BulkImport.objects.filter(pk=bulk.pk).update(status=BulkImport.Status.FAILED,
                                                     error=_("The file has no worker rows."))
    else:
        BulkImport.objects.filter(pk=bulk.pk).update(status=BulkImport.Status.VALIDATED, total_rows=done,
                                                     done_rows=done)
    return BulkImport.objects.get(pk=bulk.pk)


def _flush(bulk: BulkImport, batch: list[BulkImportRow], done: int) -> int:
    BulkImportRow.objects.bulk_create(batch)
    # The total is unknown while streaming: show it as "at least this many" until the end.
    BulkImport.objects.filter(pk=bulk.pk).update(done_rows=done + len(batch), total_rows=done + len(batch) + 1)
    return len(batch)


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
    """The per-row report, for people: what happened to each row and why, with the NIK masked."""
    yield ["baris", "status", "alasan", "nik", "nama", "kpj"]
    for row in bulk.rows.select_related("member").order_by("row_number").iterator(chunk_size=2000):
        nik = nik_decrypt(row.data["nik"]) if row.data.get("nik") else ""
        yield [str(row.row_number), row.get_status_display(), " ".join(row.reasons), nik_mask(nik) if nik else "",
               row.data.get("name", ""), row.member.kpj if row.member else ""]
