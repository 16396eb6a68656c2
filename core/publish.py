"""Publishing Celery tasks without ever breaking the request that asks for them.

The work itself is already in the database when a task is published (an outbox row, a bulk import in
`validating`), so a broker that is down only delays it: the periodic sweeps (beat) find the rows and deliver
later. Every publish in the portal goes through these two functions.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def task_publish(task: Any, *args: Any, **options: Any) -> bool:
    """task.apply_async(args, **options); False (logged, swallowed) when the broker cannot take it."""
    try:
        if args:
            task.apply_async(args, **options)
        else:
            task.apply_async(**options)
    except Exception as exc:  # noqa: BLE001 - kombu/redis raise many kinds; the sweep delivers later either way
        logger.warning("task %s not published (%s: %s); the periodic sweep will pick the work up",
                       getattr(task, "name", task), type(exc).__name__, exc)
        return False
    return True


def task_publish_on_commit(task: Any, *args: Any, **options: Any) -> None:
    """Publishes once the caller's transaction commits (at once outside one); a failure never reaches the caller."""
    transaction.on_commit(lambda: task_publish(task, *args, **options), robust=True)
