"""Read-only JSON API for claims, scoped exactly as the pages are (claims.selectors): a claimant sees the claims
they filed, branch staff and supervisors their branch's queue, admins every branch. A claim or document outside
that is a 404, as on the pages, so a number does not say whether it exists. Documents stream through the same
checks as on the pages (document_for_user, document_response)."""

from __future__ import annotations

import datetime as dt
import re

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from claims import selectors
from claims.models import ClaimStatus, ClaimType, DocumentKind, HeirRelationship
from claims.rules import claim_sla
from claims.uploads import document_response
from core.api import ErrorResponseSerializer
from core.models import STAFF_ROLES, Role

NUMBER = OpenApiParameter("number", str, OpenApiParameter.PATH, pattern=r"^KLM-[0-9]{4}-[0-9]{7}$",
                          description="Claim number, e.g. KLM-2026-0000001")
DOCUMENT_ID = OpenApiParameter("document_id", {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
                               OpenApiParameter.PATH, description="A document id from the claim's checklist")


def _is_staff(user) -> bool:
    return user.role in STAFF_ROLES


# --- shapes ------------------------------------------------------------------------------------------------------


class ClaimFilterIn(serializers.Serializer):
    claim_type = serializers.ChoiceField(choices=ClaimType.choices, required=False)
    status = serializers.ChoiceField(choices=ClaimStatus.choices, required=False,
                                     help_text="Staff: without it, the open claims only")
    older_than_days = serializers.IntegerField(min_value=0, max_value=3650, required=False,
                                               help_text="Filed at least this many days ago")


class SlaOut(serializers.Serializer):
    working_days = serializers.IntegerField(allow_null=True, help_text="The promise; null: none for this type")
    started = serializers.DateField(allow_null=True, help_text="The day the documents were complete")
    due = serializers.DateField(allow_null=True)
    days_left = serializers.IntegerField(allow_null=True, help_text="Working days left; negative: late by that many")
    breached = serializers.BooleanField()
    stopped = serializers.BooleanField(help_text="Paid or rejected: the clock no longer runs")
    note = serializers.CharField()


class MemberRefOut(serializers.Serializer):
    kpj = serializers.CharField()
    full_name = serializers.CharField()


class BranchRefOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ClaimSummaryOut(serializers.Serializer):
    number = serializers.CharField()
    claim_type = serializers.ChoiceField(choices=ClaimType.choices)
    claim_type_label = serializers.CharField(source="get_claim_type_display")
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    member = MemberRefOut()
    branch = BranchRefOut()
    event_date = serializers.DateField()
    filed_at = serializers.DateTimeField(source="created_at")
    status_changed_at = serializers.DateTimeField()
    reported_late = serializers.BooleanField(help_text="An accident reported more than 2×24 hours after it happened")
    # Set on the row by the staff reads (branch_queue, the detail); null for a claimant.
    age_days = serializers.IntegerField(allow_null=True, help_text="Staff only: days since filing")
    sla = SlaOut(allow_null=True, help_text="Staff only: the service-level clock")


class DocumentOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text="pending, valid or invalid")
    review_note = serializers.CharField(help_text="Why staff need another one")
    content_type = serializers.CharField()
    size_bytes = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()
    download = serializers.SerializerMethodField(help_text="Where the file is sent from (this API)")

    def get_download(self, document) -> str:
        url = reverse("api-claim-document", args=[self.context["claim_number"], document.pk])
        return self.context["request"].build_absolute_uri(url)


class ChecklistItemOut(serializers.Serializer):
    # The serializer's metaclass takes declared fields off the class: these do not hide Field.label or .required.
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    label = serializers.CharField()  # type: ignore[assignment]
    required = serializers.BooleanField()  # type: ignore[assignment]
    requested = serializers.BooleanField(help_text="Staff asked for it in the open request for more documents")
    status = serializers.CharField(help_text="missing, or the latest document's: pending, valid or invalid")
    note = serializers.CharField()
    document = DocumentOut(allow_null=True, help_text="The latest document of this kind")


class HeirOut(serializers.Serializer):
    name = serializers.CharField(source="heir_name")
    relationship = serializers.ChoiceField(source="heir_relationship", choices=HeirRelationship.choices)
    nik_masked = serializers.SerializerMethodField()

    def get_nik_masked(self, claim) -> str:
        return selectors.claim_heir_nik_masked(claim=claim)


class BankOut(serializers.Serializer):
    bank_name = serializers.CharField()
    account_holder = serializers.CharField()
    account_number_masked = serializers.CharField()


class EventOut(serializers.Serializer):
    date = serializers.DateField(source="event_date")
    time = serializers.TimeField(source="event_time", allow_null=True)
    place = serializers.CharField(source="event_place")
    description = serializers.CharField(source="event_description")
    commuting = serializers.BooleanField(allow_null=True)
    traffic_accident = serializers.BooleanField(allow_null=True)


class PayoutOut(serializers.Serializer):
    amount_idr = serializers.IntegerField(help_text="Benefit + refunded contributions")
    bank_name = serializers.CharField()
    account_holder = serializers.CharField()
    account_number_masked = serializers.CharField()
    transfer_reference = serializers.CharField()
    paid_at = serializers.DateTimeField()


class ClaimOut(ClaimSummaryOut):
    event = EventOut(source="*")
    heir = serializers.SerializerMethodField(help_text="Null unless an heir filed the claim")
    bank = BankOut(source="*")
    documents_complete_at = serializers.DateTimeField(allow_null=True)
    verified_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField()
    requested_note = serializers.SerializerMethodField(help_text="What staff asked for, while more are needed")
    benefit_idr = serializers.SerializerMethodField(help_text="Once approved (staff: once calculated)")
    refund_idr = serializers.SerializerMethodField(help_text="Once approved (staff: once calculated)")
    checklist = serializers.SerializerMethodField()
    payout = serializers.SerializerMethodField(help_text="Once paid")

    def _amounts_shown(self, claim) -> bool:
        # Verified is internal: a claimant learns the amount with the approval, as the message says.
        return self.context["staff"] or claim.status in (ClaimStatus.APPROVED, ClaimStatus.PAID)

    @extend_schema_field(HeirOut(allow_null=True))
    def get_heir(self, claim):
        return HeirOut(claim).data if claim.heir_relationship else None

    def get_requested_note(self, claim) -> str:
        if claim.status != ClaimStatus.MORE_DOCUMENTS:
            return ""
        return (claim.details.get("requested") or {}).get("note", "")

    def get_benefit_idr(self, claim) -> int | None:
        return claim.benefit_idr if self._amounts_shown(claim) else None

    def get_refund_idr(self, claim) -> int | None:
        return claim.refund_idr if self._amounts_shown(claim) else None

    @extend_schema_field(ChecklistItemOut(many=True))
    def get_checklist(self, claim):
        context = {**self.context, "claim_number": claim.number}
        return ChecklistItemOut(selectors.claim_checklist(claim=claim), many=True, context=context).data

    @extend_schema_field(PayoutOut(allow_null=True))
    def get_payout(self, claim):
        payout = getattr(claim, "payout", None) if claim.status == ClaimStatus.PAID else None
        return PayoutOut(payout).data if payout is not None else None


ERRORS = {code: ErrorResponseSerializer for code in (400, 401, 403, 404)}
READ_ERRORS = {code: ErrorResponseSerializer for code in (401, 404)}


# --- views -------------------------------------------------------------------------------------------------------


class ClaimsView(APIView):
    def handle_exception(self, exc):
        # The selectors raise Django's Http404: answered as the API's not_found, without naming the model.
        return super().handle_exception(NotFound() if isinstance(exc, Http404) else exc)


class ClaimListView(ClaimsView):
    @extend_schema(
        parameters=[ClaimFilterIn], responses={200: ClaimSummaryOut(many=True), **ERRORS}, tags=["claims"],
        summary="Claims: a claimant's own; branch staff their branch's queue (oldest first, with the service-level "
                "clock); admins every branch's",
    )
    def get(self, request):
        # A plain dict: an empty parameter (?status=) is refused rather than silently dropped.
        filters = ClaimFilterIn(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        user = request.user
        if user.role == Role.PARTNER:
            raise PermissionDenied(_("Partner systems have no claims."))
        if _is_staff(user):
            try:
                selectors.staff_branch_id(viewer=user)
            except Http404:
                raise PermissionDenied(_("Your account is not assigned to a branch yet, so it has no claims queue. "
                                         "An administrator assigns branches under Administration.")) from None
            queue = selectors.branch_queue(viewer=user, claim_type=f.get("claim_type"), status=f.get("status"),
                                           older_than_days=f.get("older_than_days"))
            return Response(ClaimSummaryOut(queue, many=True).data)
        claims = selectors.claims_for_claimant(viewer=user)
        if f.get("claim_type"):
            claims = claims.filter(claim_type=f["claim_type"])
        if f.get("status"):
            claims = claims.filter(status=f["status"])
        if f.get("older_than_days") is not None:
            claims = claims.filter(created_at__lte=timezone.now() - dt.timedelta(days=f["older_than_days"]))
        return Response(ClaimSummaryOut(claims, many=True).data)


def _claim_for(user, number: str):
    """The claim as the pages find it: staff within their branch (admins any), everyone else their own."""
    if _is_staff(user):
        claim = get_object_or_404(selectors.claims_for_staff(viewer=user).select_related("payout"), number=number)
        claim.sla = claim_sla(claim=claim)
        claim.age_days = (timezone.localdate() - timezone.localtime(claim.created_at).date()).days
        return claim
    return selectors.claim_for_claimant(viewer=user, number=number)


class ClaimDetailView(ClaimsView):
    @extend_schema(parameters=[NUMBER], responses={200: ClaimOut, **READ_ERRORS}, tags=["claims"],
                   summary="One claim: status, dates, the document checklist and the payout once paid")
    def get(self, request, number):
        claim = _claim_for(request.user, number)
        context = {"request": request, "staff": _is_staff(request.user)}
        return Response(ClaimOut(claim, context=context).data)


class ClaimDocumentView(ClaimsView):
    def perform_content_negotiation(self, request, force=False):
        # A file is asked for with any Accept header; errors still go out as JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        parameters=[NUMBER, DOCUMENT_ID],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, (200, "image/jpeg"): OpenApiTypes.BINARY,
                   **READ_ERRORS},
        tags=["claims"], summary="One uploaded document of a claim, as stored (for its claimant or branch staff)",
    )
    def get(self, request, number, document_id: str):
        # Routed as text so that a malformed id is this API's JSON 404 too, not the site's HTML one.
        if not re.fullmatch(r"[0-9]{1,19}", document_id) or not 0 < int(document_id) < 2**63:
            raise NotFound
        document = selectors.document_for_user(viewer=request.user, pk=int(document_id))
        if document.claim.number != number:
            raise Http404
        return document_response(document)
