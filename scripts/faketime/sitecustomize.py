"""Loaded through PYTHONPATH by scripts/test-moved-clock.sh only.

Under libfaketime with the monotonic clock left real (faking it makes every timed wait on a condition hang),
time.sleep fails with EINVAL: libfaketime rewrites clock_nanosleep's absolute deadline. A timed wait on an event is
not rewritten, so sleep waits that way. Nothing else changes.
"""

import os
import threading
import time
from typing import SupportsIndex

if os.environ.get("FAKETIME"):
    _never_set = threading.Event()

    def _sleep(seconds: float | SupportsIndex, /) -> None:  # time.sleep's own signature
        seconds = float(seconds)
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        _never_set.wait(seconds)

    time.sleep = _sleep
