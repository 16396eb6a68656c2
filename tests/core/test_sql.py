"""core.sql: the hand-written statements of hot paths store values exactly as the ORM would."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from core.models import AuditEvent, OutboxMessage
from core.sql import insert_rows, lock_clause

pytestmark = pytest.mark.django_db


def test_insert_rows_adapts_json_datetimes_and_foreign_keys_like_the_orm(worker_user):
    at = timezone.now().replace(microsecond=123456)
    ids = insert_rows(AuditEvent, ("created_at", "actor", "action", "object_type", "object_id", "changes", "reason"),
                      [(at, worker_user.pk, "a.one", "core.user", "1", {"nested": ["x", 1], "ok": True}, "why"),
                       (at - dt.timedelta(hours=30), None, "a.two", "core.user", "2", {}, "")],
                      returning_pk=True)
    one, two = (AuditEvent.objects.get(pk=pk) for pk in ids)
    assert (one.action, two.action) == ("a.one", "a.two")  # keys come back in row order
    assert one.created_at == at and two.created_at == at - dt.timedelta(hours=30)
    assert one.actor == worker_user and two.actor is None
    assert one.changes == {"nested": ["x", 1], "ok": True} and two.changes == {}
    # The ORM finds them by time, as it would rows it wrote itself (SQLite compares the stored text).
    assert AuditEvent.objects.filter(created_at__lt=at - dt.timedelta(hours=1)).get() == two


def test_insert_rows_without_returning_and_without_rows():
    assert insert_rows(OutboxMessage, ("channel", "recipient", "body"), []) == []
    assert insert_rows(OutboxMessage, ("created_at", "channel", "recipient", "body"),
                       [(timezone.now(), "sms", "+6281234567890", "halo")]) == []
    assert OutboxMessage.objects.get().body == "halo"


def test_insert_rows_refuses_a_row_of_the_wrong_length():
    with pytest.raises(ValueError, match="expected 2 values, got 1"):
        insert_rows(OutboxMessage, ("channel", "recipient"), [("sms",)])
    assert not OutboxMessage.objects.exists()


def test_lock_clause_matches_the_database():
    if connection.vendor == "postgresql":
        assert lock_clause() == "FOR UPDATE" and lock_clause(of="m") == "FOR UPDATE OF m"
    else:
        assert lock_clause() == "" and lock_clause(of="m") == ""


def test_insert_together_writes_every_table_in_one_statement_on_postgresql(worker_user):
    from django.test.utils import CaptureQueriesContext

    from core.sql import InsertSpec, insert_together

    with CaptureQueriesContext(connection) as captured:
        insert_together(
            InsertSpec(OutboxMessage, ("channel", "recipient", "body"), [("sms", "+6281234567890", "satu"),
                                                                        ("sms", "+6281234567891", "dua")]),
            InsertSpec(AuditEvent, ("action", "object_type", "object_id", "changes"), [("a.b", "core.user", "1",
                                                                                       {"k": [1]})]),
            InsertSpec(OutboxMessage, ("channel", "recipient", "body"), []),  # nothing to write: left out
        )
    assert len(captured) == (1 if connection.vendor == "postgresql" else 2)
    assert sorted(OutboxMessage.objects.values_list("body", flat=True)) == ["dua", "satu"]
    assert AuditEvent.objects.get().changes == {"k": [1]}
