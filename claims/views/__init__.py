"""Claim pages (claims/urls.py): the claimant's in claimant.py, branch staff's in staff.py."""

from claims.views.claimant import (
    claim_detail,
    claim_document,
    claim_document_add,
    claim_file_worker,
    claim_list,
    heir_claim,
    heir_start,
)
from claims.views.staff import staff_claim, staff_document, staff_queue, staff_rules

__all__ = [
    "claim_detail",
    "claim_document",
    "claim_document_add",
    "claim_file_worker",
    "claim_list",
    "heir_claim",
    "heir_start",
    "staff_claim",
    "staff_document",
    "staff_queue",
    "staff_rules",
]
