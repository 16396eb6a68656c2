"""Reads for the ecosystems app: regions (forms and addresses) and the dashboards' figures (rollup tables only)."""

from ecosystems.selectors.regions import region_children, region_get, region_path

__all__ = ["region_children", "region_get", "region_path"]
