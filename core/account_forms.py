"""allauth's sign-in form for staff (ACCOUNT_FORMS): a username, as before organisations could sign in by email."""

from allauth.account.forms import LoginForm
from django import forms
from django.utils.translation import gettext_lazy as _


class StaffLoginForm(LoginForm):
    """Email addresses sign in sponsor accounts only (enrollment.organisation_auth), so staff are asked for their
    username."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"] = forms.CharField(
            label=_("Username"), max_length=150,
            widget=forms.TextInput(attrs={"placeholder": _("Username"), "autocomplete": "username"}))
        self.order_fields(["login", "password", "remember"])
