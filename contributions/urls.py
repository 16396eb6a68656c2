from django.urls import path

from contributions import autodebit_views, views

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
    path("anggota/debit-otomatis/", autodebit_views.autodebit, name="autodebit"),
    path("anggota/debit-otomatis/atur/", autodebit_views.autodebit_setup, name="autodebit-setup"),
    path("anggota/debit-otomatis/<int:mandate_id>/cabut/", autodebit_views.autodebit_revoke, name="autodebit-revoke"),
    path("penyantun/pekerja/<int:member_id>/debit-otomatis/", autodebit_views.autodebit, name="autodebit-worker"),
    path("penyantun/pekerja/<int:member_id>/debit-otomatis/atur/", autodebit_views.autodebit_setup,
         name="autodebit-setup-worker"),
    # The provider's callback sits with the payment webhook under /api/v1/ (config/api_urls.py is not ours).
    path("api/v1/payments/webhooks/simulator/debit/", autodebit_views.SimulatorDebitCallbackView.as_view(),
         name="api-webhook-simulator-debit"),
]
