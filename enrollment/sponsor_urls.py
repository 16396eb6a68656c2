from django.urls import path

from enrollment import sponsor_views as views

app_name = "sponsors"

urlpatterns = [
    path("penyantun/", views.dashboard, name="dashboard"),
    path("penyantun/daftarkan/", views.register_worker, name="register"),
    path("penyantun/bayar/", views.pay, name="pay"),
    path("anggota/penyantun/", views.member_sponsors, name="member"),
]
