"""Audit events: one row per change, named after the changed row's table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.models import AuditEvent, User
from core.sql import InsertSpec, insert_together


def audit_type(model: Any) -> str:
    """How the audit trail names a model (or row): after its table, "app.model", so a model that moves to another
    app keeps its name in the history auditors already query (docs/decisions.md, Z)."""
    return model._meta.db_table.replace("_", ".", 1)


def audit_event_record(
    *,
    actor: User | None,
    action: str,
    obj: Any,
    changes: dict | None = None,
    reason: str = "",
    ip_address: str | None = None,
) -> AuditEvent:
    """One row per change; callers pass already-masked values for personal data."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        object_type=audit_type(obj),
        object_id=str(obj.pk),
        changes=changes or {},
        reason=reason,
        ip_address=ip_address,
    )


def audit_events_spec(*, actor_id: int | None, events: Sequence[tuple[str, str, Any, dict, str]]) -> InsertSpec:
    """Audit rows for insert_together: events are (action, object label, object pk, changes, reason)."""
    return InsertSpec(AuditEvent, ("actor", "action", "object_type", "object_id", "changes", "reason"),
                      [(actor_id, action, label, str(pk), changes, reason)
                       for action, label, pk, changes, reason in events])


def audit_events_record_many(*, actor_id: int | None, events: Sequence[tuple[str, str, Any, dict, str]]) -> None:
    """audit_event_record for hot paths and bulk jobs: all the events in one INSERT."""
    insert_together(audit_events_spec(actor_id=actor_id, events=events))
