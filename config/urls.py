from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.views import admin_login

# The admin signs in through the staff sign-in (allauth) too, so TOTP cannot be skipped at /admin/login/.
admin.site.login = admin_login  # type: ignore[method-assign]  # replaced on purpose, see above

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("akun/", include("allauth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI sets inline styles; only this page relaxes style-src.
    path("api/docs/", csp_update({"style-src": ["'unsafe-inline'"]})(
        SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("api/v1/", include("config.api_urls")),
    path("", include("enrollment.urls")),
    path("", include("contributions.urls")),
    path("", include("sponsors.urls")),
    path("", include("agents.urls")),
    path("", include("sponsors.bulk_urls")),
    path("", include("claims.urls")),
    path("", include("core.urls")),
    path("", include("ecosystems.urls")),
    path("", include("ecosystems.target_urls")),
]
