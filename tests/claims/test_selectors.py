"""Reads scoped by who asks (claimant, other claimant, staff of the branch, staff of another branch, admin), the
branch queue, the history and the heir's member lookup."""

import datetime as dt

import pytest
from django.http import Http404

from claims.models import Claim, ClaimStatus
from claims.selectors import (
    branch_queue,
    claim_for_claimant,
    claim_for_staff,
    claim_heir_nik_masked,
    claim_history,
    claims_for_claimant,
    document_for_user,
    member_for_heir,
    member_for_heir_session,
)
from claims.services import claim_document_review, claim_review_start
from core.models import Role
from core.nik import nik_blind_index, nik_decrypt
from tests.claims.claim_helpers import HEIR_NIK, death_claim, paid_member, staff_make, user_make, walk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


@pytest.fixture
def claim():
    return death_claim(paid_member(months=12))


# --- permission matrix ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "sees"), [
    ("claimant", True), ("other_claimant", False), ("staff_a", True), ("supervisor_a", True), ("staff_b", False),
    ("unassigned_staff", False), ("admin", True)])
def test_permission_matrix(claim, who, sees):
    users = {
        "claimant": claim.claimant, "other_claimant": user_make(), "staff_a": staff_make(),
        "supervisor_a": staff_make(Role.SUPERVISOR), "staff_b": staff_make(branch="JKT-PST"),
        "unassigned_staff": staff_make(branch=None), "admin": staff_make(Role.ADMIN, branch=None),
    }
    user = users[who]
    document = claim.documents.first()
    is_staff = user.role != Role.WORKER
    lookups = [lambda: document_for_user(viewer=user, pk=document.pk)]
    lookups.append((lambda: claim_for_staff(viewer=user, pk=claim.pk)) if is_staff
                   else (lambda: claim_for_claimant(viewer=user, number=claim.number)))
    for lookup in lookups:
        if sees:
            assert lookup() in (claim, document)
        else:
            with pytest.raises(Http404):
                lookup()


def test_a_claimant_never_opens_a_claim_through_staff_lookups(claim):
    with pytest.raises(Http404):
        claim_for_staff(viewer=claim.claimant, pk=claim.pk)


def test_claims_for_claimant_lists_only_their_own(claim):
    other = death_claim(paid_member(months=12))
    assert list(claims_for_claimant(viewer=claim.claimant)) == [claim]
    assert list(claims_for_claimant(viewer=other.claimant)) == [other]


def test_staff_of_a_branch_cannot_open_a_document_by_id_of_another_branch(claim):
    central = staff_make(branch="JKT-PST")
    for document in claim.documents.all():
        with pytest.raises(Http404):
            document_for_user(viewer=central, pk=document.pk)
    with pytest.raises(Http404):
        document_for_user(viewer=central, pk=999_999)


# --- the branch queue ----------------------------------------------------------------------------------------------


def test_branch_queue_is_the_branchs_open_claims_oldest_first_with_their_clock(django_assert_max_num_queries):
    staff = staff_make()
    claims = [death_claim(paid_member(months=12)) for _ in range(3)]
    Claim.objects.filter(pk=claims[0].pk).update(created_at=at("2026-11-02T09:00:00+07:00"))
    Claim.objects.filter(pk=claims[1].pk).update(created_at=at("2026-11-01T09:00:00+07:00"))
    Claim.objects.filter(pk=claims[2].pk).update(status=ClaimStatus.PAID)
    walk(death_claim(paid_member(months=12)), to=ClaimStatus.VERIFYING,
         staff=staff_make(branch="JKT-SEL"))
    staff.staff_branch  # noqa: B018 - the assignment is read once per request anyway
    with django_assert_max_num_queries(1):
        rows = branch_queue(viewer=staff, now=at("2026-11-10T09:00:00+07:00"))
    assert [row.pk for row in rows][:2] == [claims[1].pk, claims[0].pk]
    assert claims[2].pk not in [row.pk for row in rows]  # paid: not open
    assert all(row.sla.working_days == 3 for row in rows)
    assert rows[0].age_days == 9


def test_branch_queue_filters_by_type_status_and_age():
    staff = staff_make()
    old = death_claim(paid_member(months=12))
    Claim.objects.filter(pk=old.pk).update(created_at=at("2026-10-01T09:00:00+07:00"))
    new = death_claim(paid_member(months=12), claim_type="jht_death", relationship="child")
    Claim.objects.filter(pk=new.pk).update(created_at=at("2026-11-09T09:00:00+07:00"))
    now = at("2026-11-10T09:00:00+07:00")
    assert [c.pk for c in branch_queue(viewer=staff, claim_type="jht_death", now=now)] == [new.pk]
    assert [c.pk for c in branch_queue(viewer=staff, older_than_days=7, now=now)] == [old.pk]
    claim_review_start(claim=new, staff=staff)
    assert [c.pk for c in branch_queue(viewer=staff, status="verifying", now=now)] == [new.pk]
    assert branch_queue(viewer=staff_make(branch="JKT-PST"), now=now) == []
    assert {c.pk for c in branch_queue(viewer=staff_make(Role.ADMIN, branch=None), now=now)} == {old.pk, new.pk}


def test_branch_queue_query_count_does_not_grow_with_rows(django_assert_num_queries):
    staff = staff_make()
    staff.staff_branch  # noqa: B018
    death_claim(paid_member(months=12))
    with django_assert_num_queries(1):
        branch_queue(viewer=staff)
    for _ in range(3):
        death_claim(paid_member(months=12))
    with django_assert_num_queries(1):
        assert len(branch_queue(viewer=staff)) == 4


# --- history and the heir's lookup --------------------------------------------------------------------------


def test_history_shows_who_did_what_oldest_first(claim):
    staff = staff_make(name="Budi")
    claim_review_start(claim=claim, staff=staff)
    claim_document_review(document=claim.documents.first(), staff=staff, valid=True)
    events = claim_history(claim=claim)
    assert [e.action for e in events] == ["claim.filed", "claim.status", "claim.document_reviewed"]
    assert [e.actor_name for e in events] == [claim.claimant.username, "Budi", "Budi"]
    assert all(HEIR_NIK not in str(e.changes) for e in events)


def test_member_for_heir_by_kpj_or_nik_with_the_birth_date():
    member = paid_member(months=0)
    nik = nik_decrypt(member.nik_ciphertext)
    member.nik_index = nik_blind_index(nik)
    member.save(update_fields=["nik_index"])
    born = member.birth_date
    assert member_for_heir(kpj_or_nik=member.kpj, birth_date=born) == member
    assert member_for_heir(kpj_or_nik=f"{nik[:4]} {nik[4:]}", birth_date=born) == member
    assert member_for_heir(kpj_or_nik=member.kpj, birth_date=born + dt.timedelta(days=1)) is None
    assert member_for_heir(kpj_or_nik="99999999999", birth_date=born) is None
    assert member_for_heir(kpj_or_nik="", birth_date=born) is None


def test_heir_session_member_and_masked_heir_nik(claim):
    assert member_for_heir_session(member_id=claim.member_id) == claim.member
    assert member_for_heir_session(member_id=999_999) is None
    assert claim_heir_nik_masked(claim=claim) == "3174********0123"
