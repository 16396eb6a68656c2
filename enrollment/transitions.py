"""Status transitions of a bulk import, written once: the jobs, the sweep and the retry button all go through it."""

from __future__ import annotations

from django.utils import timezone

from core.services import audit_event_record
from enrollment.models import BulkImport

S = BulkImport.Status
BULK_IMPORT_TRANSITIONS: dict[str, set[str]] = {
    S.VALIDATING: {S.VALIDATED, S.FAILED},
    S.VALIDATED: {S.COMMITTING},
    # back to validated: the registration refused a row that changed since the check (it can be confirmed again)
    S.COMMITTING: {S.COMMITTED, S.VALIDATED, S.FAILED},
    S.FAILED: {S.VALIDATING},  # retry: the file is checked again from the start
    S.COMMITTED: set(),
}
TRANSITION_TABLES = {"enrollment.BulkImport.status": BULK_IMPORT_TRANSITIONS}  # for docs/states.md


def bulk_import_status_transition(*, import_id: int, to: str, actor=None, error: str = "", reason: str = "",
                                  **fields) -> bool:
    """Moves the import to `to` if its current status allows it, in one conditional UPDATE (a job and the sweep
    may race: the first one wins, the other gets False). Writes an audit event; error is shown to the uploader."""
    allowed = [before for before, after in BULK_IMPORT_TRANSITIONS.items() if to in after]
    before = BulkImport.objects.filter(pk=import_id).values_list("status", flat=True).first()
    if before is None or before not in allowed:
        return False
    changed = BulkImport.objects.filter(pk=import_id, status=before).update(
        status=to, error=error[:300], updated_at=timezone.now(), **fields)
    if changed:
        audit_event_record(actor=actor, action="bulk_import.status_changed", obj=BulkImport(pk=import_id),
                           changes={"status": [before, to]}, reason=reason[:200])
    return bool(changed)


def bulk_import_touch(*, import_id: int, **fields) -> None:
    """A sign of life from a running job (progress), so the sweep leaves it alone."""
    BulkImport.objects.filter(pk=import_id).update(updated_at=timezone.now(), **fields)

