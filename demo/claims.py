"""Claims demo data for `make run` (called by enrollment.demo.demo_seed): the demo branch staff and supervisor work
for the branch that serves the demo worker's regency, and an heir can file a JKM death claim for a deceased member
of that branch's area whose months before the death were paid."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from claims.rules import regency_code
from claims.selectors import branch_for_regency
from contributions.services.payments import payment_confirm, payment_order_create
from core.models import User
from core.nik import nik_blind_index
from enrollment.services import member_register
from members.models import Member
from members.services import RegistrationData
from reference.duedates import add_months
from reference.models import Region, StaffBranch

HEIR_PHONE = "+6281200000005"
DECEASED_NIK = "3174011203850002"  # Jakarta Selatan, man born 12-03-1985
DECEASED_BIRTH = dt.date(1985, 3, 12)
DECEASED_PHONE = "+6281299990005"  # the deceased's own number: never signs in
PAID_MONTHS = 6


def claims_demo_seed(*, worker_village: str) -> None:
    branch = branch_for_regency(regency=regency_code(village_code=worker_village))
    for username in ("petugas", "supervisor"):
        user = User.objects.filter(username=username).first()
        if user is not None and not StaffBranch.objects.filter(user=user).exists():
            StaffBranch.objects.create(user=user, branch=branch)

    heir, _ = User.objects.get_or_create(username="p" + HEIR_PHONE.lstrip("+"),
                                         defaults={"phone": HEIR_PHONE, "first_name": "Ahli Waris Demo"})
    if Member.objects.filter(nik_index=nik_blind_index(DECEASED_NIK)).exists():
        return
    if not Region.objects.filter(code=worker_village).exists():
        return
    member = member_register(
        data=RegistrationData(
            nik=DECEASED_NIK, full_name="Budi Santoso", birth_place="Jakarta", birth_date=DECEASED_BIRTH,
            gender="L", phone=DECEASED_PHONE, village_code=worker_village, address_line="Jl. Kenanga No. 8 RT 01/RW 04",
            occupation_code="ojek-online", income_base_idr=1_000_000, programs=["JKK", "JKM"], consent=True),
        user=None, actor=None)
    # Membership began PAID_MONTHS months ago and the family paid those months at the start: the death last month
    # is covered and past the first 3 months (the full JKM benefit).
    start = add_months(timezone.localdate().replace(day=1), -PAID_MONTHS)
    Member.objects.filter(pk=member.pk).update(billing_start=start)
    member.refresh_from_db()
    order = payment_order_create(member=member, months_count=PAID_MONTHS, payer=heir, today=start)
    payment_confirm(provider="simulator", reference=f"DEMO-CLAIM-{member.kpj}", va_number=order.va_number,
                    amount_idr=order.amount_idr, channel="va",
                    paid_at=timezone.make_aware(dt.datetime.combine(start + dt.timedelta(days=2), dt.time(10))))


def claims_demo_text() -> list[str]:
    member = Member.objects.filter(nik_index=nik_blind_index(DECEASED_NIK)).first()
    branch = StaffBranch.objects.filter(user__username="petugas").select_related("branch").first()
    lines = [f"    heir (JKM death claim): {HEIR_PHONE} (0812-0000-0005), then /klaim/ahli-waris/"]
    if member is not None:
        lines.append(f"      the deceased: KPJ {member.kpj} or NIK {DECEASED_NIK}, born {DECEASED_BIRTH:%d-%m-%Y}; "
                     "date of death: any day last month")
    if branch is not None:
        lines.append(f"      claims go to branch {branch.branch.name}: petugas verifies, supervisor approves "
                     "(/staf/klaim/)")
    return lines
