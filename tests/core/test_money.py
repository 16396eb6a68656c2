from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from core.money import format_idr, round_idr


def test_format_indonesian():
    with translation.override("id"):
        assert format_idr(36_800) == "Rp36.800"
        assert format_idr(20_700_000) == "Rp20.700.000"
        assert format_idr(0) == "Rp0"
        assert format_idr(999) == "Rp999"
        assert format_idr(-16_800) == "-Rp16.800"


def test_format_english():
    with translation.override("en"):
        assert format_idr(36_800) == "Rp36,800"
        assert format_idr(20_700_000) == "Rp20,700,000"
        assert format_idr(-16_800) == "-Rp16,800"


def test_explicit_language_wins():
    with translation.override("id"):
        assert format_idr(36_800, language="en") == "Rp36,800"
    with translation.override("en"):
        assert format_idr(36_800, language="id") == "Rp36.800"
        assert format_idr(36_800, language="en-us") == "Rp36,800"


@pytest.mark.parametrize("amount", [36800.0, Decimal("36800"), "36800", None])
def test_format_refuses_non_integers(amount):
    with pytest.raises(TypeError):
        format_idr(amount)


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_format_round_trips(amount):
    id_text = format_idr(amount, language="id")
    en_text = format_idr(amount, language="en")
    assert id_text.replace(".", ",") == en_text
    assert int(id_text.replace("Rp", "").replace(".", "")) == amount
    assert "," not in id_text and "." not in en_text


@pytest.mark.parametrize(
    "amount, expected",
    [
        ("0.5", 1),
        ("1.5", 2),
        ("2.5", 3),  # half-up, not banker's rounding
        ("2.4999", 2),
        ("3400.5", 3401),
        ("-2.5", -3),  # halves away from zero
        ("-2.4", -2),
        ("10000", 10000),
    ],
)
def test_round_idr_half_up(amount, expected):
    result = round_idr(Decimal(amount))
    assert result == expected
    assert type(result) is int


def test_round_idr_refuses_floats():
    with pytest.raises((TypeError, AttributeError)):
        round_idr(2.5)


def test_rupiah_template_filter_follows_language():
    template = Template("{% load portal %}{{ amount|rupiah }}|{{ empty|rupiah }}")
    with translation.override("id"):
        assert template.render(Context({"amount": 16800, "empty": None})) == "Rp16.800|"
    with translation.override("en"):
        assert template.render(Context({"amount": 16800, "empty": ""})) == "Rp16,800|"
