"""Settings read from the environment (django-environ).

Nothing set: SQLite file under var/, Celery on kombu's filesystem broker, local-memory cache.
DATABASE_URL / REDIS_URL switch to PostgreSQL / Redis.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The development key only works with DEBUG on; production must set DJANGO_SECRET_KEY.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-insecure-key-change-me" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "phonenumber_field",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "core",
    "reference",
    "members",
    "ecosystems",
    "demo",
    "enrollment",
    "sponsors",
    "agents",
    "partners",
    "contributions",
    "claims",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "core.middleware.StaffMfaRequiredMiddleware",
]

ROOT_URLCONF = "config.urls"
FORM_RENDERER = "core.forms.PortalFormRenderer"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: wait for locks instead of failing, WAL so readers never block.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Rate-limit counters live in Redis; while Redis cannot be reached they go on in the database cache (core.cache),
    # so sign-in, code requests and the partner API keep working. `createcachetable` makes its table.
    REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=1.0)
    CACHES = {
        "default": {"BACKEND": "core.cache.FailoverCache",
                    "OPTIONS": {"PRIMARY": "redis", "FALLBACK": "fallback",
                                "RETRY_AFTER": env.float("CACHE_RETRY_AFTER_SECONDS", default=10)}},
        "redis": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                  "OPTIONS": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT, "socket_timeout": 2}},
        "fallback": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_table"},
    }
else:
    # Rate limits must be shared by every web process: the database cache is shared, locmem is not.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_table"}}

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # allauth's backend, with sign-in by email address kept to organisation sponsors.
    "sponsors.organisation_auth.PortalAuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:after-login"
LOGOUT_REDIRECT_URL = "core:home"

# allauth: staff sign in by username + password, then TOTP; organisation sponsors (company CSR, foundations) sign
# up and sign in by email + password on their own pages (/penyantun/organisasi/…), once the address is confirmed.
# Sign-up is closed everywhere else; email verification applies to sponsor accounts only (the adapter's stage).
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_ADAPTER = "sponsors.organisation_auth.PortalAccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False  # a reset asked for an unknown address sends nothing to it
ACCOUNT_EMAIL_SUBJECT_PREFIX = "BPJS Ketenagakerjaan BPU: "
ACCOUNT_USER_DISPLAY = "sponsors.organisation_auth.user_display"
ACCOUNT_FORMS = {"login": "core.account_forms.StaffLoginForm"}  # the organisation pages set their own forms
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key", "login": "30/m/ip"}
ACCOUNT_LOGOUT_REDIRECT_URL = "core:home"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "BPU Portal"

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "bpu_lang"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
# Claim documents (KTP, certificates, bank books): outside static and media, never served by URL; only the claim
# views stream them after the permission check (claims/uploads.py).
CLAIM_DOCUMENTS_ROOT = Path(env.str("CLAIM_DOCUMENTS_ROOT", default=str(VAR_DIR / "private" / "claims")))
STORAGES["claim_documents"] = {"BACKEND": "django.core.files.storage.FileSystemStorage",
                               "OPTIONS": {"location": CLAIM_DOCUMENTS_ROOT, "base_url": None,
                                           "directory_permissions_mode": 0o700, "file_permissions_mode": 0o600}}
CLAIM_DOCUMENT_MAX_BYTES = env.int("CLAIM_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
# Uploaded bulk spreadsheets (full NIKs in clear): private like claim documents, deleted once the workers are
# registered, and by the hourly sweep BULK_IMPORT_FILE_RETENTION_HOURS after upload whatever happened to them.
BULK_IMPORTS_ROOT = Path(env.str("BULK_IMPORTS_ROOT", default=str(VAR_DIR / "private" / "imports")))
STORAGES["bulk_imports"] = {"BACKEND": "django.core.files.storage.FileSystemStorage",
                            "OPTIONS": {"location": BULK_IMPORTS_ROOT, "base_url": None,
                                        "directory_permissions_mode": 0o700, "file_permissions_mode": 0o600}}
BULK_IMPORT_FILE_RETENTION_HOURS = env.int("BULK_IMPORT_FILE_RETENTION_HOURS", default=72)

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 7 * 24 * 3600
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"partner": env.str("PARTNER_RATE_LIMIT", default="600/min")},
}
# API tokens (django-rest-knox): stored as SHA-512 digests, so a database dump holds no usable token. A token
# dies after API_TOKEN_IDLE_DAYS without use (each use pushes that back) and API_TOKEN_MAX_AGE_DAYS after it was
# issued whatever happens; POST /api/v1/auth/logout/ (this token) and logout-all/ (every token) revoke them.
API_TOKEN_IDLE_DAYS = env.float("API_TOKEN_IDLE_DAYS", default=14)
API_TOKEN_MAX_AGE_DAYS = env.float("API_TOKEN_MAX_AGE_DAYS", default=90)
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_IDLE_DAYS),
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": timedelta(days=API_TOKEN_MAX_AGE_DAYS),
    "AUTH_HEADER_PREFIX": "Token",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "BPU Enrollment Portal API",
    "DESCRIPTION": "Registration of informal workers (BPU) for JKK, JKM and JHT.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Several serializers have a `status`: the claims' gets its own name, the debit callback's keeps its old one.
    "ENUM_NAME_OVERRIDES": {"ClaimStatusEnum": "claims.models.ClaimStatus", "StatusEnum": ["succeeded", "declined"]},
}

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport so worker and beat run for real.
CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A broker that is down costs a request about a second, not minutes (core.publish swallows the error).
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT}
else:
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR),
        "data_folder_out": str(CELERY_BROKER_DIR),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "control_folder": str(VAR_DIR / "celery-control"),
        "store_processed": False,
    }
    for _folder in ("celery-broker", "celery-processed", "celery-control"):
        (VAR_DIR / _folder).mkdir(exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# Queues: `urgent` (sign-in codes, receipts: a person is waiting; codes live OTP_TTL_SECONDS), `bulk` (imports,
# dashboard rollups, reminders, billing: long jobs), `default` (the rest). Run a worker for each (scripts/run.sh,
# docker-compose.yml, docs/deploy.md), so that long jobs can never delay a code.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "core.tasks.notifications_deliver_urgent": {"queue": "urgent"},
    "sponsors.tasks.bulk_import_*": {"queue": "bulk"},
    "ecosystems.tasks.*": {"queue": "bulk"},
    "contributions.tasks.reminders_send": {"queue": "bulk"},
    "contributions.tasks.bills_generate_current_month": {"queue": "bulk"},
    "contributions.tasks.members_lapse": {"queue": "bulk"},
    "contributions.tasks.autodebit_*": {"queue": "bulk"},
}

# Personal data: keys for NIK encryption (Fernet, comma-separated for rotation: first encrypts, all decrypt)
# and for the HMAC blind index. Development values only work with DEBUG on.
NIK_ENCRYPTION_KEYS = env.list(
    "NIK_ENCRYPTION_KEYS", default=["ZGV2LW9ubHktbmlrLWtleS0wMDAwMDAwMDAwMDAwMDA="] if DEBUG else environ.Env.NOTSET
)
NIK_HMAC_KEY = env.str("NIK_HMAC_KEY", default="dev-only-nik-hmac-key" if DEBUG else environ.Env.NOTSET)

# Notifications (SMS, WhatsApp, email) go through the outbox; the backend delivers them.
# The SMS/WhatsApp gateway (core.notifications.gateway, settings SMS_GATEWAY_* below); the console backend is for
# DEBUG only and production settings refuse it.
NOTIFICATION_BACKEND = env.str("NOTIFICATION_BACKEND", default="core.notifications.gateway.GatewayBackend")
# At most one delivery sweep queued per this many seconds per process (core.services.outbox._deliver_on_commit).
NOTIFICATION_SWEEP_SECONDS = env.float("NOTIFICATION_SWEEP_SECONDS", default=1.0)
# A failed message is tried again after 1, 2, 4, 8 … minutes (this many seconds, doubled each time), at most this
# many attempts in all; then it is marked failed for staff to see.
NOTIFICATION_RETRY_BASE_SECONDS = env.int("NOTIFICATION_RETRY_BASE_SECONDS", default=60)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
# While one deliverer waits for the gateway, the message is its own this long (then the retry sweep may take it).
NOTIFICATION_CLAIM_SECONDS = env.int("NOTIFICATION_CLAIM_SECONDS", default=120)
# Purposes delivered by the sweep on the `urgent` queue as well (a person waits for them).
NOTIFICATION_URGENT_PURPOSES = env.list("NOTIFICATION_URGENT_PURPOSES", default=[
    "otp", "receipt", "password_reset_key", "email_confirmation", "email_confirmation_signup"])

# One-time codes for phone sign-in.
OTP_LENGTH = 6
OTP_TTL_SECONDS = env.int("OTP_TTL_SECONDS", default=300)
OTP_MAX_ATTEMPTS = 5
OTP_REQUESTS_PER_PHONE_PER_HOUR = env.int("OTP_REQUESTS_PER_PHONE_PER_HOUR", default=5)
OTP_REQUESTS_PER_IP_PER_HOUR = env.int("OTP_REQUESTS_PER_IP_PER_HOUR", default=30)
OTP_RESEND_AFTER_SECONDS = env.int("OTP_RESEND_AFTER_SECONDS", default=60)
# NIK look-ups on self-registration's identity step, counted in the same shared cache (decisions.md, X)
IDENTITY_CHECKS_PER_SESSION_PER_HOUR = env.int("IDENTITY_CHECKS_PER_SESSION_PER_HOUR", default=10)
IDENTITY_CHECKS_PER_PHONE_PER_HOUR = env.int("IDENTITY_CHECKS_PER_PHONE_PER_HOUR", default=10)
IDENTITY_CHECKS_PER_IP_PER_HOUR = env.int("IDENTITY_CHECKS_PER_IP_PER_HOUR", default=100)
# Claiming a membership someone else registered (NIK + birth date after phone sign-in)
MEMBER_CLAIM_TRIES_PER_HOUR = env.int("MEMBER_CLAIM_TRIES_PER_HOUR", default=5)
MEMBER_CLAIM_TRIES_PER_IP_PER_HOUR = env.int("MEMBER_CLAIM_TRIES_PER_IP_PER_HOUR", default=30)

# BPU age limits at registration: the real ceiling is not settled (DOMAIN.md marks it open).
BPU_MIN_AGE = env.int("BPU_MIN_AGE", default=15)
BPU_MAX_AGE = env.int("BPU_MAX_AGE", default=65)
CONSENT_VERSION = "2026-11"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# demo_seed / demo_accounts (known passwords, TOTP secrets, a partner key) run only with DEBUG on; production.py
# refuses them whatever DJANGO_DEBUG says.
DEMO_DATA_ALLOWED = DEBUG

# Reverse proxies in front of the portal, for the client's address in rate limits and audit rows
# (core.client_ip): a count ("1": one proxy appends to X-Forwarded-For) or comma-separated addresses/CIDRs of
# our proxies. Empty or 0: X-Forwarded-For is ignored and REMOTE_ADDR is the client.
TRUSTED_PROXIES = env.str("TRUSTED_PROXIES", default="0")

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

SPECTACULAR_SETTINGS.update(
    {"SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR", "REDOC_DIST": "SIDECAR"}
)

# Contributions: due on BILL_DUE_DAY of the covered month (or of the next month), next working day on holidays.
BILL_DUE_DAY = env.int("BILL_DUE_DAY", default=15)
BILL_DUE_NEXT_MONTH = env.bool("BILL_DUE_NEXT_MONTH", default=False)
# Cuti bersama (collective leave the government adds around holidays) moves a due date like a public holiday: offices
# and many banks are closed. False counts those days as working days.
BILL_DUE_CUTI_BERSAMA = env.bool("BILL_DUE_CUTI_BERSAMA", default=True)
# The staff jobs page warns this many days before the holiday data (lokal-id) runs out: due dates after it count
# weekends only. A year covers a 12-month prepayment's due dates.
HOLIDAY_DATA_WARNING_DAYS = env.int("HOLIDAY_DATA_WARNING_DAYS", default=365)
FIRST_BILL_GRACE_DAYS = env.int("FIRST_BILL_GRACE_DAYS", default=7)  # portal choice, not a regulation
ARREARS_MONTHS = 3  # unpaid months that may be paid back; the next one lapses the membership (DOMAIN.md: firm)
BILLING_BATCH_SIZE = env.int("BILLING_BATCH_SIZE", default=100_000)
PAYMENT_ORDER_TTL_HOURS = env.int("PAYMENT_ORDER_TTL_HOURS", default=24)
PAYMENT_MONTH_CHOICES = (1, 3, 6, 12)
# The payment simulator signs its webhooks with this secret, as a gateway would; set a real one in production.
# Without a secret (the production default) the simulator's webhook endpoint does not exist.
PAYMENT_SIMULATOR_SECRET = env.str("PAYMENT_SIMULATOR_SECRET", default="dev-only-simulator-secret" if DEBUG else "")
PAYMENT_SIMULATOR_ENABLED = env.bool("PAYMENT_SIMULATOR_ENABLED", default=DEBUG)
PAYMENT_WEBHOOK_MAX_AGE_SECONDS = 300
# Where the simulator delivers its webhooks; empty means this portal's own address from the request.
PAYMENT_SIMULATOR_WEBHOOK_BASE = env.str("PAYMENT_SIMULATOR_WEBHOOK_BASE", default="")

# Perisai agents (DOMAIN.md: 2018 figures, so settings): commission on cash collected and settled, a bonus for
# a month with enough new members, the body's share of the incentive, how long cash may be held, inactivity.
AGENT_COMMISSION_PERCENT = env.str("AGENT_COMMISSION_PERCENT", default="7.5")
AGENT_BONUS_IDR = env.int("AGENT_BONUS_IDR", default=500_000)
AGENT_BONUS_MIN_NEW_MEMBERS = env.int("AGENT_BONUS_MIN_NEW_MEMBERS", default=50)
AGENT_BODY_SHARE_PERCENT = env.str("AGENT_BODY_SHARE_PERCENT", default="10")
AGENT_CASH_HOLD_DAYS = env.int("AGENT_CASH_HOLD_DAYS", default=2)
AGENT_INACTIVE_AFTER_MONTHS = env.int("AGENT_INACTIVE_AFTER_MONTHS", default=3)
BULK_IMPORT_MAX_BYTES = env.int("BULK_IMPORT_MAX_BYTES", default=200 * 1024 * 1024)  # 1,000,000 rows: ~125 MB
BULK_IMPORT_MAX_ROWS = env.int("BULK_IMPORT_MAX_ROWS", default=1_000_000)
# A check or registration job that shows no progress for this long stopped (a worker killed, the broker down when
# it was queued): the sweep (sponsors.tasks.bulk_imports_sweep) queues it again, at most BULK_IMPORT_MAX_TRIES
# times in all, then marks the import failed for the uploader to retry.
BULK_IMPORT_STALE_SECONDS = env.int("BULK_IMPORT_STALE_SECONDS", default=600)
BULK_IMPORT_MAX_TRIES = env.int("BULK_IMPORT_MAX_TRIES", default=3)

# Payment reminders (contributions.services.reminders): a bill's stages, in days. Portal choices, not regulation.
REMINDER_DAYS_BEFORE_DUE = env.int("REMINDER_DAYS_BEFORE_DUE", default=3)
REMINDER_OVERDUE_AFTER_DAYS = env.int("REMINDER_OVERDUE_AFTER_DAYS", default=7)  # days after the due date
REMINDER_BEFORE_LAPSE_DAYS = env.int("REMINDER_BEFORE_LAPSE_DAYS", default=7)  # days before the lapse date
REMINDER_LAPSED_WITHIN_DAYS = env.int("REMINDER_LAPSED_WITHIN_DAYS", default=14)  # notices only for recent lapses
# Stages sent even to people who opted out: the notice that coverage ended (UU 24/2011 duty to inform).
REMINDER_REQUIRED_STAGES = env.list("REMINDER_REQUIRED_STAGES", default=["lapsed"])
# Sponsored members: "sponsor" (only the sponsor is reminded) or "both".
REMINDER_SPONSORED_AUDIENCE = env.str("REMINDER_SPONSORED_AUDIENCE", default="sponsor")
# Quiet hours, local time of the person's province: messages written then wait for the morning.
QUIET_HOURS_START = env.int("QUIET_HOURS_START", default=21)
QUIET_HOURS_END = env.int("QUIET_HOURS_END", default=7)
REMINDER_BATCH_SIZE = env.int("REMINDER_BATCH_SIZE", default=100_000)
REMINDER_WORKERS = env.int("REMINDER_WORKERS", default=2)  # database connections the job uses at once (PostgreSQL)
# A WhatsApp or email message that failed this many times goes by its fallback (SMS) instead.
NOTIFICATION_FALLBACK_AFTER_ATTEMPTS = env.int("NOTIFICATION_FALLBACK_AFTER_ATTEMPTS", default=2)
# The portal's public address, for links in messages.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# SMS/WhatsApp gateway (core.notifications.gateway): its API's base URL, the API key it issued, the secret that signs
# its delivery receipts, and how long to wait for it. With DEBUG the defaults point at the portal's own gateway
# simulator (SMS_SIMULATOR_ENABLED, /simulator/sms/), where a tester reads the simulated phones' messages.
SMS_SIMULATOR_ENABLED = env.bool("SMS_SIMULATOR_ENABLED", default=DEBUG)
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default=SITE_URL.rstrip("/") + "/simulator/sms/api" if DEBUG else "")
SMS_GATEWAY_API_KEY = env.str("SMS_GATEWAY_API_KEY", default="dev-only-sms-gateway-key" if DEBUG else "")
SMS_GATEWAY_CALLBACK_SECRET = env.str("SMS_GATEWAY_CALLBACK_SECRET",
                                      default="dev-only-sms-callback-secret" if DEBUG else "")
# Where the gateway sends delivery receipts; empty: SITE_URL + /api/v1/notifications/receipts/.
SMS_GATEWAY_CALLBACK_URL = env.str("SMS_GATEWAY_CALLBACK_URL", default="")
SMS_GATEWAY_CONNECT_TIMEOUT_SECONDS = env.float("SMS_GATEWAY_CONNECT_TIMEOUT_SECONDS", default=3.0)
SMS_GATEWAY_READ_TIMEOUT_SECONDS = env.float("SMS_GATEWAY_READ_TIMEOUT_SECONDS", default=10.0)
# A receipt whose signed timestamp is further than this from now is refused (replays).
SMS_GATEWAY_CALLBACK_MAX_AGE_SECONDS = env.int("SMS_GATEWAY_CALLBACK_MAX_AGE_SECONDS", default=300)
SMS_SIMULATOR_RECEIPT_DELAY_SECONDS = env.float("SMS_SIMULATOR_RECEIPT_DELAY_SECONDS", default=1.0)
# The simulator's own copies of the key it issued and the secret it signs with (the same as the portal's by default).
SMS_SIMULATOR_API_KEY = env.str("SMS_SIMULATOR_API_KEY", default=SMS_GATEWAY_API_KEY)
SMS_SIMULATOR_CALLBACK_SECRET = env.str("SMS_SIMULATOR_CALLBACK_SECRET", default=SMS_GATEWAY_CALLBACK_SECRET)
# Emails (organisation sign-up confirmations, password resets) go by SMTP; with DEBUG they are printed.
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
vars().update(_email)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]  # named, so the production checks can read it
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="BPJS Ketenagakerjaan BPU <noreply@bpu.example>")
if SMS_SIMULATOR_ENABLED:  # the simulator's delivery receipts that the portal did not take are sent again
    CELERY_BEAT_SCHEDULE = {"sms-simulator-receipts": {"task": "core.tasks.sms_simulator_receipts_send",
                                                       "schedule": 30.0}}

# Auto-debit (contributions.services.autodebit): settings below this line belong to it.
# Days between tries after a failed debit: [2, 3] is 3 tries over 5 days; then the payer is told, reminders follow.
AUTODEBIT_RETRY_DAYS = [int(d) for d in env.list("AUTODEBIT_RETRY_DAYS", default=["2", "3"])]
AUTODEBIT_SUSPEND_AFTER_MONTHS = env.int("AUTODEBIT_SUSPEND_AFTER_MONTHS", default=3)  # failed months in a row
# A try sent this long ago without an answer belongs to a run that died: the next run sends it again, same key.
AUTODEBIT_CLAIM_TIMEOUT_SECONDS = env.int("AUTODEBIT_CLAIM_TIMEOUT_SECONDS", default=900)
# A lost answer (provider timeout) is asked again with the same key after this long.
AUTODEBIT_RESEND_AFTER_SECONDS = env.int("AUTODEBIT_RESEND_AFTER_SECONDS", default=600)
AUTODEBIT_BATCH_SIZE = env.int("AUTODEBIT_BATCH_SIZE", default=2000)  # attempts per claim, provider call and settlement
AUTODEBIT_CREATE_BATCH_SIZE = env.int("AUTODEBIT_CREATE_BATCH_SIZE", default=50_000)  # mandate ids per INSERT … SELECT
AUTODEBIT_CONSENT_VERSION = "2026-11"  # change with the consent text in contributions/autodebit_views.py
AUTODEBIT_MAX_LIMIT_IDR = env.int("AUTODEBIT_MAX_LIMIT_IDR", default=5_000_000)  # highest maximum a payer may set
