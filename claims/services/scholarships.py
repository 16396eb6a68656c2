"""Scholarships year by year: the children a paid claim covers (its first school year paid with the claim), each
later school year sent by the heir with the child's school certificate, checked by the branch like any claim
document (valid: released; not valid: refused, the heir may send another), then transferred. A child's scholarship
ends at the age limit, on marriage or work, or when every level or the total is paid. The heir is reminded before
each school year (scholarship_reminders_send, daily)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from claims import benefits
from claims.locks import claim_lock
from claims.models import (
    Claim,
    ClaimPayout,
    ClaimStatus,
    DocumentStatus,
    ScholarshipChild,
    ScholarshipChildStatus,
    ScholarshipEndReason,
    ScholarshipPayment,
    ScholarshipPaymentStatus,
    SchoolLevel,
)
from claims.scholarships import next_step, open_school_year, step_for_level
from claims.services.common import claimant_message, staff_check
from claims.services.filing import _forget_files, _store
from claims.transitions import (
    claim_document_status_transition,
    scholarship_child_transition,
    scholarship_payment_transition,
)
from claims.uploads import upload_check
from core.models import User
from core.money import format_idr
from core.services import audit_event_record

END_BY_HEIR = (ScholarshipEndReason.MARRIED, ScholarshipEndReason.WORKING)


def _year_label(year: int) -> str:
    return f"{year}/{year + 1}"


def scholarship_grant_open(*, claim: Claim, payout: ClaimPayout, staff: User) -> list[ScholarshipChild]:
    """In the payout's transaction (claim and member locked): the children the verified breakdown accepted, and
    their first school year as paid by this payout. A child another claim covers already stops the payout."""
    benefit = (claim.breakdown or {}).get("benefit", {})
    details = claim.details.get("children", [])
    now = timezone.now()
    children: list[ScholarshipChild] = []
    try:
        with transaction.atomic():
            for position in benefit.get("accepted", []):
                data = details[position]
                children.append(ScholarshipChild.objects.create(
                    claim=claim, member_id=claim.member_id, position=position + 1, name=data["name"],
                    nik_digest=data["nik_digest"], nik_masked=data["nik_masked"],
                    birth_date=dt.date.fromisoformat(data["birth_date"]), first_level=data["level"],
                    first_year_in_level=data.get("year_in_level", 1), status_changed_at=now,
                    granted_school_year=benefit["school_year"]))
    except IntegrityError as exc:
        raise ValidationError(_("A child of this claim is covered by another scholarship already: verify the claim "
                                "again.")) from exc
    # This school year has one line per child at school, in the children's order: two children of the same name
    # take theirs in turn.
    unmatched = list(children)
    for line in benefit.get("lines", []):
        child = next(c for c in unmatched if c.name == line["child"])
        unmatched.remove(child)
        level = line["text"]["params"]["level"]
        ScholarshipPayment.objects.create(
            child=child, school_year=line.get("year") or child.granted_school_year, level=level,
            year_in_level=child.first_year_in_level if level == child.first_level else 1,
            amount_idr=line["amount_idr"], rule=line["rule"][:300] if isinstance(line.get("rule"), str) else "",
            status=ScholarshipPaymentStatus.PAID, status_changed_at=now, payout=payout, paid_at=payout.paid_at,
            paid_by=staff)
    levels = benefits.scholarship_rules(event_date=claim.event_date).levels
    for child in children:  # e.g. the last university year, paid with the claim: nothing is left to come
        if child.first_level and next_step(child, _payments(child), levels) is None:
            scholarship_child_transition(child=child, to=ScholarshipChildStatus.ENDED, actor=staff,
                                         reason="every school level paid", end_reason=ScholarshipEndReason.COMPLETED)
    return children


def _child_lock(child: ScholarshipChild) -> tuple[Claim, ScholarshipChild]:
    """The claim, then the child: every scholarship writer takes them in this order (claims.locks' order)."""
    claim = claim_lock(child.claim)
    return claim, ScholarshipChild.objects.select_for_update().get(pk=child.pk)


def _payments(child: ScholarshipChild) -> list[ScholarshipPayment]:
    return list(ScholarshipPayment.objects.filter(child=child).order_by("school_year", "id"))


def _member_taken_idr(member_id: int) -> int:
    return sum(ScholarshipPayment.objects.filter(child__member_id=member_id)
               .exclude(status=ScholarshipPaymentStatus.REFUSED).values_list("amount_idr", flat=True))


def scholarship_year_submit(*, child: ScholarshipChild, user: User, level: str, upload, declared: bool,
                            today: dt.date | None = None, ip_address: str | None = None) -> ScholarshipPayment:
    """The heir sends the school certificate for the school year open now, says the level the child is in and that
    the child has not married nor started working. The amount is that level's yearly figure in force on the event
    date, cut to what is left of the total; the branch checks the certificate before anything is paid."""
    if user.pk != child.claim.claimant_id:
        raise PermissionDenied(_("Only the heir who claimed the scholarship sends its school certificates."))
    if level not in SchoolLevel.values:
        raise ValidationError({"level": [_("Choose the school level your child is in.")]})
    if not declared:
        raise ValidationError({"declared": [_("Confirm that your child has not married and has not started "
                                              "working; if they have, tell us below instead.")]})
    upload_check(upload)  # before the locks: decoding a photo takes a moment (remembered for _store)
    today = today or timezone.localdate()
    saved: list = []
    try:
        with transaction.atomic():
            claim, child = _child_lock(child)
            if claim.status != ClaimStatus.PAID:
                raise ValidationError(_("School certificates are sent once the claim is paid."))
            rules = benefits.scholarship_rules(event_date=claim.event_date)
            remind = benefits.scholarship_remind_days(event_date=claim.event_date)
            payments = _payments(child)
            year = open_school_year(child=child, payments=payments, today=today, years=rules.years,
                                    remind_days=remind)
            if year is None:
                raise ValidationError(_("No school year is open for a certificate now."))
            step = step_for_level(child, payments, rules.levels, level)
            if step is None:
                raise ValidationError({"level": [_("The scholarship pays no more years of this level for your "
                                                   "child. Choose the level they are in now.")]})
            yearly = next(row for row in rules.levels if row.level == step.level)
            left = rules.cap_idr - _member_taken_idr(claim.member_id)
            if left <= 0:
                scholarship_child_transition(child=child, to=ScholarshipChildStatus.ENDED, actor=user,
                                             reason="scholarship total reached", end_reason=ScholarshipEndReason.CAP)
                raise ValidationError(_("The scholarship total has been paid in full."))
            document = _store(claim=claim, kind="school", upload=upload, user=user, saved=saved)
            payment = ScholarshipPayment.objects.create(
                child=child, school_year=year, level=step.level, year_in_level=step.year_in_level,
                amount_idr=min(yearly.yearly_idr, left), rule=(yearly.source if yearly.yearly_idr <= left
                                                               else rules.cap_source)[:300],
                document=document, status=ScholarshipPaymentStatus.SUBMITTED, status_changed_at=timezone.now())
            audit_event_record(actor=user, action="scholarship.year_submitted", obj=payment, changes={
                "claim": claim.number, "child": child.position, "school_year": year, "level": step.level,
                "year_in_level": step.year_in_level, "amount_idr": payment.amount_idr, "document": document.pk},
                ip_address=ip_address)
    except BaseException:
        _forget_files(saved)
        raise
    return payment


def scholarship_year_review(*, payment: ScholarshipPayment, staff: User, valid: bool, note: str = "",
                            ip_address: str | None = None) -> ScholarshipPayment:
    """Branch staff check the certificate: valid releases the year for transfer; not valid refuses it with a note
    (the heir may send another for the same year). The heir is told either way."""
    note = note.strip()
    with transaction.atomic():
        claim, _child = _child_lock(payment.child)
        staff_check(claim=claim, staff=staff)
        payment = ScholarshipPayment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != ScholarshipPaymentStatus.SUBMITTED:
            raise ValidationError(_("This school year was checked already."))
        if not valid and not note:
            raise ValidationError({"note": [_("Say what is wrong with the certificate, for the heir.")]})
        if payment.document_id is not None:
            claim_document_status_transition(document_id=payment.document_id, claim=claim, actor=staff, note=note,
                                             to=DocumentStatus.VALID if valid else DocumentStatus.INVALID,
                                             ip_address=ip_address)
        to = ScholarshipPaymentStatus.RELEASED if valid else ScholarshipPaymentStatus.REFUSED
        scholarship_payment_transition(payment=payment, to=to, actor=staff, reason=note,
                                       review_note=note[:300], reviewed_by=staff, reviewed_at=timezone.now())
        name, year, amount = payment.child.name, _year_label(payment.school_year), payment.amount_idr

        def body() -> str:
            if valid:
                return _("BPJS Ketenagakerjaan: the school certificate of %(name)s for %(year)s is accepted: "
                         "%(amount)s will be transferred (claim %(number)s).") % {
                    "name": name, "year": year, "amount": format_idr(amount), "number": claim.number}
            return _("BPJS Ketenagakerjaan: the school certificate of %(name)s for %(year)s is not accepted: "
                     "%(note)s. Please send another on claim %(number)s.") % {
                "name": name, "year": year, "note": note, "number": claim.number}

        claimant_message(claim=claim, body=body, purpose=f"scholarship.{to}")
    return payment


def scholarship_year_pay(*, payment: ScholarshipPayment, staff: User, transfer_reference: str,
                         paid_at: dt.datetime | None = None, ip_address: str | None = None) -> ScholarshipPayment:
    """Records the transfer of a released school year (its reference unique among every claims transfer), by staff
    of the branch who did not release it (maker-checker). A child whose every level or the total is now paid
    ends there."""
    reference = transfer_reference.strip()
    if not reference:
        raise ValidationError({"transfer_reference": [_("Enter the bank's transfer reference.")]})
    with transaction.atomic():
        claim, child = _child_lock(payment.child)
        staff_check(claim=claim, staff=staff)
        payment = ScholarshipPayment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != ScholarshipPaymentStatus.RELEASED:
            raise ValidationError(_("Only a released school year can be paid."))
        if payment.reviewed_by_id == staff.pk:
            raise PermissionDenied(_("You released this school year: another staff member records its transfer."))
        if (ClaimPayout.objects.filter(transfer_reference=reference).exists()
                or ScholarshipPayment.objects.filter(transfer_reference=reference).exists()):
            raise ValidationError({"transfer_reference": [_("This transfer reference was recorded already.")]})
        scholarship_payment_transition(payment=payment, to=ScholarshipPaymentStatus.PAID, actor=staff,
                                       changes={"transfer_reference": reference, "amount_idr": payment.amount_idr},
                                       transfer_reference=reference, paid_at=paid_at or timezone.now(),
                                       paid_by=staff)
        rules = benefits.scholarship_rules(event_date=claim.event_date)
        if next_step(child, _payments(child), rules.levels) is None:
            scholarship_child_transition(child=child, to=ScholarshipChildStatus.ENDED, actor=staff,
                                         reason="every school level paid", end_reason=ScholarshipEndReason.COMPLETED)
        elif _member_taken_idr(claim.member_id) >= rules.cap_idr:
            scholarship_child_transition(child=child, to=ScholarshipChildStatus.ENDED, actor=staff,
                                         reason="scholarship total reached", end_reason=ScholarshipEndReason.CAP)
        name, year = child.name, _year_label(payment.school_year)
        claimant_message(claim=claim, purpose="scholarship.paid", body=lambda: _(
            "BPJS Ketenagakerjaan: the scholarship of %(name)s for %(year)s, %(amount)s, was transferred to "
            "%(bank)s %(account)s.") % {"name": name, "year": year, "amount": format_idr(payment.amount_idr),
                                        "bank": claim.bank_name, "account": claim.account_number_masked})
    return payment


def scholarship_child_end(*, child: ScholarshipChild, actor: User, reason: str, note: str = "",
                          ip_address: str | None = None) -> ScholarshipChild:
    """Ends a child's scholarship: the heir says the child married or started working; branch staff may end it for
    any reason with a note. Years already released are still paid; a year sent but not checked is refused."""
    with transaction.atomic():
        claim, child = _child_lock(child)
        if actor.pk == claim.claimant_id:
            if reason not in END_BY_HEIR:
                raise ValidationError({"reason": [_("Choose why the scholarship ends.")]})
        else:
            staff_check(claim=claim, staff=actor)
            if reason not in ScholarshipEndReason.values or not note.strip():
                raise ValidationError({"reason": [_("Choose the reason and write a note.")]})
        if child.status != ScholarshipChildStatus.ACTIVE:
            raise ValidationError(_("This child's scholarship has ended already."))
        scholarship_child_transition(child=child, to=ScholarshipChildStatus.ENDED, actor=actor,
                                     reason=(note.strip() or ScholarshipEndReason(reason).label)[:255],
                                     end_reason=reason)
        for payment in ScholarshipPayment.objects.filter(child=child, status=ScholarshipPaymentStatus.SUBMITTED):
            scholarship_payment_transition(payment=payment, to=ScholarshipPaymentStatus.REFUSED, actor=actor,
                                           reason="the scholarship ended", review_note=_("The scholarship ended."))
    return child


def scholarship_reminders_send(*, today: dt.date | None = None) -> dict[str, int]:
    """Daily: a child past the age limit by the next school year ends; otherwise, from the reminder day before a
    school year, the heir is told once to send that year's school certificate."""
    today = today or timezone.localdate()
    handled = ended = 0
    active = (ScholarshipChild.objects.filter(status=ScholarshipChildStatus.ACTIVE, claim__status=ClaimStatus.PAID)
              .select_related("claim").order_by("pk"))
    for child in active.iterator(chunk_size=500):
        rules = benefits.scholarship_rules(event_date=child.claim.event_date)
        remind = benefits.scholarship_remind_days(event_date=child.claim.event_date)
        coming = benefits.school_year_of(today, rules.years.start_month) + 1
        start = benefits.school_year_start(coming, rules.years.start_month)
        if today < start - dt.timedelta(days=remind) or child.reminded_for == coming:
            continue
        with transaction.atomic():
            claim, child = _child_lock(child)
            if child.status != ScholarshipChildStatus.ACTIVE or child.reminded_for == coming:
                continue
            as_plan = benefits.Child(child.name, child.first_level, 1, child.birth_date)
            if not benefits.within_age(as_plan, coming, rules.years):
                scholarship_child_transition(child=child, to=ScholarshipChildStatus.ENDED, actor=None,
                                             reason=f"age limit {rules.years.end_age} before {coming}",
                                             end_reason=ScholarshipEndReason.AGE)
                ended += 1
                continue
            payments = _payments(child)
            if next_step(child, payments, rules.levels) is None or any(
                    p.school_year == coming and p.status != ScholarshipPaymentStatus.REFUSED for p in payments):
                continue
            ScholarshipChild.objects.filter(pk=child.pk).update(reminded_for=coming)
            _remind(claim=claim, child=child, school_year=coming, start=start)
            handled += 1
    return {"handled": handled + ended}


def _remind(*, claim: Claim, child: ScholarshipChild, school_year: int, start: dt.date) -> None:
    claimant_message(claim=claim, purpose="scholarship.reminder", body=lambda: _(
        "BPJS Ketenagakerjaan: the school year %(year)s starts on %(day)s. Send the school certificate of "
        "%(name)s on claim %(number)s to receive the scholarship.") % {
        "year": _year_label(school_year), "day": date_format(start, "j F Y"), "name": child.name,
        "number": claim.number})
