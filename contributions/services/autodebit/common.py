"""Auto-debit: what the mandates, the run and the results share (tables, transitions, keys, messages)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import override

from contributions.models import AttemptStatus, DebitAttempt, DebitMandate
from contributions.transitions import debit_attempts_status_transition_where
from core.models import Channel as MessageChannel
from core.models import User
from core.money import format_idr
from core.services import notifications_deliver_after_commit, notifications_spec
from core.sql import chunks, insert_together
from members.models import MemberStatus
from reference.duedates import add_months

_ATTEMPT, _MANDATE = DebitAttempt._meta.db_table, DebitMandate._meta.db_table
PAYABLE = (MemberStatus.REGISTERED, MemberStatus.ACTIVE)
TIMEOUT = "timeout"
FINAL_REASONS = {"revoked", "unknown_mandate"}  # no later try can succeed


class MandateRefused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def attempt_ref(mandate_id: int, month: dt.date) -> str:
    """DebitAttempt.key without building the model (a million a run)."""
    return f"AD{mandate_id}-{month:%Y%m}"


def attempt_key(mandate_id: int, month: dt.date, tries: int) -> str:
    """DebitAttempt.idempotency_key, likewise."""
    return f"{attempt_ref(mandate_id, month)}-{tries}"


_KEY = re.compile(r"^AD(\d+)-(\d{4})(\d{2})-(\d+)$")


def attempt_key_parse(key: str) -> tuple[int, dt.date, int] | None:
    match = _KEY.match(key or "")
    if not match or not 1 <= int(match[3]) <= 12:
        return None
    return int(match[1]), dt.date(int(match[2]), int(match[3]), 1), int(match[4])


def _window(month: dt.date) -> list[str]:
    """The months an attempt pays: open bills from ARREARS_MONTHS back up to its month, oldest first."""
    return [f"{add_months(month, -n):%Y-%m}" for n in range(settings.ARREARS_MONTHS, -1, -1)]


def _contact(user: User) -> tuple[str, str] | None:
    if user.phone:
        return MessageChannel.SMS, str(user.phone)
    if user.email:
        return MessageChannel.EMAIL, user.email
    return None


def _skip_waiting(*, mandate_ids: Sequence[int], outcome: str, now: dt.datetime) -> None:
    """Tries not sent yet are cancelled; one whose answer was lost is still asked (the money may be taken)."""
    for some in chunks(list(mandate_ids)):
        debit_attempts_status_transition_where(
            rows=DebitAttempt.objects.filter(mandate_id__in=some, status=AttemptStatus.SCHEDULED).exclude(
                last_outcome=TIMEOUT), to=AttemptStatus.SKIPPED, actor=None, reason=outcome, last_outcome=outcome,
            next_try_at=None, updated_at=now)


def _month(value) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _tell_payers(*, attempt_ids: Sequence[int], kind: str, amounts: dict[int, int] | None = None) -> None:
    """One message per attempt and kind (the outbox key keeps it once), in the payer's language; without a phone
    or email address, nothing is sent and the member page still shows it."""
    rows = []
    for attempt in DebitAttempt.objects.filter(pk__in=attempt_ids).select_related("mandate__payer",
                                                                                  "mandate__member"):
        mandate, payer = attempt.mandate, attempt.mandate.payer
        contact = _contact(payer)
        if contact is None:
            continue
        values = {"kpj": mandate.member.kpj, "month": f"{attempt.month:%m/%Y}", "issuer": mandate.issuer,
                  "account": mandate.account_masked, "max": format_idr(mandate.max_amount_idr),
                  "amount": format_idr((amounts or {}).get(attempt.pk, attempt.amount_idr)),
                  "months": mandate.failed_months}
        with override(payer.language):
            if kind == "failed":
                body = _("Auto-debit for KPJ %(kpj)s (%(month)s) failed after every try on %(issuer)s %(account)s. "
                         "Please pay by transfer or QRIS on your page; payment reminders will follow.") % values
            elif kind == "suspended":
                body = _("Auto-debit for KPJ %(kpj)s is suspended after %(months)s months without a successful "
                         "debit. Pay by transfer or QRIS, and set auto-debit up again on your page.") % values
            else:
                body = _("Auto-debit for KPJ %(kpj)s (%(month)s) was not made: %(amount)s is due, above your "
                         "maximum of %(max)s. Please pay by transfer or QRIS on your page.") % values
        key = f"autodebit:{attempt.pk}:{kind}" if kind != "suspended" else f"autodebit:m{mandate.pk}:{attempt.pk}"
        rows.append((contact[0], contact[1], body, "autodebit", key))
    if rows:
        insert_together(notifications_spec(messages=rows, more_fields=("key",)))
        notifications_deliver_after_commit()
