"""Auto-debit: a member's mandate and attempts, who may set one up or revoke it, and whose bills a month's run
is taking care of."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from contributions.models import AttemptStatus, DebitAttempt, DebitMandate, MandateStatus
from core.models import User
from members.models import Member


def debit_mandate_live(*, member: Member) -> DebitMandate | None:
    """The member's mandate that is not revoked (active or suspended), if any."""
    return DebitMandate.objects.filter(member=member).exclude(status=MandateStatus.REVOKED) \
        .select_related("payer").first()


def debit_attempts_for(*, member: Member, limit: int = 12) -> QuerySet[DebitAttempt]:
    return DebitAttempt.objects.filter(mandate__member=member).select_related("mandate", "payment") \
        .order_by("-month", "-id")[:limit]


def member_for_debit_payer(*, viewer: User | AnonymousUser, member_id: int | None) -> Member | None:
    """Whose contributions this user may set auto-debit up for: their own membership (no id), or a worker they
    sponsor (a confirmed, current sponsorship)."""
    if not isinstance(viewer, User):
        return None
    if member_id is None:
        return Member.objects.filter(user=viewer).select_related("occupation").first()
    return Member.objects.filter(pk=member_id, sponsorships__sponsor__user=viewer,
                                 sponsorships__confirmed_at__isnull=False, sponsorships__ended_at__isnull=True) \
        .select_related("occupation").first()


def debit_mandate_for_payer(*, viewer: User | AnonymousUser, mandate_id: int) -> DebitMandate | None:
    """A mandate only its payer may revoke."""
    if not isinstance(viewer, User):
        return None
    return DebitMandate.objects.filter(pk=mandate_id, payer=viewer).select_related("member").first()


def members_paying_by_autodebit(*, month: dt.date) -> QuerySet[DebitMandate, int]:
    """Member ids whose bills this month's auto-debit is still taking care of (an active mandate whose attempt is
    not made yet, waiting, with the provider or paid). Reminders skip them; a failed or skipped month falls back
    to reminders."""
    done = DebitAttempt.objects.filter(month=month, status__in=[AttemptStatus.FAILED, AttemptStatus.SKIPPED])
    return DebitMandate.objects.filter(status=MandateStatus.ACTIVE).exclude(
        pk__in=done.values("mandate_id")).values_list("member_id", flat=True)
