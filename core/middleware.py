from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import urlencode


class StaffMfaRequiredMiddleware:
    """Staff (a staff role, or Django's is_staff / is_superuser, as `createsuperuser` makes) use no page but the
    account pages until they have TOTP and have given a code in this session.

    A session signed in with the password alone before TOTP existed (set up since, elsewhere) must give a code too.
    """

    ALLOWED_PREFIXES = ("/akun/", "/static/", "/i18n/", "/keluar/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and needs_mfa(user)
            and not request.path.startswith(self.ALLOWED_PREFIXES)
        ):
            if not _has_totp(user):
                return redirect(reverse("mfa_activate_totp"))
            if not mfa_verified_in_session(request, user):
                query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
                return redirect(reverse("mfa_reauthenticate") + (f"?{query}" if query else ""))
        if (
            request.method == "POST"
            and request.path == reverse("mfa_activate_totp")
            and user is not None
            and user.is_authenticated
            and not _has_totp(user)
        ):
            response = self.get_response(request)
            # Setting TOTP up means typing a valid code: that counts as this session's second factor (allauth
            # records MFA only at sign-in and re-authentication). Checked here, not on allauth's
            # authenticator_added signal, which fires after commit and so may come after the session is saved.
            authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
            if authenticator is not None:
                record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
            return response
        return self.get_response(request)


def _has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def needs_mfa(user) -> bool:
    return bool(getattr(user, "is_portal_staff", False) or user.is_staff or user.is_superuser)


def mfa_verified_in_session(request, user) -> bool:
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, user))


class PortalLocaleMiddleware:
    """Bahasa Indonesia unless the person chose English with the switch (a cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, and many phones in Indonesia are set
    to English; the portal speaks Indonesian first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class NoStoreMiddleware:
    """Nothing shown to a signed-in person, and no API answer, is kept by a browser or a proxy: member pages, cards,
    receipts, claims and their documents, staff and sponsor pages all carry personal data (the back button on a
    shared phone, a kiosk's disk cache). Static files never come here (WhiteNoise answers them first); public
    pages with personal data (the card check) use `never_cache` themselves."""

    API_PREFIX = "/api/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        personal = (user is not None and user.is_authenticated) or request.path.startswith(self.API_PREFIX)
        if personal and "no-store" not in response.get("Cache-Control", ""):  # a view's own no-store stays as is
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private
        return response
