"""Publishing Celery tasks without ever breaking the request that asks for them.

The work itself is already in the database when a task is published (an outbox row, a bulk import in
`validating`), so a broker that is down only delays it: the periodic sweeps (beat) find the rows and deliver
later. Every publish in the portal goes through these two functions.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
# What a broker that is down or unreachable raises; anything else (a bug in an eager task) still goes up.
BROKER_ERRORS = (KombuError, RedisError, OSError)


def task_publish(task: Any, *args: Any, **options: Any) -> bool:
    """task.apply_async(args, **options); False (logged, swallowed) when the broker cannot take it."""
    try:
        if args:
            task.apply_async(args, **options)
        else:
            task.apply_async(**options)
    except BROKER_ERRORS as exc:
        logger.warning("task %s not published (%s: %s); the periodic sweep will pick the work up",
                       getattr(task, "name", task), type(exc).__name__, exc)
        return False
    return True


def task_publish_on_commit(task: Any, *args: Any, **options: Any) -> None:
    """Publishes once the caller's transaction commits (at once outside one); a broker that is down never reaches
    the caller."""
    transaction.on_commit(lambda: task_publish(task, *args, **options))
