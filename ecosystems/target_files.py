"""Reading and checking targets and workforce CSV files, and their templates (no writes: ecosystems.services.targets
saves a file once every row is good). The whole file is checked and every bad row reported (row, column, what is
wrong).

Files: UTF-8 with or without BOM, comma or semicolon (Excel in an Indonesian locale writes semicolons), at most
MAX_BYTES. Columns by their Indonesian names, or the English ones:

- targets:   tahun (year), kode_wilayah (region_code), ekosistem (ecosystem), ukuran (measure), nilai (value),
             sumber (source)
- workforce: tahun (year), kode_wilayah (region_code), pekerja (workers), pekerja_informal (informal_workers),
             sumber (source)

A blank region code is the whole country; otherwise a province (16) or a regency/city (16.71) from Region. A blank
ecosystem is all of them. Measure `anggota` (members: a whole number > 0) or `persen` (share of the workforce:
0 < x <= 100, comma or dot decimal).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.spreadsheets import csv_writer
from ecosystems.models import NATION, TargetMeasure
from ecosystems.seed import TARGETS, WORKFORCE
from reference.models import Ecosystem, Region, RegionLevel

MAX_BYTES = 5 * 1024 * 1024
MIN_YEAR, MAX_YEAR = 2000, 2100
SOURCE_MAX = 200

# canonical (Indonesian) column -> accepted header names (normalised: lower case, non-alphanumerics as _)
TARGET_COLUMNS = {
    "tahun": ("tahun", "year"),
    "kode_wilayah": ("kode_wilayah", "region_code", "region"),
    "ekosistem": ("ekosistem", "ecosystem"),
    "ukuran": ("ukuran", "measure"),
    "nilai": ("nilai", "value"),
    "sumber": ("sumber", "source"),
}
TARGET_REQUIRED = ("tahun", "kode_wilayah", "ukuran", "nilai")
WORKFORCE_COLUMNS = {
    "tahun": ("tahun", "year"),
    "kode_wilayah": ("kode_wilayah", "region_code", "region"),
    "pekerja": ("pekerja", "workers"),
    "pekerja_informal": ("pekerja_informal", "informal_workers"),
    "sumber": ("sumber", "source"),
}
WORKFORCE_REQUIRED = ("tahun", "kode_wilayah", "pekerja")

# What the file says -> TargetMeasure. The template writes the Indonesian words.
MEASURES = {
    "anggota": TargetMeasure.MEMBERS, "peserta": TargetMeasure.MEMBERS, "members": TargetMeasure.MEMBERS,
    "persen": TargetMeasure.SHARE, "%": TargetMeasure.SHARE, "share": TargetMeasure.SHARE,
    "percent": TargetMeasure.SHARE,
}
MEASURE_WORD = {TargetMeasure.MEMBERS: "anggota", TargetMeasure.SHARE: "persen"}

KIND_TARGETS = "targets"
KIND_WORKFORCE = "workforce"
KIND_LABELS = {KIND_TARGETS: gettext_lazy("Targets"), KIND_WORKFORCE: gettext_lazy("Workforce figures")}


@dataclass(frozen=True)
class RowError:
    row: int  # the line in the file (the header is row 1), as a spreadsheet shows it
    column: str  # the column as the file names it; '' for the whole row
    value: str
    message: str


@dataclass
class UploadResult:
    kind: str
    filename: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_error: str = ""  # the file as a whole could not be read (size, encoding, header)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_error


# --- reading ----------------------------------------------------------------------------------------------------


def _norm(value: str) -> str:
    return re.sub(r"[^a-z0-9%]+", "_", (value or "").strip().lower().lstrip("\ufeff")).strip("_")


def _read_text(uploaded) -> str:
    """The file as text, or ValueError with the reason to show."""
    size = getattr(uploaded, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ValueError(_("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
    uploaded.seek(0)
    raw = uploaded.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ValueError(_("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
    if isinstance(raw, str):
        raw = raw.encode()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(_("The file is not UTF-8 text. Save it as \"CSV UTF-8\" and upload it again.")) from None
    if "\x00" in text:
        raise ValueError(_("This is not a CSV file. Save the spreadsheet as CSV and upload it again."))
    return text


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    """Comma or semicolon, sniffed from the header line (values such as 12,5 never confuse it there)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    try:
        return csv.Sniffer().sniff(header, delimiters=";,")
    except csv.Error:
        dialect = csv.excel()
        dialect.delimiter = ";" if header.count(";") > header.count(",") else ","
        return dialect


def _rows(text: str, columns: dict[str, tuple[str, ...]], required: tuple[str, ...]):
    """(header names as written per canonical column, iterator of (row number, {canonical: value}))."""
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    header: list[str] | None = None
    for row in reader:
        if any(cell.strip() for cell in row):
            header = row
            break
    if header is None:
        raise ValueError(_("The file is empty."))
    accepted = {alias: canonical for canonical, aliases in columns.items() for alias in aliases}
    positions: dict[str, int] = {}
    written: dict[str, str] = {}
    unknown = []
    for i, name in enumerate(header):
        key = _norm(name)
        if not key:
            continue
        canonical = accepted.get(key)
        if canonical is None:
            unknown.append(name.strip())
        elif canonical in positions:
            raise ValueError(_("The column %(name)s appears twice.") % {"name": name.strip()})
        else:
            positions[canonical] = i
            written[canonical] = name.strip().lstrip("\ufeff")
    if unknown:
        raise ValueError(_("Unknown column: %(names)s. The columns are: %(expected)s.") % {
            "names": ", ".join(unknown), "expected": ", ".join(columns)})
    missing = [c for c in required if c not in positions]
    if missing:
        raise ValueError(_("Missing column: %(names)s. The columns are: %(expected)s.") % {
            "names": ", ".join(missing), "expected": ", ".join(columns)})

    def body():
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            values = {c: (row[i].strip() if i < len(row) else "") for c, i in positions.items()}
            yield reader.line_num, values

    return written, body()


# --- checking one value -----------------------------------------------------------------------------------------


class _Bad(Exception):
    def __init__(self, message: str):
        self.message = message


def _year(value: str) -> int:
    if not re.fullmatch(r"\d{4}", value):
        raise _Bad(_("Not a year: write it with four digits, e.g. 2026."))
    year = int(value)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _Bad(_("The year must be between %(lo)d and %(hi)d.") % {"lo": MIN_YEAR, "hi": MAX_YEAR})
    return year


def region_code_check(value: str, regions: dict[str, int] | None = None) -> str:
    """The region code a target or workforce figure is for ('' = the nation); ValueError with what is wrong."""
    try:
        return _region_code(value, _regions() if regions is None else regions)
    except _Bad as exc:
        raise ValueError(exc.message) from None


def _region_code(value: str, regions: dict[str, int]) -> str:
    code = value.strip()
    if code.lower() in ("", "id", "nasional", "national", "indonesia"):
        return NATION
    # A spreadsheet that took 32.10 for a number shows 32.1: regency codes always have two digits after the dot.
    if re.fullmatch(r"\d{2}\.\d", code):
        code += "0"
    if re.fullmatch(r"\d{2}\.\d{2}\.\d{2}(\.\d{4})?", code):
        raise _Bad(_("Targets are set for the country, a province or a regency/city."))
    if not re.fullmatch(r"\d{2}(\.\d{2})?", code):
        raise _Bad(_("Not a region code: leave it empty for the whole country, or write a province (16) or a "
                     "regency/city (16.71)."))
    level = regions.get(code)
    if level is None:
        raise _Bad(_("Unknown region code."))
    if level not in (RegionLevel.PROVINCE, RegionLevel.REGENCY):
        raise _Bad(_("Targets are set for the country, a province or a regency/city."))
    return code


def _whole_number(value: str, *, allow_empty: bool = False) -> int | None:
    text = value.replace(" ", "").replace("\u00a0", "")
    if not text and allow_empty:
        return None
    # 70000000, 70.000.000 or 70,000,000: thousands separators are allowed, decimals are not.
    if re.fullmatch(r"\d+", text):
        number = int(text)
    elif re.fullmatch(r"\d{1,3}([.,_]\d{3})+", text) and len(set(re.findall(r"[.,_]", text))) == 1:
        number = int(re.sub(r"[.,_]", "", text))
    else:
        raise _Bad(_("Must be a whole number greater than 0, e.g. 70000000."))
    if number <= 0:
        raise _Bad(_("Must be a whole number greater than 0, e.g. 70000000."))
    return number


def _percent(value: str) -> Decimal:
    text = value.replace(" ", "").rstrip("%").replace(",", ".")
    try:
        if not re.fullmatch(r"\d+(\.\d+)?", text):
            raise InvalidOperation
        number = Decimal(text)
    except InvalidOperation:
        raise _Bad(_("Must be a percentage above 0 and at most 100, e.g. 50 or 42,5.")) from None
    if not Decimal(0) < number <= Decimal(100):
        raise _Bad(_("Must be a percentage above 0 and at most 100, e.g. 50 or 42,5."))
    if number != number.quantize(Decimal("0.01")):
        raise _Bad(_("At most two decimals, e.g. 42,25."))
    return number.quantize(Decimal("0.01"))


def _source(value: str) -> str:
    if len(value) > SOURCE_MAX:
        raise _Bad(_("At most %(n)d characters.") % {"n": SOURCE_MAX})
    return value


# --- checking whole files ---------------------------------------------------------------------------------------


def _regions() -> dict[str, int]:
    return dict(Region.objects.filter(level__lte=RegionLevel.REGENCY).values_list("code", "level"))


def _apply(number: int, values: dict, written: dict[str, str], checks, errors: list[RowError]) -> dict | None:
    """Runs (column, check) over a row: the parsed values, or None after adding its errors."""
    parsed: dict = {}
    bad = False
    for column, fn in checks:
        if callable(column):  # a check that depends on values parsed before it
            column, fn = column(parsed)
            if fn is None:
                continue
        try:
            parsed[column] = fn(values.get(column, ""))
        except _Bad as exc:
            bad = True
            errors.append(RowError(number, written.get(column, column), values.get(column, ""), exc.message))
    return None if bad else parsed


def _value_check(parsed: dict):
    measure = parsed.get("ukuran")
    if measure == TargetMeasure.MEMBERS:
        return "nilai", _whole_number
    if measure == TargetMeasure.SHARE:
        return "nilai", _percent
    return "nilai", None  # the measure's own error says what to fix


def _check_targets(rows, written: dict[str, str], errors: list[RowError]) -> list[tuple[int, dict]]:
    regions = _regions()
    ecosystems = set(Ecosystem.objects.values_list("code", flat=True))
    checks = [("tahun", _year), ("kode_wilayah", lambda v: _region_code(v, regions)),
              ("ekosistem", lambda v: _ecosystem(v, ecosystems)), ("ukuran", _measure), (_value_check, None),
              ("sumber", _source)]
    good: list[tuple[int, dict]] = []
    seen: dict[tuple, int] = {}
    for number, values in rows:
        parsed = _apply(number, values, written, checks, errors)
        if parsed is None:
            continue
        key = (parsed["tahun"], parsed["kode_wilayah"], parsed["ekosistem"])
        if key in seen:
            errors.append(RowError(number, "", "", _("Same year, region and ecosystem as row %(row)d.")
                                   % {"row": seen[key]}))
            continue
        seen[key] = number
        good.append((number, parsed))
    return good


def _ecosystem(value: str, ecosystems: set[str]) -> str | None:
    code = value.strip().lower()
    if code in ("", "semua", "all", "*"):
        return None
    if code not in ecosystems:
        raise _Bad(_("Unknown ecosystem. Use one of: %(codes)s, or leave it empty for all.")
                   % {"codes": ", ".join(sorted(ecosystems))})
    return code


def _measure(value: str) -> str:
    measure = MEASURES.get(value.strip().lower())
    if measure is None:
        raise _Bad(_("Unknown measure: write anggota (members) or persen (share of the workforce)."))
    return measure


def _check_workforce(rows, written: dict[str, str], errors: list[RowError]) -> list[tuple[int, dict]]:
    regions = _regions()
    checks = [("tahun", _year), ("kode_wilayah", lambda v: _region_code(v, regions)), ("pekerja", _whole_number),
              ("pekerja_informal", lambda v: _whole_number(v, allow_empty=True)), ("sumber", _source)]
    good: list[tuple[int, dict]] = []
    seen: dict[tuple, int] = {}
    for number, values in rows:
        parsed = _apply(number, values, written, checks, errors)
        if parsed is None:
            continue
        if parsed["pekerja_informal"] is not None and parsed["pekerja_informal"] > parsed["pekerja"]:
            errors.append(RowError(number, written.get("pekerja_informal", "pekerja_informal"),
                                   values.get("pekerja_informal", ""), _("Cannot be more than all workers.")))
            continue
        key = (parsed["tahun"], parsed["kode_wilayah"])
        if key in seen:
            errors.append(RowError(number, "", "", _("Same year and region as row %(row)d.") % {"row": seen[key]}))
            continue
        seen[key] = number
        good.append((number, parsed))
    return good


def target_file_check(*, kind: str, uploaded, result: UploadResult) -> list[tuple[int, dict]]:
    """Reads and checks a targets or workforce CSV in full: the good rows (row number, values); every bad row, or
    what is wrong with the whole file, lands in result."""
    columns, required = ((TARGET_COLUMNS, TARGET_REQUIRED) if kind == KIND_TARGETS
                         else (WORKFORCE_COLUMNS, WORKFORCE_REQUIRED))
    try:
        written, rows = _rows(_read_text(uploaded), columns, required)
        checker = _check_targets if kind == KIND_TARGETS else _check_workforce
        good = checker(rows, written, result.errors)
    except (ValueError, csv.Error) as exc:
        result.file_error = str(exc) if isinstance(exc, ValueError) else _("The file could not be read as CSV.")
        return []
    result.rows = len(good) + len({e.row for e in result.errors})
    if not good and not result.errors:
        result.file_error = _("The file has a header but no rows.")
    return good


# --- templates -------------------------------------------------------------------------------------------------


def _csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _number_text(value) -> str:
    if isinstance(value, Decimal):
        value = value.normalize()
        text = format(value, "f")
    else:
        text = str(value)
    return text.replace(".", ",") if "." in text else text


def targets_template_csv() -> str:
    """The targets columns with the seeded targets as example rows (comma-separated, decimals with a comma)."""
    rows = [[year, region, ecosystem or "", MEASURE_WORD[TargetMeasure(measure)], _number_text(value), source]
            for year, region, ecosystem, measure, value, source in TARGETS]
    return _csv(list(TARGET_COLUMNS), rows)


def workforce_template_csv() -> str:
    rows = [[year, region, workers, informal if informal is not None else "", source]
            for year, region, workers, informal, source in WORKFORCE]
    return _csv(list(WORKFORCE_COLUMNS), rows)
