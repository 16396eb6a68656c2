"""Realistic bulk-registration files for the bench: what a local government exports from its own lists.

Valid rows have real NIK structure (district codes of real villages, birth date and gender in the digits), a unique
phone, a real occupation and income step. About 9 % of rows carry the errors such files really have, mixed in:
bad NIK (1.5 %), NIK not matching the birth date (1.5 %), the same NIK again later in the file (1 %), a worker who is
already a member (1 %), unknown village (1 %), bad phone (1 %), unknown occupation (0.5 %), income not in the table
(0.5 %), an empty line (1 %). Written with a UTF-8 BOM and semicolons, as Excel in Indonesia saves CSV.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

HEADER = ["nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "no_hp", "kode_desa", "alamat",
          "pekerjaan", "penghasilan", "jht", "bulan"]


def nik_for(district: str, birth: dt.date, gender: str, serial: int) -> str:
    day = birth.day + (40 if gender == "P" else 0)
    return f"{district}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def _identity(i: int, districts: list[str]) -> tuple[str, dt.date, str]:
    """A unique (NIK, birth date, gender) for every i below 9,999 × 7,300 × len(districts)."""
    district = districts[i % len(districts)]
    j = i // len(districts)
    serial = j % 9999 + 1
    birth = dt.date(1968, 1, 1) + dt.timedelta(days=(j // 9999 * 37 + i * 11) % 13_000)  # 1968 … 2003
    gender = "P" if i % 2 else "L"
    return nik_for(district, birth, gender, serial), birth, gender


def write(path: Path, rows: int, *, villages: list[str], occupations: list[str], incomes: list[int],
          existing: list[tuple[str, dt.date, str]], phone_base: int, offset: int = 0) -> dict[str, int]:
    """Writes `rows` data lines; returns how many of each kind were planted. `offset` shifts every identity, so a
    file written later holds nobody an earlier one registered."""
    districts = sorted({v[:8].replace(".", "") for v in villages})
    planted = {"bad_nik": 0, "mismatch": 0, "duplicate": 0, "existing": 0, "village": 0, "phone": 0,
               "occupation": 0, "income": 0, "empty": 0}
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        out.write(";".join(HEADER) + "\r\n")
        for i in range(rows):
            kind = i % 200  # a fixed mix: the same file for the same size, errors spread through it
            if kind in (7, 107):
                out.write(";;;;;;;;;;;\r\n")
                planted["empty"] += 1
                continue
            nik, birth, gender = _identity(i + offset, districts)
            village = villages[i % len(villages)]
            occupation = occupations[i % len(occupations)]
            income = incomes[(i * 7) % len(incomes)] if i % 5 else incomes[0]
            phone = f"0812{(phone_base + offset + i) % 100_000_000:08d}"
            birth_text = birth.strftime("%d-%m-%Y") if i % 3 else birth.isoformat()
            if kind in (1, 2, 3):
                nik = nik[:15] if kind == 1 else nik[:6] + "99" + nik[8:] if kind == 2 else nik[:12] + "0000"
                planted["bad_nik"] += 1
            elif kind in (11, 12, 13):
                birth_text = (birth + dt.timedelta(days=400)).strftime("%d-%m-%Y")
                planted["mismatch"] += 1
            elif kind in (21, 22) and i >= 200:
                nik, birth, gender = _identity(i + offset - 150, districts)  # listed again further down
                birth_text = birth.strftime("%d-%m-%Y")
                planted["duplicate"] += 1
            elif kind in (31, 32) and existing:
                nik, birth, gender = existing[(i // 200 * 2 + kind - 31) % len(existing)]
                birth_text = birth.strftime("%d-%m-%Y")
                planted["existing"] += 1
            elif kind in (41, 42):
                village = "99.99.99.9999"
                planted["village"] += 1
            elif kind in (51, 52):
                phone = "12345"
                planted["phone"] += 1
            elif kind == 61:
                occupation = "astronot"
                planted["occupation"] += 1
            elif kind == 71:
                income = 1_234_567
                planted["income"] += 1
            name = f"PEKERJA {i:07d}"
            out.write(";".join([nik, name, "Bontang", birth_text, gender, phone, village, f"Jl. Contoh {i % 300}",
                                occupation, str(income), "ya" if i % 4 == 0 else "tidak", "3" if i % 2 else "1"])
                      + "\r\n")
    return planted
