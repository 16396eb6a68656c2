"""Services of the ecosystems app: dashboards' rollups and targets (ecosystems.services.rollups, .targets)."""
