"""Filing a claim (the worker, or an heir signed in with their own phone) and adding documents to it later."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from claims.documents import ACCIDENT_TYPES, allowed_kinds, checklist_for
from claims.eligibility import BHP_ONLY_JHT, partial_withdrawal_from, years_later
from claims.locks import claim_lock
from claims.models import (
    DEATH_CLAIM_TYPES,
    HEIR_CLASS,
    JHT_PARTIAL_TYPES,
    SCHOLARSHIP_TYPES,
    Claim,
    ClaimDocument,
    ClaimStatus,
    ClaimType,
    DocumentKind,
    HeirRelationship,
    RuleKind,
    SchoolLevel,
    claim_program,
)
from claims.selectors import (
    ReferenceDataMissing,
    benefit_rule,
    branch_for_member,
    jht_partial_taken,
    scholarship_children_taken,
)
from claims.services.common import (
    claim_number_next,
    claim_transition,
    claimant_notify,
    documents_complete_refresh,
    latest_documents,
)
from claims.uploads import claim_documents_storage, upload_check
from contributions.selectors import covered_on
from core.models import User
from core.nik import nik_blind_index, nik_check, nik_encrypt, nik_mask, secret_encrypt
from core.services import audit_event_record
from members.models import Member

# Claims only an heir files (the worker has died), only the worker files, and the JKK scholarship that follows
# either the worker's death (an heir files) or total disability (the worker files).
HEIR_TYPES = frozenset({*DEATH_CLAIM_TYPES, ClaimType.JKM_SCHOLARSHIP, ClaimType.JKK_SCHOLARSHIP})
WORKER_TYPES = frozenset(set(ClaimType) - set(DEATH_CLAIM_TYPES) - {ClaimType.JKM_SCHOLARSHIP})
LATE_AFTER = dt.timedelta(hours=48)  # DOMAIN.md: an accident is reported within 2×24 hours
EDITABLE = (ClaimStatus.SUBMITTED, ClaimStatus.VERIFYING, ClaimStatus.MORE_DOCUMENTS)


def account_number_mask(number: str) -> str:
    """•••• and the last four digits: enough for the claimant to recognise the account."""
    return f"****{number[-4:]}"


def event_moment(*, day: dt.date, time: dt.time | None) -> dt.datetime:
    """The event as an aware moment in the portal's time zone (Asia/Jakarta)."""
    return timezone.make_aware(dt.datetime.combine(day, time or dt.time(0, 0)))


def reported_late(*, claim_type: str, day: dt.date, time: dt.time | None, reported_at: dt.datetime) -> bool:
    """A work accident reported more than 2×24 hours after it happened: accepted, flagged for the reviewer.
    Exactly 48 hours is still in time."""
    return claim_type in ACCIDENT_TYPES and reported_at - event_moment(day=day, time=time) > LATE_AFTER


def _clean_event(claim_type: str, event: dict, member: Member, errors: dict) -> dict:
    # A partial JHT withdrawal has no event: its date is the day the worker asks (the balance on that day).
    day = timezone.localdate() if claim_type in JHT_PARTIAL_TYPES else event.get("date")
    if not isinstance(day, dt.date):
        errors["event_date"] = [_("Enter the date of the event.")]
        return {}
    if day > timezone.localdate():
        errors["event_date"] = [_("The date of the event cannot be in the future.")]
    elif day < member.birth_date:
        errors["event_date"] = [_("The date of the event is before the member was born.")]
    time = event.get("time")
    accident = claim_type in ACCIDENT_TYPES
    if accident:
        if time is None:
            errors["event_time"] = [_("Enter the time of the accident.")]
        for key, message in (("place", _("Enter where the accident happened.")),
                             ("description", _("Describe what happened."))):
            if not str(event.get(key) or "").strip():
                errors[f"event_{key}"] = [message]
    return {
        "event_date": day, "event_time": time, "event_place": str(event.get("place") or "").strip()[:200],
        "event_description": str(event.get("description") or "").strip(),
        "commuting": bool(event.get("commuting")) if accident else None,
        "traffic_accident": bool(event.get("traffic_accident")) if accident else None,
    }


def _check_cover(claim_type: str, day: dt.date, member: Member, errors: dict) -> None:
    """Refused at filing, before anyone reviews documents: a JKK or JKM event in a month not paid by that day (no
    cover: paying now does not reach back), and a work accident claimed after the claim window."""
    program = claim_program(claim_type)
    if program not in ("JKK", "JKM") or "event_date" in errors:
        return
    today = timezone.localdate()
    if program == "JKK":
        years = cast(int, benefit_rule(kind=RuleKind.JKK_CLAIM_YEARS, on=day).quantity)
        last = years_later(day, years)
        if today > last:
            errors["event_date"] = [_(
                "A work accident can be claimed up to %(years)s years after it happened (this one until "
                "%(day)s). It is older, so it can no longer be claimed.") % {"years": years, "day": _day(last)}]
            return
    if not covered_on(member=member, day=day):
        errors["event_date"] = [_(
            "The contribution for %(month)s was not paid by %(day)s, so %(program)s did not cover that day and this "
            "claim cannot be paid. Paying now does not cover a day that has passed. If the date is wrong, correct "
            "it; if the month was paid, bring the receipt to a branch.")
            % {"month": f"{day:%Y-%m}", "day": _day(day), "program": program}]


def _check_partial(claim_type: str, day: dt.date, member: Member, errors: dict) -> None:
    """A partial JHT withdrawal is refused at filing before the years of membership (data) are reached, when the
    member has one not rejected already (it is allowed once), and once the whole balance is being paid. The
    eligibility checks say the same again at verification."""
    if claim_type not in JHT_PARTIAL_TYPES or "event_date" in errors:
        return
    start, years, reached = partial_withdrawal_from(member=member, on=day)
    partial, full = jht_partial_taken(member=member)
    if day < reached:
        errors["claim_type"] = [_(
            "Part of the JHT can be withdrawn after %(years)s years of membership. You are a member since %(start)s, "
            "so you can ask from %(day)s.") % {"years": years, "start": _day(start), "day": _day(reached)}]
    elif full:
        errors["claim_type"] = [_("Your whole JHT balance is paid with claim %(number)s: nothing is left to withdraw "
                                  "in part.") % {"number": full}]
    elif partial:
        errors["claim_type"] = [_("Part of the JHT is withdrawn once only, and you asked already (%(number)s). The "
                                  "rest is paid when you reach retirement age or stop working.")
                                % {"number": partial[0]}]


def _day(value: dt.date) -> str:
    return date_format(value, "DATE_FORMAT")


def _clean_bank(bank: dict, errors: dict) -> dict:
    name = str(bank.get("bank_name") or "").strip()
    holder = str(bank.get("account_holder") or "").strip()
    number = "".join(ch for ch in str(bank.get("account_number") or "") if not ch.isspace() and ch != "-")
    if not name:
        errors["bank_name"] = [_("Enter the bank.")]
    if not holder:
        errors["account_holder"] = [_("Enter the name of the account holder.")]
    if not (number.isdigit() and 6 <= len(number) <= 20):
        errors["account_number"] = [_("An account number has 6 to 20 digits.")]
        return {}
    return {"bank_name": name[:60], "account_holder": holder[:120],
            "account_number_ciphertext": secret_encrypt(number), "account_number_masked": account_number_mask(number)}


NOT_AN_HEIR = _lazy("Sons- and daughters-in-law and brothers- and sisters-in-law are not heirs: only parents-in-law "
                    "are, after brothers and sisters.")


def _live_heirs(member: Member, claimant: User) -> list[str]:
    """Relationships of other heirs who have a claim for the member that is not rejected."""
    return list(Claim.objects.filter(member=member).exclude(claimant=claimant).exclude(status=ClaimStatus.REJECTED)
                .exclude(heir_relationship="").values_list("heir_relationship", flat=True).distinct())


def _clean_heir(heir: dict, member: Member, claimant: User, errors: dict, claim_type: str) -> dict:
    name = str(heir.get("name") or "").strip()
    if not name:
        errors["heir_name"] = [_("Enter your name as on your KTP.")]
    check = nik_check(str(heir.get("nik") or ""), birth_date=heir.get("birth_date"))
    if not check.valid:
        errors["heir_nik"] = check.errors
    elif nik_blind_index(cast(str, check.nik)) == member.nik_index:  # a valid check carries the NIK
        errors["heir_nik"] = [_("This is the NIK of the member, not yours.")]
    relationship = heir.get("relationship")
    if relationship not in HeirRelationship.values:
        errors["heir_relationship"] = [_("Choose your relationship to the member.")]
        return {}
    others = [r for r in heir.get("other_heirs") or () if r in HeirRelationship.values]
    if len(others) != len(heir.get("other_heirs") or ()):
        errors["other_heirs"] = [_("Choose the relationship of each other heir.")]
    mine = HEIR_CLASS.get(HeirRelationship(relationship))
    ahead = sorted({str(HeirRelationship(r).label) for r in [*others, *_live_heirs(member, claimant)]
                    if mine is not None and HEIR_CLASS.get(HeirRelationship(r), mine) < mine})
    if mine is None:
        errors["heir_relationship"] = [NOT_AN_HEIR]
    elif relationship == HeirRelationship.BHP and claim_type != ClaimType.JHT_DEATH:
        errors["heir_relationship"] = [BHP_ONLY_JHT]
    elif relationship == HeirRelationship.BHP and ahead:
        errors["heir_relationship"] = [_("There is an heir (%(heirs)s): the Balai Harta Peninggalan does not claim.")
                                       % {"heirs": ", ".join(ahead)}]
    elif ahead:
        errors["heir_relationship"] = [_("%(heir)s may not claim: %(ahead)s come first.") % {
            "heir": HeirRelationship(relationship).label, "ahead": ", ".join(ahead)}]
    if not check.valid:
        return {}
    nik = cast(str, check.nik)
    return {"heir_name": name[:120], "heir_nik_ciphertext": nik_encrypt(nik), "heir_relationship": relationship,
            "heir_phone": str(claimant.phone or ""), "_others": others, "_nik_masked": nik_mask(nik)}


def _clean_children(details: dict, member: Member, errors: dict) -> list[dict]:
    """Each child's name, school level ("" when not at school yet) and year in it, NIK and birth date (checked
    together). A child already covered for this member, by this heir or another, is refused: the NIK's blind
    index is what tells children apart."""
    children = details.get("children") or []
    cleaned = []
    for n, child in enumerate(children, start=1):
        name = str(child.get("name") or "").strip()
        level = child.get("level") or ""
        try:
            year = int(child.get("year_in_level") or 1)
        except (TypeError, ValueError):
            year = 0
        birth = child.get("birth_date")
        if isinstance(birth, str):
            try:
                birth = dt.date.fromisoformat(birth)
            except ValueError:
                birth = None
        if not name or (level and level not in SchoolLevel.values) or year < 1 or not isinstance(birth, dt.date):
            errors["children"] = [_("Give each child's name, date of birth, NIK, school level and year in it.")]
            return []
        check = nik_check(str(child.get("nik") or ""), birth_date=birth)
        if not check.valid:
            errors[f"child_{n}_nik"] = check.errors
            continue
        nik = cast(str, check.nik)
        cleaned.append({"name": name[:120], "level": level, "year_in_level": year if level else 1,
                        "birth_date": birth.isoformat(), "nik_digest": nik_blind_index(nik),
                        "nik_masked": nik_mask(nik)})
    if errors:
        return []
    if not cleaned:
        errors["children"] = [_("Name at least one child at school.")]
        return []
    if not any(child["level"] for child in cleaned):
        errors["children"] = [_("A scholarship is paid from the school year a child starts school: file it "
                                "when a child is at school.")]
    seen: set[str] = set()
    taken = scholarship_children_taken(member=member)
    for n, child in enumerate(cleaned, start=1):
        digest = str(child["nik_digest"])
        if digest in seen:
            errors[f"child_{n}_nik"] = [_("This child is named twice.")]
        elif digest in taken:
            errors[f"child_{n}_nik"] = [_("This child's scholarship is already claimed for this participant. "
                                          "Ask the branch if that is wrong.")]
        seen.add(digest)
    return cleaned


def _who_files(claimant: User, member: Member, claim_type: str, heir: dict | None) -> None:
    if claimant.is_portal_staff or not claimant.is_active:
        raise PermissionDenied(_("Staff accounts do not file claims."))
    own = member.user_id == claimant.pk
    if own and claim_type not in WORKER_TYPES:
        raise ValidationError({"claim_type": [_("A death claim is filed by an heir of the member.")]})
    if not own and claim_type not in HEIR_TYPES:
        raise ValidationError({"claim_type": [_("Only the member can file this claim.")]})
    if not own and not heir:
        raise ValidationError({"heir_relationship": [_("Tell us who you are: an heir's identity is needed.")]})


def _store(*, claim: Claim, kind: str, upload, user: User, saved: list) -> ClaimDocument:
    checked = upload_check(upload)
    document = ClaimDocument(claim=claim, kind=kind, content_type=checked.content_type, size_bytes=checked.size_bytes,
                             sha256=checked.sha256, original_name=(checked.original_name or "")[:200],
                             uploaded_by=user)
    # Never the uploader's file name: a random one under the claim's folder (models._document_path).
    document.file.save(checked.stored_name(), ContentFile(checked.content), save=False)
    saved.append(document.file.name)
    document.save()
    return document


def _forget_files(names: list) -> None:
    storage = claim_documents_storage()
    for name in names:
        storage.delete(name)


def _check_documents(claim_type: str, relationship: str, traffic: bool | None,
                     documents: Sequence[tuple[str, object]]) -> None:
    """Kinds and contents before anything is written: the checks decode photos (a second or two each) and the
    claim-number row stays locked from the number until commit, so that wait must not happen inside."""
    kinds = {entry.kind for entry in checklist_for(claim_type=claim_type, heir_relationship=relationship,
                                                   traffic_accident=traffic)} | {DocumentKind.OTHER}
    bad = sorted({kind for kind, _upload in documents if kind not in kinds})
    if bad:
        raise ValidationError({"documents": [_("This claim does not take: %(kinds)s.") % {
            "kinds": ", ".join(str(DocumentKind(k).label) if k in DocumentKind.values else k for k in bad)}]})
    for _kind, upload in documents:
        try:
            upload_check(upload)  # remembered on the upload: _store does not check it twice
        except ValidationError as exc:
            raise ValidationError({"documents": exc.messages}) from exc


def claim_file(*, claimant: User, member: Member, claim_type: str, event: dict, bank: dict, heir: dict | None = None,
               details: dict | None = None, documents: Sequence[tuple[str, object]] = (),
               ip_address: str | None = None) -> Claim:
    """Files a claim, all or nothing. `event`: date, time, place, description, commuting, traffic_accident;
    `bank`: bank_name, account_holder, account_number; `heir` (an heir filing): name, nik, relationship,
    optional birth_date and other_heirs (relationships of other living heirs they know of); `details`: children
    (name, level, year_in_level) for scholarships. Field errors come back as ValidationError({field: [...]})."""
    if claim_type not in ClaimType.values:
        raise ValidationError({"claim_type": [_("Choose a claim type.")]})
    _who_files(claimant, member, claim_type, heir)
    errors: dict[str, list] = {}
    fields = _clean_event(claim_type, event or {}, member, errors)
    if fields:
        _check_cover(claim_type, fields["event_date"], member, errors)
        _check_partial(claim_type, fields["event_date"], member, errors)
    fields.update(_clean_bank(bank or {}, errors))
    heir_fields = _clean_heir(heir, member, claimant, errors, claim_type) if heir else {}
    extra = dict(details or {})
    if claim_type in SCHOLARSHIP_TYPES:
        extra["children"] = _clean_children(extra, member, errors)
    if errors:
        raise ValidationError(errors)
    others, nik_masked = heir_fields.pop("_others", []), heir_fields.pop("_nik_masked", "")
    if others:
        extra["other_heirs"] = others
    try:
        branch = branch_for_member(member=member)
    except ReferenceDataMissing as exc:
        raise ValidationError(str(exc)) from exc
    _check_documents(claim_type, heir_fields.get("heir_relationship", ""), fields.get("traffic_accident"), documents)
    now = timezone.now()
    late = reported_late(claim_type=claim_type, day=fields["event_date"], time=fields["event_time"], reported_at=now)
    saved: list = []
    try:
        with transaction.atomic():
            claim = Claim(number=claim_number_next(), claim_type=claim_type, member=member, claimant=claimant,
                          branch=branch, status=ClaimStatus.SUBMITTED, status_changed_at=now, reported_late=late,
                          details=extra, **fields, **heir_fields)
            try:
                with transaction.atomic():
                    claim.save()
            except IntegrityError as exc:
                live = (Claim.objects.filter(member=member, claim_type=claim_type)
                        .exclude(status=ClaimStatus.REJECTED).values_list("number", flat=True).first())
                if claim_type in DEATH_CLAIM_TYPES and live:
                    raise ValidationError({"claim_type": [_(
                        "A claim of this type for this member is already being handled (%(number)s).")
                        % {"number": live}]}) from exc
                raise
            for kind, upload in documents:
                try:
                    _store(claim=claim, kind=kind, upload=upload, user=claimant, saved=saved)
                except ValidationError as exc:
                    raise ValidationError({"documents": exc.messages}) from exc
            documents_complete_refresh(claim=claim)
            audit_event_record(actor=claimant, action="claim.filed", obj=claim, changes={
                "number": claim.number, "type": claim_type, "member": member.kpj, "branch": branch.code,
                "heir_nik": nik_masked, "heir_relationship": claim.heir_relationship,
                "account": claim.account_number_masked, "reported_late": late,
                "documents": [kind for kind, _upload in documents]}, ip_address=ip_address)
            claimant_notify(claim=claim, status=ClaimStatus.SUBMITTED)
    except BaseException:
        _forget_files(saved)
        raise
    return claim


def claim_document_add(*, claim: Claim, user: User, kind: str, upload, ip_address: str | None = None
                       ) -> ClaimDocument:
    """The claimant adds or replaces a document without refiling. When staff had asked for more documents and
    nothing is missing any more, the claim goes back to being checked (and the service-level clock restarts)."""
    if user.pk != claim.claimant_id:
        raise PermissionDenied(_("Only the claimant adds documents to a claim."))
    upload_check(upload)  # before the lock: decoding a photo takes a moment (remembered for _store)
    saved: list = []
    try:
        with transaction.atomic():
            claim = claim_lock(claim)
            if user.pk != claim.claimant_id:
                raise PermissionDenied(_("Only the claimant adds documents to a claim."))
            if claim.status not in EDITABLE:
                raise ValidationError(_("Documents can no longer be added to this claim."))
            if kind not in allowed_kinds(claim):
                raise ValidationError({"kind": [_("This claim does not take this document.")]})
            document = _store(claim=claim, kind=kind, upload=upload, user=user, saved=saved)
            audit_event_record(actor=user, action="claim.document_added", obj=claim,
                               changes={"kind": kind, "document": document.pk, "size_bytes": document.size_bytes},
                               ip_address=ip_address)
            latest = latest_documents(claim)
            complete = documents_complete_refresh(claim=claim, latest=latest)
            if claim.status == ClaimStatus.MORE_DOCUMENTS and complete:
                claim.details = {k: v for k, v in claim.details.items() if k != "requested"}
                claim.save(update_fields=["details", "updated_at"])
                claim_transition(claim=claim, to=ClaimStatus.VERIFYING, actor=user,
                                 reason="the documents asked for were added", ip_address=ip_address)
    except BaseException:
        _forget_files(saved)
        raise
    return document
