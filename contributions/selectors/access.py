"""Payments, orders and members as a viewer may see them: the member, the payer, and staff within their scope
(reference.scope.staff_scope)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet

from contributions.models import Payment, PaymentOrder
from core.models import User
from core.nik import nik_blind_index
from members.models import Member
from reference.scope import staff_scope


def payment_for_viewer(*, receipt_number: str, viewer: User | AnonymousUser) -> Payment | None:
    """A receipt is visible to the member it covers, whoever paid the order, and staff whose scope holds every
    member it covers (staff_scope: a receipt for members in two provinces is for admins and staff of both)."""
    payment = Payment.objects.select_related("member", "order__payer").filter(receipt_number=receipt_number).first()
    if payment is None or not isinstance(viewer, User):
        return None
    if (payment.order and payment.order.payer_id == viewer.pk) or payment.entries.filter(member__user=viewer).exists():
        return payment
    covered = Q(pk=payment.member_id) | Q(ledger_entries__payment=payment)
    if payment.order is not None:  # selected with the payment
        covered |= Q(pk=payment.order.member_id) | Q(order_lines__order=payment.order_id)
    return payment if _staff_sees_all(viewer, Member.objects.filter(pk__in=Member.objects.filter(covered)
                                                                   .values("pk"))) else None


def _staff_sees_all(viewer: User, members: QuerySet[Member]) -> bool:
    """Is the viewer staff whose scope holds every one of these members (and there is at least one)?"""
    if not getattr(viewer, "is_portal_staff", False):
        return False
    scope = staff_scope(viewer=viewer)
    if scope.national:
        return True
    if scope.empty or not members.exists():
        return False
    return not members.exclude(scope.q("village__code")).exists()


def receipt_member_name(*, payment: Payment, viewer: User | AnonymousUser) -> str:
    """The member's name as this viewer may see it: in full for the member and staff, masked for a sponsor or
    anyone else who paid (decisions.md, R)."""
    member = payment.member
    if member is None:
        return ""
    if member.user_id == viewer.pk or getattr(viewer, "is_portal_staff", False):
        return member.full_name
    return member.masked_name


def order_for_viewer(*, order_id: int, viewer: User | AnonymousUser) -> PaymentOrder | None:
    """An order for its payer, the members it covers, and staff whose scope holds every member of it."""
    order = PaymentOrder.objects.select_related("member").filter(pk=order_id).first()
    if order is None or not isinstance(viewer, User):
        return None
    if order.payer_id == viewer.pk or order.lines.filter(member__user=viewer).exists():
        return order
    covered = Member.objects.filter(Q(pk=order.member_id) | Q(order_lines__order=order)).values("pk")
    return order if _staff_sees_all(viewer, Member.objects.filter(pk__in=covered)) else None


def member_for_staff(*, query: str, viewer: User | AnonymousUser) -> Member | None:
    """Find a member by KPJ or NIK (through the blind index; the NIK itself is never searched in clear), within the
    staff account's scope: a member outside it is not found, the same answer as no member at all."""
    scope = staff_scope(viewer=viewer)
    if scope.empty:
        return None
    digits = "".join(ch for ch in query if ch.isdigit())
    if len(digits) == 11:
        members = Member.objects.filter(kpj=digits)
    elif len(digits) == 16:
        members = Member.objects.filter(nik_index=nik_blind_index(digits))
    else:
        return None
    return members.filter(scope.q("village__code")).first()


def member_for_staff_by_id(*, member_id: int | str, viewer: User | AnonymousUser) -> Member | None:
    """The member a staff page names by its internal id (a form field, never the NIK), within the staff's scope."""
    scope = staff_scope(viewer=viewer)
    if scope.empty or not str(member_id).isdigit() or int(member_id) > 2**63 - 1:
        return None
    return Member.objects.filter(scope.q("village__code"), pk=int(member_id)).first()


def receipts_for_payer(*, viewer: User | AnonymousUser) -> QuerySet[Payment]:
    """Receipts of the orders someone paid (a sponsor paying for its workers), newest first, with how many members
    each covers. Only the payer's own: the receipt pages check the viewer again (payment_for_viewer)."""
    if not isinstance(viewer, User):
        return Payment.objects.none()
    return (Payment.objects.filter(order__payer=viewer).select_related("order")
            .annotate(member_count=Count("order__lines")).order_by("-paid_at", "-id"))
