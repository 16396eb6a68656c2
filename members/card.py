"""The membership card as a PDF: the size of a bank card, with the QR code that opens the public check page."""

from __future__ import annotations

import io

import segno
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor, white
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

CARD_SIZE = (85.6 * mm, 54 * mm)
NAVY = HexColor("#0b2545")
GREEN = HexColor("#1b7f3b")


NAME_FONT = "Helvetica-Bold"
NAME_SIZES = (8, 7.5, 7, 6.5, 6, 5.5, 5)  # points: the largest that fits, on one line or on two


def _wrap(text: str, size: float, room: float) -> list[str]:
    """Greedy by words; a word wider than the line is cut by characters (a name is printed whole, never cut off)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if stringWidth(candidate, NAME_FONT, size) <= room:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for char in word:
            if stringWidth(line + char, NAME_FONT, size) > room and line:
                lines.append(line)
                line = ""
            line += char
    if line:
        lines.append(line)
    return lines


def name_lines(name: str, room: float) -> tuple[float, list[str]]:
    """The name's font size and lines: one line when it fits at 6.5 points or more, else two lines as large as
    fit. The KTP allows long names (up to 120 characters here); the smallest size is still readable on a card."""
    name = " ".join(name.split())
    for size in NAME_SIZES[:4]:
        if stringWidth(name, NAME_FONT, size) <= room:
            return size, [name]
    for size in NAME_SIZES[1:]:
        lines = _wrap(name, size, room)
        if len(lines) <= 2:
            return size, lines
    size = NAME_SIZES[-1]
    return size, _wrap(name, size, room)  # beyond any KTP name: three lines rather than a cut


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
    size, lines = name_lines(member.full_name, width - 8 * mm)
    label_at, top = (18, 21.5) if len(lines) == 1 else (16.4, 19.7)  # two lines: label and name move up
    pdf.setFont("Helvetica", 6)
    pdf.drawString(4 * mm, height - label_at * mm, _("Name"))
    pdf.setFont(NAME_FONT, size)
    for i, line in enumerate(lines):
        pdf.drawString(4 * mm, height - top * mm - i * (size + 0.8), line)
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
