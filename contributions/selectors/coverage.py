"""Whether a member is covered: today (coverage_status, the one definition every page and the API use), on a
given day (covered_on), and how far ahead a member has paid (paid_ahead)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from contributions.models import Bill, BillStatus
from members.models import Member, MemberStatus
from members.selectors import member_monthly_quote
from reference.duedates import add_months, due_date_for


@dataclass(frozen=True)
class Coverage:
    code: str
    label: str
    covered: bool
    explanation: str
    unpaid_months: int = 0


_TEXT = {
    "awaiting_payment": (_("Awaiting first payment"),
                         _("Protection starts once the first monthly contribution is paid.")),
    "active": (_("Active"), _("Protected for work accidents and death.")),
    "lapsed": (_("Lapsed"), _("Protection stopped after 3 unpaid months. It can be reactivated.")),
    "closed": (_("Closed"), _("This membership has ended.")),
}


def coverage_status(*, member: Member, today: dt.date | None = None) -> Coverage:
    """The one definition, used by every page and the API:
    lapsed/closed from the membership; otherwise from the bills: no paid month yet → awaiting first payment;
    months past their due date and unpaid → in arrears; else active when this month is paid, or when last month
    is paid and this month is not due yet."""
    today = today or timezone.localdate()
    if member.status in (MemberStatus.LAPSED, MemberStatus.CLOSED):
        label, text = _TEXT[member.status]
        return Coverage(member.status, str(label), False, str(text))
    bills = Bill.objects.filter(member=member).exclude(status=BillStatus.VOID)
    if not bills.filter(status=BillStatus.PAID).exists():
        label, text = _TEXT["awaiting_payment"]
        return Coverage("awaiting_payment", str(label), False, str(text))
    unpaid = bills.filter(status=BillStatus.OPEN, due_date__lt=today).count()
    current = today.replace(day=1)
    if unpaid:
        return Coverage(
            "in_arrears", str(_("In arrears")), bills.filter(month=current, status=BillStatus.PAID).exists(),
            ngettext("%(n)s month is unpaid. Pay it to keep your protection.",
                     "%(n)s months are unpaid. Pay them before the membership lapses.", unpaid) % {"n": unpaid},
            unpaid_months=unpaid,
        )
    paid_now = bills.filter(month=current, status=BillStatus.PAID).exists()
    paid_before = bills.filter(month=add_months(current, -1), status=BillStatus.PAID).exists()
    if paid_now or paid_before:
        label, text = _TEXT["active"]
        return Coverage("active", str(label), True, str(text))
    label, text = _TEXT["awaiting_payment"]
    return Coverage("awaiting_payment", str(label), False, str(text))


def covered_on(*, member: Member, day: dt.date) -> bool:
    """Was the member covered on this day? Only if that month's contribution was paid by the end of that day
    (DOMAIN.md: cover for unpaid months is open, so the portal does not assume it)."""
    end_of_day = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
    return Bill.objects.filter(member=member, month=day.replace(day=1), status=BillStatus.PAID,
                               paid_at__lt=end_of_day).exists()


@dataclass(frozen=True)
class PaidAhead:
    through: dt.date  # the last month of the paid run that starts with this month
    next_month: dt.date
    next_due: dt.date
    next_amount_idr: int


def paid_ahead(*, member: Member, today: dt.date | None = None) -> PaidAhead | None:
    """For a member owing nothing today (this month paid, no earlier month open): the last month of the paid run
    from this month on, and the next month to pay with its due date and amount (its bill's, else the tariff in force
    that month). None otherwise: then what is due is the page's news."""
    today = today or timezone.localdate()
    if member.status in (MemberStatus.LAPSED, MemberStatus.CLOSED):
        return None
    current = today.replace(day=1)
    bills = Bill.objects.filter(member=member).exclude(status=BillStatus.VOID)
    if bills.filter(status=BillStatus.OPEN, month__lt=current).exists():
        return None
    paid = set(bills.filter(status=BillStatus.PAID, month__gte=current).values_list("month", flat=True))
    if current not in paid:
        return None
    through = current
    while add_months(through, 1) in paid:
        through = add_months(through, 1)
    following = add_months(through, 1)
    bill = bills.filter(month=following).first()
    if bill is not None:
        return PaidAhead(through, following, bill.due_date, bill.total_idr)
    return PaidAhead(through, following, due_date_for(following),
                     member_monthly_quote(member=member, month=following).total_idr)
