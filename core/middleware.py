from django.shortcuts import redirect
from django.urls import reverse


class StaffMfaRequiredMiddleware:
    """Portal staff must set up TOTP before they can use any staff page."""

    ALLOWED_PREFIXES = ("/akun/", "/static/", "/i18n/", "/keluar/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "is_portal_staff", False)
            and not request.path.startswith(self.ALLOWED_PREFIXES)
        ):
            from allauth.mfa.models import Authenticator

            if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
