from django.urls import path

from ecosystems import target_views as views

app_name = "targets"

urlpatterns = [
    path("staf/target/", views.targets, name="list"),
    path("staf/target/unggah/<slug:kind>/", views.targets_upload, name="upload"),
    path("staf/target/templat-target.csv", views.targets_template, name="template-targets"),
    path("staf/target/templat-tenaga-kerja.csv", views.workforce_template, name="template-workforce"),
]
