"""Scenario 3 (the original bench): registration and member pages, with every bench member already in the table.

- member_register: one registration (validation, NIK encryption + blind index, KPJ, audit, first bill, outbox);
- member home and card pages, the card PDF, rendered through the test client, signed in;
- public card check page.
Each figure is the median (and p95) over BENCH_RUNS runs (default 200), in milliseconds. Registration has no
target in its issue yet; these figures are the baseline later issues compare against.
"""

from __future__ import annotations

import datetime as dt
import random
import time

import django

from bench.common import Report, env_int, timed


def _nik(i: int, district: str) -> tuple[str, dt.date, str]:
    rnd = random.Random(i)
    born = dt.date(1963, 1, 1) + dt.timedelta(days=rnd.randrange(0, 40 * 365))
    gender = rnd.choice("LP")
    day = born.day + (40 if gender == "P" else 0)
    serial = f"{i % 9999 + 1:04d}"
    return f"{district.replace('.', '')}{day:02d}{born:%m%y}{serial}", born, gender


def scenario(report: Report) -> None:
    from django.test import Client

    from core.models import User
    from core.nik import nik_blind_index, nik_encrypt
    from enrollment.services import member_register
    from members.models import Member, Occupation
    from members.services import RegistrationData
    from members.services.registration import _kpj_candidate
    from reference.models import Region

    existing = env_int("BENCH_MEMBERS", 20000)
    runs = env_int("BENCH_RUNS", 200)
    villages = list(Region.objects.filter(level=4, code__startswith="32.").values_list("code", flat=True)[:5000])
    occupations = list(Occupation.objects.all())

    # When the billing members are absent (BENCH_SCENARIOS without billing): BENCH_MEMBERS members with users.
    have = Member.objects.count()
    batch = []
    for i in range(have, existing):
        village = villages[i % len(villages)]
        nik, born, gender = _nik(i, village[:8])
        user = User(username=f"bench{i}", phone=f"+62812{i:08d}")
        batch.append((user, Member(
            kpj=_kpj_candidate(), nik_ciphertext=nik_encrypt(nik), nik_index=nik_blind_index(f"{nik}-{i}"),
            full_name=f"PESERTA {i}", birth_place="Bandung", birth_date=born, gender=gender, phone=user.phone,
            village_id=village, address_line="Jl. Contoh 1", occupation=occupations[i % len(occupations)],
            income_base_idr=1_000_000, consent_version="bench", consented_at=django.utils.timezone.now(),
        )))
        if len(batch) == 2000 or i == existing - 1:
            User.objects.bulk_create([u for u, _ in batch])
            users = {u.username: u for u in User.objects.filter(username__in=[u.username for u, _ in batch])}
            for u, m in batch:
                m.user = users[u.username]
            Member.objects.bulk_create([m for _, m in batch])
            batch = []
    print(f"registration and pages: {max(have, existing):,} members in the table, {runs} runs each", flush=True)

    registered = []

    def register(i):
        n = 10_000_000 + i + int(time.time() * 1000) % 1_000_000
        village = villages[i % len(villages)]
        nik, born, gender = _nik(n, village[:8])
        user = User.objects.create(username=f"benchreg{n}", phone=f"+62813{n % 10**8:08d}")
        registered.append(member_register(data=RegistrationData(
            nik=nik, full_name="Bench Worker", birth_place="Bandung", birth_date=born, gender=gender,
            phone=str(user.phone), village_code=village, address_line="Jl. Contoh 2", occupation_code="petani",
            income_base_idr=1_000_000, programs=["JKK", "JKM", "JHT"], consent=True,
        ), user=user, actor=user))

    median, p95 = timed(register, runs)
    report.add("member_register", f"median {median:.1f} ms, p95 {p95:.1f} ms")

    member = Member.objects.select_related("user").get(pk=registered[-1].pk)
    client = Client()
    client.force_login(member.user)
    for name, url in (("member home", "/anggota/"), ("card page", "/anggota/kartu/"),
                      ("card PDF", "/anggota/kartu.pdf"), ("public check", f"/cek/{member.card_token}/")):
        status = client.get(url).status_code
        median, p95 = timed(lambda _i, url=url: client.get(url), runs)
        report.add(f"{name} GET {url[:20]}", f"median {median:.1f} ms, p95 {p95:.1f} ms"
                   + ("" if status == 200 else f" (HTTP {status}!)"))
