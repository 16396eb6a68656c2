"""A notification backend that delivers and prints nothing, so the timings measure the portal, not the console.

Importable by the bench process and by the gunicorn workers the webhook scenario starts (bench/ is on PYTHONPATH).
"""

from __future__ import annotations


class QuietBackend:
    def send(self, message) -> str:
        return "bench"
