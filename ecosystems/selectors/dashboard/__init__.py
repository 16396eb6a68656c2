"""The dashboards' reads: who sees which region (scope), what a page shows (results), the reads of the rollup
tables that fill it (read) and its top agents and sponsors (leaders)."""

from ecosystems.selectors.dashboard.read import dashboard_read, ecosystems_list
from ecosystems.selectors.dashboard.results import (
    CHANNEL_LABELS,
    FIGURE_FIELDS,
    FLOW_FIELDS,
    MAX_MONTHS,
    SNAPSHOT_FIELDS,
    TOP,
    WEEKS,
    Dashboard,
    Figures,
    LeaderRow,
    MonthBills,
    Week,
)
from ecosystems.selectors.dashboard.scope import Scope, dashboard_home, dashboard_scope

__all__ = [
    "CHANNEL_LABELS",
    "FIGURE_FIELDS",
    "FLOW_FIELDS",
    "MAX_MONTHS",
    "SNAPSHOT_FIELDS",
    "TOP",
    "WEEKS",
    "Dashboard",
    "Figures",
    "LeaderRow",
    "MonthBills",
    "Scope",
    "Week",
    "dashboard_home",
    "dashboard_read",
    "dashboard_scope",
    "ecosystems_list",
]
