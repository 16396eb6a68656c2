"""Pages of organisation sponsors' accounts: allauth's views with the portal's forms, templates and addresses.

After signing in an organisation uses the same sponsor pages as a citizen (sponsors/views.py).
"""

from allauth.account.views import (
    ConfirmEmailView,
    EmailVerificationSentView,
    LoginView,
    PasswordResetDoneView,
    PasswordResetFromKeyDoneView,
    PasswordResetFromKeyView,
    PasswordResetView,
    SignupView,
)
from django.urls import reverse_lazy

from sponsors.organisation_forms import (
    OrganisationLoginForm,
    OrganisationPasswordResetForm,
    OrganisationPasswordSetForm,
    OrganisationSignupForm,
)


class OrganisationSignupView(SignupView):
    """The only open sign-up in the portal: it makes organisation sponsor accounts (role sponsor, never staff).
    allauth's own sign-up page stays closed (core.adapters.StaffAccountAdapter)."""

    form_class = OrganisationSignupForm
    template_name = "sponsors/organisation_signup.html"

    def is_open(self):
        return True


class OrganisationLoginView(LoginView):
    form_class = OrganisationLoginForm
    template_name = "sponsors/organisation_login.html"

    def get_form_class(self):
        return self.form_class  # not ACCOUNT_FORMS["login"]: that is the staff form (a username)


signup = OrganisationSignupView.as_view()
login = OrganisationLoginView.as_view()
email_sent = EmailVerificationSentView.as_view(template_name="sponsors/organisation_email_sent.html")
confirm_email = ConfirmEmailView.as_view(template_name="sponsors/organisation_confirm_email.html")
password_reset = PasswordResetView.as_view(
    form_class=OrganisationPasswordResetForm, template_name="sponsors/organisation_password_reset.html",
    success_url=reverse_lazy("sponsors:organisation-password-reset-sent"))
password_reset_sent = PasswordResetDoneView.as_view(
    template_name="sponsors/organisation_password_reset_sent.html")
password_set = PasswordResetFromKeyView.as_view(
    form_class=OrganisationPasswordSetForm, template_name="sponsors/organisation_password_set.html",
    success_url=reverse_lazy("sponsors:organisation-password-set-done"))
password_set_done = PasswordResetFromKeyDoneView.as_view(
    template_name="sponsors/organisation_password_set_done.html")
