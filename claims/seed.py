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
    ("jkk_dis_base", None, Decimal("80"), None, False, "PP 44/2015 as amended by PP 82/2019: table % × 80 × income"),
    ("jkk_dis_total", None, Decimal("56"), None, False,
     "PP 82/2019: total permanent disability 70 % × 80 = 56 × income"),
    ("jkk_dis_periodic", 12_000_000, None, None, False, f"{FIRM}: total permanent disability, paid at once"),
    ("jkk_stmb_months", None, None, 12, False, "PP 82/2019: temporary incapacity at 100 % for the first 12 months"),
    ("jkk_stmb_full", None, Decimal("1.00"), None, False, "PP 82/2019: 100 % of the income, months 1–12"),
    ("jkk_stmb_later", None, Decimal("0.50"), None, False, "PP 82/2019: 50 % of the income from month 13 to recovery"),
    ("jkk_transport_land", 5_000_000, None, None, False,
     "PP 82/2019 (DOMAIN.md: single, supported): transport by land, river or lake"),
    ("jkk_transport_sea", 2_000_000, None, None, False, "PP 82/2019 (DOMAIN.md: single, supported): transport by sea"),
    ("jkk_transport_air", 10_000_000, None, None, False, "PP 82/2019 (DOMAIN.md: single, supported): transport by air"),
    ("jkk_home_care", 20_000_000, None, None, False, "PP 82/2019: home care, at most a year per case"),
    ("jkk_orthosis", None, Decimal("1.40"), None, False,
     "PP 44/2015 (DOMAIN.md: single): the government rehabilitation-centre price plus 40 %"),
    ("jht_partial_years", None, None, 10, False,
     "PP 46/2015 as amended by PP 60/2015 (DOMAIN.md: firm): once, after 10 years"),
    ("jht_partial_pension", None, Decimal("0.10"), None, False, "PP 60/2015: up to 10 % to prepare for retirement"),
    ("jht_partial_housing", None, Decimal("0.30"), None, False, "PP 60/2015: up to 30 % for housing"),
    ("jht_npwp_above", 50_000_000, None, None, False,
     "DOMAIN.md (firm): an NPWP when the balance is over Rp50,000,000"),
]

# PP 44/2015's disability table as far as it could be sourced (code, label as the regulation words it, percent):
# provisional until an admin checks each row against the gazette (issue 16).
DISABILITY_SOURCE = "PP 44/2015, annex: disability percentages (provisional: check against the gazette)"
DISABILITY_RATES = [
    ("lengan-kanan-bahu", "Lengan kanan dari sendi bahu ke bawah", "40"),
    ("lengan-kiri-bahu", "Lengan kiri dari sendi bahu ke bawah", "35"),
    ("lengan-kanan-siku", "Lengan kanan dari atau dari atas siku ke bawah", "35"),
    ("lengan-kiri-siku", "Lengan kiri dari atau dari atas siku ke bawah", "30"),
    ("lengan-kanan-pergelangan", "Lengan kanan dari atau dari atas pergelangan tangan ke bawah", "32"),
    ("lengan-kiri-pergelangan", "Lengan kiri dari atau dari atas pergelangan tangan ke bawah", "28"),
    ("kedua-kaki-paha", "Kedua belah kaki dari pangkal paha ke bawah", "70"),
    ("satu-kaki-paha", "Sebelah kaki dari pangkal paha ke bawah", "35"),
    ("kedua-kaki-mata-kaki", "Kedua belah kaki dari mata kaki ke bawah", "50"),
    ("satu-kaki-mata-kaki", "Sebelah kaki dari mata kaki ke bawah", "25"),
    ("kedua-mata", "Kedua belah mata", "70"),
    ("satu-mata", "Sebelah mata atau diplopia pada penglihatan dekat", "35"),
    ("pendengaran-kedua", "Pendengaran pada kedua belah telinga", "40"),
    ("pendengaran-satu", "Pendengaran pada sebelah telinga", "20"),
    ("ibu-jari-tangan-kanan", "Ibu jari tangan kanan", "15"),
    ("ibu-jari-tangan-kiri", "Ibu jari tangan kiri", "12"),
    ("telunjuk-kanan", "Telunjuk tangan kanan", "9"),
    ("telunjuk-kiri", "Telunjuk tangan kiri", "7"),
    ("jari-lain-kanan", "Salah satu jari lain tangan kanan", "4"),
    ("jari-lain-kiri", "Salah satu jari lain tangan kiri", "3"),
    ("ruas-telunjuk-kanan", "Ruas pertama telunjuk kanan", "4.5"),
    ("ruas-telunjuk-kiri", "Ruas pertama telunjuk kiri", "3.5"),
    ("ruas-jari-lain-kanan", "Ruas pertama jari lain tangan kanan", "2"),
    ("ruas-jari-lain-kiri", "Ruas pertama jari lain tangan kiri", "1.5"),
    ("ibu-jari-kaki", "Salah satu ibu jari kaki", "5"),
    ("telunjuk-kaki", "Salah satu jari telunjuk kaki", "3"),
    ("jari-kaki-lain", "Salah satu jari kaki lainnya", "2"),
]


def disability_rates_seed(DisabilityRate) -> None:
    for code, label, percent in DISABILITY_RATES:
        DisabilityRate.objects.update_or_create(
            code=code, effective_from=FROM,
            defaults={"label": label, "percent": Decimal(percent), "provisional": True, "source": DISABILITY_SOURCE})

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
