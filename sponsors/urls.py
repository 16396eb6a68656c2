from django.urls import path, re_path

from sponsors import organisation_views as organisations
from sponsors import views

app_name = "sponsors"

urlpatterns = [
    path("penyantun/", views.dashboard, name="dashboard"),
    path("penyantun/daftarkan/", views.register_worker, name="register"),
    path("penyantun/bayar/", views.pay, name="pay"),
    path("penyantun/pesan/", views.message_preferences, name="messages"),
    path("anggota/penyantun/", views.member_sponsors, name="member"),
    # Organisations (company CSR, foundations): email + password, through allauth.
    path("penyantun/organisasi/daftar/", organisations.signup, name="organisation-signup"),
    path("penyantun/organisasi/masuk/", organisations.login, name="organisation-login"),
    path("penyantun/organisasi/cek-email/", organisations.email_sent, name="organisation-email-sent"),
    re_path(r"^penyantun/organisasi/konfirmasi/(?P<key>[-:\w]+)/$", organisations.confirm_email,
            name="organisation-confirm"),
    path("penyantun/organisasi/lupa-kata-sandi/", organisations.password_reset, name="organisation-password-reset"),
    path("penyantun/organisasi/lupa-kata-sandi/terkirim/", organisations.password_reset_sent,
         name="organisation-password-reset-sent"),
    path("penyantun/organisasi/kata-sandi-baru/selesai/", organisations.password_set_done,
         name="organisation-password-set-done"),
    re_path(r"^penyantun/organisasi/kata-sandi-baru/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
            organisations.password_set, name="organisation-password-set"),
]
