"""Bulk registration from a spreadsheet (local governments, companies): read, check every row, report, then
register everyone in one transaction and issue one invoice.

Files are read as a stream (CSV: UTF-8 with or without BOM, comma or semicolon; XLSX: read-only mode), so memory
stays flat whatever the size.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import logging
import re
from collections.abc import Iterator, Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import CharField, F, OuterRef, Q, Subquery, Window
from django.db.models.fields.json import KT
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from contributions.services.payments import payment_order_create_from_set
from core.forms import mobile_number_check
from core.models import STAFF_ROLES, User
from core.nik import nik_blind_index, nik_decrypt, nik_encrypt, nik_mask
from core.publish import task_publish_on_commit
from core.services import audit_event_record, phone_users_get_or_create_many
from core.spreadsheets import csv_writer
from core.text import text_problem
from members.models import Member, Occupation, RegistrationChannel, Sponsor
from members.services import (
    MemberRow,
    identity_errors,
    members_create_many,
    sponsorships_create_many,
    sponsorships_request_many,
)
from reference.models import Region, RegionLevel
from reference.tariffs import income_bases
from sponsors.bulk_files import bulk_import_file_delete
from sponsors.models import BulkImport, BulkImportRow, BulkRowStatus
from sponsors.transitions import (
    bulk_import_rows_status_transition_where,
    bulk_import_status_transition,
    bulk_import_status_transition_locked,
    bulk_import_touch,
)

COLUMNS = ["nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "no_hp", "kode_desa", "alamat",
           "pekerjaan", "penghasilan", "jht", "bulan"]
REQUIRED = [c for c in COLUMNS if c != "jht"]
BATCH = 5000
logger = logging.getLogger(__name__)


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


def _max_chars() -> dict[str, int]:
    """Longest text per column: the member's column where the value is kept, else what a valid value needs."""
    def field(name: str) -> int:
        column = Member._meta.get_field(name)
        assert isinstance(column, CharField) and column.max_length is not None  # the member's text columns
        return column.max_length

    return {"nik": 24, "nama": field("full_name"), "tempat_lahir": field("birth_place"),
            "tanggal_lahir": 30, "jenis_kelamin": 20, "no_hp": 24, "kode_desa": 20,
            "alamat": field("address_line"), "pekerjaan": 100, "penghasilan": 20, "jht": 10, "bulan": 10}


def _cell_problem(column: str, value: str) -> str | None:
    """The forms' checks for one cell: its length (as it will be stored: names in capitals, single spaces) and no
    invisible or control characters (core.text)."""
    stored = " ".join(value.split()).upper() if column == "nama" else value
    limit = _max_chars()[column]
    if len(stored) > limit:
        return _("Column %(column)s is longer than %(limit)s characters.") % {"column": column, "limit": limit}
    if problem := text_problem(value):
        return _("Column %(column)s: %(problem)s") % {"column": column, "problem": problem}
    return None


def _check_row(raw: dict, lookups: _Lookups) -> tuple[dict, list[str]]:
    """The same checks as self-registration, for one row; (data to keep, reasons it is refused)."""
    reasons = []
    cells = {c: _text(raw.get(c)) for c in COLUMNS}
    missing = [c for c in REQUIRED if not cells[c]]
    if missing:
        reasons.append(_("Missing: %(columns)s.") % {"columns": ", ".join(missing)})
    for column in COLUMNS:
        if problem := _cell_problem(column, cells[column]):
            reasons.append(problem)
            cells[column] = ""  # read no further: a 100,000-digit income must not reach int()
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
        bulk_import_touch(import_id=bulk.pk, total_rows=expected, done_rows=0)
        batch: list[tuple] = []
        for number, raw in read_rows(bulk.file.path, bulk.filename):
            if done + len(batch) >= settings.BULK_IMPORT_MAX_ROWS:  # the sheet's size said less than it holds
                raise FileUnreadable(_too_many_rows())
            data, reasons = _check_row(raw, lookups)
            batch.append((number, BulkRowStatus.REJECTED if reasons else BulkRowStatus.ACCEPTED, reasons, data))
            if len(batch) >= BATCH:
                done = _write_batch(bulk, batch, done, expected)
                batch = []
        done = _write_batch(bulk, batch, done, expected)
    except FileUnreadable as exc:
        BulkImportRow.objects.filter(bulk_import=bulk).delete()
        bulk_import_status_transition(import_id=bulk.pk, to=BulkImport.Status.FAILED, error=str(exc),
                                      reason="unreadable")
        return BulkImport.objects.get(pk=bulk.pk)
    if done == 0:
        bulk_import_status_transition(import_id=bulk.pk, to=BulkImport.Status.FAILED,
                                      error=_("The file has no worker rows."), reason="empty")
        return BulkImport.objects.get(pk=bulk.pk)
    with transaction.atomic():
        # Locked while the whole file is classified: the sweep sees a running job and leaves it alone.
        BulkImport.objects.select_for_update().filter(pk=bulk.pk).first()
        _classify(bulk)
        bulk_import_status_transition(import_id=bulk.pk, to=BulkImport.Status.VALIDATED, total_rows=done,
                                      done_rows=done)
    return BulkImport.objects.get(pk=bulk.pk)


def _too_many_rows() -> str:
    return _("The file has more than %(rows)s rows. Please split it into smaller files.") % {
        "rows": f"{settings.BULK_IMPORT_MAX_ROWS:,}".replace(",", ".")}


def bulk_import_validate_job(*, import_id: int) -> BulkImport:
    """The check as a job: a crash (a bug, the database gone) marks the import failed with a message the uploader
    can read, and the retry button checks the file again; details go to the worker's log."""
    try:
        return bulk_import_validate(import_id=import_id)
    except Exception:
        logger.exception("bulk import %s: the check stopped", import_id)
        bulk_import_status_transition(import_id=import_id, to=BulkImport.Status.FAILED, error=_(
            "Checking the file stopped because of an error on our side. Nothing was registered. Please try "
            "again; if it stops again, contact us and give the number of this import (%(id)s).") % {
            "id": import_id}, reason="check crashed")
        return BulkImport.objects.get(pk=import_id)


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
    bulk_import_touch(import_id=bulk.pk, done_rows=done, total_rows=max(expected, done + 1))
    return done


def _classify(bulk: BulkImport) -> None:
    """Set-based verdicts over the whole file, in the order a person would give them: a later row with a NIK or
    phone number seen in an earlier accepted row is a duplicate; the uploader's own phone number is refused (a
    worker signs in with their own); a NIK that is already a member's is attached to this sponsor instead; a phone
    number that already belongs to a member is refused."""
    rows = BulkImportRow.objects.filter(bulk_import=bulk)
    for column in ("nik_index", "phone"):
        later = (rows.filter(status=BulkRowStatus.ACCEPTED)
                 .annotate(k=Window(RowNumber(), partition_by=[F(column)], order_by=F("row_number").asc()))
                 .filter(k__gt=1).values("pk"))
        bulk_import_rows_status_transition_where(
            rows=rows.filter(pk__in=Subquery(later)), to=BulkRowStatus.DUPLICATE,
            reasons=[_("The same NIK or phone number appears earlier in the file.")])
    own = {str(user.phone) for user in (bulk.sponsor.user, bulk.created_by) if user.phone}
    bulk_import_rows_status_transition_where(
        rows=rows.filter(status=BulkRowStatus.ACCEPTED, phone__in=own), to=BulkRowStatus.REJECTED,
        reasons=[_("This is your own phone number. Please enter the worker's own number: they sign in with it.")])
    bulk_import_rows_status_transition_where(
        rows=rows.filter(status=BulkRowStatus.ACCEPTED, nik_index__in=Member.objects.values("nik_index")),
        to=BulkRowStatus.EXISTING, reasons=[_("Already a member: they will be asked to accept you as their sponsor.")])
    bulk_import_rows_status_transition_where(
        rows=rows.filter(status=BulkRowStatus.ACCEPTED, phone__in=Member.objects.values("phone")),
        to=BulkRowStatus.REJECTED, reasons=[_("This phone number already belongs to a member.")])


def bulk_import_start(*, sponsor: Sponsor, uploaded, actor) -> BulkImport:
    name = uploaded.name or "import.csv"
    if not name.lower().endswith((".csv", ".xlsx")):
        raise ValidationError({"file": [_("Please upload a CSV or XLSX file.")]})
    if uploaded.size > settings.BULK_IMPORT_MAX_BYTES:
        raise ValidationError({"file": [_("The file is larger than %(mb)s MB. Please split it.") % {
            "mb": settings.BULK_IMPORT_MAX_BYTES // (1024 * 1024)}]})
    if _rows_in_upload(uploaded, name) > settings.BULK_IMPORT_MAX_ROWS:
        raise ValidationError({"file": [_too_many_rows()]})
    with transaction.atomic():
        bulk = BulkImport.objects.create(sponsor=sponsor, created_by=actor, file=uploaded, filename=name[:200])
        audit_event_record(actor=actor, action="bulk_import.started", obj=bulk, changes={"file": bulk.filename})
        from sponsors.tasks import bulk_import_validate as task

        # With the broker down the upload still succeeds: the sweep (bulk_imports_sweep) queues the check later.
        task_publish_on_commit(task, bulk.pk)
    return bulk


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


def bulk_import_commit_start(*, import_id: int, actor) -> BulkImport:
    """The sponsor confirms: the registration runs as a job (a city's file takes a while), shown with progress."""
    with transaction.atomic():
        bulk = BulkImport.objects.select_for_update().get(pk=import_id)
        if bulk.sponsor.user_id != actor.pk:  # the invoice is the sponsor's: nobody confirms for it (not staff)
            raise PermissionDenied
        if bulk.status != BulkImport.Status.VALIDATED:
            return bulk
        bulk_import_status_transition(import_id=bulk.pk, to=BulkImport.Status.COMMITTING, actor=actor, tries=0)
        bulk.refresh_from_db()
        from sponsors.tasks import bulk_import_commit as task

        task_publish_on_commit(task, bulk.pk, actor.pk)
    return bulk


def bulk_import_commit_job(*, import_id: int, actor_id: int) -> BulkImport:
    """The job: registers everyone or nobody. A refusal (a row that changed since the check) is kept on the import
    for the sponsor to read, and the import can be confirmed again."""
    try:
        return bulk_import_commit(import_id=import_id, actor=User.objects.get(pk=actor_id))
    except ValidationError as exc:
        bulk_import_status_transition(import_id=import_id, to=BulkImport.Status.VALIDATED,
                                      error=" ".join(exc.messages), reason="a row changed since the check")
        return BulkImport.objects.get(pk=import_id)
    except Exception:  # nothing was registered (one transaction): say so, and let the uploader try again
        logger.exception("bulk import %s: the registration stopped", import_id)
        bulk_import_status_transition(import_id=import_id, to=BulkImport.Status.FAILED, error=_(
            "Registering the workers stopped because of an error on our side. Nobody was registered and no "
            "invoice was made. Please try again: the file is checked again first. If it stops again, contact us "
            "and give the number of this import (%(id)s).") % {"id": import_id}, reason="registration crashed")
        return BulkImport.objects.get(pk=import_id)


class RetryRefused(Exception):
    pass


def bulk_import_retry(*, import_id: int, actor) -> BulkImport:
    """The uploader's \"Try again\" on a failed import: the file is checked again from the start (a fixed bug, a
    database that is back), then confirmed as usual. Refused when the file is no longer kept."""
    bulk = BulkImport.objects.get(pk=import_id)
    if bulk.status != BulkImport.Status.FAILED:
        return bulk
    try:
        kept = bool(bulk.file) and bulk.file.storage.exists(bulk.file.name)
    except Exception:  # noqa: BLE001 - a storage that cannot answer: the same as a file not kept
        kept = False
    if not kept:
        raise RetryRefused(_("The file is no longer kept. Please upload it again."))
    with transaction.atomic():
        if bulk_import_status_transition(import_id=bulk.pk, to=BulkImport.Status.VALIDATING, actor=actor,
                                         reason="retry", tries=0, done_rows=0):
            from sponsors.tasks import bulk_import_validate as task

            task_publish_on_commit(task, bulk.pk)
    return BulkImport.objects.get(pk=bulk.pk)


def bulk_imports_sweep(*, now: dt.datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Beat's sweep for jobs that stopped without finishing: a check or registration that shows no sign of life for
    BULK_IMPORT_STALE_SECONDS (a worker killed, the broker down when it was queued) is queued again, at most
    BULK_IMPORT_MAX_TRIES times, then marked failed for the uploader to retry. A job still running holds its
    import's row lock (PostgreSQL) and is skipped."""
    from sponsors.tasks import bulk_import_commit, bulk_import_validate

    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.BULK_IMPORT_STALE_SECONDS)
    running = (BulkImport.Status.VALIDATING, BulkImport.Status.COMMITTING)
    counts = {"handled": 0, "failed": 0, "skipped": 0}
    ids = list(BulkImport.objects.filter(status__in=running, updated_at__lt=cutoff).order_by("pk")
               .values_list("pk", flat=True)[:limit])
    for import_id in ids:
        with transaction.atomic():
            bulk = (BulkImport.objects.select_for_update(skip_locked=True)
                    .filter(pk=import_id, status__in=running, updated_at__lt=cutoff).first())
            if bulk is None:  # running right now, or moved on meanwhile
                counts["skipped"] += 1
                continue
            if bulk.tries >= settings.BULK_IMPORT_MAX_TRIES:
                bulk_import_status_transition(import_id=bulk.pk, to=BulkImport.Status.FAILED, error=_(
                    "The job stopped %(tries)s times without finishing. Nothing was registered. Please try "
                    "again later.") % {"tries": bulk.tries + 1}, reason="stopped too often")
                counts["failed"] += 1
                continue
            bulk_import_touch(import_id=bulk.pk, tries=bulk.tries + 1)
            if bulk.status == BulkImport.Status.VALIDATING:
                task_publish_on_commit(bulk_import_validate, bulk.pk)
            else:  # the confirmation was the uploader's; the job runs in their name
                task_publish_on_commit(bulk_import_commit, bulk.pk, bulk.created_by_id)
            counts["handled"] += 1
    return counts


def bulk_import_commit(*, import_id: int, actor) -> BulkImport:
    """Registers every accepted row and asks existing members to accept the sponsor, all in one transaction, then
    issues one invoice (workers × months). Set-based, in batches of rows: users, members, audit events, first bills
    and the invoice lines are bulk statements, not a query per worker. Nothing is half-done: any failure leaves no
    member behind."""
    with transaction.atomic(durable=True):
        bulk = BulkImport.objects.select_for_update().select_related("sponsor").get(pk=import_id)
        if bulk.status not in (BulkImport.Status.VALIDATED, BulkImport.Status.COMMITTING):
            return bulk
        accepted = bulk.rows.filter(status=BulkRowStatus.ACCEPTED)
        _refuse_changed_rows(accepted)
        today = timezone.localdate()
        registered = 0
        batch: list = []
        rows = accepted.order_by("row_number").values_list("row_number", "nik_index", "phone", "data")
        for row in rows.iterator(chunk_size=BATCH):
            batch.append(row)
            if len(batch) >= BATCH:
                registered += _register_batch(bulk, batch, actor, today)
                batch = []
        registered += _register_batch(bulk, batch, actor, today)
        _link_rows(bulk)
        _ask_existing_members(bulk)
        order = _invoice(bulk, actor, today) if registered else None
        bulk_import_status_transition_locked(bulk=bulk, to=BulkImport.Status.COMMITTED, actor=actor,
                                             committed_at=timezone.now(), order=order, error="")
        audit_event_record(actor=actor, action="bulk_import.committed", obj=bulk,
                           changes={"registered": registered, "order": order.pk if order else None})
        # The rows hold what the file said (NIKs encrypted): the spreadsheet itself goes now.
        transaction.on_commit(functools.partial(bulk_import_file_delete, import_id=bulk.pk))
        return bulk


def _refuse_changed_rows(accepted) -> None:
    """What happened since the check, for the whole file at once: a NIK or phone number now a member's, or a phone
    number of a staff account (staff never get phone sign-in)."""
    problems = [
        (accepted.filter(nik_index__in=Member.objects.values("nik_index")),
         _("This NIK is already registered.")),
        (accepted.filter(phone__in=Member.objects.values("phone")),
         _("This phone number already belongs to a member.")),
        (accepted.filter(phone__in=User.objects.filter(
            Q(role__in=STAFF_ROLES) | Q(is_staff=True) | Q(is_active=False)).exclude(phone=None).values("phone")),
         _("This phone number cannot be used for a worker's account.")),
    ]
    for rows, message in problems:
        first = rows.order_by("row_number").values_list("row_number", flat=True).first()
        if first is not None:
            raise ValidationError(_("Row %(row)s changed since the check: %(error)s Please check the file "
                                    "again.") % {"row": first, "error": message})


def _register_batch(bulk: BulkImport, batch: list, actor, today: dt.date) -> int:
    """Users (new ones without a password: they sign in by phone code), members, their audit events, the
    sponsorships and the welcome SMS for one batch of rows, each as one bulk statement of the app that owns the
    table. Phone numbers were checked and put in E.164 when the file was read, so they are written as they are. A
    phone number that already has an account (a sponsor's, an agent's, an heir's) gives a member without an account:
    its owner claims it with the NIK and birth date (services.member_claim), nobody finds a stranger's membership in
    their account."""
    if not batch:
        return 0
    accounts = phone_users_get_or_create_many(
        phones=[phone for _n, _i, phone, _d in batch], actor_id=actor.pk,
        changes={"via": "bulk_import", "bulk_import": bulk.pk})
    users = {phone: pk for phone, (pk, created) in accounts.items() if created}  # never an existing account
    rows = [MemberRow(nik_ciphertext=d["nik"], nik_index=index, nik_masked=d["nik_masked"], full_name=d["name"],
                      birth_place=d["birth_place"], birth_date=dt.date.fromisoformat(d["birth_date"]),
                      gender=d["gender"], phone=phone, village_code=d["village"], address_line=d["address"],
                      occupation_code=d["occupation"], income_base_idr=d["income"], has_jht=d["jht"],
                      user_id=users.get(phone))
            for _number, index, phone, d in batch]
    created = members_create_many(rows=rows, actor_id=actor.pk, channel=RegistrationChannel.BULK,
                                  funding_source=bulk.sponsor.funding_source, sponsor=bulk.sponsor,
                                  audit_changes={"bulk_import": bulk.pk})
    sponsorships_create_many(sponsor=bulk.sponsor, member_ids=[pk for pk, _kpj in created],
                             confirmed_at=timezone.now())
    return len(created)


def _link_rows(bulk: BulkImport) -> None:
    rows = bulk.rows.filter(status=BulkRowStatus.ACCEPTED)
    rows.update(member=Subquery(Member.objects.filter(nik_index=OuterRef("nik_index")).values("pk")[:1]))


def _ask_existing_members(bulk: BulkImport) -> None:
    """Existing members in the file are asked to accept the sponsor (decisions.md, R); nothing more happens to them."""
    indexes = bulk.rows.filter(status=BulkRowStatus.EXISTING).values("nik_index")
    members = Member.objects.filter(nik_index__in=indexes).exclude(
        sponsorships__sponsor=bulk.sponsor, sponsorships__ended_at=None)
    body = _("%(name)s would like to pay your BPJS Ketenagakerjaan contributions. Sign in to the BPU portal to accept "
             "or decline.") % {"name": bulk.sponsor.name}
    asked = []
    for member in members.only("pk", "phone").iterator(chunk_size=BATCH):
        asked.append(member)
        if len(asked) >= BATCH:
            sponsorships_request_many(sponsor=bulk.sponsor, members=asked, body=body)
            asked = []
    sponsorships_request_many(sponsor=bulk.sponsor, members=asked, body=body)


def _invoice(bulk: BulkImport, actor, today: dt.date):
    """The first bills for the months each row asked for, and one order with a line per worker
    (contributions.services.payments.payment_order_create_from_set)."""
    rows = (f"SELECT r.member_id, r.months FROM {BulkImportRow._meta.db_table} r "  # noqa: S608
            "WHERE r.bulk_import_id = %s AND r.status = %s", [bulk.pk, BulkRowStatus.ACCEPTED])
    return payment_order_create_from_set(items=rows, payer=actor, today=today, changes={"bulk_import": bulk.pk})


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
