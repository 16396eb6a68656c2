from django.urls import path

from claims import views

app_name = "claims"

urlpatterns = [
    path("klaim/", views.claim_list, name="list"),
    path("klaim/ajukan/", views.claim_file_worker, name="file"),
    path("klaim/ahli-waris/", views.heir_start, name="heir"),
    path("klaim/ahli-waris/data/", views.heir_claim, name="heir-claim"),
    path("klaim/<str:number>/", views.claim_detail, name="detail"),
    path("klaim/<str:number>/dokumen/", views.claim_document_add, name="document-add"),
    path("klaim/<str:number>/beasiswa/", views.scholarship_heir, name="scholarship"),
    path("klaim/<str:number>/dokumen/<int:document_id>/", views.claim_document, name="document"),
    path("staf/aturan/", views.staff_rules, name="staff-rules"),
    path("staf/klaim/", views.staff_queue, name="staff-queue"),
    path("staf/klaim/<int:pk>/", views.staff_claim, name="staff-claim"),
    path("staf/klaim/<int:pk>/dokumen/<int:document_id>/", views.staff_document, name="staff-document"),
    path("staf/klaim/<int:pk>/beasiswa/", views.scholarship_staff, name="staff-scholarship"),
]
