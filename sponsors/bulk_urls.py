from django.urls import path

from sponsors import bulk_views as views

app_name = "bulk"

urlpatterns = [
    path("penyantun/impor/", views.imports, name="imports"),
    path("penyantun/impor/templat.csv", views.template, name="template"),
    path("penyantun/impor/<int:import_id>/", views.detail, name="detail"),
    path("penyantun/impor/<int:import_id>/daftarkan/", views.commit, name="commit"),
    path("penyantun/impor/<int:import_id>/ulangi/", views.retry, name="retry"),
    path("penyantun/impor/<int:import_id>/laporan.csv", views.report, name="report"),
    path("staf/impor/", views.staff_imports, name="staff"),
]
