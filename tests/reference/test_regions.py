import pytest
from django.core.management import call_command
from django.db.models import Count

from reference.models import Region
from reference.selectors import region_children, region_get, region_path
from reference.services import regions_load

pytestmark = pytest.mark.django_db

COUNTRY = {1: 38, 2: 514, 3: 7_285, 4: 83_762}  # Kepmendagri 300.2.2-2138/2025


def _per_level():
    return dict(Region.objects.values_list("level").annotate(n=Count("code")).order_by("level"))


def test_full_country_load_is_complete_and_idempotent():
    loaded = regions_load()
    assert _per_level() == COUNTRY
    assert loaded == sum(COUNTRY.values())
    assert not Region.objects.filter(level__gt=1, parent__isnull=True).exists()
    assert not Region.objects.filter(level=1, parent__isnull=False).exists()
    jaksel = Region.objects.get(code="31.74")
    assert (jaksel.name, jaksel.level, jaksel.parent_id) == ("Kota Administrasi Jakarta Selatan", 2, "31")

    Region.objects.filter(code="31.74").update(name="renamed")
    regions_load()
    assert _per_level() == COUNTRY
    assert Region.objects.get(code="31.74").name == "Kota Administrasi Jakarta Selatan"


def test_subtree_load_brings_its_ancestors():
    count = regions_load(root="31.74.01")
    codes = set(Region.objects.values_list("code", flat=True))
    villages = {c for c in codes if c.count(".") == 3}
    assert {"31", "31.74", "31.74.01"} <= codes
    assert len(villages) == 7 and all(c.startswith("31.74.01.") for c in villages)
    assert count == len(codes) == 10
    assert region_get(code="31.74.01").name == "Tebet"
    village = Region.objects.get(code="31.74.01.1001")
    assert (village.name, village.level, village.parent_id, village.postal_code) == ("Tebet Timur", 4, "31.74.01",
                                                                                      "12820")


def test_subtree_load_is_idempotent():
    regions_load(root="32.04.05")
    before = list(Region.objects.order_by("code").values_list("code", "name", "level", "parent_id", "postal_code"))
    regions_load(root="32.04.05")
    after = list(Region.objects.order_by("code").values_list("code", "name", "level", "parent_id", "postal_code"))
    assert after == before
    assert before[0][:3] == ("32", "Jawa Barat", 1)


def test_village_root_loads_just_its_chain():
    regions_load(root="31.74.01.1001")
    assert list(Region.objects.order_by("code").values_list("code", "level")) == [
        ("31", 1), ("31.74", 2), ("31.74.01", 3), ("31.74.01.1001", 4),
    ]


def test_two_subtrees_share_nothing_but_their_own_codes(regions):
    assert _per_level()[1] == 2  # 31 and 32
    assert Region.objects.filter(level=4, code__startswith="31.74.01.").count() == 7
    assert Region.objects.filter(level=4, code__startswith="32.04.05.").count() > 0


def test_unknown_root_fails():
    with pytest.raises(Exception):  # noqa: B017 - any error, as long as nothing is written
        regions_load(root="99.99")
    assert not Region.objects.exists()


def test_region_children(regions):
    provinces = list(region_children(parent_code=None))
    assert [r.code for r in provinces] == ["31", "32"]  # ordered by name: DKI Jakarta, Jawa Barat
    villages = list(region_children(parent_code="31.74.01"))
    names = [v.name for v in villages]
    assert len(villages) == 7
    assert names == sorted(names)
    assert all(v.level == 4 and v.code.startswith("31.74.01.") for v in villages)
    assert list(region_children(parent_code="31.74.01.1001")) == []
    assert [r.code for r in region_children(parent_code="31")] == ["31.74"]


def test_region_path(regions):
    village = region_get(code="31.74.01.1001")
    assert [r.code for r in region_path(region=village)] == ["31", "31.74", "31.74.01", "31.74.01.1001"]
    assert region_get(code="00.00") is None


def test_management_command(capsys):
    call_command("regions_load", root="31.74.01")
    assert "Loaded 10 regions." in capsys.readouterr().out
    call_command("regions_load", if_empty=True)
    assert "already loaded" in capsys.readouterr().out
    assert Region.objects.count() == 10
