"""Tariff reference data from DOMAIN.md; used by a data migration and by tests that flush the database."""

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
