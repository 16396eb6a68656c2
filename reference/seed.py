"""Reference data the portal starts with, from DOMAIN.md: tariffs, ecosystems and branches. The data migrations
that first filled these tables run these functions (with the historical models), and tests that flush the database
run them again."""

import datetime as dt
from decimal import Decimal

# PP 44/2015 Lampiran II: only the two ends are confirmed; the steps between are provisional (DOMAIN.md: open).
INCOME_BASES = [
    (1_000_000, False), (1_500_000, True), (2_000_000, True), (2_500_000, True), (3_000_000, True),
    (3_500_000, True), (4_000_000, True), (4_500_000, True), (5_000_000, True), (6_000_000, True),
    (7_000_000, True), (8_000_000, True), (9_000_000, True), (10_000_000, True), (12_500_000, True),
    (15_000_000, True), (17_500_000, True), (20_000_000, True), (20_700_000, False),
]

RATES = [
    ("JKK", dt.date(2015, 7, 1), Decimal("1.000"), None, "PP 44/2015"),
    ("JKM", dt.date(2015, 7, 1), None, 6800, "PP 44/2015"),
    ("JHT", dt.date(2015, 7, 1), Decimal("2.000"), None, "PP 46/2015"),
]

NON_TRANSPORT = ["agriculture", "fisheries", "trade", "services", "household", "construction", "creative", "other"]
DISCOUNTS = [
    ("PP 50/2025 – transport", Decimal("50"), ["JKK", "JKM"], dt.date(2026, 1, 1), dt.date(2027, 3, 1),
     ["transport"]),
    ("PP 50/2025", Decimal("50"), ["JKK", "JKM"], dt.date(2026, 4, 1), dt.date(2026, 12, 1), NON_TRANSPORT),
]


def tariffs_seed(IncomeBase, TariffRate, Discount) -> None:
    for amount, provisional in INCOME_BASES:
        IncomeBase.objects.update_or_create(amount_idr=amount, defaults={"provisional": provisional})
    for program, start, percent, flat, source in RATES:
        TariffRate.objects.update_or_create(
            program=program, effective_from=start, defaults={"percent": percent, "flat_idr": flat, "source": source}
        )
    for name, percent, programs, first, last, sectors in DISCOUNTS:
        Discount.objects.update_or_create(
            name=name,
            defaults={"percent": percent, "programs": programs, "first_month": first, "last_month": last,
                      "sectors": sectors, "excluded_funding": ["apbn", "apbd"], "source": "PP 50/2025"},
        )


ECOSYSTEMS = [
    # code, Indonesian, English, description id, description en
    ("desa", "Desa", "Village", "Perangkat desa, RT/RW, petani dan nelayan",
     "Village officials, neighbourhood heads, farmers and fishers"),
    ("pasar", "Pasar", "Market", "Pedagang pasar tradisional dan modern, bersama agen Perisai",
     "Traders at traditional and modern markets, with Perisai agents"),
    ("ecommerce_umkm", "E-commerce & UMKM", "E-commerce & SMEs", "Penjual online, usaha kecil dan pekerjanya",
     "Online sellers, small businesses and their staff"),
    ("pekerja_rentan", "Pekerja rentan", "Vulnerable workers", "Pekerja miskin dan rentan, sering dibiayai APBN/APBD",
     "Poor and vulnerable workers, often paid for from the state or regional budget"),
]


# (code, name, is_default, regency codes). Regencies without an area go to the default branch.
BRANCHES = [
    ("JKT-PST", "Kantor Cabang Jakarta Pusat", True, ["31.71"]),
    ("JKT-SEL", "Kantor Cabang Jakarta Selatan", False, ["31.74"]),
    ("BDG-SOR", "Kantor Cabang Bandung Soreang", False, ["32.04"]),
    ("BDG-KOT", "Kantor Cabang Bandung Kota", False, ["32.73"]),
    ("SKA", "Kantor Cabang Surakarta", False, ["33.72"]),
    ("PLG", "Kantor Cabang Palembang", False, ["16.71"]),
    ("BTG", "Kantor Cabang Bontang", False, ["64.74"]),
]


def ecosystems_seed(Ecosystem) -> None:
    for order, (code, name_id, name_en, desc_id, desc_en) in enumerate(ECOSYSTEMS):
        Ecosystem.objects.update_or_create(code=code, defaults={
            "name_id": name_id, "name_en": name_en, "description_id": desc_id, "description_en": desc_en,
            "sort_order": order * 10})


def branches_seed(Branch, BranchArea) -> None:
    for code, name, is_default, regencies in BRANCHES:
        branch, _ = Branch.objects.update_or_create(code=code, defaults={"name": name, "is_default": is_default})
        for regency in regencies:
            BranchArea.objects.update_or_create(regency_id=regency, defaults={"branch": branch})
