"""Every write of claims (DESIGN.md: services). Rooms: common (permissions, the one transition, messages,
numbers, document completeness), filing, review, payout, scholarships (the school years after the claim)."""

from claims.services.common import claim_number_next, claim_transition
from claims.services.filing import account_number_mask, claim_document_add, claim_file, reported_late
from claims.services.payout import claim_payout_record
from claims.services.review import (
    claim_approve,
    claim_document_review,
    claim_documents_request,
    claim_eligibility_for,
    claim_reject,
    claim_review_start,
    claim_verify,
)
from claims.services.scholarships import (
    scholarship_child_end,
    scholarship_reminders_send,
    scholarship_year_pay,
    scholarship_year_review,
    scholarship_year_submit,
)

__all__ = [
    "account_number_mask", "claim_approve", "claim_document_add", "claim_document_review", "claim_documents_request",
    "claim_eligibility_for", "claim_file", "claim_number_next", "claim_payout_record", "claim_reject",
    "claim_review_start", "claim_transition", "claim_verify", "reported_late", "scholarship_child_end",
    "scholarship_reminders_send", "scholarship_year_pay", "scholarship_year_review", "scholarship_year_submit",
]
