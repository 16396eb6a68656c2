"""Benchmarks on realistic data. `make bench` (PostgreSQL when DATABASE_URL points at it, else SQLite).

Registration has no target in its issue yet; these figures are the baseline later issues compare against:
- member_register: one registration (validation, NIK encryption + blind index, KPJ, audit, outbox) with N members
  already in the table;
- member home and card pages, rendered through the test client, signed in;
- public card check page.
Each figure is the median (and p95) over repeated runs, in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402

EXISTING = int(os.environ.get("BENCH_MEMBERS", "20000"))
RUNS = int(os.environ.get("BENCH_RUNS", "200"))


def _nik(i: int, district: str) -> tuple[str, dt.date, str]:
    rnd = random.Random(i)
    born = dt.date(1963, 1, 1) + dt.timedelta(days=rnd.randrange(0, 40 * 365))
    gender = rnd.choice("LP")
    day = born.day + (40 if gender == "P" else 0)
    serial = f"{i % 9999 + 1:04d}"
    return f"{district.replace('.', '')}{day:02d}{born:%m%y}{serial}", born, gender


def _timed(fn, runs):
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    from django.test import Client

    from core.models import User
    from core.nik import nik_blind_index, nik_encrypt
    from ecosystems.models import Region
    from ecosystems.services import regions_load
    from enrollment.models import Member, Occupation
    from enrollment.services import RegistrationData, _kpj_candidate, member_register

    print(f"database: {connection.vendor}, existing members: {EXISTING}, runs: {RUNS}")
    if not Region.objects.filter(level=4).exists():
        start = time.perf_counter()
        regions_load()
        print(f"regions_load (91,599 regions): {time.perf_counter() - start:.1f} s")
    villages = list(Region.objects.filter(level=4, code__startswith="32.").values_list("code", flat=True)[:5000])
    occupations = list(Occupation.objects.all())

    # Existing members in bulk (set-based), the way a migration or import would create them.
    have = Member.objects.count()
    batch = []
    for i in range(have, EXISTING):
        village = villages[i % len(villages)]
        nik, born, gender = _nik(i, village[:8])
        user = User(username=f"bench{i}", phone=f"+62812{i:08d}")
        batch.append((user, Member(
            kpj=_kpj_candidate(), nik_ciphertext=nik_encrypt(nik), nik_index=nik_blind_index(f"{nik}-{i}"),
            full_name=f"PESERTA {i}", birth_place="Bandung", birth_date=born, gender=gender, phone=user.phone,
            village_id=village, address_line="Jl. Contoh 1", occupation=occupations[i % len(occupations)],
            income_base_idr=1_000_000, consent_version="bench", consented_at=django.utils.timezone.now(),
        )))
        if len(batch) == 2000 or i == EXISTING - 1:
            User.objects.bulk_create([u for u, _ in batch])
            users = {u.username: u for u in User.objects.filter(username__in=[u.username for u, _ in batch])}
            for u, m in batch:
                m.user = users[u.username]
            Member.objects.bulk_create([m for _, m in batch])
            batch = []

    def register(i):
        n = 10_000_000 + i + int(time.time() * 1000) % 1_000_000
        village = villages[i % len(villages)]
        nik, born, gender = _nik(n, village[:8])
        user = User.objects.create(username=f"benchreg{n}", phone=f"+62813{n % 10**8:08d}")
        member_register(data=RegistrationData(
            nik=nik, full_name="Bench Worker", birth_place="Bandung", birth_date=born, gender=gender,
            phone=str(user.phone), village_code=village, address_line="Jl. Contoh 2", occupation_code="petani",
            income_base_idr=1_000_000, programs=["JKK", "JKM", "JHT"], consent=True,
        ), user=user, actor=user)

    median, p95 = _timed(register, RUNS)
    print(f"member_register: median {median:.1f} ms, p95 {p95:.1f} ms")

    member = Member.objects.select_related("user").order_by("-id").first()
    client = Client()
    client.force_login(member.user)
    for name, url in (("member home", "/anggota/"), ("card page", "/anggota/kartu/"),
                      ("card PDF", "/anggota/kartu.pdf"), ("public check", f"/cek/{member.card_token}/")):
        median, p95 = _timed(lambda _i, url=url: client.get(url), RUNS)
        print(f"{name:<13} GET {url[:20]:<20}: median {median:.1f} ms, p95 {p95:.1f} ms")


class _QuietBackend:
    """Delivers nothing and prints nothing, so the timings measure the portal, not the console."""

    def send(self, message) -> str:
        return "bench"


if __name__ == "__main__":
    import logging

    logging.disable(logging.INFO)
    settings.DEBUG = False
    settings.NOTIFICATION_BACKEND = "__main__._QuietBackend"
    setup_test_environment()
    from django.test.utils import get_runner

    runner = get_runner(settings)(verbosity=0, keepdb=True)
    old = runner.setup_databases()
    try:
        main()
    finally:
        runner.teardown_databases(old)
        teardown_test_environment()
