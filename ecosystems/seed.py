"""Targets and workforce figures the dashboards start with (DOMAIN.md, "Ecosystems, regions and targets"); the
ecosystems themselves are in reference.seed. Used by a data migration and by tests that flush the database. Every
figure says where it comes from."""

SOUTH_SUMATRA = "16"

# year, region code ('' = nation), ecosystem code or None, measure, value, source
TARGETS = [
    (2024, "", None, "members", 53_900_000, "Target 2024: 53,9 juta peserta aktif (DOMAIN.md)"),
    (2026, "", None, "members", 70_000_000, "Target akhir 2026: 70 juta peserta aktif (DOMAIN.md)"),
    (2025, SOUTH_SUMATRA, None, "share", 50, "Sumatera Selatan: 50 % pekerja pada 2025 (DOMAIN.md)"),
    (2026, SOUTH_SUMATRA, None, "share", 50, "Sumatera Selatan: 50 % dipertahankan untuk 2026 (asumsi demo)"),
]

# year, region code, workers, informal workers, source
WORKFORCE = [
    (2024, "", 152_110_000, None, "BPS Sakernas Agustus 2024: angkatan kerja 152,11 juta (ganti bila ada angka baru)"),
    (2026, "", 152_110_000, None, "Angka 2024 dipakai lagi sampai angka 2026 diunggah (asumsi demo)"),
    # 1.3 M covered = 34 % of South Sumatra's workers, so about 3.82 M workers.
    (2025, SOUTH_SUMATRA, 3_823_529, None, "Turunan DOMAIN.md: 1,3 juta tercakup = 34 % pekerja Sumatera Selatan"),
    (2026, SOUTH_SUMATRA, 3_823_529, None, "Angka 2025 dipakai lagi sampai angka 2026 diunggah (asumsi demo)"),
]


def targets_seed(Target, Workforce) -> None:
    for year, region, ecosystem, measure, value, source in TARGETS:
        values = {"measure": measure, "source": source, "members": value if measure == "members" else None,
                  "share_percent": value if measure == "share" else None}
        Target.objects.update_or_create(year=year, region_code=region, ecosystem_id=ecosystem, defaults=values)
    for year, region, workers, informal, source in WORKFORCE:
        Workforce.objects.update_or_create(year=year, region_code=region, defaults={
            "workers": workers, "informal_workers": informal, "source": source})
