"""Development on one machine (`make run`): DEBUG on, development keys allowed, SQLite unless DATABASE_URL is set.
Messages go through the SMS gateway backend to the portal's own gateway simulator (/simulator/sms/)."""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")

from .base import *  # noqa: E402,F403
