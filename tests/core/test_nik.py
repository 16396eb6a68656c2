import datetime as dt
import re

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.test import override_settings
from hypothesis import assume, given
from hypothesis import strategies as st
from lokal.nik import PROVINCES

from core.nik import nik_blind_index, nik_check, nik_decrypt, nik_encrypt, nik_mask
from tests.conftest import VALID_NIK_MAN, VALID_NIK_WOMAN

PROVINCE_CODES = sorted(PROVINCES)
two_digits_nonzero = st.integers(1, 99).map(lambda n: f"{n:02d}")


@st.composite
def niks(draw):
    """A structurally valid NIK with the birth date and gender it encodes."""
    province = draw(st.sampled_from(PROVINCE_CODES))
    regency, district = draw(two_digits_nonzero), draw(two_digits_nonzero)
    born = draw(st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2099, 12, 31)))
    gender = draw(st.sampled_from(["L", "P"]))
    serial = draw(st.integers(1, 9999).map(lambda n: f"{n:04d}"))
    day = born.day + (40 if gender == "P" else 0)
    nik = f"{province}{regency}{district}{day:02d}{born:%m}{born.year % 100:02d}{serial}"
    return nik, born, gender


pytestmark = pytest.mark.usefixtures("english")

sixteen_digits = st.text(alphabet="0123456789", min_size=16, max_size=16)


def _is_sixteen_digits(raw: str) -> bool:
    return re.fullmatch(r"[0-9]{16}", "".join(ch for ch in raw if not ch.isspace())) is not None


# --- nik_check -------------------------------------------------------------------------------------------


def test_known_valid_niks():
    woman = nik_check(VALID_NIK_WOMAN, birth_date=dt.date(1990, 8, 17), gender="P")
    assert woman.valid and woman.errors == [] and woman.warnings == []
    assert (woman.nik, woman.birth_date, woman.gender) == (VALID_NIK_WOMAN, dt.date(1990, 8, 17), "P")
    man = nik_check(VALID_NIK_MAN)
    assert man.valid and man.birth_date == dt.date(1985, 3, 12) and man.gender == "L"


@given(niks())
def test_generated_nik_is_valid_and_agrees_with_its_own_date_and_gender(case):
    nik, born, gender = case
    result = nik_check(nik, birth_date=born, gender=gender)
    assert result.errors == []
    assert result.valid
    assert result.nik == nik
    assert result.birth_date == born
    assert result.gender == gender


@given(niks())
def test_generated_nik_with_spaces_is_normalised(case):
    nik, born, gender = case
    spaced = f" {nik[:4]} {nik[4:8]} {nik[8:12]} {nik[12:]} "
    result = nik_check(spaced, birth_date=born, gender=gender)
    assert result.valid and result.nik == nik


@given(niks())
def test_other_gender_is_refused(case):
    nik, born, gender = case
    other = "L" if gender == "P" else "P"
    result = nik_check(nik, birth_date=born, gender=other)
    assert not result.valid
    assert len(result.errors) == 1
    if other == "P":
        assert "plus 40" in result.errors[0]
    else:
        assert "gender" in result.errors[0]


@given(niks(), st.integers(min_value=1, max_value=3000))
def test_other_birth_date_is_refused(case, shift):
    nik, born, gender = case
    other = born + dt.timedelta(days=shift)
    assume((other.day, other.month, other.year % 100) != (born.day, born.month, born.year % 100))
    result = nik_check(nik, birth_date=other, gender=gender)
    assert not result.valid
    assert result.errors == ["The NIK does not match the birth date you entered. Please check both."]


@given(st.text(max_size=40))
def test_anything_that_is_not_sixteen_digits_fails(raw):
    assume(not _is_sixteen_digits(raw))
    result = nik_check(raw)
    assert not result.valid
    assert result.errors


@given(st.from_regex(r"\A[0-9]{1,15}\Z|\A[0-9]{17,30}\Z"))
def test_too_short_or_too_long_fails_with_length_message(raw):
    result = nik_check(raw)
    assert result.errors == ["NIK must be exactly 16 digits."]
    assert result.nik is None


def test_non_ascii_digits_fail():
    assert not nik_check("٣١٧٤٠١٥٧٠٨٩٠٠٠٠١").valid  # Arabic-Indic digits


@pytest.mark.parametrize(
    "nik, fragment",
    [
        ("9974015708900001", "province"),  # 99 is no province
        ("1074015708900001", "province"),
        ("3174013208900001", "not a real date"),  # 32 August
        ("3174017208900001", "not a real date"),  # woman, day 32
        ("3174010013900001", "not a real date"),  # day 00, month 13
        ("3174012902010001", "not a real date"),  # 29-02-2001
        ("3174015708900000", "0000"),
        ("3100005708900001", "cannot be 00"),
    ],
)
def test_structural_errors(nik, fragment):
    result = nik_check(nik)
    assert not result.valid
    assert any(fragment in e for e in result.errors), result.errors


def test_unknown_district_prefix_is_a_warning_not_an_error():
    result = nik_check("3199995708900001", birth_date=dt.date(1990, 8, 17), gender="P")
    assert result.valid
    assert result.errors == []
    assert len(result.warnings) == 1 and "district code" in result.warnings[0]


def test_leap_day_is_accepted():
    result = nik_check("3174016902000001", birth_date=dt.date(2000, 2, 29), gender="P")
    assert result.valid and result.birth_date == dt.date(2000, 2, 29)


def test_date_match_uses_only_two_year_digits():
    # The NIK cannot tell 1920 from 2020: both agree.
    assert nik_check("3204051203200002", birth_date=dt.date(1920, 3, 12), gender="L").valid
    assert nik_check("3204051203200002", birth_date=dt.date(2020, 3, 12), gender="L").valid


# --- masking ---------------------------------------------------------------------------------------------


def test_mask_example():
    assert nik_mask("3174015708900001") == "3174********0001"


@given(sixteen_digits)
def test_mask_never_reveals_digits_5_to_12(nik):
    masked = nik_mask(nik)
    assert len(masked) == 16
    assert masked[:4] == nik[:4]
    assert masked[4:12] == "*" * 8
    assert masked[12:] == nik[12:]


@given(st.text(alphabet="0123456789", max_size=30).filter(lambda s: len(s) != 16))
def test_mask_of_wrong_length_reveals_nothing(raw):
    assert nik_mask(raw) == "*" * len(raw)


# --- encryption ------------------------------------------------------------------------------------------


@given(sixteen_digits)
def test_encrypt_decrypt_round_trip(nik):
    token = nik_encrypt(nik)
    assert nik not in token
    assert nik_decrypt(token) == nik


def test_encryption_is_randomised():
    assert nik_encrypt(VALID_NIK_WOMAN) != nik_encrypt(VALID_NIK_WOMAN)


def test_key_rotation():
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(NIK_ENCRYPTION_KEYS=[old_key]):
        old_token = nik_encrypt(VALID_NIK_WOMAN)
    with override_settings(NIK_ENCRYPTION_KEYS=[new_key, old_key]):
        assert nik_decrypt(old_token) == VALID_NIK_WOMAN  # old rows still readable
        new_token = nik_encrypt(VALID_NIK_MAN)  # new rows use the first key
    with override_settings(NIK_ENCRYPTION_KEYS=[new_key]):
        assert nik_decrypt(new_token) == VALID_NIK_MAN
        with pytest.raises(InvalidToken):
            nik_decrypt(old_token)


def test_decrypt_with_wrong_key_fails():
    token = nik_encrypt(VALID_NIK_WOMAN)
    with override_settings(NIK_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]), pytest.raises(InvalidToken):
        nik_decrypt(token)


# --- blind index -----------------------------------------------------------------------------------------


@given(sixteen_digits)
def test_blind_index_is_deterministic_hex(nik):
    index = nik_blind_index(nik)
    assert index == nik_blind_index(nik)
    assert re.fullmatch(r"[0-9a-f]{64}", index)
    assert nik not in index


@given(sixteen_digits, sixteen_digits)
def test_blind_index_differs_per_nik(a, b):
    assume(a != b)
    assert nik_blind_index(a) != nik_blind_index(b)


def test_blind_index_depends_on_the_key():
    first = nik_blind_index(VALID_NIK_WOMAN)
    with override_settings(NIK_HMAC_KEY="another-key"):
        assert nik_blind_index(VALID_NIK_WOMAN) != first
