"""Payment orders: the months an order pays, one checkout for one or many members (or for a set given in SQL),
and the expiry of orders not paid in time."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from contributions.locks import members_lock
from contributions.models import Bill, BillStatus, OrderStatus, PaymentOrder, PaymentOrderLine
from contributions.providers import get_provider
from contributions.services.billing import bill_for_month, bills_create_for_members, first_bill_due_date
from contributions.services.payments.confirmation import PaymentRefused
from contributions.transitions import payment_orders_status_transition_where
from core.models import User
from core.services import audit_event_record
from core.sql import placeholders
from members.models import Member, MemberStatus
from reference.duedates import add_months


def months_to_pay(*, member: Member, count: int, today: dt.date | None = None) -> list[dt.date]:
    """Unpaid months first, oldest first (at most ARREARS_MONTHS back), then the current month, then ahead."""
    today = today or timezone.localdate()
    current = today.replace(day=1)
    earliest = max(add_months(current, -settings.ARREARS_MONTHS), member.billing_start or current)
    unpaid = list(
        Bill.objects.filter(member=member, status=BillStatus.OPEN, month__gte=earliest, month__lte=current)
        .order_by("month").values_list("month", flat=True)
    )
    paid_or_void = set(
        Bill.objects.filter(member=member, month__gte=current).exclude(status=BillStatus.OPEN)
        .values_list("month", flat=True)
    )
    months = list(unpaid)
    month = current
    while len(months) < count:
        if month not in months and month not in paid_or_void:
            months.append(month)
        month = add_months(month, 1)
    return months[:count]


def payment_order_create(
    *, member: Member, months_count: int, payer: User, today: dt.date | None = None
) -> PaymentOrder:
    """An order for one member (the member paying, or anyone paying for them)."""
    return payment_order_create_for_many(items=[(member, months_count)], payer=payer, today=today)


def payment_order_create_for_many(
    *, items: list[tuple[Member, int]], payer: User, today: dt.date | None = None, provider_name: str = "simulator"
) -> PaymentOrder:
    """One checkout for one or many members, each for 1, 3, 6 or 12 months. Prices come from the bills (created
    now for months not billed yet), so the order's amount is exactly the bills' total; the provider issues one
    virtual account and one QRIS code for it."""
    if not items or len({m.pk for m, _n in items}) != len(items):
        raise ValueError("one line per member, at least one")
    for member, months_count in items:
        if months_count not in settings.PAYMENT_MONTH_CHOICES:
            raise ValueError("months_count must be one of PAYMENT_MONTH_CHOICES")
        if member.status in (MemberStatus.LAPSED, MemberStatus.CLOSED):
            raise PaymentRefused("member_not_payable",
                                 _("This membership is not active; it must be reactivated first.") + f" ({member.kpj})")
    provider = get_provider(provider_name)
    with transaction.atomic():
        members_lock(member_ids=[m.pk for m, _n in items])
        lines = []
        for member, months_count in items:
            months = months_to_pay(member=member, count=months_count, today=today)
            bills = [bill_for_month(member=member, month=m, today=today) for m in months]
            lines.append(PaymentOrderLine(member=member, months=[f"{m:%Y-%m}" for m in months],
                                          amount_idr=sum(b.total_idr for b in bills)))
        amount = sum(line.amount_idr for line in lines)
        reference = secrets.token_hex(6).upper()
        for _attempt in range(5):
            issued = provider.issue(amount_idr=amount, reference=reference)
            if not PaymentOrder.objects.filter(va_number=issued.va_number).exists():
                break
        single = items[0][0] if len(items) == 1 else None
        order = PaymentOrder.objects.create(
            member=single, payer=payer, months=lines[0].months if single else [], amount_idr=amount,
            provider=provider.name, va_number=issued.va_number, qris_payload=issued.qris_payload,
            expires_at=timezone.now() + dt.timedelta(hours=settings.PAYMENT_ORDER_TTL_HOURS),
        )
        for line in lines:
            line.order = order
        PaymentOrderLine.objects.bulk_create(lines)
        audit_event_record(actor=payer, action="payment_order.created", obj=order, changes={
            "lines": [{"member": line.member.kpj, "months": line.months, "amount_idr": line.amount_idr}
                      for line in lines],
            "amount_idr": amount,
        })
    return order


def payment_order_create_from_set(
    *, items: tuple[str, list], payer: User, today: dt.date, changes: dict | None = None,
    provider_name: str = "simulator",
) -> PaymentOrder:
    """payment_order_create_for_many for a set given in SQL, as large as a city's list of workers: `items` is a
    SELECT of (member_id, months), one row per member, months in PAYMENT_MONTH_CHOICES. The members are new (no
    bills yet, as after a bulk registration): each is billed from this month for its months (set-based, one statement
    per month, the first month due on first_bill_due_date), then one order with a line per member whose amount is
    the sum of that member's bills. Runs in the caller's transaction. Its audit event counts the lines instead of
    listing them. Agreement with payment_order_create_for_many: tests/contributions/test_payments_from_set.py."""
    items_sql, items_params = items
    start = today.replace(day=1)
    bill_table, line_table = Bill._meta.db_table, PaymentOrderLine._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT s.months FROM ({items_sql}) s", items_params)  # noqa: S608
        groups = sorted(months for (months,) in cursor.fetchall())
    if not groups:
        raise ValueError("an order needs at least one member")
    for k in range(max(groups)):
        month = add_months(start, k)
        bills_create_for_members(
            month=month, due_date=first_bill_due_date(month, today) if k == 0 else None,
            members=(f"m.id IN (SELECT s.member_id FROM ({items_sql}) s WHERE s.months > %s)",  # noqa: S608
                     [*items_params, k]))
    adapt = connection.ops.adapt_datefield_value
    totals = []
    with connection.cursor() as cursor:
        for months in groups:
            wanted = [add_months(start, k) for k in range(months)]
            cursor.execute(
                f"SELECT COALESCE(SUM(b.total_idr), 0), COUNT(DISTINCT r.member_id) FROM ({items_sql}) r "  # noqa: S608
                f"JOIN {bill_table} b ON b.member_id = r.member_id WHERE r.months = %s "
                f"AND b.month IN ({placeholders(months)})", [*items_params, months, *(adapt(m) for m in wanted)])
            total, count = cursor.fetchone()
            totals.append((months, wanted, int(total), count))  # PostgreSQL's SUM of bigint is numeric
    amount = sum(total for _m, _w, total, _n in totals)
    provider = get_provider(provider_name)
    issued = provider.issue(amount_idr=amount, reference=secrets.token_hex(6).upper())
    order = PaymentOrder.objects.create(
        member=None, payer=payer, months=[], amount_idr=amount, provider=provider.name, va_number=issued.va_number,
        qris_payload=issued.qris_payload,
        expires_at=timezone.now() + dt.timedelta(hours=settings.PAYMENT_ORDER_TTL_HOURS))
    months_field = PaymentOrderLine._meta.get_field("months")
    with connection.cursor() as cursor:
        for months, wanted, _total, _n in totals:
            cursor.execute(
                f"INSERT INTO {line_table} (order_id, member_id, months, amount_idr) "  # noqa: S608
                f"SELECT %s, r.member_id, %s, SUM(b.total_idr) FROM ({items_sql}) r JOIN {bill_table} b "
                f"ON b.member_id = r.member_id WHERE r.months = %s AND b.month IN ({placeholders(months)}) "
                "GROUP BY r.member_id",
                [order.pk, months_field.get_db_prep_save([f"{m:%Y-%m}" for m in wanted], connection),
                 *items_params, months, *(adapt(m) for m in wanted)])
        lines = order.lines.aggregate(n=Count("id"), total=Sum("amount_idr"))
        if lines["total"] == amount:
            cursor.execute(f"SELECT COUNT(*) FROM ({items_sql}) s", items_params)  # noqa: S608
            expected = cursor.fetchone()[0]
    if lines["total"] != amount or lines["n"] != expected:
        raise RuntimeError(f"order {order.pk} from a set: lines {lines} do not make the order's {amount}")
    audit_event_record(actor=payer, action="payment_order.created", obj=order, changes={
        **(changes or {}), "members": lines["n"], "amount_idr": amount})
    return order


def payment_orders_expire(*, now: dt.datetime | None = None) -> int:
    """Pending orders past their expiry become expired, set-based, with an audit event each."""
    now = now or timezone.now()
    return len(payment_orders_status_transition_where(rows=PaymentOrder.objects.filter(expires_at__lt=now),
                                                      to=OrderStatus.EXPIRED, actor=None))
