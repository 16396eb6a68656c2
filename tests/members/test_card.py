"""The card PDF prints a long name whole: shrunk, then on two lines, never cut."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from members.card import CARD_SIZE, NAME_FONT, card_pdf, name_lines

NAME_60 = "MUHAMMAD RIZKY PRATAMA SAPUTRA WIJAYAKUSUMA NUGROHO HADIKUSU"
ROOM = CARD_SIZE[0] - 8 * mm


def pdf_text(name: str) -> str:
    member = SimpleNamespace(full_name=name, kpj="12345678901", programs=["JKK", "JKM"])
    coverage = SimpleNamespace(covered=True, label="Protected")
    content = card_pdf(member=member, check_url="https://bpu.example.id/cek/abc/", coverage=coverage)
    return PdfReader(io.BytesIO(content)).pages[0].extract_text()


def test_a_60_character_name_prints_whole():
    assert len(NAME_60) == 60
    text = pdf_text(NAME_60)
    assert NAME_60 in re.sub(r"\s+", " ", text)  # over two lines, joined by a line break
    assert "12345678901" in text


@pytest.mark.parametrize("name", ["SITI RAHAYU", NAME_60, "A" * 60, ("PANJANG " * 15).strip()[:120],
                                  "NI LUH PUTU AYU KADEK SRI WAHYUNI DEWI ANAK AGUNG GEDE"])
def test_every_line_fits_the_card_and_nothing_is_dropped(name):
    size, lines = name_lines(name, ROOM)
    assert size >= 5 and len(lines) <= 3
    assert all(stringWidth(line, NAME_FONT, size) <= ROOM for line in lines)
    assert "".join(lines).replace(" ", "") == name.replace(" ", "")


def test_short_names_stay_large_and_on_one_line():
    assert name_lines("SITI RAHAYU", ROOM) == (8, ["SITI RAHAYU"])
    size, lines = name_lines(NAME_60, ROOM)
    assert len(lines) == 2 and size >= 6.5


def test_a_name_without_spaces_is_cut_by_characters_not_dropped():
    text = re.sub(r"\s+", "", pdf_text("B" * 70))
    assert "B" * 70 in text
