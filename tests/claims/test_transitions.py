"""The status gates of claims (claims.transitions): every move the tables allow works and is audited, every other
move is refused and changes nothing, the set-based variants change exactly the rows the row functions would, and no
status is written anywhere else in the app."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError

from claims import transitions
from claims.models import Claim, ClaimDocument, ClaimStatus, ClaimType, DocumentStatus
from core.models import AuditEvent
from core.services import audit_type
from core.transitions import TransitionNotAllowed
from tests.claims.claim_helpers import death_claim, paid_member, staff_make
from tests.core.test_transitions import hand_written_status_writes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

_serial = itertools.count(1)


@pytest.fixture
def original():
    """A filed death claim with its documents; the rows below are copies of it (another type, another number)."""
    return death_claim(paid_member(months=12))


@pytest.fixture
def staff():
    return staff_make(name="Budi")


def _claim(original: Claim, status: str) -> Claim:
    documents = list(ClaimDocument.objects.filter(claim=original))
    claim = Claim.objects.get(pk=original.pk)
    claim.pk, claim.number, claim.claim_type = None, f"KLM-TEST-{next(_serial):07d}", ClaimType.JKK_MEDICAL
    claim.status = status  # setup: the starting status
    claim.save()
    for document in documents:
        document.pk, document.claim = None, claim
        document.save()
    return claim


def _document(original: Claim, status: str) -> ClaimDocument:
    document = ClaimDocument.objects.filter(claim=_claim(original, ClaimStatus.VERIFYING)).first()
    ClaimDocument.objects.filter(pk=document.pk).update(status=status)
    return document


def _claim_events(pk) -> list:
    return list(AuditEvent.objects.filter(action="claim.status", object_id=str(pk))
                .values_list("changes", "reason", "actor"))


def _document_events(document: ClaimDocument) -> list:
    return list(AuditEvent.objects.filter(action="claim.document_reviewed", object_type=audit_type(Claim),
                                          object_id=str(document.claim_id)).values_list("changes", "reason", "actor"))


def test_every_status_has_a_row_in_its_table():
    for gate in (transitions.CLAIM, transitions.DOCUMENT, transitions.SCHOLARSHIP_PAYMENT,
                 transitions.SCHOLARSHIP_CHILD):
        choices = {value for value, _label in gate.model._meta.get_field("status").choices}
        assert set(gate.table) == choices and set().union(*gate.table.values()) <= choices
    assert set(transitions.TRANSITION_TABLES) == {"claims.Claim.status", "claims.ClaimDocument.status",
                                                  "claims.ScholarshipPayment.status",
                                                  "claims.ScholarshipChild.status"}


def test_claim_row_function_follows_the_table_and_audits(original, staff):
    for before, to in itertools.product(ClaimStatus.values, ClaimStatus.values):
        claim = _claim(original, before)
        if transitions.CLAIM.allows(before, to):
            assert transitions.claim_status_transition(claim=claim, to=to, actor=staff, reason="test") == before
            assert Claim.objects.get(pk=claim.pk).status == to == claim.status
            assert _claim_events(claim.pk) == [({"from": before, "to": to}, "test", staff.pk)]
        else:
            with pytest.raises(ValidationError):
                transitions.claim_status_transition(claim=claim, to=to, actor=staff, reason="test")
            assert Claim.objects.get(pk=claim.pk).status == before and _claim_events(claim.pk) == []


def test_claim_set_based_variant_agrees_with_the_row_function(original, staff):
    for to in ClaimStatus.values:
        by_row = [_claim(original, before) for before in ClaimStatus.values]
        by_set = [_claim(original, before).pk for before in ClaimStatus.values]
        for claim in by_row:
            try:
                transitions.claim_status_transition(claim=claim, to=to, actor=staff, reason="test")
            except ValidationError:
                pass
        changed = transitions.claims_status_transition_where(rows=Claim.objects.filter(pk__in=by_set), to=to,
                                                             actor=staff, reason="test")
        assert changed == [(pk, before) for pk, before in zip(by_set, ClaimStatus.values, strict=True)
                           if transitions.CLAIM.allows(before, to)]
        assert ([Claim.objects.get(pk=pk).status for pk in by_set]
                == [Claim.objects.get(pk=c.pk).status for c in by_row]), to
        assert [_claim_events(pk) for pk in by_set] == [_claim_events(c.pk) for c in by_row], to


def test_document_row_function_follows_the_table_and_audits_on_the_claim(original, staff):
    for before, to in itertools.product(DocumentStatus.values, DocumentStatus.values):
        document = _document(original, before)
        claim = Claim.objects.get(pk=document.claim_id)
        if transitions.DOCUMENT.allows(before, to):
            result = transitions.claim_document_status_transition(document_id=document.pk, claim=claim, to=to,
                                                                  actor=staff, note="test")
            assert result.status == to == ClaimDocument.objects.get(pk=document.pk).status
            assert _document_events(document) == [({"kind": document.kind, "document": document.pk, "status": to},
                                                   "test", staff.pk)]
        else:
            with pytest.raises(TransitionNotAllowed):
                transitions.claim_document_status_transition(document_id=document.pk, claim=claim, to=to,
                                                             actor=staff, note="test")
            assert ClaimDocument.objects.get(pk=document.pk).status == before and _document_events(document) == []


def test_document_set_based_variant_agrees_with_the_row_function(original, staff):
    for to in DocumentStatus.values:
        by_row = [_document(original, before) for before in DocumentStatus.values]
        by_set = [_document(original, before) for before in DocumentStatus.values]
        for document in by_row:
            try:
                transitions.claim_document_status_transition(document_id=document.pk, claim=document.claim, to=to,
                                                             actor=staff, note="test")
            except TransitionNotAllowed:
                pass
        changed = transitions.claim_documents_status_transition_where(rows=[d.pk for d in by_set], to=to,
                                                                      actor=staff, note="test")
        assert changed == [(d.pk, before) for d, before in zip(by_set, DocumentStatus.values, strict=True)
                           if transitions.DOCUMENT.allows(before, to)]
        row = [(d.status, d.review_note, d.reviewed_by_id) for d in ClaimDocument.objects.filter(
            pk__in=[d.pk for d in by_row]).order_by("pk")]
        assert [(d.status, d.review_note, d.reviewed_by_id) for d in ClaimDocument.objects.filter(
            pk__in=[d.pk for d in by_set]).order_by("pk")] == row
        events = [[(c["kind"], c["status"], reason) for c, reason, _a in _document_events(d)] for d in by_row]
        assert [[(c["kind"], c["status"], reason) for c, reason, _a in _document_events(d)] for d in by_set] == events


def test_no_status_is_written_outside_the_gate():
    assert hand_written_status_writes("claims") == []
