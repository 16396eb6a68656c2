"""The claims reference data (benefit rules, scholarship levels) and the branches, seeded again where a test flushed
the database; the same functions the data migrations ran."""

from claims.models import BenefitRule, DisabilityRate, ScholarshipLevel
from claims.seed import claims_reference_seed, disability_rates_seed
from reference.models import Branch, BranchArea
from reference.seed import branches_seed


def claims_reference_data() -> None:
    claims_reference_seed(BenefitRule, ScholarshipLevel)
    disability_rates_seed(DisabilityRate)
    branches_seed(Branch, BranchArea)
