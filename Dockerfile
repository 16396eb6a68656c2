# Production image for the BPU portal: one image for web (gunicorn), Celery worker, Celery beat and migrations.
# Every package in requirements.lock ships a wheel, so no compiler or -dev packages are installed.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app

RUN groupadd --system --gid 1000 app \
    && useradd --system --uid 1000 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .

# Static files are collected into the image (whitenoise serves them with hashed names). The secrets below are
# throw-away values that exist only for this RUN step; they are not ENV, so the running image never sees them and
# refuses to start until real ones are supplied. VAR_DIR points at a scratch folder so nothing lands in /app/var.
RUN DJANGO_SECRET_KEY=build-time-only-not-a-secret \
    NIK_ENCRYPTION_KEYS=YnVpbGQtdGltZS1vbmx5LW5vdC1hLXNlY3JldC1rZXk= \
    NIK_HMAC_KEY=build-time-only-not-a-secret \
    DATABASE_URL=sqlite:////tmp/build-var/build.sqlite3 \
    VAR_DIR=/tmp/build-var \
    python manage.py collectstatic --noinput \
    && rm -rf /tmp/build-var \
    && mkdir -p /app/var/media /app/var/private \
    && chown -R app:app /app/var \
    && chmod 700 /app/var/private

# Code stays owned by root (read-only for the app); only var/ (VAR_DIR: media, and the embedded broker when
# REDIS_URL is unset) is writable.
USER app

EXPOSE 8000

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
