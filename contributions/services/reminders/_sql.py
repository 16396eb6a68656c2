"""What the reminder statements share: the database they run on and the tables they name."""

from __future__ import annotations

from django.db import connection

from contributions.models import Bill, DebitAttempt, DebitMandate, Reminder
from core.models import OutboxMessage
from members.models import Member, Sponsorship


def _postgres() -> bool:
    return connection.vendor == "postgresql"


_BILL, _MEMBER = Bill._meta.db_table, Member._meta.db_table
_REMINDER, _OUTBOX = Reminder._meta.db_table, OutboxMessage._meta.db_table
_SPONSORSHIP, _MANDATE, _ATTEMPT = Sponsorship._meta.db_table, DebitMandate._meta.db_table, DebitAttempt._meta.db_table
