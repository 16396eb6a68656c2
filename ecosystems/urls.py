from django.urls import path, re_path

from ecosystems import views

app_name = "ecosystems"

REGION = r"(?P<code>\d{2}(?:\.\d{2})?)"

urlpatterns = [
    path("staf/dasbor/", views.dashboard_nation, name="nation"),
    re_path(r"^staf/dasbor/ekspor\.(?P<fmt>csv|xlsx)$", views.dashboard_export, name="export"),
    re_path(rf"^staf/dasbor/{REGION}/$", views.dashboard_region, name="region"),
    re_path(rf"^staf/dasbor/{REGION}/ekspor\.(?P<fmt>csv|xlsx)$", views.dashboard_region_export, name="export-region"),
]
