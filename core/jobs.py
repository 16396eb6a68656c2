"""Scheduled jobs record their runs (JobRun): started, finished, items handled, failed and skipped, errors."""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from core.models import JobRun

logger = logging.getLogger(__name__)
MAX_ERROR_CHARS = 4000


@dataclass
class JobCounts:
    handled: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, result) -> None:
        """A job's return value: a count of items handled, or a dict with handled/failed/skipped."""
        if isinstance(result, dict):
            self.handled += int(result.get("handled", 0))
            self.failed += int(result.get("failed", 0))
            self.skipped += int(result.get("skipped", 0))
        elif isinstance(result, int) and not isinstance(result, bool):
            self.handled += result


@contextmanager
def job_run_record(job: str) -> Iterator[JobCounts]:
    """Writes the run when it starts (so a run that never ends shows as running) and when it ends; an exception
    marks it failed with its traceback and goes on up (Celery retries and logs it as usual)."""
    run = JobRun.objects.create(job=job)
    counts = JobCounts()
    try:
        yield counts
    except Exception as exc:
        JobRun.objects.filter(pk=run.pk).update(
            status=JobRun.Status.FAILED, finished_at=timezone.now(), handled=counts.handled, failed=counts.failed,
            skipped=counts.skipped, errors="".join(traceback.format_exception(exc))[-MAX_ERROR_CHARS:])
        raise
    JobRun.objects.filter(pk=run.pk).update(status=JobRun.Status.SUCCEEDED, finished_at=timezone.now(),
                                            handled=counts.handled, failed=counts.failed, skipped=counts.skipped)


JOB_LABELS: dict[str, str] = {}  # job -> what operators call it; filled by @recorded as tasks modules load


def job_labels() -> dict[str, str]:
    """Every recorded job of every app (their tasks modules are imported first)."""
    autodiscover_modules("tasks")
    return dict(JOB_LABELS)


def recorded(job: str, label) -> Callable:
    """For a scheduled task: every run is recorded under `job`, its return value counted (see JobCounts.add)."""
    JOB_LABELS[job] = label

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(*args, **kwargs):
            with job_run_record(job) as counts:
                result = fn(*args, **kwargs)
                counts.add(result)
            return result

        return run

    return decorate
