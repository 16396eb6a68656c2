"""Invariants the database itself enforces (PostgreSQL)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.nik import nik_blind_index, nik_encrypt
from members.models import Member, Occupation
from reference.models import Discount, IncomeBase, TariffRate
from tests.conftest import VALID_NIK_MAN

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def member_values(village_code, reference_data):
    def make(**overrides):
        values = dict(
            kpj="12345678903", nik_ciphertext=nik_encrypt(VALID_NIK_MAN), nik_index=nik_blind_index(VALID_NIK_MAN),
            full_name="BUDI", birth_place="Bandung", birth_date=dt.date(1985, 3, 12), gender="L",
            phone="+6285712345678", village_id=village_code, address_line="Jl. 1",
            occupation=Occupation.objects.get(code="petani"), income_base_idr=1_000_000,
            consent_version="t", consented_at=timezone.now(),
        )
        values.update(overrides)
        return values

    return make


@pytest.mark.parametrize("kpj", ["123", "1234567890a", "12345 67890"])
def test_kpj_must_be_eleven_digits(member_values, kpj):
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(**member_values(kpj=kpj))


def test_income_must_be_positive(member_values):
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(**member_values(income_base_idr=0))


def test_one_member_per_nik_index(member_values):
    Member.objects.create(**member_values())
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(**member_values(kpj="98765432103", card_token="other"))


def test_one_member_per_kpj(member_values):
    Member.objects.create(**member_values())
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(**member_values(nik_index="x" * 64, card_token="other"))


def test_tariff_rate_is_percent_xor_flat(reference_data):
    with pytest.raises(IntegrityError), transaction.atomic():
        TariffRate.objects.create(program="JKK", effective_from=dt.date(2030, 1, 1), percent=1, flat_idr=100)
    with pytest.raises(IntegrityError), transaction.atomic():
        TariffRate.objects.create(program="JKK", effective_from=dt.date(2030, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        TariffRate.objects.create(program="JKK", effective_from=dt.date(2015, 7, 1), percent=2)  # one per date


def test_discount_and_income_base_checks(reference_data):
    with pytest.raises(IntegrityError), transaction.atomic():
        Discount.objects.create(name="x", percent=101, first_month=dt.date(2030, 1, 1), last_month=dt.date(2030, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Discount.objects.create(name="x", percent=10, first_month=dt.date(2030, 2, 1), last_month=dt.date(2030, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        IncomeBase.objects.create(amount_idr=-1)
