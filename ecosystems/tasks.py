"""Thin periodic tasks for the dashboards' rollups (ecosystems.services.rollups does the work)."""

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from core.jobs import recorded


@shared_task
@recorded("rollups.refresh", _("Dashboard figures: refresh"))
def rollups_refresh() -> int:
    """Every few minutes: the recent days and months again (a full rebuild when there was never one); returns the
    day rows of the days it reworked."""
    from ecosystems.services.rollups import rollups_ensure

    return rollups_ensure().flow_rows


@shared_task
@recorded("rollups.rebuild", _("Dashboard figures: nightly rebuild"))
def rollups_rebuild() -> int:
    """Nightly: everything from the source tables again; returns the day rows written."""
    from ecosystems.services.rollups import rollups_rebuild as run

    return run().flow_rows
