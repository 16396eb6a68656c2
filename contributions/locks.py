"""Row locks of contributions, written once, in the one order every writer takes them (as Saleor's
lock_objects.py does). A transaction that needs several takes them in this order, each kind ordered by pk, so two
writers never wait for each other in a circle:

    payment order  |  auto-debit attempts, then their mandate
    -> members (by pk)
    -> bills (by pk)
    -> payments (by pk)

Order creation, confirmation (the webhook, agent cash), lapses, reactivation, month refunds and credit refunds take
them through the functions below; the hand-written statements of the hot paths (payment_confirm, auto-debit
results) put the fragments below at the end of their SELECT. Claims take their claim first, then this order
(claims.locks). Each function is the statement its callers ran before, so no path gains a query."""

from __future__ import annotations

from collections.abc import Iterable

from contributions.models import AttemptStatus, Bill, CashCollection, DebitAttempt, DebitMandate, Payment
from core.sql import lock_clause
from members.models import Agent, Member

# --- the ORM sites ---------------------------------------------------------------------------------------------


def members_lock(*, member_ids: Iterable[int]) -> list[Member]:
    """Members by pk (one order for many members; one member is the same lock)."""
    return list(Member.objects.select_for_update().filter(pk__in=list(member_ids)).order_by("pk"))


def member_lock(*, member_id: int) -> Member:
    return Member.objects.select_for_update().get(pk=member_id)


def mandate_lock(*, mandate_id: int) -> DebitMandate:
    """A mandate with its waiting attempts locked first (the run locks attempts, then their mandate)."""
    list(DebitAttempt.objects.select_for_update().filter(mandate_id=mandate_id, status=AttemptStatus.SCHEDULED)
         .order_by("pk").values_list("pk", flat=True))
    return DebitMandate.objects.select_for_update().get(pk=mandate_id)


def bill_lock(*, bill_id: int) -> Bill:
    return Bill.objects.select_for_update().get(pk=bill_id)


def bills_lock(*, member_id: int, status: str) -> list[Bill]:
    """A member's bills in a status, by pk (after the member)."""
    return list(Bill.objects.select_for_update().filter(member_id=member_id, status=status).order_by("pk"))


def payments_lock(*, payment_ids: Iterable[int]) -> None:
    """Payments by pk: the ledger rows written against them next are checked against a stable sum."""
    list(Payment.objects.select_for_update().filter(pk__in=payment_ids).order_by("pk").values_list("pk"))


def payment_lock(*, payment_id: int) -> None:
    Payment.objects.select_for_update().filter(pk=payment_id).first()


def cash_held_lock(*, agent: Agent) -> list[CashCollection]:
    """An agent's unsettled cash, by pk (agent settlement; it locks nothing else)."""
    return list(CashCollection.objects.select_for_update().filter(agent=agent, settlement__isnull=True)
                .order_by("pk"))


# --- the hand-written statements: the same order, as SQL ---------------------------------------------------------


def attempts_for_update(alias: str = "a") -> str:
    """The end of a SELECT that locks auto-debit attempts (before their mandates and members)."""
    return f"ORDER BY {alias}.id {lock_clause(of=alias)}"


def order_for_update() -> str:
    """The end of a SELECT of one payment order (alias o)."""
    return lock_clause()


def members_for_update(alias: str = "m") -> str:
    """The end of a SELECT that locks members: pk order, only the members' rows (not the rows joined to them)."""
    return f"ORDER BY {alias}.id {lock_clause(of=alias)}"


def bills_for_update(alias: str = "b") -> str:
    return f"ORDER BY {alias}.id {lock_clause(of=alias)}"
