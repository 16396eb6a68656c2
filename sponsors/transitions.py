"""The status fields of bulk imports (the import, its rows): each one's allowed moves, written once, and the only
statements that change them (core.transitions). The jobs, the sweep and the retry button all go through them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from core.models import User
from core.services import audit_event_record
from core.transitions import Gate, transition_row, transition_where
from sponsors.models import BulkImport, BulkImportRow, BulkRowStatus

S = BulkImport.Status
BULK_IMPORT_TRANSITIONS: dict[str, frozenset[str]] = {
    S.VALIDATING: frozenset({S.VALIDATED, S.FAILED}),
    # committed at once: the registration run without its job (bulk_import_commit called by itself)
    S.VALIDATED: frozenset({S.COMMITTING, S.COMMITTED}),
    # back to validated: the registration refused a row that changed since the check (it can be confirmed again)
    S.COMMITTING: frozenset({S.COMMITTED, S.VALIDATED, S.FAILED}),
    S.FAILED: frozenset({S.VALIDATING}),  # retry: the file is checked again from the start
    S.COMMITTED: frozenset(),
}
# A row is written accepted or rejected as the file is read; the checks over the whole file then turn accepted rows
# into duplicates, existing members or refusals.
BULK_ROW_TRANSITIONS: dict[str, frozenset[str]] = {
    BulkRowStatus.ACCEPTED: frozenset({BulkRowStatus.DUPLICATE, BulkRowStatus.EXISTING, BulkRowStatus.REJECTED}),
    BulkRowStatus.EXISTING: frozenset(),
    BulkRowStatus.DUPLICATE: frozenset(),
    BulkRowStatus.REJECTED: frozenset(),
}
# A row's verdict writes no audit event: the check gives a million of them for a city's file, and the row keeps its
# reasons (the uploader's report); the import's own moves are audited.
BULK_ROW_QUIET = frozenset((before, to) for before, after in BULK_ROW_TRANSITIONS.items() for to in after)

BULK_IMPORT = Gate(BulkImport, BULK_IMPORT_TRANSITIONS, action="bulk_import.status_changed")
BULK_ROW = Gate(BulkImportRow, BULK_ROW_TRANSITIONS, action="bulk_import_row.{to}", quiet=BULK_ROW_QUIET)

# For docs/states.md (scripts/states_doc.py): every gate of this app.
TRANSITION_TABLES = {gate.label: gate.table for gate in (BULK_IMPORT, BULK_ROW)}


def _actor_id(actor: User | None) -> int | None:
    return actor.pk if actor is not None else None


# Imports.

def bulk_import_status_transition(*, import_id: int, to: str, actor: User | None = None, error: str = "",
                                  reason: str = "", **fields: Any) -> bool:
    """Moves the import to `to` if its current status allows it, in one conditional UPDATE (a job and the sweep
    may race: the first one wins, the other gets False). Writes an audit event; error is shown to the uploader."""
    before = BulkImport.objects.filter(pk=import_id).values_list("status", flat=True).first()
    if before is None or not BULK_IMPORT.allows(before, to):
        return False
    changed = BulkImport.objects.filter(pk=import_id, status=before).update(
        status=to, error=error[:300], updated_at=timezone.now(), **fields)
    if changed:
        audit_event_record(actor=actor, action=BULK_IMPORT.action, obj=BulkImport(pk=import_id),
                           changes=BULK_IMPORT.change(before, to), reason=reason[:200])
    return bool(changed)


def bulk_import_status_transition_locked(*, bulk: BulkImport, to: str, actor: User | None, reason: str = "",
                                         **fields: Any) -> str:
    """For an import the caller holds locked (the registration's own transaction): checked, updated WHERE status
    = before, audited; `bulk` is updated in place. Returns the status it had."""
    before = bulk.status
    BULK_IMPORT.check(before, to, bulk.pk)
    BulkImport.objects.filter(pk=bulk.pk, status=before).update(status=to, **fields)
    bulk.status = to
    for name, value in fields.items():
        setattr(bulk, name, value)
    audit_event_record(actor=actor, action=BULK_IMPORT.action, obj=bulk, changes=BULK_IMPORT.change(before, to),
                       reason=reason[:200])
    return before


def bulk_imports_status_transition_where(*, rows: QuerySet | Sequence[int], to: str, actor: User | None = None,
                                         error: str = "", reason: str = "", **fields: Any) -> list[tuple[int, str]]:
    """bulk_import_status_transition for a set: the imports whose status may become `to` move, the others stay."""
    return transition_where(BULK_IMPORT, rows=rows, to=to, actor_id=_actor_id(actor), reason=reason[:200],
                            error=error[:300], updated_at=timezone.now(), **fields)


def bulk_import_touch(*, import_id: int, **fields: Any) -> None:
    """A sign of life from a running job (progress), so the sweep leaves it alone."""
    BulkImport.objects.filter(pk=import_id).update(updated_at=timezone.now(), **fields)


# Rows.

def bulk_import_row_status_transition(*, row_id: int, to: str, reasons: list[str], actor: User | None = None
                                      ) -> str | None:
    return transition_row(BULK_ROW, pk=row_id, to=to, actor=actor, reasons=reasons)


def bulk_import_rows_status_transition_where(*, rows: QuerySet | Sequence[int], to: str, reasons: list[str],
                                             actor: User | None = None) -> list[tuple[int, str]]:
    """The check's verdict for a set of rows (one statement): those whose status may become `to` move, with the
    reasons the uploader reads."""
    return transition_where(BULK_ROW, rows=rows, to=to, actor_id=_actor_id(actor), reasons=reasons)
