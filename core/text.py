"""Checks for free text people type or upload (names, places, addresses): what the forms and bulk files share.

A name made only of zero-width characters looks empty on a card; bidi controls (U+202E …) turn text around on
screens and in exports; control characters break CSV reports and SMS. None belongs in a KTP name or an address.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Unicode categories refused anywhere: controls, format characters (zero-width, bidi marks and overrides),
# private use and unpaired surrogates.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs"})


def text_problem(value: str) -> str | None:
    """What is wrong with one line of free text, in words, or None."""
    if any(unicodedata.category(ch) in REFUSED_CATEGORIES for ch in value):
        return _("It contains invisible or control characters. Please type it again.")
    return None


def plain_text_validator(value: str) -> None:
    """For form fields: the same check as text_problem."""
    problem = text_problem(str(value))
    if problem:
        raise ValidationError(problem, code="invisible_characters")
