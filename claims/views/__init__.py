"""Claim pages (claims/urls.py): the claimant's in claimant.py, branch staff's in staff.py, the school years of a
scholarship (both) in scholarships.py."""

from claims.views.claimant import (
    claim_detail,
    claim_document,
    claim_document_add,
    claim_file_worker,
    claim_list,
    heir_claim,
    heir_start,
)
from claims.views.scholarships import scholarship_heir, scholarship_staff
from claims.views.staff import staff_claim, staff_document, staff_queue, staff_rules

__all__ = [
    "claim_detail",
    "claim_document",
    "claim_document_add",
    "claim_file_worker",
    "claim_list",
    "heir_claim",
    "heir_start",
    "scholarship_heir",
    "scholarship_staff",
    "staff_claim",
    "staff_document",
    "staff_queue",
    "staff_rules",
]
