"""Dashboard rollups (ecosystems.services.rollups.runs has the whole story): refresh, rebuild, ensure."""

from ecosystems.services.rollups.runs import RollupResult, rollups_ensure, rollups_rebuild, rollups_refresh
from ecosystems.services.rollups.sql import SNAPSHOT_DAILY_DAYS

__all__ = ["SNAPSHOT_DAILY_DAYS", "RollupResult", "rollups_ensure", "rollups_rebuild", "rollups_refresh"]
