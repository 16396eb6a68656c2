"""The checks of one row, the same as self-registration's: every cell, the identity, the phone number, the
village, the occupation, the income and the months."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.db.models import CharField
from django.utils import timezone
from django.utils.translation import gettext as _

from core.forms import mobile_number_check
from core.nik import nik_blind_index, nik_encrypt, nik_mask
from core.text import text_problem
from members.models import Member, Occupation
from members.services import identity_errors
from reference.models import Region, RegionLevel
from reference.tariffs import income_bases
from sponsors.bulk.reading import COLUMNS, REQUIRED


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
                                            check_registered=False, today=lookups.today, about_worker=True)
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
