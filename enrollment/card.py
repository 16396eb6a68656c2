"""The membership card as a PDF: the size of a bank card, with the QR code that opens the public check page."""

from __future__ import annotations

import io

import segno
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor, white
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

CARD_SIZE = (85.6 * mm, 54 * mm)
NAVY = HexColor("#0b2545")
GREEN = HexColor("#1b7f3b")


def card_pdf(*, member, check_url: str, coverage) -> bytes:
    buffer = io.BytesIO()
    width, height = CARD_SIZE
    pdf = canvas.Canvas(buffer, pagesize=CARD_SIZE)
    pdf.setTitle(f"{_('BPU membership card')} {member.kpj}")
    pdf.setFillColor(NAVY)
    pdf.rect(0, height - 12 * mm, width, 12 * mm, stroke=0, fill=1)
    pdf.setFillColor(white)
    pdf.setFont("Helvetica-Bold", 8.5)
    pdf.drawString(4 * mm, height - 5.5 * mm, "BPJS Ketenagakerjaan")
    pdf.setFont("Helvetica", 6.5)
    pdf.drawString(4 * mm, height - 9.5 * mm, _("Informal worker (BPU) membership card"))

    pdf.setFillColor(NAVY)
    pdf.setFont("Helvetica", 6)
    pdf.drawString(4 * mm, height - 18 * mm, _("Name"))
    pdf.setFont("Helvetica-Bold", 8)
    pdf.drawString(4 * mm, height - 21.5 * mm, member.full_name[:32])
    pdf.setFont("Helvetica", 6)
    pdf.drawString(4 * mm, height - 26.5 * mm, _("Participant number (KPJ)"))
    pdf.setFont("Courier-Bold", 10)
    pdf.drawString(4 * mm, height - 30.5 * mm, member.kpj)
    pdf.setFont("Helvetica", 6)
    pdf.drawString(4 * mm, height - 35.5 * mm, _("Programs"))
    pdf.setFont("Helvetica-Bold", 7.5)
    pdf.drawString(4 * mm, height - 39 * mm, " · ".join(member.programs))
    pdf.setFont("Helvetica", 6)
    pdf.drawString(4 * mm, height - 44 * mm, _("Status"))
    pdf.setFillColor(GREEN if coverage.covered else NAVY)
    pdf.setFont("Helvetica-Bold", 7)
    pdf.drawString(4 * mm, height - 47.5 * mm, coverage.label)

    qr = io.BytesIO()
    segno.make(check_url, error="m").save(qr, kind="png", scale=6, border=1)
    qr.seek(0)
    size = 26 * mm
    pdf.drawImage(ImageReader(qr), width - size - 3 * mm, 5 * mm, size, size)
    pdf.setFillColor(NAVY)
    pdf.setFont("Helvetica", 5)
    pdf.drawCentredString(width - size / 2 - 3 * mm, 3 * mm, _("Scan to check coverage"))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
