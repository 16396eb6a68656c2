"""A cache that keeps counting when Redis is down: rate limits (phone codes, allauth sign-in, the partner API's
throttle) read and write Redis, and the database cache while Redis cannot be reached.

Configured as the default cache with two other aliases (settings.base):

    "default": {"BACKEND": "core.cache.FailoverCache",
                "OPTIONS": {"PRIMARY": "redis", "FALLBACK": "fallback", "RETRY_AFTER": 10}}

After a connection error the primary is left alone for RETRY_AFTER seconds (every process and thread of it), so a
Redis that is down costs one failed connection per interval, not one per request. Counters kept in the fallback
while Redis was down are not copied back: a limit counted partly in each is a little more lenient for one window.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)
_down_until: dict[str, float] = {}  # primary alias -> monotonic time to try it again (shared by the threads)
_lock = threading.Lock()


class FailoverCache(BaseCache):
    def __init__(self, location: str, params: dict[str, Any]):
        super().__init__(params)
        options = params.get("OPTIONS", {})
        self._primary_alias = options["PRIMARY"]
        self._fallback_alias = options["FALLBACK"]
        self._retry_after = float(options.get("RETRY_AFTER", 10))

    def _call(self, method: str, *args, **kwargs):
        if time.monotonic() >= _down_until.get(self._primary_alias, 0.0):
            try:
                return getattr(caches[self._primary_alias], method)(*args, **kwargs)
            except UNREACHABLE as exc:
                with _lock:
                    _down_until[self._primary_alias] = time.monotonic() + self._retry_after
                logger.warning("cache %s unreachable (%s); using %s for %ss", self._primary_alias,
                               type(exc).__name__, self._fallback_alias, self._retry_after)
        return getattr(caches[self._fallback_alias], method)(*args, **kwargs)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout=timeout, version=version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default=default, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout=timeout, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout=timeout, version=version)

    def delete(self, key, version=None):
        return self._call("delete", key, version=version)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version=version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version=version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta=delta, version=version)

    def decr(self, key, delta=1, version=None):
        return self._call("decr", key, delta=delta, version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout=timeout, version=version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version=version)

    def clear(self):
        return self._call("clear")

    def close(self, **kwargs):
        pass  # Django closes the primary and the fallback itself: they are caches of their own


def failover_reset() -> None:
    """Forget that a primary was down (tests; an operator's shell after Redis is back)."""
    with _lock:
        _down_until.clear()
