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


class PortalLocaleMiddleware:
    """Bahasa Indonesia unless the person chose English with the switch (a cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, and many phones in Indonesia are set
    to English; the portal speaks Indonesian first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.utils import translation
        from django.utils.cache import patch_vary_headers

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
        from django.utils.cache import add_never_cache_headers

        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith(self.API_PREFIX):
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private
        return response
