"""Bills priced as the billing service prices them: reference.tariffs.tariff_quote for the member's income,
programs, sector and funding in that month, and the due date of that month (the first bill's grace period for
the month billing starts)."""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from contributions.models import Bill, BillStatus
from contributions.services.billing import first_bill_due_date
from reference.duedates import due_date_for
from reference.tariffs import tariff_quote
from tests.factories.members import MemberFactory


def _line(o, program: str, part: str) -> int:
    line = next((line for line in o.quote.lines if line.program == program), None)
    return getattr(line, part) if line else 0


class BillFactory(DjangoModelFactory):
    """An open bill for January 2026 of a new member; `BillFactory(member=m, month=dt.date(2026, 3, 1))`."""

    class Meta:
        model = Bill

    class Params:
        quote = factory.LazyAttribute(lambda o: tariff_quote(
            income_idr=o.member.income_base_idr, programs=o.member.programs, month=o.month,
            sector=o.member.occupation.sector, funding=o.member.funding_source))

    member = factory.SubFactory(MemberFactory)
    month = dt.date(2026, 1, 1)
    due_date = factory.LazyAttribute(lambda o: first_bill_due_date(o.month) if o.month == o.member.billing_start
                                     else due_date_for(o.month))
    income_base_idr = factory.SelfAttribute("member.income_base_idr")
    jkk_gross_idr = factory.LazyAttribute(lambda o: _line(o, "JKK", "gross_idr"))
    jkk_discount_idr = factory.LazyAttribute(lambda o: _line(o, "JKK", "discount_idr"))
    jkm_gross_idr = factory.LazyAttribute(lambda o: _line(o, "JKM", "gross_idr"))
    jkm_discount_idr = factory.LazyAttribute(lambda o: _line(o, "JKM", "discount_idr"))
    jht_gross_idr = factory.LazyAttribute(lambda o: _line(o, "JHT", "gross_idr"))
    jht_discount_idr = factory.LazyAttribute(lambda o: _line(o, "JHT", "discount_idr"))
    total_idr = factory.LazyAttribute(lambda o: o.quote.total_idr)
    discount_id = factory.LazyAttribute(lambda o: _line(o, "JKK", "discount_id") or None)
    status = BillStatus.OPEN
