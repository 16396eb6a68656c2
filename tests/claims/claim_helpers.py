"""Builders for claims service tests: a member whose months were really paid (ledger rows), staff on branches,
small real JPEG/PDF uploads, and a claim walked to any status through the services."""

from __future__ import annotations

import datetime as dt
import io
import itertools

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from reportlab.pdfgen import canvas

from claims.documents import checklist_for
from claims.models import ClaimStatus
from claims.services import (
    claim_approve,
    claim_document_review,
    claim_file,
    claim_payout_record,
    claim_review_start,
    claim_verify,
)
from contributions.services.payments import payment_order_create
from core.models import Role, User
from tests.contributions.helpers import confirm, member_make
from tests.factories.core import UserFactory
from tests.factories.reference import StaffFactory

_serial = itertools.count(1)
HEIR_NIK = "3174015708900123"  # a woman born 17 August 1990, Jakarta Selatan
PAID_AT = dt.datetime.fromisoformat("2026-01-05T10:00:00+07:00")


def jpeg(name: str = "foto.jpg") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def pdf(name: str = "surat.pdf") -> SimpleUploadedFile:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(100, 750, "Surat keterangan")
    c.showPage()
    c.save()
    return SimpleUploadedFile(name, buf.getvalue(), content_type="application/pdf")


def paid_member(*, months: int = 12, jht: bool = True, income: int = 1_000_000, paid_at: dt.datetime = PAID_AT,
                **kwargs):
    """A member billed from January 2026 with `months` months paid through a real payment (ledger rows)."""
    member = member_make(billing_start=dt.date(2026, 1, 1), jht=jht, income=income, **kwargs)
    if months:
        order = payment_order_create(member=member, months_count=months, payer=user_make(),
                                     today=paid_at.date())
        confirm(order, paid_at=paid_at)
    return member


def user_make(*, role: str = Role.WORKER, phone: str | None = None, language: str = "id", name: str = "") -> User:
    n = next(_serial)
    return UserFactory(username=f"claims-{role}-{n}", role=role, language=language, first_name=name,
                       phone=phone if phone is not None else (f"+62813{n:08d}" if role == Role.WORKER else None))


def staff_make(role: str = Role.BRANCH_STAFF, branch: str | None = "JKT-SEL", name: str = "") -> User:
    return StaffFactory(username=f"claims-{role}-{next(_serial)}", role=role, first_name=name, phone=None,
                        branch=branch or False)


def event(day: str = "2026-08-10", **extra) -> dict:
    return {"date": dt.date.fromisoformat(day), **extra}


def accident(day: str = "2026-08-10", time: str = "08:30", **extra) -> dict:
    return {"date": dt.date.fromisoformat(day), "time": dt.time.fromisoformat(time), "place": "Jl. Sudirman",
            "description": "Jatuh dari motor saat mengantar paket", "commuting": False, **extra}


BANK = {"bank_name": "BRI", "account_holder": "SITI AMINAH", "account_number": "0123 4567 8901 234"}


def child(name: str, level: str = "primary", year_in_level: int = 1, *, born: str = "2015-03-15",
          serial: int | None = None) -> dict:
    """A child as a scholarship's filing takes it, with a NIK that matches the birth date (Jakarta Selatan; the
    serial comes from the name unless given, so two children differ)."""
    day = dt.date.fromisoformat(born)
    serial = serial if serial is not None else 1 + sum(map(ord, name)) % 9000
    return {"name": name, "level": level, "year_in_level": year_in_level, "birth_date": born,
            "nik": f"317401{day:%d%m%y}{serial:04d}"}


def heir(relationship: str = "spouse", **extra) -> dict:
    return {"name": "SITI AMINAH", "nik": HEIR_NIK, "relationship": relationship, **extra}


def all_documents(claim_type: str, *, heir_relationship: str = "", traffic_accident=None) -> list[tuple[str, object]]:
    return [(entry.kind, pdf() if i % 2 else jpeg())
            for i, entry in enumerate(checklist_for(claim_type=claim_type, heir_relationship=heir_relationship,
                                                    traffic_accident=traffic_accident)) if entry.required]


def death_claim(member, claimant=None, *, claim_type: str = "jkm_death", relationship: str = "spouse",
                day: str = "2026-08-10", documents: bool = True, **kwargs):
    claimant = claimant or user_make()
    docs = all_documents(claim_type, heir_relationship=relationship) if documents else []
    happened = accident(day) if claim_type == "jkk_death" else event(day)
    return claim_file(claimant=claimant, member=member, claim_type=claim_type, event=happened, bank=BANK,
                      heir=heir(relationship), documents=docs, **kwargs)


def all_valid(claim, staff):
    for document in claim.documents.all():
        claim_document_review(document=document, staff=staff, valid=True)


def walk(claim, *, to: str, staff=None, supervisor=None, **verify):
    """Through the services, as a branch would: review, documents valid, verified, approved, paid."""
    staff = staff or staff_make()
    supervisor = supervisor or staff_make(Role.SUPERVISOR)
    claim = claim_review_start(claim=claim, staff=staff)
    if to == ClaimStatus.VERIFYING:
        return claim
    all_valid(claim, staff)
    claim = claim_verify(claim=claim, staff=staff, **verify)
    if to == ClaimStatus.VERIFIED:
        return claim
    claim = claim_approve(claim=claim, supervisor=supervisor)
    if to == ClaimStatus.APPROVED:
        return claim
    claim_payout_record(claim=claim, staff=staff, transfer_reference=f"TRF-{claim.number}")
    claim.refresh_from_db()
    return claim
