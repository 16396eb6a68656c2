import datetime as dt

import pytest
from django.utils import timezone

from ecosystems.models import BillMonth, FlowDay, FlowMonth, Snapshot
from ecosystems.services.rollups import rollups_rebuild, rollups_refresh
from members.models import MemberStatus
from tests.contributions.helpers import bills_make, bills_mark_paid, member_make

pytestmark = pytest.mark.django_db


def test_rebuild_counts_registrations_paid_bills_and_statuses(reference_data):
    a = member_make(status=MemberStatus.ACTIVE)
    member_make(sector="agriculture")
    bills_make(a, "2026-01", "2026-02")
    bills_mark_paid(a, "2026-01", paid_at=timezone.make_aware(dt.datetime(2026, 1, 10, 9)))
    rollups_rebuild(today=dt.date(2026, 3, 1))
    nation = FlowDay.objects.filter(level=0)
    assert sum(nation.values_list("registrations", flat=True)) == 2
    assert nation.get(day=dt.date(2026, 1, 10)).collected_idr > 0
    assert FlowMonth.objects.get(level=0, month=dt.date(2026, 1, 1)).bills_paid == 1
    jan = BillMonth.objects.get(level=0, month=dt.date(2026, 1, 1))
    assert (jan.billed, jan.paid) == (1, 1)
    assert sum(Snapshot.objects.filter(level=1).values_list("active", flat=True)) == 1
    snap = Snapshot.objects.filter(level=2)
    assert sum(snap.values_list("in_arrears", flat=True)) == 1  # February is overdue on 1 March
    rollups_refresh(today=dt.date(2026, 3, 1))
    assert sum(FlowDay.objects.filter(level=0).values_list("registrations", flat=True)) == 2
