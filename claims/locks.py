"""Row locks of claims, written once, in the one order every claims writer takes them: the claim, then its
documents (claims.transitions, one document at a time under the claim's lock), then the member (a payout's refunds
and the membership it ends), then contributions' own order for the months refunded (contributions.locks: bills,
then the payments that paid them)."""

from __future__ import annotations

from claims.models import Claim
from members.models import Member


def claim_lock(claim: Claim) -> Claim:
    """The claim's row, locked until the caller's transaction ends; every decision is taken on this copy."""
    # of=("self",): the joined member, claimant and branch rows are read, not locked (a branch row lock would
    # queue every claim of the branch behind this one).
    return Claim.objects.select_for_update(of=("self",)).select_related("member", "claimant", "branch").get(pk=claim.pk)


def claim_member_status_lock(*, claim: Claim) -> str:
    """The claim's member, locked after the claim (one claim at a time touches the member's months): its status."""
    return Member.objects.select_for_update().filter(pk=claim.member_id).values_list("status", flat=True).get()
