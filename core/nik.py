"""NIK handling: encryption at rest, keyed blind index for lookups, masking and structural validation."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.utils.translation import gettext as _
from lokal import parse_nik
from lokal.wilayah import wilayah_name


def _fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.NIK_ENCRYPTION_KEYS))


@functools.lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    # Keyed by the keys themselves, so a rotation in settings (or a test's override) takes effect at once.
    return MultiFernet([Fernet(key.encode()) for key in keys])


def nik_encrypt(nik: str) -> str:
    return _fernet().encrypt(nik.encode()).decode()


def nik_decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def secret_encrypt(value: str) -> str:
    """Other personal data kept encrypted at rest (a bank account number) under the same rotating keys as NIKs."""
    return _fernet().encrypt(value.encode()).decode()


def secret_decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def nik_blind_index(nik: str) -> str:
    return hmac.new(settings.NIK_HMAC_KEY.encode(), nik.encode(), hashlib.sha256).hexdigest()


def nik_mask(nik: str) -> str:
    """3201********0001: region prefix and serial stay, the birth-date part and district go."""
    if len(nik) != 16:
        return "*" * len(nik)
    return f"{nik[:4]}{'*' * 8}{nik[12:]}"


@dataclass
class NikCheck:
    nik: str | None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    birth_date: dt.date | None = None
    gender: str | None = None  # "L" or "P", as on the KTP

    @property
    def valid(self) -> bool:
        return not self.errors


def _nik_issue_message(code: str) -> str:
    # Translated only when there is an issue: bulk files check a million NIKs, nearly all fine.
    messages = {
        "province": _("The first two digits of the NIK are not a province code."),
        "wilayah": _("The regency and district codes in the NIK cannot be 00."),
        "birth_date": _("The birth-date digits of the NIK (7 to 12) are not a real date."),
        "serial": _("The last four digits of the NIK cannot be 0000."),
    }
    return messages.get(code, _("This is not a valid NIK."))


def nik_check(raw: str, *, birth_date: dt.date | None = None, gender: str | None = None) -> NikCheck:
    """Checks a NIK's structure with lokal-id and, when given, that it agrees with the birth date and gender.

    Messages are ours (translated); lokal-id's codes decide which one applies.
    """
    digits = "".join(ch for ch in str(raw) if not ch.isspace())
    if len(digits) != 16 or not digits.isdigit():
        return NikCheck(nik=None, errors=[_("NIK must be exactly 16 digits.")])
    info = parse_nik(digits, lookup_wilayah=wilayah_name)
    result = NikCheck(nik=digits)
    for issue in info.errors:
        result.errors.append(_nik_issue_message(issue.code))
    if any(w.code == "wilayah_unknown" for w in info.warnings):
        result.warnings.append(
            _("We do not recognise the district code in this NIK. Please check it; old codes are accepted.")
        )
    if info.birth_date:
        result.birth_date = dt.date.fromisoformat(info.birth_date)
        result.gender = info.gender
    if result.valid and birth_date and result.birth_date:
        # The NIK holds only two digits of the year: compare day, month and those two digits.
        in_nik = (result.birth_date.day, result.birth_date.month, result.birth_date.year % 100)
        if in_nik != (birth_date.day, birth_date.month, birth_date.year % 100):
            result.errors.append(_("The NIK does not match the birth date you entered. Please check both."))
        else:
            result.birth_date = birth_date
    if result.valid and gender and result.gender and result.gender != gender:
        if gender == "P":
            result.errors.append(_("For women the day in the NIK is the birth day plus 40. Please check the NIK."))
        else:
            result.errors.append(_("The NIK does not match the gender you entered. Please check both."))
    return result

