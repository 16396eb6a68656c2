"""Reads of claims: reference data in force on a day, the branch that serves a regency, and claims scoped by who
asks (a claimant their own, staff their branch, admins all), with checklists, history and the service-level clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.documents import checklist_for_claim
from claims.models import (
    JHT_FULL_TYPES,
    JHT_PARTIAL_TYPES,
    SCHOLARSHIP_TYPES,
    BenefitRule,
    Claim,
    ClaimDocument,
    ClaimStatus,
    DisabilityRate,
    DocumentKind,
    JhtReturnRate,
    RuleKind,
    ScholarshipChild,
    ScholarshipLevel,
    ScholarshipPayment,
    ScholarshipPaymentStatus,
)
from claims.rules import claim_sla, regency_code
from contributions.models import Bill, BillStatus
from core.models import STAFF_ROLES, AuditEvent, Role, User
from core.nik import nik_blind_index, nik_decrypt, nik_mask
from members.models import Member
from reference.models import Branch, BranchArea, Discount, IncomeBase, TariffRate


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


def jht_partial_taken(*, member: Member) -> tuple[list[str], str | None]:
    """The numbers of the member's partial withdrawal claims that are not rejected (oldest first), and the number of
    a full JHT claim verified, approved or paid (the whole balance is going or gone), if any."""
    partial = list(Claim.objects.filter(member=member, claim_type__in=JHT_PARTIAL_TYPES)
                   .exclude(status=ClaimStatus.REJECTED).order_by("created_at", "id")
                   .values_list("number", flat=True))
    full = (Claim.objects.filter(member=member, claim_type__in=JHT_FULL_TYPES,
                                 status__in=(ClaimStatus.VERIFIED, ClaimStatus.APPROVED, ClaimStatus.PAID))
            .order_by("created_at", "id").values_list("number", flat=True).first())
    return partial, full


def disability_rates(*, on: dt.date) -> dict[str, DisabilityRate]:
    """PP 44/2015's table in force on `on`: per code the latest row starting on or before that day."""
    rows: dict[str, DisabilityRate] = {}
    for row in DisabilityRate.objects.filter(effective_from__lte=on).order_by("effective_from", "pk"):
        rows[row.code] = row
    return dict(sorted(rows.items(), key=lambda item: (-item[1].percent, item[1].label)))


def same_accident_assessments(*, claim: Claim) -> list[dict]:
    """What staff assessed on the member's other live claims of the same type for the same accident (verified,
    approved or paid): the costs and periods the caps and overlaps count against."""
    rows = (Claim.objects.filter(member_id=claim.member_id, claim_type=claim.claim_type, event_date=claim.event_date,
                                 status__in=(ClaimStatus.VERIFIED, ClaimStatus.APPROVED, ClaimStatus.PAID))
            .exclude(pk=claim.pk).order_by("created_at", "pk").values_list("breakdown", flat=True))
    return [(breakdown or {}).get("assessment") or {} for breakdown in rows]


def scholarship_children_taken(*, member: Member, exclude_claim: Claim | None = None) -> set[str]:
    """The NIK blind indexes of the member's children a scholarship covers or a live scholarship claim names."""
    taken = set(ScholarshipChild.objects.filter(member=member).values_list("nik_digest", flat=True))
    claims = Claim.objects.filter(member=member, claim_type__in=SCHOLARSHIP_TYPES).exclude(status=ClaimStatus.REJECTED)
    if exclude_claim is not None:
        claims = claims.exclude(pk=exclude_claim.pk)
    for details in claims.values_list("details", flat=True):
        taken.update(c["nik_digest"] for c in (details or {}).get("children", []) if c.get("nik_digest"))
    return taken


def scholarship_share_taken(*, member: Member, exclude_claim: Claim) -> tuple[int, int]:
    """(children, rupiah) of the member's scholarships other claims hold: children granted or accepted by a
    verified or approved claim, and every year's amount not refused (the cap counts them all)."""
    children = ScholarshipChild.objects.filter(member=member).count()
    paid = sum(ScholarshipPayment.objects.filter(child__member=member).exclude(status=ScholarshipPaymentStatus.REFUSED)
               .values_list("amount_idr", flat=True))
    pending = (Claim.objects.filter(member=member, claim_type__in=SCHOLARSHIP_TYPES,
                                    status__in=(ClaimStatus.VERIFIED, ClaimStatus.APPROVED))
               .exclude(pk=exclude_claim.pk).values_list("breakdown", "benefit_idr"))
    for breakdown, benefit_idr in pending:
        children += len((breakdown or {}).get("benefit", {}).get("accepted", []))
        paid += benefit_idr or 0
    return children, paid


def jht_return_rates(*, first_year: int, last_year: int) -> dict[int, JhtReturnRate]:
    """The declared rate of every year in the range; a year without one stops the calculation."""
    rates = {r.year: r for r in JhtReturnRate.objects.filter(year__gte=first_year, year__lte=last_year)}
    missing = [str(y) for y in range(first_year, last_year + 1) if y not in rates]
    if missing:
        raise ReferenceDataMissing(_("No JHT return rate for %(years)s: an admin must set it first.")
                                   % {"years": ", ".join(missing)})
    return rates


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


def branch_for_member(*, member: Member) -> Branch:
    return branch_for_regency(regency=regency_code(village_code=member.village_id))


def membership_start(*, member: Member) -> dt.date:
    """The first day of the earliest paid month; the billing start while nothing is paid (DOMAIN.md counts
    membership age in months of cover)."""
    first = (Bill.objects.filter(member=member, status=BillStatus.PAID).order_by("month")
             .values_list("month", flat=True).first())
    start = first or member.billing_start or member.created_at.date()
    return start.replace(day=1)


def paid_months_before(*, member: Member, event_date: dt.date) -> int:
    """The contribution period ("masa iur") at an event: months before the event month that were paid by the end of
    the event day; months of a lapse are not counted. When the rule in force says a reactivation restarts the count,
    only the months from the member's billing start (its registration or latest reactivation month) count."""
    month = event_date.replace(day=1)
    end = timezone.make_aware(dt.datetime.combine(event_date + dt.timedelta(days=1), dt.time()))
    bills = Bill.objects.filter(member=member, status=BillStatus.PAID, month__lt=month, paid_at__lt=end)
    restart = benefit_rule(kind=RuleKind.PAID_MONTHS_RESTART, on=event_date).flag
    if restart and member.billing_start and member.billing_start <= month:
        bills = bills.filter(month__gte=member.billing_start)
    return bills.count()


# --- claims, scoped by who asks ----------------------------------------------------------------------------------

OPEN_STATUSES = ("submitted", "verifying", "more_documents", "verified", "approved")


def member_for_heir(*, kpj_or_nik: str, birth_date: dt.date) -> Member | None:
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


def claims_for_claimant(*, viewer: User | AnonymousUser) -> QuerySet[Claim]:
    if not isinstance(viewer, User):
        return Claim.objects.none()
    return Claim.objects.filter(claimant=viewer).select_related("member", "branch").order_by("-created_at", "-id")


def claim_for_claimant(*, viewer: User | AnonymousUser, number: str) -> Claim:
    return get_object_or_404(claims_for_claimant(viewer=viewer), number=number)


def staff_branch_id(*, viewer: User | AnonymousUser) -> int | None:
    """The branch a staff account works for; None for an admin (every branch). Raises Http404 for anyone else,
    including staff no admin has assigned to a branch yet."""
    if not isinstance(viewer, User) or not viewer.is_active:
        raise Http404
    if viewer.role == Role.ADMIN:
        return None
    assignment = (getattr(viewer, "staff_branch", None) if viewer.role in (Role.BRANCH_STAFF, Role.SUPERVISOR)
                  else None)
    if assignment is None:
        raise Http404
    return assignment.branch_id


def claims_for_staff(*, viewer: User | AnonymousUser) -> QuerySet[Claim]:
    branch_id = staff_branch_id(viewer=viewer)
    claims = Claim.objects.select_related("member", "branch", "claimant")
    return claims if branch_id is None else claims.filter(branch_id=branch_id)


def claim_for_staff(*, viewer: User | AnonymousUser, pk: int) -> Claim:
    return get_object_or_404(claims_for_staff(viewer=viewer), pk=pk)


def scholarship_years_waiting(*, viewer: User | AnonymousUser, limit: int = 200) -> list[ScholarshipPayment]:
    """School years of the viewer's branch (all for an admin) whose certificate waits for a check or whose transfer
    waits to be recorded, oldest first."""
    return list(ScholarshipPayment.objects
                .filter(child__claim__in=claims_for_staff(viewer=viewer),
                        status__in=(ScholarshipPaymentStatus.SUBMITTED, ScholarshipPaymentStatus.RELEASED))
                .select_related("child__claim").order_by("status_changed_at", "id")[:limit])


def branch_queue(*, viewer: User | AnonymousUser, claim_type: str | None = None, status: str | None = None,
                 older_than_days: int | None = None, now: dt.datetime | None = None, limit: int = 500) -> list[Claim]:
    """The claims a staff member handles, oldest first: open ones unless a status is asked for; each with `.sla`
    (claims.rules.claim_sla) and `.age_days`. One query, whatever the number of rows."""
    now = now or timezone.now()
    claims = claims_for_staff(viewer=viewer).select_related("payout")
    claims = claims.filter(status=status) if status else claims.filter(status__in=OPEN_STATUSES)
    if claim_type:
        claims = claims.filter(claim_type=claim_type)
    if older_than_days is not None:
        claims = claims.filter(created_at__lte=now - dt.timedelta(days=older_than_days))
    rows = list(claims.order_by("created_at", "id")[:limit])
    for claim in rows:
        claim.sla = claim_sla(claim=claim, now=now)
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


def claim_checklist(*, claim: Claim) -> list[ChecklistItem]:
    """The claim's checklist with the latest document of each item (one query), then what staff asked for beyond
    it, then any other documents uploaded."""
    latest: dict[str, ClaimDocument] = {}
    for document in (ClaimDocument.objects.filter(claim=claim, scholarship_payment__isnull=True)
                     .order_by("uploaded_at", "id")):  # a later school year's certificate is that year's
        latest[document.kind] = document
    requested = set((claim.details.get("requested") or {}).get("kinds", []))
    entries = [(e.kind, e.required, str(e.note)) for e in checklist_for_claim(claim)]
    known = {kind for kind, _r, _n in entries}
    entries += [(kind, True, "") for kind in sorted(requested - known)]
    entries += [(kind, False, "") for kind in sorted(set(latest) - known - requested)]
    return [ChecklistItem(kind, str(DocumentKind(kind).label), required, latest.get(kind),
                          latest[kind].status if kind in latest else "missing", note, kind in requested)
            for kind, required, note in entries]


def claim_history(*, claim: Claim) -> list[AuditEvent]:
    """The claim's audit events, oldest first, each with `actor_name`."""
    events = list(AuditEvent.objects.filter(object_type="claims.claim", object_id=str(claim.pk))
                  .select_related("actor").order_by("created_at", "id"))
    for event in events:
        actor = event.actor
        # Not a column: the name as the history shows it.
        setattr(event, "actor_name", (actor.get_full_name() or actor.username) if actor else _("System"))  # noqa: B010
    return events


def document_for_user(*, viewer: User | AnonymousUser, pk: int) -> ClaimDocument:
    """A document for its claimant or for staff of the claim's branch (admins: any); Http404 for everyone else."""
    document = ClaimDocument.objects.select_related("claim").filter(pk=pk).first()
    if document is None or not isinstance(viewer, User):
        raise Http404
    if document.claim.claimant_id == viewer.pk:
        return document
    if viewer.role in STAFF_ROLES and claims_for_staff(viewer=viewer).filter(pk=document.claim_id).exists():
        return document
    raise Http404


def claim_heir_nik_masked(*, claim: Claim) -> str:
    """The heir's NIK as staff see it (masked); '' when no heir filed the claim."""
    return nik_mask(nik_decrypt(claim.heir_nik_ciphertext)) if claim.heir_nik_ciphertext else ""


def member_for_heir_session(*, member_id: int) -> Member | None:
    """The member an heir identified in step 1 of filing (member_for_heir), read again in step 2 by its id."""
    return Member.objects.filter(pk=member_id).first()


# --- the figures the rules use, for staff ------------------------------------------------------------------------

QUANTITY_UNITS: dict[str, str] = {RuleKind.JKM_EARLY_DEATH_MONTHS: "months", RuleKind.JKM_SCHOLARSHIP_MONTHS: "months",
                  RuleKind.SCHOLARSHIP_MAX_CHILDREN: "children", RuleKind.JHT_AGE_YEARS: "years",
                  RuleKind.JKK_CLAIM_YEARS: "years", RuleKind.SCHOLARSHIP_END_AGE: "years",
                  RuleKind.SCHOOL_YEAR_START_MONTH: "month_of_year", RuleKind.SCHOLARSHIP_REMINDER_DAYS: "days",
                  RuleKind.JKK_STMB_FULL_MONTHS: "months", RuleKind.JHT_PARTIAL_YEARS: "years"}


@dataclass(frozen=True)
class Figures:
    """Every dated figure the portal calculates with, each row marked in force on `on` or not (older or later)."""

    on: dt.date
    benefit_rules: list[tuple[BenefitRule, bool]]
    scholarship_levels: list[tuple[ScholarshipLevel, bool]]
    disability_rates: list[tuple[DisabilityRate, bool]]
    jht_rates: list[JhtReturnRate]
    tariff_rates: list[tuple[TariffRate, bool]]
    income_bases: list[IncomeBase]
    discounts: list[Discount]


def reference_figures(*, on: dt.date) -> Figures:
    """The benefit rules, school levels, JHT returns, tariff rates, income bases and discounts with their sources:
    the same for every member of staff (no personal data)."""
    def marked(rows: list, key) -> list[tuple]:
        current = {}
        for row in sorted(rows, key=lambda r: r.effective_from):
            if row.effective_from <= on:
                current[key(row)] = row.pk
        return [(row, current.get(key(row)) == row.pk) for row in rows]

    return Figures(
        on=on,
        benefit_rules=marked(list(BenefitRule.objects.order_by("kind", "-effective_from")), lambda r: r.kind),
        scholarship_levels=marked(list(ScholarshipLevel.objects.order_by("-effective_from", "position")),
                                  lambda r: r.level),
        disability_rates=marked(list(DisabilityRate.objects.order_by("-percent", "code", "-effective_from")),
                                lambda r: r.code),
        jht_rates=list(JhtReturnRate.objects.order_by("-year")),
        tariff_rates=marked(list(TariffRate.objects.order_by("program", "-effective_from")), lambda r: r.program),
        income_bases=list(IncomeBase.objects.order_by("amount_idr")),
        discounts=list(Discount.objects.order_by("-first_month", "name")),
    )

