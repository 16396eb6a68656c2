"""Bukti bayar (receipt) as a PDF, A5 portrait."""

from __future__ import annotations

import io

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from core.money import format_idr

NAVY = HexColor("#0b2545")


def receipt_pdf(*, payment, allocations, member_name: str | None = None) -> bytes:
    buffer = io.BytesIO()
    width, height = A5
    pdf = canvas.Canvas(buffer, pagesize=A5)
    pdf.setTitle(f"{_('Payment receipt')} {payment.receipt_number}")
    pdf.setFillColor(NAVY)
    pdf.rect(0, height - 22 * mm, width, 22 * mm, stroke=0, fill=1)
    pdf.setFillColor(HexColor("#ffffff"))
    pdf.setFont("Helvetica-Bold", 13)
    pdf.drawString(12 * mm, height - 11 * mm, "BPJS Ketenagakerjaan")
    pdf.setFont("Helvetica", 10)
    pdf.drawString(12 * mm, height - 17 * mm, _("Payment receipt (bukti bayar)"))

    y = height - 32 * mm
    paid_at = timezone.localtime(payment.paid_at)
    rows = [
        (_("Receipt number"), payment.receipt_number),
        (_("Paid on"), formats.date_format(paid_at, "j F Y H:i")),
        (_("Participant number (KPJ)"), payment.member.kpj if payment.member else _("several, see below")),
        (_("Name"), (member_name or payment.member.masked_name) if payment.member
         else payment.order.payer.get_full_name() or "-"),
        (_("Channel"), payment.get_channel_display()),
        (_("Reference"), payment.provider_reference[:32]),
    ]
    pdf.setFillColor(NAVY)
    for label, value in rows:
        pdf.setFont("Helvetica", 9)
        pdf.drawString(12 * mm, y, str(label))
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawString(60 * mm, y, str(value))
        y -= 7 * mm
    y -= 3 * mm
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(12 * mm, y, _("Months paid"))
    y -= 6 * mm
    pdf.setFont("Helvetica", 10)
    for entry in allocations:
        month = formats.date_format(entry.bill.month, "F Y")
        pdf.drawString(16 * mm, y, month if payment.member else f"{entry.member.kpj}  {month}")
        pdf.drawRightString(width - 12 * mm, y, format_idr(entry.amount_idr))
        y -= 6 * mm
    pdf.line(12 * mm, y + 2 * mm, width - 12 * mm, y + 2 * mm)
    y -= 4 * mm
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawString(12 * mm, y, _("Total"))
    pdf.drawRightString(width - 12 * mm, y, format_idr(payment.amount_idr))
    pdf.setFont("Helvetica", 8)
    pdf.drawString(12 * mm, 12 * mm, _("This receipt is issued electronically and is valid without a signature."))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
