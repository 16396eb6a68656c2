"""The portal's URLs plus views that fail on purpose, for the error page tests."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from config.urls import urlpatterns as portal


def _forbidden(request):
    raise PermissionDenied


def _bad(request):
    raise SuspiciousOperation("test")


def _broken(request):
    raise RuntimeError("test")


urlpatterns = [
    path("uji/403/", _forbidden),
    path("uji/400/", _bad),
    path("uji/500/", _broken),
    *portal,
]
