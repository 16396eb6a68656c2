"""Reads of claims: reference data in force on a day, the branch that serves a regency, and claims scoped by who
asks (a claimant their own, staff their branch, admins all), with checklists, history and the service-level clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from claims.models import BenefitRule, ClaimDocument, JhtReturnRate, ScholarshipLevel
from contributions.models import Bill, BillStatus
from core.models import STAFF_ROLES, AuditEvent, Role
from core.nik import nik_blind_index, nik_decrypt, nik_mask
from members.models import Member
from reference.models import Branch, BranchArea


class ReferenceDataMissing(LookupError):
    """Reference data an admin must add before a claim can be calculated."""


def benefit_rule(*, kind: str, on: dt.date) -> BenefitRule:
    """The row of `kind` in force on `on`: the latest one starting on or before that day."""
    rule = BenefitRule.objects.filter(kind=kind, effective_from__lte=on).order_by("-effective_from").first()
    if rule is None:
        raise ReferenceDataMissing(_("No benefit rule “%(kind)s” in force on %(day)s.") % {"kind": kind, "day": on})
    return rule


def scholarship_levels(*, on: dt.date) -> list[ScholarshipLevel]:
    """The school levels in force on `on`, in the order a child moves through them (per level, the latest row)."""
    latest: dict[str, ScholarshipLevel] = {}
    for row in ScholarshipLevel.objects.filter(effective_from__lte=on).order_by("effective_from"):
        latest[row.level] = row
    if not latest:
        raise ReferenceDataMissing(_("No scholarship levels in force on %(day)s.") % {"day": on})
    return sorted(latest.values(), key=lambda row: row.position)


def jht_return_rates(*, first_year: int, last_year: int) -> dict[int, JhtReturnRate]:
    """The declared rate of every year in the range; a year without one stops the calculation."""
    rates = {r.year: r for r in JhtReturnRate.objects.filter(year__gte=first_year, year__lte=last_year)}
    missing = [str(y) for y in range(first_year, last_year + 1) if y not in rates]
    if missing:
        raise ReferenceDataMissing(_("No JHT return rate for %(years)s: an admin must set it first.")
                                   % {"years": ", ".join(missing)})
    return rates


def regency_code(village_code: str) -> str:
    """ "31.74.01.1001" -> "31.74" (Kemendagri codes: a child's code starts with its parent's)."""
    return ".".join(village_code.split(".")[:2])


def branch_for_regency(*, regency: str) -> Branch:
    """The branch whose area is the regency; a regency no area names goes to the default branch."""
    area = BranchArea.objects.select_related("branch").filter(regency_id=regency).first()
    if area is not None:
        return area.branch
    default = Branch.objects.filter(is_default=True).first()
    if default is None:
        raise ReferenceDataMissing(_("No branch serves %(regency)s and there is no default branch.")
                                   % {"regency": regency})
    return default


def branch_for_member(*, member) -> Branch:
    return branch_for_regency(regency=regency_code(member.village_id))


def membership_start(*, member) -> dt.date:
    """The first day of the earliest paid month; the billing start while nothing is paid (DOMAIN.md counts
    membership age in months of cover)."""
    first = (Bill.objects.filter(member=member, status=BillStatus.PAID).order_by("month")
             .values_list("month", flat=True).first())
    start = first or member.billing_start or member.created_at.date()
    return start.replace(day=1)


# --- claims, scoped by who asks ----------------------------------------------------------------------------------

OPEN_STATUSES = ("submitted", "verifying", "more_documents", "verified", "approved")
# DOMAIN.md's service promises, counted in working days from complete documents. Other types have none.
SLA_WORKING_DAYS = {"jkm_death": 3, "jkm_scholarship": 3, "jht_age": 5, "jht_death": 5, "jht_disability": 5,
                    "jht_leaving": 5}


def member_for_heir(*, kpj_or_nik: str, birth_date: dt.date):
    """The member an heir names by participant number (11 digits) or NIK (16), confirmed by the birth date; None
    when nothing matches (the same answer for a wrong number and a wrong date: no probing)."""
    digits = "".join(ch for ch in str(kpj_or_nik) if ch.isdigit())
    if len(digits) == 16:
        member = Member.objects.filter(nik_index=nik_blind_index(digits)).first()
    elif digits:
        member = Member.objects.filter(kpj=digits).first()
    else:
        member = None
    return member if member is not None and member.birth_date == birth_date else None


def claims_for_claimant(user):
    from claims.models import Claim

    return Claim.objects.filter(claimant=user).select_related("member", "branch").order_by("-created_at", "-id")


def claim_for_claimant(user, number: str):
    from django.shortcuts import get_object_or_404

    return get_object_or_404(claims_for_claimant(user), number=number)


def staff_branch_id(staff) -> int | None:
    """The branch a staff account works for; None for an admin (every branch). Raises Http404 for anyone else,
    including staff no admin has assigned to a branch yet."""
    from django.http import Http404

    if not staff.is_authenticated or not staff.is_active:
        raise Http404
    if staff.role == Role.ADMIN:
        return None
    assignment = getattr(staff, "staff_branch", None) if staff.role in (Role.BRANCH_STAFF, Role.SUPERVISOR) else None
    if assignment is None:
        raise Http404
    return assignment.branch_id


def claims_for_staff(staff):
    from claims.models import Claim

    branch_id = staff_branch_id(staff)
    claims = Claim.objects.select_related("member", "branch", "claimant")
    return claims if branch_id is None else claims.filter(branch_id=branch_id)


def claim_for_staff(staff, pk: int):
    from django.shortcuts import get_object_or_404

    return get_object_or_404(claims_for_staff(staff), pk=pk)


@dataclass(frozen=True)
class Sla:
    working_days: int | None  # the promise; None: DOMAIN.md makes none for this claim type
    started: dt.date | None  # the day documents were complete
    due: dt.date | None
    days_left: int | None  # working days from today to the due day (negative: late by that many)
    breached: bool
    stopped: bool  # paid or rejected: the clock no longer runs
    note: str = ""


def _weekdays_after(day: dt.date, n: int) -> dt.date:
    while n > 0:
        day += dt.timedelta(days=1)
        n -= day.weekday() < 5
    return day


def _weekdays_between(start: dt.date, end: dt.date) -> int:
    """Weekdays after `start` up to and including `end` (negative when end is earlier)."""
    sign, (a, b) = (1, (start, end)) if end >= start else (-1, (end, start))
    return sign * sum((a + dt.timedelta(days=i)).weekday() < 5 for i in range(1, (b - a).days + 1))


def _working_days(start: dt.date, n: int, until: dt.date) -> tuple[dt.date, int, str]:
    """(due, working days left on `until`, note) from lokal-id's holidays; outside the years it knows, weekdays."""
    from lokal.holidays import add_working_days, count_working_days

    try:
        due = add_working_days(start, n)
        if until <= due:
            left = count_working_days(until + dt.timedelta(days=1), due) if until < due else 0
        else:
            left = -count_working_days(due + dt.timedelta(days=1), until)
        return due, left, ""
    except ValueError:
        note = _("Public holidays for these dates are not known yet: working days are counted as Monday to Friday.")
        due = _weekdays_after(start, n)
        return due, _weekdays_between(until, due), note


def claim_sla(claim, now: dt.datetime | None = None) -> Sla:
    """The service-level clock: JKM paid within 3 working days of complete documents, JHT within 5 (DOMAIN.md);
    working days from lokal-id (weekends, public holidays and cuti bersama off). It runs from
    `documents_complete_at` (a request for more documents stops it, the next completion starts it again) until the
    payout; a rejected claim has no clock. No payout yet while the due day is past: breached."""
    from django.utils import timezone

    days = SLA_WORKING_DAYS.get(claim.claim_type)
    if days is None:
        return Sla(None, None, None, None, False, False, _("No service promise for this claim type."))
    if claim.status == "rejected":
        return Sla(days, None, None, None, False, True, _("Rejected: no clock."))
    if claim.documents_complete_at is None:
        return Sla(days, None, None, None, False, False, _("The clock starts when the documents are complete."))
    payout = getattr(claim, "payout", None) if claim.status == "paid" else None
    end = payout.paid_at if payout is not None else (now or timezone.now())
    start = timezone.localtime(claim.documents_complete_at).date()
    until = timezone.localtime(end).date()
    due, left, note = _working_days(start, days, until)
    return Sla(days, start, due, left, until > due, payout is not None, note)


def branch_queue(staff, *, claim_type: str | None = None, status: str | None = None,
                 older_than_days: int | None = None, now: dt.datetime | None = None, limit: int = 500) -> list:
    """The claims a staff member handles, oldest first: open ones unless a status is asked for; each with `.sla`
    (claim_sla) and `.age_days`. One query, whatever the number of rows."""
    from django.utils import timezone

    now = now or timezone.now()
    claims = claims_for_staff(staff).select_related("payout")
    claims = claims.filter(status=status) if status else claims.filter(status__in=OPEN_STATUSES)
    if claim_type:
        claims = claims.filter(claim_type=claim_type)
    if older_than_days is not None:
        claims = claims.filter(created_at__lte=now - dt.timedelta(days=older_than_days))
    rows = list(claims.order_by("created_at", "id")[:limit])
    for claim in rows:
        claim.sla = claim_sla(claim, now)
        claim.age_days = (timezone.localtime(now).date() - timezone.localtime(claim.created_at).date()).days
    return rows


@dataclass(frozen=True)
class ChecklistItem:
    kind: str
    label: str
    required: bool
    document: ClaimDocument | None  # the latest of the kind
    status: str  # "missing", or the document's status
    note: str = ""
    requested: bool = False  # staff asked for it in the open request


def claim_checklist(claim) -> list[ChecklistItem]:
    """The claim's checklist with the latest document of each item (one query), then what staff asked for beyond
    it, then any other documents uploaded."""
    from claims.documents import checklist_for_claim
    from claims.models import ClaimDocument, DocumentKind

    latest: dict[str, ClaimDocument] = {}
    for document in ClaimDocument.objects.filter(claim=claim).order_by("uploaded_at", "id"):
        latest[document.kind] = document
    requested = set((claim.details.get("requested") or {}).get("kinds", []))
    entries = [(e.kind, e.required, str(e.note)) for e in checklist_for_claim(claim)]
    known = {kind for kind, _r, _n in entries}
    entries += [(kind, True, "") for kind in sorted(requested - known)]
    entries += [(kind, False, "") for kind in sorted(set(latest) - known - requested)]
    return [ChecklistItem(kind, str(DocumentKind(kind).label), required, latest.get(kind),
                          latest[kind].status if kind in latest else "missing", note, kind in requested)
            for kind, required, note in entries]


def claim_history(claim) -> list:
    """The claim's audit events, oldest first, each with `actor_name`."""
    events = list(AuditEvent.objects.filter(object_type="claims.claim", object_id=str(claim.pk))
                  .select_related("actor").order_by("created_at", "id"))
    for event in events:
        actor = event.actor
        event.actor_name = (actor.get_full_name() or actor.username) if actor else _("System")
    return events


def document_for_user(user, pk: int):
    """A document for its claimant or for staff of the claim's branch (admins: any); Http404 for everyone else."""
    from django.http import Http404

    from claims.models import ClaimDocument

    document = ClaimDocument.objects.select_related("claim").filter(pk=pk).first()
    if document is None or not user.is_authenticated:
        raise Http404
    if document.claim.claimant_id == user.pk:
        return document
    if user.role in STAFF_ROLES and claims_for_staff(user).filter(pk=document.claim_id).exists():
        return document
    raise Http404


def claim_heir_nik_masked(claim) -> str:
    """The heir's NIK as staff see it (masked); '' when no heir filed the claim."""
    return nik_mask(nik_decrypt(claim.heir_nik_ciphertext)) if claim.heir_nik_ciphertext else ""


def member_for_heir_session(*, member_id: int):
    """The member an heir identified in step 1 of filing (member_for_heir), read again in step 2 by its id."""
    return Member.objects.filter(pk=member_id).first()
