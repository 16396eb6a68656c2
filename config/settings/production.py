"""Production: everything from the environment; DJANGO_SECRET_KEY, NIK keys and DATABASE_URL are required."""

from .base import *  # noqa: F403
from .base import env

DATABASES = {"default": env.db("DATABASE_URL")}  # no silent SQLite fallback in production
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
