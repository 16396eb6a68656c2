"""The status gates of bulk imports (enrollment.transitions): the import and its rows. Every move the tables allow
works (the import's audited, the rows' verdicts quiet), every other move is refused and changes nothing, and the
set-based variants change exactly the rows the row functions would."""

from __future__ import annotations

import itertools

import pytest

from core.models import AuditEvent, User
from core.services import audit_type
from core.transitions import TransitionNotAllowed
from sponsors import transitions
from sponsors.models import BulkImport, BulkImportRow, BulkRowStatus
from tests.core.test_transitions import hand_written_status_writes
from tests.factories.members import SponsorFactory

pytestmark = pytest.mark.django_db

_rows = itertools.count(1)


@pytest.fixture
def sponsor():
    return SponsorFactory()


def _import(sponsor, status: str) -> BulkImport:
    return BulkImport.objects.create(sponsor=sponsor, created_by=sponsor.user, filename="pekerja.csv", status=status)


def _row(bulk: BulkImport, status: str) -> BulkImportRow:
    return BulkImportRow.objects.create(bulk_import=bulk, row_number=next(_rows), status=status, reasons=["read"])


def _import_events(pk) -> list:
    return list(AuditEvent.objects.filter(object_type=audit_type(BulkImport), object_id=str(pk)).order_by("pk")
                .values_list("action", "changes", "reason"))


def test_every_status_has_a_row_in_its_table():
    for gate, choices in ((transitions.BULK_IMPORT, BulkImport.Status), (transitions.BULK_ROW, BulkRowStatus)):
        assert set(gate.table) == set(choices.values)
        assert set().union(*gate.table.values()) <= set(choices.values)
    assert set(transitions.TRANSITION_TABLES) == {"sponsors.BulkImport.status", "sponsors.BulkImportRow.status"}


def test_the_import_moves_as_its_table_says_and_audits(sponsor):
    statuses = list(transitions.BULK_IMPORT.table)
    for before, to in itertools.product(statuses, statuses):
        pk = _import(sponsor, before).pk
        allowed = transitions.BULK_IMPORT.allows(before, to)
        assert transitions.bulk_import_status_transition(import_id=pk, to=to, reason="test", error="why") is allowed
        row = BulkImport.objects.get(pk=pk)
        assert (row.status, row.error) == ((to, "why") if allowed else (before, ""))
        assert _import_events(pk) == ([("bulk_import.status_changed", {"status": [before, to]}, "test")]
                                      if allowed else []), (before, to)


def test_the_import_held_locked_moves_through_the_gate(sponsor):
    bulk = _import(sponsor, BulkImport.Status.VALIDATED)
    user = User.objects.create(username="pemda")
    assert transitions.bulk_import_status_transition_locked(bulk=bulk, to=BulkImport.Status.COMMITTED, actor=user,
                                                            error="") == "validated"
    assert BulkImport.objects.get(pk=bulk.pk).status == bulk.status == "committed"
    assert _import_events(bulk.pk) == [("bulk_import.status_changed", {"status": ["validated", "committed"]}, "")]
    with pytest.raises(TransitionNotAllowed):
        transitions.bulk_import_status_transition_locked(bulk=bulk, to=BulkImport.Status.VALIDATING, actor=user)
    assert BulkImport.objects.get(pk=bulk.pk).status == "committed"


def test_the_set_based_import_variant_agrees_with_the_row_function(sponsor):
    statuses = list(transitions.BULK_IMPORT.table)
    for to in statuses:
        by_row = [_import(sponsor, before).pk for before in statuses]
        by_set = [_import(sponsor, before).pk for before in statuses]
        for pk in by_row:
            transitions.bulk_import_status_transition(import_id=pk, to=to, reason="test", error="why")
        changed = transitions.bulk_imports_status_transition_where(rows=by_set, to=to, reason="test", error="why")
        assert changed == [(pk, before) for pk, before in zip(by_set, statuses, strict=True)
                           if before in transitions.BULK_IMPORT.sources(to)]
        fields = ("status", "error")
        assert [BulkImport.objects.values_list(*fields).get(pk=pk) for pk in by_set] == [
            BulkImport.objects.values_list(*fields).get(pk=pk) for pk in by_row], to
        assert [_import_events(pk) for pk in by_set] == [_import_events(pk) for pk in by_row], to


def test_a_rows_verdict_follows_the_table_and_is_quiet(sponsor):
    bulk = _import(sponsor, BulkImport.Status.VALIDATING)
    statuses = list(transitions.BULK_ROW.table)
    for before, to in itertools.product(statuses, statuses):
        pk = _row(bulk, before).pk
        if transitions.BULK_ROW.allows(before, to):
            assert transitions.bulk_import_row_status_transition(row_id=pk, to=to, reasons=["verdict"]) == before
            assert BulkImportRow.objects.values_list("status", "reasons").get(pk=pk) == (to, ["verdict"])
        elif before == to:
            assert transitions.bulk_import_row_status_transition(row_id=pk, to=to, reasons=["verdict"]) is None
            assert BulkImportRow.objects.values_list("status", "reasons").get(pk=pk) == (to, ["read"])
        else:
            with pytest.raises(TransitionNotAllowed):
                transitions.bulk_import_row_status_transition(row_id=pk, to=to, reasons=["verdict"])
            assert BulkImportRow.objects.values_list("status", "reasons").get(pk=pk) == (before, ["read"])
    assert not AuditEvent.objects.exists()  # verdicts are kept on the rows, not in the audit trail


def test_the_set_based_row_variant_agrees_with_the_row_function(sponsor):
    bulk = _import(sponsor, BulkImport.Status.VALIDATING)
    statuses = list(transitions.BULK_ROW.table)
    for to in statuses:
        by_row = [_row(bulk, before).pk for before in statuses]
        by_set = [_row(bulk, before).pk for before in statuses]
        for pk in by_row:
            try:
                transitions.bulk_import_row_status_transition(row_id=pk, to=to, reasons=["verdict"])
            except TransitionNotAllowed:
                pass
        changed = transitions.bulk_import_rows_status_transition_where(
            rows=BulkImportRow.objects.filter(pk__in=by_set), to=to, reasons=["verdict"])
        assert changed == [(pk, before) for pk, before in zip(by_set, statuses, strict=True)
                           if before in transitions.BULK_ROW.sources(to)]
        fields = ("status", "reasons")
        assert [BulkImportRow.objects.values_list(*fields).get(pk=pk) for pk in by_set] == [
            BulkImportRow.objects.values_list(*fields).get(pk=pk) for pk in by_row], to


def test_no_status_is_written_outside_the_gate():
    assert hand_written_status_writes("enrollment") == []
