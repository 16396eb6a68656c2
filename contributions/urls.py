from django.urls import path

from contributions import views

app_name = "contributions"

urlpatterns = [
    path("kalkulator/", views.calculator, name="calculator"),
    path("anggota/iuran/", views.contributions_home, name="home"),
    path("anggota/bayar/", views.pay, name="pay"),
    path("anggota/aktifkan-kembali/", views.reactivate, name="reactivate"),
    path("anggota/bayar/<int:order_id>/", views.order, name="order"),
    path("anggota/bukti-bayar/<str:receipt_number>/", views.receipt, name="receipt"),
    path("anggota/bukti-bayar/<str:receipt_number>.pdf", views.receipt_download, name="receipt-pdf"),
    path("staf/peserta/", views.staff_member, name="staff-member"),
    path("staf/rekonsiliasi/", views.staff_reconciliation, name="staff-reconciliation"),
    path("simulator/", views.simulator, name="simulator"),
    path("simulator/bayar/", views.simulator_pay, name="simulator-pay"),
]
