"""The documents each claim type needs (DOMAIN.md, "Claims"), with the items that depend on the claim.

- JKM (death benefit, scholarship): participant card, KTP of the participant and of the heir, death certificate,
  family card (KK), heir certificate, the marriage book when a spouse claims, bank book; a scholarship adds the
  child's school certificate.
- JKK: participant card, KTP, doctor's statement, medical and transport receipts; a police report for a traffic
  accident is asked for but optional, because DOMAIN.md marks it [open]; death from the accident adds the death and
  heir certificates and the heir's KTP; a scholarship adds the school certificate.
- JHT: participant card and KTP; leaving Indonesia adds passport and leaving statement; disability a doctor's
  statement; death the death and heir certificates and the heir's KTP.
- JHT partial withdrawal: participant card and KTP; for housing also the purchase agreement or bank credit papers,
  and the NPWP, listed as optional: it is needed only when the balance is over the dated threshold, which the
  benefit calculation checks at verification (claims.benefits.jht_partial).
- JHT on death with no heir, filed by the Balai Harta Peninggalan's officer: the court ruling or statement that
  there is no heir stands in for the heir certificate, and the heir's KTP is the officer's.

An heir files without the deceased's account, so the heir's own KTP is asked for on every claim an heir files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from claims.models import ClaimType, DocumentKind, HeirRelationship, RuleKind
from core.money import format_idr

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

K = DocumentKind


@dataclass(frozen=True)
class ChecklistEntry:
    kind: str
    required: bool = True
    note: str | StrPromise = ""  # a lazy translation: rendered in the reader's language

    @property
    def label(self) -> str:
        return str(DocumentKind(self.kind).label)


_DEATH = (K.DEATH_CERTIFICATE, K.HEIR_CERTIFICATE)
_BASE: dict[str, tuple[str, ...]] = {
    ClaimType.JKM_DEATH: (K.PARTICIPANT_CARD, K.KTP, K.HEIR_KTP, K.DEATH_CERTIFICATE, K.FAMILY_CARD,
                          K.HEIR_CERTIFICATE, K.BANK_BOOK),
    ClaimType.JKM_SCHOLARSHIP: (K.PARTICIPANT_CARD, K.KTP, K.HEIR_KTP, K.DEATH_CERTIFICATE, K.FAMILY_CARD,
                                K.HEIR_CERTIFICATE, K.BANK_BOOK, K.SCHOOL_CERTIFICATE),
    ClaimType.JKK_MEDICAL: (K.PARTICIPANT_CARD, K.KTP, K.DOCTOR_STATEMENT, K.RECEIPTS),
    ClaimType.JKK_TEMPORARY_INCAPACITY: (K.PARTICIPANT_CARD, K.KTP, K.DOCTOR_STATEMENT, K.RECEIPTS),
    ClaimType.JKK_DISABILITY: (K.PARTICIPANT_CARD, K.KTP, K.DOCTOR_STATEMENT, K.RECEIPTS),
    ClaimType.JKK_DEATH: (K.PARTICIPANT_CARD, K.KTP, K.DOCTOR_STATEMENT, K.RECEIPTS, *_DEATH),
    ClaimType.JKK_SCHOLARSHIP: (K.PARTICIPANT_CARD, K.KTP, K.SCHOOL_CERTIFICATE),
    ClaimType.JHT_AGE: (K.PARTICIPANT_CARD, K.KTP),
    ClaimType.JHT_DEATH: (K.PARTICIPANT_CARD, K.KTP, *_DEATH),
    ClaimType.JHT_DISABILITY: (K.PARTICIPANT_CARD, K.KTP, K.DOCTOR_STATEMENT),
    ClaimType.JHT_LEAVING: (K.PARTICIPANT_CARD, K.KTP, K.PASSPORT, K.LEAVING_STATEMENT),
    # Permenaker 4/2022 art. 6(2): a BPU member who stops working takes the JHT balance, and the membership ends.
    ClaimType.JHT_STOPPED: (K.PARTICIPANT_CARD, K.KTP, K.STOPPED_STATEMENT),
    ClaimType.JHT_PARTIAL_PENSION: (K.PARTICIPANT_CARD, K.KTP),
    ClaimType.JHT_PARTIAL_HOUSING: (K.PARTICIPANT_CARD, K.KTP, K.HOUSING),
}

# JKK claims that come from an accident (a police report applies to a traffic accident).
ACCIDENT_TYPES = frozenset({ClaimType.JKK_MEDICAL, ClaimType.JKK_TEMPORARY_INCAPACITY, ClaimType.JKK_DISABILITY,
                            ClaimType.JKK_DEATH})

POLICE_NOTE = _("Asked for after a traffic accident; not required while the rule is unconfirmed.")
NPWP_NOTE = _("Needed when your JHT balance is over %(amount)s; the branch checks it.")
OFFICER_KTP_NOTE = _("The KTP of the Balai Harta Peninggalan's officer who files the claim.")


def _npwp_note() -> str:
    """The NPWP's note with the threshold in force today (dated reference data), in the reader's language."""
    from claims.selectors import ReferenceDataMissing, benefit_rule  # selectors read checklists: imported late

    try:
        rule = benefit_rule(kind=RuleKind.JHT_NPWP_ABOVE, on=timezone.localdate())
    except ReferenceDataMissing:
        return str(NPWP_NOTE % {"amount": "—"})
    return str(NPWP_NOTE % {"amount": format_idr(cast(int, rule.amount_idr))})


def checklist_for(*, claim_type: str, heir_relationship: str = "", traffic_accident: bool | None = None
                  ) -> list[ChecklistEntry]:
    """The checklist of a claim: `heir_relationship` is empty when the worker files for themselves."""
    claim_type = ClaimType(claim_type)
    kinds = list(_BASE[claim_type])
    if heir_relationship:
        if claim_type == ClaimType.JKK_SCHOLARSHIP:
            kinds += list(_DEATH)  # the scholarship of a worker who died of the accident
        if K.HEIR_KTP not in kinds:
            kinds.insert(kinds.index(K.KTP) + 1, K.HEIR_KTP)
        if heir_relationship == HeirRelationship.SPOUSE and claim_type in (ClaimType.JKM_DEATH,
                                                                          ClaimType.JKM_SCHOLARSHIP):
            kinds.insert(kinds.index(K.HEIR_CERTIFICATE) + 1, K.MARRIAGE_BOOK)
        if heir_relationship == HeirRelationship.BHP and K.HEIR_CERTIFICATE in kinds:
            kinds[kinds.index(K.HEIR_CERTIFICATE)] = K.NO_HEIR  # no heir, so no heir certificate
    elif claim_type == ClaimType.JKK_SCHOLARSHIP:
        kinds.append(K.DOCTOR_STATEMENT)  # the worker's total disability
    officer = heir_relationship == HeirRelationship.BHP
    entries = [ChecklistEntry(kind, note=OFFICER_KTP_NOTE if officer and kind == K.HEIR_KTP else "")
               for kind in kinds]
    if claim_type in ACCIDENT_TYPES and traffic_accident:
        entries.append(ChecklistEntry(K.POLICE_REPORT, required=False, note=POLICE_NOTE))
    if claim_type == ClaimType.JHT_PARTIAL_HOUSING:
        # Required only above the threshold: claims.benefits.jht_partial refuses without a valid one.
        entries.append(ChecklistEntry(K.NPWP, required=False, note=lazy(_npwp_note, str)()))
    return entries


def checklist_for_claim(claim) -> list[ChecklistEntry]:
    return checklist_for(claim_type=claim.claim_type, heir_relationship=claim.heir_relationship,
                         traffic_accident=claim.traffic_accident)


def required_kinds(claim) -> list[str]:
    return [entry.kind for entry in checklist_for_claim(claim) if entry.required]


def allowed_kinds(claim) -> set[str]:
    """What may be uploaded to a claim: its checklist, and "other" for anything staff ask for besides."""
    return {entry.kind for entry in checklist_for_claim(claim)} | {K.OTHER}
