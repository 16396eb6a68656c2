"""Helpers shared by the scenarios: timing, the database URL for child processes, the final table."""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field
from urllib.parse import quote


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def timed(fn, runs: int) -> tuple[float, float]:
    """Median and p95 in milliseconds of `fn(i)` over `runs` calls."""
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(int(len(samples) * 0.95) - 1, 0)]


def database_url(settings_dict: dict) -> str:
    """postgres:// URL of the database the bench process is connected to (the keepdb test database)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


@dataclass
class Row:
    scenario: str
    value: str
    reference: str = ""
    ratio: str = ""
    target: str = ""
    verdict: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    failed: bool = False  # a scenario crashed or a correctness check failed: `make bench` exits with 1

    def add(self, scenario: str, value: str, reference: str = "", ratio: str = "", target: str = "",
            ok: bool | None = None, correctness: bool = False) -> None:
        """`ok` False on a performance target prints MISSED; on a correctness check (correctness=True) FAILED."""
        verdict = "" if ok is None else ("ok" if ok else ("FAILED" if correctness else "MISSED"))
        self.failed |= correctness and ok is False
        self.rows.append(Row(scenario, value, reference, ratio, target, verdict))
        print(f"  -> {scenario}: {value}" + (f" | ref {reference}" if reference else "")
              + (f" | ratio {ratio}" if ratio else "") + (f" | target {target} {verdict}" if target else ""),
              flush=True)

    def print_table(self) -> None:
        headers = ("scenario", "measured", "reference", "ratio", "target", "")
        cells = [headers] + [(r.scenario, r.value, r.reference, r.ratio, r.target, r.verdict) for r in self.rows]
        widths = [max(len(c[i]) for c in cells) for i in range(len(headers))]
        line = "-+-".join("-" * w for w in widths)
        print()
        for n, c in enumerate(cells):
            print(" | ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)).rstrip())
            if n == 0:
                print(line)
