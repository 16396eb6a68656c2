"""Fields the claims forms share: what a document upload accepts and a date field with our messages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DATE_INPUT_FORMATS

ACCEPT = "image/*,application/pdf"


def _date_field(label, *, required=True, help_text=""):
    return forms.DateField(
        label=label, required=required, input_formats=DATE_INPUT_FORMATS, help_text=help_text,
        error_messages={"required": _("Please enter the date."),
                        "invalid": _("Please write the date as day-month-year, for example 17-08-2026.")},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
