"""Saving targets and workforce figures from a CSV file: nothing is saved unless every row of the file is good
(ecosystems.target_files checks it), then all rows are upserted in one transaction, an audit event per change."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from core.models import User
from core.services import audit_events_record_many, audit_type
from ecosystems.models import Target, TargetMeasure, Workforce
from ecosystems.target_files import KIND_TARGETS, KIND_WORKFORCE, UploadResult, target_file_check


def _target_values(parsed: dict) -> dict:
    members = parsed["nilai"] if parsed["ukuran"] == TargetMeasure.MEMBERS else None
    share = parsed["nilai"] if parsed["ukuran"] == TargetMeasure.SHARE else None
    return {"measure": parsed["ukuran"], "members": members, "share_percent": share, "source": parsed["sumber"]}


def _jsonable(value):
    return str(value) if isinstance(value, Decimal) else value


def _upsert(model, key_fields: tuple[str, ...], rows: list[tuple[dict, dict]], *, actor: User | None,
            action: str, reason: str, result: UploadResult) -> None:
    """rows: (key, values). update_or_create on each key (locked), an audit event for each row that changed."""
    events = []
    for key, values in rows:
        existing = model.objects.select_for_update().filter(**key).first()
        if existing is not None and all(getattr(existing, f) == v for f, v in values.items()):
            result.unchanged += 1
            continue
        before = {f: _jsonable(getattr(existing, f)) for f in values} if existing is not None else {}
        obj, created = model.objects.update_or_create(**key, defaults=values)
        if created:
            result.added += 1
        else:
            result.updated += 1
        changes = {f: [before.get(f), _jsonable(v)] for f, v in values.items() if before.get(f) != _jsonable(v)}
        changes.update({f: _jsonable(getattr(obj, f)) for f in key_fields})
        events.append((f"{action}.{'created' if created else 'updated'}", audit_type(model), obj.pk,
                       changes, reason))
    if events:
        audit_events_record_many(actor_id=actor.pk if actor is not None and actor.pk else None, events=events)


def _upload(kind: str, uploaded, actor: User | None) -> UploadResult:
    filename = getattr(uploaded, "name", "") or "upload.csv"
    result = UploadResult(kind=kind, filename=filename)
    good = target_file_check(kind=kind, uploaded=uploaded, result=result)
    if not result.ok:
        return result
    reason = f"CSV upload {filename}"[:255]
    with transaction.atomic():
        if kind == KIND_TARGETS:
            _upsert(Target, ("year", "region_code", "ecosystem_id"),
                    [({"year": p["tahun"], "region_code": p["kode_wilayah"], "ecosystem_id": p["ekosistem"]},
                      _target_values(p)) for _n, p in good],
                    actor=actor, action="target", reason=reason, result=result)
        else:
            _upsert(Workforce, ("year", "region_code"),
                    [({"year": p["tahun"], "region_code": p["kode_wilayah"]},
                      {"workers": p["pekerja"], "informal_workers": p["pekerja_informal"], "source": p["sumber"]})
                     for _n, p in good],
                    actor=actor, action="workforce", reason=reason, result=result)
    return result


def targets_upload(*, uploaded, actor: User | None) -> UploadResult:
    """Checks a targets CSV; when every row is good, upserts them all (by year, region and ecosystem)."""
    return _upload(KIND_TARGETS, uploaded, actor)


def workforce_upload(*, uploaded, actor: User | None) -> UploadResult:
    """Checks a workforce CSV; when every row is good, upserts them all (by year and region)."""
    return _upload(KIND_WORKFORCE, uploaded, actor)
