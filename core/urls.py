from django.urls import path

from core import simulator_views, views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("masuk/", views.signin_phone, name="login"),
    path("masuk/kode/", views.signin_code, name="signin-code"),
    path("masuk/lanjut/", views.after_login, name="after-login"),
    path("masuk/pilih/", views.choose_home, name="choose-home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("pengembang/", views.developers, name="developers"),
    path("keluar/", views.signout, name="logout"),
    path("staf/", views.staff_home, name="staff-home"),
    path("staf/kotak-keluar/", views.staff_outbox, name="staff-outbox"),
    path("staf/tugas/", views.staff_jobs, name="staff-jobs"),
    path("simulator/sms/", simulator_views.sms_simulator_inbox, name="sms-simulator"),
    path("simulator/sms/api/v1/messages", simulator_views.sms_simulator_send, name="sms-simulator-send"),
]
