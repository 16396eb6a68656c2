"""Claims reference data from DOMAIN.md: benefit rules and scholarship levels (branches are in reference.seed);
used by the data migration and by tests that flush the database."""

import datetime as dt
from decimal import Decimal

# PP 82/2019 took effect on 2 December 2019; DOMAIN.md gives its figures.
FROM = dt.date(2019, 12, 2)
FIRM = "PP 82/2019 (DOMAIN.md: firm)"

# (kind, amount_idr, multiple, quantity, provisional, source)
RULES = [
    ("jkm_lump_sum", 20_000_000, None, None, False, FIRM),
    ("jkm_periodic", 12_000_000, None, None, False, f"{FIRM}: 24 × Rp500,000 paid at once"),
    ("jkm_funeral", 10_000_000, None, None, False, FIRM),
    ("jkm_early_death", 10_000_000, None, None, False, "DOMAIN.md: firm, source names differ"),
    ("jkm_early_months", None, None, 3, False, "DOMAIN.md: firm, source names differ"),
    ("jkm_school_months", None, None, 36, False, FIRM),
    ("jkk_death_multiple", None, Decimal("48"), None, False,
     "PP 82/2019: 48× the declared monthly income, never less than the JKM lump sum (56× is total disability)"),
    ("jkk_periodic", 12_000_000, None, None, False, f"{FIRM}: JKK death, 24 × Rp500,000 paid at once"),
    ("jkk_funeral", 10_000_000, None, None, False, f"{FIRM}: JKK death, funeral costs"),
    ("school_children", None, None, 2, False, FIRM),
    ("school_cap", 174_000_000, None, None, False, FIRM),
    ("jht_age_years", None, None, 56, False, "DOMAIN.md: firm"),
    ("jkk_claim_years", None, None, 5, False,
     "PP 44/2015 (issue 16): the right to JKK benefits lapses 5 years after the accident"),
    ("school_end_age", None, None, 23, False, f"{FIRM}: paid until the child is 23, marries or works"),
    ("school_year_month", None, None, 7, False, "The national school calendar: a school year starts in July"),
    ("school_remind_days", None, None, 30, False,
     "Decision (docs/claims.md): the heir is reminded a month before each school year"),
]

# The kinds the first data migration (0002) wrote: its check constraint knew no others.
INITIAL_KINDS = ("jkm_lump_sum", "jkm_periodic", "jkm_funeral", "jkm_early_death", "jkm_early_months",
                 "jkm_school_months", "jkk_death_multiple", "school_children", "school_cap", "jht_age_years")

# (kind, flag, source): yes/no settings.
FLAGS = [
    ("paid_months_restart", False,
     "Decision (docs/claims.md): membership age is the months paid; a reactivation does not restart the count"),
]

# (level, position, yearly_idr, years): Rp87 M per child in all.
SCHOLARSHIP_LEVELS = [
    ("primary", 1, 1_500_000, 8),
    ("junior_high", 2, 2_000_000, 3),
    ("senior_high", 3, 3_000_000, 3),
    ("university", 4, 12_000_000, 5),
]


def claims_reference_seed(BenefitRule, ScholarshipLevel, kinds: tuple[str, ...] | None = None) -> None:
    """Every rule (or only `kinds`: a migration's model knows only the kinds of its day) and the school levels."""
    for kind, amount, multiple, quantity, provisional, source in RULES:
        if kinds is not None and kind not in kinds:
            continue
        BenefitRule.objects.update_or_create(
            kind=kind, effective_from=FROM,
            defaults={"amount_idr": amount, "multiple": multiple, "quantity": quantity, "provisional": provisional,
                      "source": source},
        )
    for kind, flag, source in FLAGS:
        if kinds is None or kind in kinds:
            BenefitRule.objects.update_or_create(kind=kind, effective_from=FROM,
                                                 defaults={"flag": flag, "provisional": False, "source": source})
    for level, position, yearly, years in SCHOLARSHIP_LEVELS:
        ScholarshipLevel.objects.update_or_create(
            level=level, effective_from=FROM,
            defaults={"position": position, "yearly_idr": yearly, "years": years, "source": FIRM},
        )
