from django.urls import path

from enrollment import views

app_name = "enrollment"

urlpatterns = [
    path("daftar/", views.register_start, name="start"),
    path("daftar/identitas/", views.identity, name="identity"),
    path("daftar/alamat/", views.address, name="address"),
    path("daftar/iuran/", views.contribution, name="contribution"),
    path("daftar/tinjau/", views.review, name="review"),
    path("anggota/", views.member_home, name="member-home"),
    path("anggota/klaim/", views.claim, name="claim"),
    path("anggota/kartu/", views.member_card, name="card"),
    path("anggota/pesan/", views.message_preferences, name="messages"),
    path("anggota/kartu.pdf", views.member_card_pdf, name="card-pdf"),
    path("cek/<str:token>/", views.card_check, name="card-check"),
]
