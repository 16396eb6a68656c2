import os
import tempfile

os.environ.setdefault("DJANGO_DEBUG", "true")

from .base import *  # noqa: E402,F403
from .base import env  # noqa: E402

DEBUG = False
SECRET_KEY = "test-secret-key"
NIK_ENCRYPTION_KEYS = ["dGVzdC1vbmx5LW5pay1rZXktMDAwMDAwMDAwMDAwMDA="]
NIK_HMAC_KEY = "test-only-hmac-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# In-process delivery: no HTTP unless a test points NOTIFICATION_BACKEND at the gateway (the simulator on the live
# server); with DEBUG off the console backend prints no message body.
NOTIFICATION_BACKEND = "core.notifications.backends.ConsoleBackend"
NOTIFICATION_SWEEP_SECONDS = 0.0  # eager tasks: every commit sweeps, so each test sees its messages delivered
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
          # The table Redis falls back to (core.cache), made with the test database for the Redis-down tests.
          "fallback": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_table"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "claim_documents": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                        "OPTIONS": {"location": tempfile.mkdtemp(prefix="bpu-claim-docs-"), "base_url": None,
                                    "directory_permissions_mode": 0o700, "file_permissions_mode": 0o600}},
    "bulk_imports": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                     "OPTIONS": {"location": tempfile.mkdtemp(prefix="bpu-bulk-imports-"), "base_url": None,
                                 "directory_permissions_mode": 0o700, "file_permissions_mode": 0o600}},
}
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ALLOWED_HOSTS = ["*"]
# Tests that need PostgreSQL are skipped on SQLite; DATABASE_URL picks the database.
TEST_ON_POSTGRES = env.db("DATABASE_URL", default="sqlite://")["ENGINE"].endswith("postgresql")
if not REDIS_URL:  # noqa: F405
    # Each test process gets its own filesystem broker: two processes sharing one control folder (the worker's
    # broadcast bindings, JSON files) can read each other's half-written file and stop the worker.
    import atexit
    import shutil
    import tempfile

    _broker = tempfile.mkdtemp(prefix="bpu-test-broker-")
    atexit.register(shutil.rmtree, _broker, True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {  # noqa: F405 - replaces base's
        "data_folder_in": _broker, "data_folder_out": _broker, "processed_folder": _broker,
        "control_folder": os.path.join(_broker, "control"), "store_processed": False,
    }
    os.makedirs(CELERY_BROKER_TRANSPORT_OPTIONS["control_folder"], exist_ok=True)
