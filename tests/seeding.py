"""The claims reference data (benefit rules, scholarship levels) and the branches, seeded again where a test flushed
the database; the same functions the data migrations ran."""

from claims.models import BenefitRule, ScholarshipLevel
from claims.seed import claims_reference_seed
from reference.models import Branch, BranchArea
from reference.seed import branches_seed


def claims_reference_data() -> None:
    claims_reference_seed(BenefitRule, ScholarshipLevel)
    branches_seed(Branch, BranchArea)
