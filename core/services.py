"""Writes of the shared kernel: audit events, the notification outbox and phone sign-in codes."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import AuthToken

from core.models import STAFF_ROLES, AuditEvent, Channel, OutboxMessage, OutboxStatus, PhoneCode, User
from core.publish import task_publish
from core.sql import InsertSpec, insert_rows, insert_together

logger = logging.getLogger(__name__)


def audit_type(model: Any) -> str:
    """How the audit trail names a model (or row): after its table, "app.model", so a model that moves to another
    app keeps its name in the history auditors already query (docs/decisions.md, Z)."""
    return model._meta.db_table.replace("_", ".", 1)


def audit_event_record(
    *,
    actor: User | None,
    action: str,
    obj: Any,
    changes: dict | None = None,
    reason: str = "",
    ip_address: str | None = None,
) -> AuditEvent:
    """One row per change; callers pass already-masked values for personal data."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        object_type=audit_type(obj),
        object_id=str(obj.pk),
        changes=changes or {},
        reason=reason,
        ip_address=ip_address,
    )


def audit_events_spec(*, actor_id: int | None, events: Sequence[tuple[str, str, Any, dict, str]]) -> InsertSpec:
    """Audit rows for insert_together: events are (action, object label, object pk, changes, reason)."""
    return InsertSpec(AuditEvent, ("actor", "action", "object_type", "object_id", "changes", "reason"),
                      [(actor_id, action, label, str(pk), changes, reason)
                       for action, label, pk, changes, reason in events])


def audit_events_record_many(*, actor_id: int | None, events: Sequence[tuple[str, str, Any, dict, str]]) -> None:
    """audit_event_record for hot paths and bulk jobs: all the events in one INSERT."""
    insert_together(audit_events_spec(actor_id=actor_id, events=events))


def notification_enqueue(
    *, channel: str, recipient: str, body: str, subject: str = "", purpose: str = ""
) -> OutboxMessage:
    """Writes the message in the caller's transaction; delivery is queued only once that commits."""
    message = OutboxMessage.objects.create(
        channel=channel, recipient=recipient, body=body, subject=subject, purpose=purpose
    )
    _deliver_on_commit([message.pk], urgent=purpose in settings.NOTIFICATION_URGENT_PURPOSES)
    return message


NOTIFICATION_MORE_FIELDS = frozenset({"created_at", "subject", "next_attempt_at", "fallback_channel",
                                      "fallback_recipient", "key"})


def _message_fields(more_fields: Sequence[str]) -> tuple[str, ...]:
    if set(more_fields) - NOTIFICATION_MORE_FIELDS:
        raise ValueError(f"not a message field: {sorted(set(more_fields) - NOTIFICATION_MORE_FIELDS)}")
    return ("channel", "recipient", "body", "purpose", *more_fields)


def notifications_enqueue_many(*, messages: Sequence[Sequence], more_fields: Sequence[str] = ()) -> list[int]:
    """notification_enqueue for hot paths and sets: messages are (channel, recipient, body, purpose, *values of
    more_fields), written in one INSERT; returns their ids. more_fields: what a set of messages says beyond the
    single one (reminders: their time, held until morning, a fallback channel), from NOTIFICATION_MORE_FIELDS."""
    ids = insert_rows(OutboxMessage, _message_fields(more_fields), messages, returning_pk=True)
    _deliver_on_commit(ids, urgent=any(m[3] in settings.NOTIFICATION_URGENT_PURPOSES for m in messages))
    return ids


SqlPart = tuple[str, list]


def notification_ids_sql() -> str:
    """An expression giving each row of a SELECT a fresh outbox id, for callers that must know a message's id in the
    statement that writes it (a reminder row points to its message): the id sequence on PostgreSQL; on SQLite, which
    holds the database's write lock for the whole transaction, the ids after the largest."""
    table = OutboxMessage._meta.db_table
    if connection.vendor == "postgresql":
        return f"nextval(pg_get_serial_sequence('{table}', 'id'))"
    return (f"(SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0), "  # noqa: S608
            f"COALESCE((SELECT MAX(id) FROM {table}), 0))) + ROW_NUMBER() OVER ()")


def notifications_insert_select_sql(
    *, id_sql: SqlPart, created_at: SqlPart, channel: SqlPart, recipient: SqlPart, body: SqlPart, purpose: SqlPart,
    next_attempt_at: SqlPart, fallback_channel: SqlPart, fallback_recipient: SqlPart, from_sql: SqlPart,
) -> SqlPart:
    """notifications_enqueue_many for a set the caller selects in SQL (reminders: a message per bill, written in
    the statement that records the reminders): the outbox's INSERT … SELECT, each column an expression with its
    parameters over `from_sql` (the FROM … WHERE …). The outbox's own columns (status, attempts, …) are filled
    here. Delivery: the caller calls notifications_deliver_after_commit()."""
    table = OutboxMessage._meta.db_table
    parts = [id_sql, created_at, channel, recipient, ("''", []), body, purpose, ("%s", [OutboxStatus.PENDING]),
             ("0", []), ("''", []), ("''", []), next_attempt_at, ("NULL", []), fallback_channel, fallback_recipient]
    columns = ("id, created_at, channel, recipient, subject, body, purpose, status, attempts, last_error, "
               "provider_reference, next_attempt_at, key, fallback_channel, fallback_recipient")
    sql = (f"INSERT INTO {table} ({columns}) SELECT {', '.join(s for s, _p in parts)} "  # noqa: S608
           f"{from_sql[0]}")
    return sql, [p for _s, params in parts for p in params] + list(from_sql[1])


def notifications_spec(*, messages: Sequence[Sequence], more_fields: Sequence[str] = ()) -> InsertSpec:
    """Outbox rows for insert_together, as notifications_enqueue_many takes them; the caller then calls
    notifications_deliver_after_commit()."""
    return InsertSpec(OutboxMessage, _message_fields(more_fields), messages)


def notifications_deliver_after_commit(*, urgent: bool = False) -> None:
    """urgent: the messages include NOTIFICATION_URGENT_PURPOSES (receipts), swept on the urgent queue too."""
    _deliver_on_commit([], urgent=urgent)


_sweep_lock = threading.Lock()
_sweep_at = float("-inf")  # monotonic time the last queued delivery sweep starts at, in this process
_urgent_sweep_at = float("-inf")  # the same for the urgent sweep


def _deliver_on_commit(ids: list[int], *, urgent: bool = False) -> None:
    """Once the messages are committed, make sure a delivery sweep starts after that moment.

    A busy process (the payment webhook: hundreds of receipts a second) would spend more on publishing one task per
    message than on the payment itself, so it queues at most one sweep per NOTIFICATION_SWEEP_SECONDS: the first
    message after a quiet spell is swept at once, later ones by a sweep due at the end of the interval. A commit
    that finds a sweep still due after it needs nothing more. The minute sweep catches anything a lost task left.

    Codes and receipts (urgent) also get a sweep of their own on the `urgent` queue, which only sends those: a
    bulk import's thousands of welcome messages on the default queue cannot hold up a sign-in code."""
    from core.tasks import notifications_deliver_fresh, notifications_deliver_urgent

    def queue_sweep(kind: bool) -> None:
        global _sweep_at, _urgent_sweep_at
        with _sweep_lock:
            now = time.monotonic()
            due = _urgent_sweep_at if kind else _sweep_at
            if now < due:
                return
            due = max(now, due + settings.NOTIFICATION_SWEEP_SECONDS)
            if kind:
                _urgent_sweep_at = due
            else:
                _sweep_at = due
            countdown = due - now
        # With the broker down nothing is lost: the minute sweep (beat) delivers later.
        task_publish(notifications_deliver_urgent if kind else notifications_deliver_fresh,
                     countdown=countdown or None)

    def queue_sweeps() -> None:
        for kind in (True, False) if urgent else (False,):
            queue_sweep(kind)

    transaction.on_commit(queue_sweeps, robust=True)


def notifications_deliver_fresh(*, batch_size: int = 200, max_batches: int = 50,
                                purposes: Sequence[str] | None = None) -> int:
    """Delivers the messages not tried yet, oldest first, in bounded batches. Two sweeps at once share the work
    (rows another one holds are skipped); messages that failed once wait for notification_flush_pending. With
    purposes, only messages of those purposes (the urgent sweep)."""
    sent = 0
    fresh = OutboxMessage.objects.filter(status=OutboxStatus.PENDING, attempts=0)
    if purposes is not None:
        fresh = fresh.filter(purpose__in=list(purposes))
    for _batch in range(max_batches):
        ids = list(fresh.filter(_not_held(timezone.now())).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        for message_id in ids:
            message = notification_deliver(message_id=message_id, skip_locked=True)
            sent += message is not None and message.status == OutboxStatus.SENT
    return sent


def _not_held(now) -> Q:
    """Messages whose time has come: never held, or held (quiet hours, backoff) until a moment now past."""
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def notification_deliver(*, message_id: int, skip_locked: bool = False) -> OutboxMessage | None:
    """Sends one outbox message through the configured backend. Safe to run twice. With skip_locked, a message
    another deliverer holds right now is left to it (None). A message held until later (quiet hours, backoff) is
    left for the sweep that comes after; one that is no longer needed (a reminder of a bill paid since) is
    cancelled instead of sent.

    The gateway is called outside any transaction: a slow gateway must not hold a lock (on SQLite a write lock on
    the whole file, which the simulator answering on the same database needs). The message is claimed first, its
    try counted and held for NOTIFICATION_CLAIM_SECONDS, so another deliverer leaves it alone meanwhile and the
    retry sweep takes it up if this one dies; the gateway's Idempotency-Key keeps that from sending it twice."""
    from core.notifications import backends, is_stale

    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update(skip_locked=skip_locked).filter(pk=message_id).first()
        if message is None or message.status != OutboxStatus.PENDING:
            return message
        if message.next_attempt_at and message.next_attempt_at > timezone.now():
            return message
        if is_stale(message):
            message.status = OutboxStatus.CANCELLED
            message.save(update_fields=["status"])
            return message
        held_until = message.next_attempt_at
        message.attempts += 1
        message.next_attempt_at = timezone.now() + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)
        message.save(update_fields=["attempts", "next_attempt_at"])
    try:
        reference = backends.get_backend().send(message)
    except Exception as exc:  # a backend failure must not lose the message: keep it for the retry sweep
        # The gateway refused the message itself (a 4xx): trying again cannot help.
        permanent = isinstance(exc, backends.PermanentDeliveryError)
        logger.warning("notification %s failed: %s", message.pk, type(exc).__name__)
        message.last_error = str(exc)[:500]
        message.status = (OutboxStatus.FAILED if permanent or message.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
                          else OutboxStatus.PENDING)
        # Backoff: a gateway that is down is not hammered; 1, 2, 4, 8 minutes by default.
        message.next_attempt_at = timezone.now() + timedelta(
            seconds=settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** (message.attempts - 1))
        if message.fallback_channel and (permanent or
                                         message.attempts >= settings.NOTIFICATION_FALLBACK_AFTER_ATTEMPTS):
            # Not on WhatsApp, a mailbox that bounces: the person's phone still gets it, by SMS, at once.
            message.last_error = f"{message.channel}: {message.last_error}"[:500]
            message.channel, message.recipient = message.fallback_channel, message.fallback_recipient
            message.fallback_channel, message.fallback_recipient = "", ""
            message.status, message.next_attempt_at = OutboxStatus.PENDING, timezone.now()
        message.save(update_fields=["last_error", "status", "next_attempt_at", "channel", "recipient",
                                    "fallback_channel", "fallback_recipient"])
        return message
    message.status = OutboxStatus.SENT
    message.sent_at = timezone.now()
    message.provider_reference = reference or ""
    message.receipt_at = None
    message.next_attempt_at = held_until
    message.save(update_fields=["status", "sent_at", "provider_reference", "receipt_at", "next_attempt_at"])
    return message


class UnknownProviderMessage(Exception):
    """A delivery receipt for a message id the outbox never got back from the gateway."""


def notification_receipt_record(*, provider_reference: str, status: str, reported_at, error_code: str = ""
                                ) -> tuple[OutboxMessage, bool]:
    """The gateway's delivery receipt: the message is delivered, or failed (then its fallback channel, if it has
    one, is tried at once). Returns the message and whether this receipt was a replay (the first one counts)."""
    with transaction.atomic():
        message = (OutboxMessage.objects.select_for_update().filter(provider_reference=provider_reference)
                   .exclude(provider_reference="").first())
        if message is None:
            raise UnknownProviderMessage(provider_reference)
        if message.status != OutboxStatus.SENT:  # already reported (or resent by its fallback since)
            return message, True
        message.receipt_at = reported_at
        if status == "delivered":
            message.status = OutboxStatus.DELIVERED
        elif message.fallback_channel:  # not on WhatsApp after all: the phone still gets it, by SMS, at once
            message.last_error = f"{message.channel}: gateway: {error_code or 'not delivered'}"[:500]
            message.channel, message.recipient = message.fallback_channel, message.fallback_recipient
            message.fallback_channel, message.fallback_recipient = "", ""
            message.status, message.next_attempt_at = OutboxStatus.PENDING, timezone.now()
        else:
            message.status = OutboxStatus.FAILED
            message.last_error = f"gateway: {error_code or 'not delivered'}"[:500]
        message.save(update_fields=["receipt_at", "status", "last_error", "channel", "recipient", "fallback_channel",
                                    "fallback_recipient", "next_attempt_at"])
    return message, False


def notification_flush_pending(*, older_than_seconds: int = 30, batch_size: int = 500) -> dict[str, int]:
    """The minute sweep: messages no delivery ever picked up (the broker was down when they were written) and failed
    ones whose backoff is over, oldest first, bounded per run. Returns what it did, for the job-runs page."""
    now = timezone.now()
    due = Q(_not_held(now), attempts=0, created_at__lt=now - timedelta(seconds=older_than_seconds)) | Q(
        attempts__gt=0, next_attempt_at__lte=now)
    ids = list(OutboxMessage.objects.filter(due, status=OutboxStatus.PENDING).order_by("pk")
               .values_list("pk", flat=True)[:batch_size])
    counts = {"handled": 0, "failed": 0, "skipped": 0}
    for message_id in ids:
        message = notification_deliver(message_id=message_id, skip_locked=True)
        if message is None:
            counts["skipped"] += 1  # another deliverer has it right now
        else:
            counts["handled" if message.status == OutboxStatus.SENT else "failed"] += 1
    return counts


class CodeRequestRefused(Exception):
    def __init__(self, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def _code_hash(phone: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _rate_limit_hit(key: str, limit: int, window_seconds: int) -> bool:
    """Fixed-window counter in the shared cache; True when the limit is exceeded."""
    cache.add(key, 0, timeout=window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window_seconds)
        count = 1
    return count > limit


def rate_limit_hit(*, key: str, limit: int, window_seconds: int) -> bool:
    """The shared fixed-window counter, for other apps' throttles (identity checks, membership claims)."""
    return _rate_limit_hit(key, limit, window_seconds)


def phone_code_request(*, phone: str, ip_address: str | None, channel: str = Channel.SMS) -> PhoneCode:
    """Creates a one-time code for the phone and queues it through the outbox. Rate-limited per phone and IP."""
    last = PhoneCode.objects.filter(phone=phone).order_by("-created_at").first()
    if last and (timezone.now() - last.created_at).total_seconds() < settings.OTP_RESEND_AFTER_SECONDS:
        wait = settings.OTP_RESEND_AFTER_SECONDS - int((timezone.now() - last.created_at).total_seconds())
        raise CodeRequestRefused(
            _("A code was just sent. You can ask for a new one in %(seconds)s seconds.") % {"seconds": wait},
            retry_after=wait,
        )
    if _rate_limit_hit(f"otp:phone:{phone}", settings.OTP_REQUESTS_PER_PHONE_PER_HOUR, 3600) or (
        ip_address and _rate_limit_hit(f"otp:ip:{ip_address}", settings.OTP_REQUESTS_PER_IP_PER_HOUR, 3600)
    ):
        raise CodeRequestRefused(_("Too many codes were requested. Please try again in an hour."), retry_after=3600)

    code = "".join(secrets.choice("0123456789") for _ in range(settings.OTP_LENGTH))
    with transaction.atomic():
        record = PhoneCode.objects.create(
            phone=phone,
            code_hash=_code_hash(phone, code),
            expires_at=timezone.now() + timedelta(seconds=settings.OTP_TTL_SECONDS),
        )
        minutes = settings.OTP_TTL_SECONDS // 60
        body = _(
            "%(code)s is your BPJS Ketenagakerjaan BPU code. It is valid for %(minutes)s minutes. "
            "Never share it with anyone, including staff."
        ) % {"code": code, "minutes": minutes}
        notification_enqueue(channel=channel, recipient=phone, body=body, purpose="otp")
    return record


class CodeInvalid(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def phone_code_verify(*, phone: str, code: str) -> None:
    """Accepts the newest unused, unexpired code for the phone; counts wrong tries and burns the code after too many."""
    code = "".join(ch for ch in str(code) if ch.isdigit())
    refusal = None
    with transaction.atomic():
        record = (
            PhoneCode.objects.select_for_update()
            .filter(phone=phone, used_at__isnull=True)
            .order_by("-created_at", "-pk")
            .first()
        )
        if record is None or record.expires_at <= timezone.now():
            refusal = _("This code has expired. Please ask for a new one.")
        elif record.attempts >= settings.OTP_MAX_ATTEMPTS:
            refusal = _("Too many wrong tries. Please ask for a new code.")
        elif not hmac.compare_digest(record.code_hash, _code_hash(phone, code)):
            # The wrong try must be counted even though we refuse: save it, and raise only after commit.
            record.attempts += 1
            record.save(update_fields=["attempts"])
            left = settings.OTP_MAX_ATTEMPTS - record.attempts
            refusal = (
                _("Too many wrong tries. Please ask for a new code.") if left <= 0
                else _("The code is not right. You have %(left)s tries left.") % {"left": left}
            )
        else:
            record.used_at = timezone.now()
            record.save(update_fields=["used_at"])
    if refusal:
        raise CodeInvalid(refusal)


class PhoneSignInRefused(Exception):
    pass


def phone_user_get_or_create(*, phone: str, language: str = "id") -> tuple[User, bool]:
    """The account for a verified phone number; a new one is a worker account without a password.

    Staff accounts never sign in by phone code: that would skip their password and TOTP.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().filter(phone=phone).first()
        if user and (user.is_portal_staff or user.is_staff or not user.is_active):
            raise PhoneSignInRefused(user.pk)
        if user:
            return user, False
        user = User(username=f"p{phone.lstrip('+')}", phone=phone, language=language)
        user.set_unusable_password()
        user.save()
        audit_event_record(actor=user, action="user.created", obj=user, changes={"via": "phone_code"})
        return user, True


def phone_users_get_or_create_many(
    *, phones: Sequence[str], language: str = "id", actor_id: int | None = None, changes: dict | None = None,
) -> dict[str, tuple[int, bool]]:
    """phone_user_get_or_create for many numbers (bulk imports), in three statements: {phone: (user id, created)}.
    Numbers must already be E.164 (they are written as they are). A number of a staff or inactive account is left
    out of the answer (the single version refuses it with PhoneSignInRefused). New accounts have no usable password;
    their audit events are by actor_id, or by the account itself when there is none (as for a sign-in by code)."""
    if not phones:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone, id, role, is_staff, is_active FROM {User._meta.db_table} "  # noqa: S608
                       f"WHERE phone IN ({', '.join(['%s'] * len(phones))})", list(phones))
        taken = {phone: (pk, role in STAFF_ROLES or is_staff or not is_active)
                 for phone, pk, role, is_staff, is_active in cursor.fetchall()}
    new_phones = [phone for phone in dict.fromkeys(phones) if phone not in taken]
    new_ids = insert_rows(User, ("username", "phone", "language", "password"),
                          # unusable, as set_unusable_password makes it (its 40 random characters cost more)
                          [(f"p{phone.lstrip('+')}", phone, language, f"!{secrets.token_urlsafe(30)}")
                           for phone in new_phones], returning_pk=True, prepared=("phone",))
    changes = {"via": "phone_code"} if changes is None else changes
    insert_together(InsertSpec(AuditEvent, ("actor", "action", "object_type", "object_id", "changes", "reason"),
                               [(actor_id or pk, "user.created", audit_type(User), str(pk), changes, "")
                                for pk in new_ids]))
    found = {phone: (pk, False) for phone, (pk, refused) in taken.items() if not refused}
    return found | {phone: (pk, True) for phone, pk in zip(new_phones, new_ids, strict=True)}


# --- API tokens (django-rest-knox keeps only a SHA-512 digest; the clear token exists once, in the answer) ------


def api_token_issue(*, user: User) -> str:
    """A new token for the mobile app or a partner's client; the idle and absolute limits come from REST_KNOX."""
    _instance, token = AuthToken.objects.create(user=user)
    return token


def api_token_revoke(*, token: AuthToken) -> None:
    AuthToken.objects.filter(pk=token.pk).delete()


def api_tokens_revoke_all(*, user: User) -> int:
    deleted, _by_model = AuthToken.objects.filter(user=user).delete()
    return deleted
