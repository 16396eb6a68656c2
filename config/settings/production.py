"""Production: everything from the environment; DJANGO_SECRET_KEY, NIK keys and DATABASE_URL are required."""

from .base import *  # noqa: F403
