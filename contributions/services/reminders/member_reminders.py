"""Reminders to members: per batch, the reminder rows and their messages, in the member's language and channel,
written by the database."""

from __future__ import annotations

import datetime as dt

from django.db import connection

from contributions.models import Audience
from contributions.services.reminders._sql import _MEMBER, _OUTBOX, _REMINDER, _postgres
from contributions.services.reminders.stages import _bind_members, _candidates_sql, _Window
from contributions.services.reminders.texts import _body_sql, _languages
from contributions.services.reminders.zones import _release_sql
from core.services import notification_ids_sql, notifications_insert_select_sql
from core.sql import no_jit


def _message_parts(now: dt.datetime) -> dict[str, tuple[str, list]]:
    """Outbox columns for candidate row c and member m (core.services.notifications_insert_select_sql): channel by
    preference with SMS as the fallback, body in the member's language, held until morning in quiet hours."""
    email = "(m.notify_channel = 'email' AND m.email <> '')"
    channel = f"(CASE WHEN {email} THEN 'email' WHEN m.notify_channel = 'whatsapp' THEN 'whatsapp' ELSE 'sms' END)"
    bodies, body_params = [], []
    default, *others = _languages()
    for language in others:
        sql, params = _body_sql(language)
        bodies.append(f"WHEN %s THEN {sql}")
        body_params += [language, *params]
    default_sql, default_params = _body_sql(default)
    body = f"(CASE m.language {' '.join(bodies)} ELSE {default_sql} END)"
    body_params += default_params
    release, release_params = _release_sql(now)
    adapt = connection.ops.adapt_datetimefield_value
    return {"created_at": ("%s", [adapt(now)]), "channel": (channel, []),
            "recipient": (f"(CASE WHEN {email} THEN m.email ELSE m.phone END)", []), "body": (body, body_params),
            "purpose": ("'reminder.' || c.stage", []), "next_attempt_at": (release, release_params),
            "fallback_channel": (f"(CASE WHEN {channel} <> 'sms' THEN 'sms' ELSE '' END)", []),
            "fallback_recipient": (f"(CASE WHEN {channel} <> 'sms' THEN m.phone ELSE '' END)", [])}


def _member_batch(window: _Window, members: tuple[str, list]) -> int:
    """Reminders and their messages for one batch of members; returns the messages written."""
    adapt = connection.ops.adapt_datetimefield_value
    cand_sql, cand_params = _bind_members(*_candidates_sql(window, Audience.MEMBER), members)
    parts = _message_parts(window.now)
    with connection.cursor() as cursor:
        if _postgres():
            no_jit(cursor)  # the message texts make a large expression: compiling it took 100 s a batch
            # One statement: record the stage (conflicts drop what was sent before), take a message id from the
            # outbox sequence for each new one, write the messages. The reminder → message FK is checked at commit.
            outbox_sql, outbox_params = notifications_insert_select_sql(
                id_sql=("c.message_id", []), **parts,
                from_sql=(f"FROM c INNER JOIN r ON r.message_id = c.message_id "
                          f"INNER JOIN {_MEMBER} m ON m.id = c.member_id", []))
            cursor.execute(
                f"WITH c AS (SELECT cand.*, {notification_ids_sql()} AS message_id "  # noqa: S608
                f"FROM ({cand_sql}) cand), r AS (INSERT INTO {_REMINDER} (bill_id, stage, audience, created_at, "
                "message_id) SELECT c.bill_id, c.stage, %s, %s, c.message_id FROM c "
                f"ON CONFLICT (bill_id, stage, audience) DO NOTHING RETURNING message_id) {outbox_sql}",
                [*cand_params, Audience.MEMBER, adapt(window.now), *outbox_params])
            return max(cursor.rowcount, 0)
        # SQLite holds the database's write lock for the whole transaction: ids after the largest are free.
        cursor.execute(
            f"INSERT INTO {_REMINDER} (bill_id, stage, audience, created_at, message_id) "  # noqa: S608
            f"SELECT c.bill_id, c.stage, %s, %s, {notification_ids_sql()} "
            f"FROM ({cand_sql}) c WHERE 1 = 1 ON CONFLICT (bill_id, stage, audience) DO NOTHING",
            [Audience.MEMBER, adapt(window.now), *cand_params])
        if cursor.rowcount <= 0:
            return 0
        cand_sql, cand_params = _bind_members(*_candidates_sql(window, Audience.MEMBER, skip_sent=False), members)
        outbox_sql, outbox_params = notifications_insert_select_sql(
            id_sql=("r.message_id", []), **parts,
            from_sql=(f"FROM {_REMINDER} r INNER JOIN ({cand_sql}) c ON c.bill_id = r.bill_id "  # noqa: S608
                      f"AND c.stage = r.stage INNER JOIN {_MEMBER} m ON m.id = c.member_id WHERE r.audience = %s "
                      f"AND r.created_at = %s AND NOT EXISTS (SELECT 1 FROM {_OUTBOX} o WHERE o.id = r.message_id)",
                      [*cand_params, Audience.MEMBER, adapt(window.now)]))
        cursor.execute(outbox_sql, outbox_params)
        return max(cursor.rowcount, 0)
