from django.urls import path

from claims import api as claims_api
from contributions import api as contributions_api
from core import api as core_api
from enrollment import api as enrollment_api
from partners import api as partner_api

urlpatterns = [
    path("auth/code/request/", enrollment_api.CodeRequestView.as_view(), name="api-code-request"),
    path("auth/code/verify/", enrollment_api.CodeVerifyView.as_view(), name="api-code-verify"),
    path("auth/logout/", enrollment_api.LogoutView.as_view(), name="api-logout"),
    path("auth/logout-all/", enrollment_api.LogoutAllView.as_view(), name="api-logout-all"),
    path("regions/", enrollment_api.RegionListView.as_view(), name="api-regions"),
    path("occupations/", enrollment_api.OccupationListView.as_view(), name="api-occupations"),
    path("income-bases/", enrollment_api.IncomeBaseListView.as_view(), name="api-income-bases"),
    path("registrations/", enrollment_api.RegistrationView.as_view(), name="api-registrations"),
    path("members/me/", enrollment_api.MemberMeView.as_view(), name="api-member-me"),
    path("members/me/claim/", enrollment_api.MemberClaimView.as_view(), name="api-member-claim"),
    path("partner/members/", partner_api.PartnerMembersView.as_view(), name="api-partner-members"),
    path("partner/members/<str:kpj>/", partner_api.PartnerMemberDetailView.as_view(), name="api-partner-member"),
    path("partner/payments/", partner_api.PartnerPaymentsView.as_view(), name="api-partner-payments"),
    path("tariffs/quote", contributions_api.TariffQuoteView.as_view(), name="api-tariff-quote"),
    path("payments/webhooks/simulator/", contributions_api.SimulatorWebhookView.as_view(),
         name="api-webhook-simulator"),
    path("notifications/receipts/", core_api.GatewayReceiptView.as_view(), name="api-notification-receipt"),
    path("claims/", claims_api.ClaimListView.as_view(), name="api-claims"),
    path("claims/<str:number>/", claims_api.ClaimDetailView.as_view(), name="api-claim"),
    path("claims/<str:number>/documents/<str:document_id>/", claims_api.ClaimDocumentView.as_view(),
         name="api-claim-document"),
]
