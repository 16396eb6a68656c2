"""Free text (names, places, addresses) refuses invisible and control characters, in the forms and in bulk files."""

import pytest

from core.text import text_problem


@pytest.mark.parametrize("value", ["\u200b\u200b", "SITI \u202eAYAHAR", "Jl. A\x07", "BUDI\u2066", "A\ufeffB",
                                   "tab\there", "\ue000"])
def test_invisible_bidi_and_control_characters_are_refused(value):
    assert text_problem(value) is not None


@pytest.mark.parametrize("value", ["SITI RAHAYU", "Jl. Melati 5 RT 2/RW 3", "NGUYỄN THỊ", "O'NEIL-SARAGIH", ""])
def test_ordinary_names_and_addresses_pass(value):
    assert text_problem(value) is None


def test_the_identity_form_says_so_next_to_the_name(english):
    from enrollment.forms import IdentityForm

    form = IdentityForm(data={"nik": "3174015708900001", "full_name": "\u200b\u200b", "birth_place": "Jakarta\u202e",
                              "birth_date": "17-08-1990", "gender": "P"}, check_registered=False)
    assert not form.is_valid()
    assert "invisible or control characters" in form.errors["full_name"][0]
    assert "invisible or control characters" in form.errors["birth_place"][0]
