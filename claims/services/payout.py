"""Recording the transfer of an approved claim (→ paid): one payout itemised in append-only entries, the months
refunded booked in the contributions ledger as well, and, for a claim that ends the membership, the member closed
and their auto-debit revoked."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.locks import claim_lock, claim_member_status_lock
from claims.models import (
    DEATH_CLAIM_TYPES,
    SCHOLARSHIP_TYPES,
    Claim,
    ClaimPayout,
    ClaimStatus,
    ClaimType,
    PayoutEntry,
    PayoutEntryKind,
)
from claims.services.common import claim_transition, staff_check
from claims.services.review import REFUND_TYPES
from claims.services.scholarships import scholarship_grant_open
from claims.texts import record_label
from contributions.models import Bill, BillStatus, DebitMandate, MandateStatus
from contributions.services.autodebit.mandates import debit_mandate_revoke
from contributions.services.refunds import RefundRefused, payment_refund_for_claim
from contributions.transitions import bills_status_transition_where
from core.models import User
from members.models import MemberStatus, Sponsorship
from members.transitions import SponsorshipStatus, member_statuses_transition_locked, sponsorships_transition_where

# Paid, these end the membership: exactly the claims that refund every paid month after the event (DOMAIN.md), so
# no month is both refunded and covered. Death, leaving Indonesia for good, JHT at retirement age and for total
# permanent disability (a worker who keeps working registers again). docs/claims.md.
MEMBERSHIP_ENDING_TYPES = REFUND_TYPES
_ENDING_REASONS: dict[str, str] = {
    ClaimType.JHT_LEAVING: "left Indonesia for good", ClaimType.JHT_AGE: "JHT at retirement age",
    ClaimType.JHT_STOPPED: "stopped working",
    ClaimType.JHT_DISABILITY: "total permanent disability"}


def claim_payout_record(*, claim: Claim, staff: User, transfer_reference: str, paid_at: dt.datetime | None = None,
                        ip_address: str | None = None) -> ClaimPayout:
    """The benefit lines as stored at verification and one refund entry per month refunded; their sum is the
    payout. The transfer reference is unique; a second recording of the same claim finds it paid."""
    reference = transfer_reference.strip()
    if not reference:
        raise ValidationError({"transfer_reference": [_("Enter the bank's transfer reference.")]})
    paid_at = paid_at or timezone.now()
    with transaction.atomic(durable=True):
        claim = claim_lock(claim)
        staff_check(claim=claim, staff=staff)
        if claim.status != ClaimStatus.APPROVED:
            raise ValidationError(_("Only an approved claim can be paid."))
        if ClaimPayout.objects.filter(transfer_reference=reference).exists():
            raise ValidationError({"transfer_reference": [_("This transfer reference was recorded already.")]})
        member_status = claim_member_status_lock(claim=claim)
        breakdown = claim.breakdown or {}
        benefit_lines = [line for line in breakdown.get("benefit", {}).get("lines", []) if line["amount_idr"] > 0]
        refund_lines = breakdown.get("refund", {}).get("lines", [])
        amount = sum(line["amount_idr"] for line in benefit_lines) + sum(line["amount_idr"] for line in refund_lines)
        if amount != (claim.benefit_idr or 0) + (claim.refund_idr or 0) or amount <= 0:
            raise ValidationError(_("The stored calculation does not add up: verify the claim again."))
        try:
            with transaction.atomic():
                payout = ClaimPayout.objects.create(
                    claim=claim, amount_idr=amount, bank_name=claim.bank_name, account_holder=claim.account_holder,
                    account_number_masked=claim.account_number_masked, transfer_reference=reference,
                    paid_at=paid_at, recorded_by=staff)
                PayoutEntry.objects.bulk_create(
                    [PayoutEntry(payout=payout, kind=PayoutEntryKind.BENEFIT, label=record_label(line),
                                 amount_idr=line["amount_idr"]) for line in benefit_lines]
                    + [PayoutEntry(payout=payout, kind=PayoutEntryKind.REFUND, label=record_label(line),
                                   amount_idr=line["amount_idr"], bill_id=line["bill"]) for line in refund_lines])
                bills = Bill.objects.in_bulk([line["bill"] for line in refund_lines])
                for line in refund_lines:
                    if bills[line["bill"]].total_idr != line["amount_idr"]:
                        raise RefundRefused(f"bill {line['bill']} changed since verification")
                    payment_refund_for_claim(bill=bills[line["bill"]], actor=staff,
                                             reason=f"claim {claim.number}")
        except (IntegrityError, RefundRefused) as exc:
            raise ValidationError(_("A month in this claim's refund was refunded already or its payments do not add "
                                    "up: verify the claim again.")) from exc
        claim_transition(claim=claim, to=ClaimStatus.PAID, actor=staff, ip_address=ip_address,
                         changes={"amount_idr": amount, "transfer_reference": reference,
                                  "account": claim.account_number_masked, "refunded_months": len(refund_lines)})
        if claim.claim_type in MEMBERSHIP_ENDING_TYPES:
            _membership_end(claim=claim, member_status=member_status, staff=staff)
        if claim.claim_type in SCHOLARSHIP_TYPES:
            scholarship_grant_open(claim=claim, payout=payout, staff=staff)
        return payout


def _membership_end(*, claim: Claim, member_status: str, staff: User) -> None:
    """Closed, so billing, reminders, lapses and auto-debit pass the member by; any live mandate revoked, the open
    bills for months after the event voided and every sponsorship ended, so nothing asks anyone for money for the
    member any more (each change audited). Paid bills stay paid (the months after the event are refunded with the
    claim; the ledger is never edited); an unpaid month up to the event stays open. In the payout's transaction,
    with the member's row locked."""
    reason = (f"death claim {claim.number} paid" if claim.claim_type in DEATH_CLAIM_TYPES
              else f"claim {claim.number} paid: {_ENDING_REASONS[claim.claim_type]}")
    # A second death claim (JHT after JKM) finds the member closed already: no change, no event.
    member_statuses_transition_locked(members=[(claim.member_id, member_status)], to=MemberStatus.CLOSED,
                                      actor=staff, reason=reason)
    live = (DebitMandate.objects.filter(member_id=claim.member_id).exclude(status=MandateStatus.REVOKED)
            .order_by("pk"))
    for mandate in live:
        debit_mandate_revoke(mandate=mandate, actor=None, reason=reason)
    later = Bill.objects.filter(member_id=claim.member_id, status=BillStatus.OPEN,
                                month__gt=claim.event_date.replace(day=1))
    bills_status_transition_where(rows=later, to=BillStatus.VOID, actor=staff, reason=reason)
    sponsorships_transition_where(rows=Sponsorship.objects.filter(member_id=claim.member_id),
                                  to=SponsorshipStatus.ENDED, actor=staff, reason=reason)
