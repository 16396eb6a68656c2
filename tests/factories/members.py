"""Members and the parties around them (sponsors, agents, partners), inserted as rows: no registration flow, no
first bill, so a test decides exactly which bills exist. Registration itself is tested through its services."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from core.models import Role
from core.nik import nik_blind_index, nik_encrypt
from members.models import Agent, AgentBody, Member, MemberStatus, Occupation, Partner, Sponsor, Sponsorship
from tests.factories.core import UserFactory
from tests.factories.reference import region_loaded

VILLAGE = "31.74.01.1001"  # Tebet Timur, Jakarta Selatan
SECTOR_OCCUPATION = {
    "transport": "ojek-online", "agriculture": "petani", "fisheries": "nelayan", "trade": "pedagang-pasar",
    "services": "penjahit", "household": "asisten-rumah-tangga", "construction": "buruh-bangunan",
    "creative": "seniman", "other": "lainnya",
}


def nik_for(birth_date: dt.date, gender: str, *, village: str, serial: int) -> str:
    """A NIK of the village's district that agrees with the birth date and gender (a woman's day + 40)."""
    day = birth_date.day + (40 if gender == "P" else 0)
    return f"{village[:8].replace('.', '')}{day:02d}{birth_date:%m%y}{serial:04d}"


def kpj_for(n: int) -> str:
    """An 11-digit participant number with a Luhn check digit, as members.services issues them."""
    body = str(10**9 + n % (9 * 10**9))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


class MemberFactory(DjangoModelFactory):
    """A woman born 17 August 1990 in Tebet Timur, paying for herself 1,000,000 a month with JHT from January 2026.

    `nik` is a valid NIK for the birth date, gender and village; it is stored encrypted with its blind index.
    `sector` or `occupation_code` pick the occupation. With `nik_indexed=False` the blind index is of a key of the
    row instead: for builders whose NIKs repeat and may equal a NIK the test registers."""

    class Meta:
        model = Member
        skip_postgeneration_save = True

    class Params:
        serial = factory.Sequence(lambda n: n)
        nik = factory.LazyAttribute(lambda o: nik_for(o.birth_date, o.gender, village=o.village.code,
                                                      serial=o.serial % 9999 + 1))
        nik_indexed = True
        sector = "transport"
        occupation_code = factory.LazyAttribute(lambda o: SECTOR_OCCUPATION[o.sector])

    kpj = factory.LazyAttribute(lambda o: kpj_for(o.serial))
    nik_ciphertext = factory.LazyAttribute(lambda o: nik_encrypt(o.nik))
    nik_index = factory.LazyAttribute(
        lambda o: nik_blind_index(o.nik if o.nik_indexed else f"test-member-{o.serial}"))
    full_name = factory.LazyAttribute(lambda o: f"PESERTA {o.serial}")
    birth_place = "Jakarta"
    birth_date = dt.date(1990, 8, 17)
    gender = "P"
    phone = factory.LazyAttribute(lambda o: f"+62812{o.serial % 100_000_000:08d}")
    village = factory.LazyFunction(lambda: region_loaded(VILLAGE))
    address_line = "Jl. Melati 5"
    occupation = factory.LazyAttribute(lambda o: Occupation.objects.get(code=o.occupation_code))
    income_base_idr = 1_000_000
    has_jht = True
    funding_source = "self"
    status = MemberStatus.REGISTERED
    billing_start = dt.date(2026, 1, 1)
    consent_version = "test"
    consented_at = factory.LazyFunction(timezone.now)


class SponsorFactory(DjangoModelFactory):
    """A citizen sponsor (SERTAKAN): like sponsor_become, the account keeps its worker role and phone.
    `SponsorFactory(government=True)` for a local government paying from APBD."""

    class Meta:
        model = Sponsor

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Ibu Sponsor {n}")

    class Params:
        government = factory.Trait(name="Pemkot Bontang", kind="government", funding_source="apbd")


class SponsorshipFactory(DjangoModelFactory):
    """A sponsorship the member has confirmed."""

    class Meta:
        model = Sponsorship

    sponsor = factory.SubFactory(SponsorFactory)
    member = factory.SubFactory(MemberFactory)
    relationship = "other"
    confirmed_at = factory.LazyFunction(timezone.now)


class AgentBodyFactory(DjangoModelFactory):
    class Meta:
        model = AgentBody
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Koperasi {n}")
    kind = AgentBody.Kind.COOPERATIVE


class AgentFactory(DjangoModelFactory):
    """An active Perisai agent of a cooperative, at a market."""

    class Meta:
        model = Agent

    user = factory.SubFactory(UserFactory, agent=True)
    body = factory.SubFactory(AgentBodyFactory)
    market = "Pasar Tebet"


class PartnerUserFactory(UserFactory):
    """A partner's account, as partner_create makes it: no phone, no usable password (partners use API keys)."""

    role = Role.PARTNER
    username = factory.Sequence(lambda n: f"partner-{n:08x}")
    password = factory.django.Password(None)


class PartnerFactory(DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Toko Mitra {n}")
    ecosystem_id = "ecommerce_umkm"
    user = factory.SubFactory(PartnerUserFactory, first_name=factory.SelfAttribute("..name"))

