"""Reads for the ecosystems app: the dashboards' figures (rollup tables only)."""
