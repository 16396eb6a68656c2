"""Partner API: e-commerce platforms, banks and the mobile app register members and pay with a scoped API key.

Every write needs an Idempotency-Key header; a replay returns the first response.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from contributions.services.payments import PaymentRefused, payment_order_create
from core.api import ErrorResponseSerializer
from core.forms import PhoneForm
from core.idempotency import HEADER, idempotent
from core.views import client_ip
from enrollment.api import MemberOut, RegistrationIn
from enrollment.services import member_register
from members.models import Member, PartnerKey, PartnerScope, RegistrationChannel
from members.selectors import partner_key_for
from members.services import RegistrationData, partner_key_used, worker_account_for_phone

ERRORS = {code: ErrorResponseSerializer for code in (400, 401, 403, 404, 409, 422, 429)}
IDEMPOTENCY = OpenApiParameter(HEADER, str, OpenApiParameter.HEADER, required=True,
                               description="Unique per write; a replay returns the first response")


class PartnerKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key bpu_<prefix>_<secret>`; revoked keys and inactive partners are refused."""

    keyword = "Api-Key"

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if not header.startswith(self.keyword + " "):
            return None
        plaintext = header[len(self.keyword) + 1:].strip()
        key = partner_key_for(plaintext=plaintext)
        if key is None or key.revoked_at is not None or not key.partner.active:
            raise exceptions.AuthenticationFailed(_("This API key is not valid or has been revoked."))
        partner_key_used(key_id=key.pk)
        return key.partner.user, key

    def authenticate_header(self, request):
        return self.keyword


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = PartnerKeyAuthentication
    name = "PartnerApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Api-Key bpu_<prefix>_<secret>"}


def has_scope(scope):
    class HasScope(BasePermission):
        message = _("This API key may not do this.")

        def has_permission(self, request, view):
            return isinstance(request.auth, PartnerKey) and scope in request.auth.scopes

    return HasScope


class PartnerThrottle(SimpleRateThrottle):
    scope = "partner"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, PartnerKey):
            return f"throttle_partner_{request.auth.partner_id}"
        return None


def _owner(request) -> str:
    return f"partner:{request.auth.partner_id}"


class PartnerView(APIView):
    authentication_classes = [PartnerKeyAuthentication]
    throttle_classes = [PartnerThrottle]


class PartnerRegistrationIn(RegistrationIn):
    phone = serializers.CharField(max_length=20, help_text="The worker's mobile number; they sign in with it later")

    def validate_phone(self, value):
        form = PhoneForm(data={"phone": value})
        if not form.is_valid():
            raise serializers.ValidationError([str(e) for e in form.errors["phone"]])
        return str(form.cleaned_data["phone"])


class PartnerMembersView(PartnerView):
    permission_classes = [has_scope(PartnerScope.REGISTER)]

    @extend_schema(request=PartnerRegistrationIn, responses={201: MemberOut, **ERRORS}, parameters=[IDEMPOTENCY],
                   tags=["partner"], summary="Register a worker as a BPU member")
    @idempotent(_owner)
    def post(self, request):
        data = PartnerRegistrationIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        user = worker_account_for_phone(phone=v["phone"], actor=request.user)  # None: the worker claims it later
        member = member_register(
            data=RegistrationData(
                nik=v["nik"], full_name=v["full_name"], birth_place=v["birth_place"], birth_date=v["birth_date"],
                gender=v["gender"], phone=v["phone"], email=v["email"], village_code=v["village_code"],
                address_line=v["address_line"], occupation_code=v["occupation"],
                income_base_idr=v["income_base_idr"], programs=list(v["programs"]), consent=v["consent"],
            ),
            user=user, actor=request.user, channel=RegistrationChannel.API, ip_address=client_ip(request),
            partner=request.auth.partner,
        )
        return Response(MemberOut(member, context={"request": request}).data, status=status.HTTP_201_CREATED)


class PartnerMemberDetailView(PartnerView):
    permission_classes = [has_scope(PartnerScope.READ)]

    @extend_schema(responses={200: MemberOut, **ERRORS}, tags=["partner"], summary="A member this partner registered")
    def get(self, request, kpj):
        member = Member.objects.filter(kpj=kpj, partner=request.auth.partner).first()
        if member is None:
            raise exceptions.NotFound(_("No member with this participant number was registered by you."))
        return Response(MemberOut(member, context={"request": request}).data)


class PaymentIn(serializers.Serializer):
    kpj = serializers.RegexField(r"^[0-9]{11}$")
    months = serializers.ChoiceField(choices=[1, 3, 6, 12])


class OrderOut(serializers.Serializer):
    order_id = serializers.IntegerField(source="pk")
    kpj = serializers.CharField(source="member.kpj")
    months = serializers.ListField(child=serializers.CharField())
    amount_idr = serializers.IntegerField()
    va_number = serializers.CharField()
    qris_payload = serializers.CharField()
    expires_at = serializers.DateTimeField()
    status = serializers.CharField()


class PartnerPaymentsView(PartnerView):
    permission_classes = [has_scope(PartnerScope.PAY)]

    @extend_schema(request=PaymentIn, responses={201: OrderOut, **ERRORS}, parameters=[IDEMPOTENCY],
                   tags=["partner"], summary="Ask to pay 1, 3, 6 or 12 months for a member this partner registered")
    @idempotent(_owner)
    def post(self, request):
        data = PaymentIn(data=request.data)
        data.is_valid(raise_exception=True)
        member = Member.objects.select_related("occupation").filter(
            kpj=data.validated_data["kpj"], partner=request.auth.partner).first()
        if member is None:
            raise exceptions.NotFound(_("No member with this participant number was registered by you."))
        try:
            order = payment_order_create(member=member, months_count=data.validated_data["months"],
                                         payer=request.user)
        except PaymentRefused as refused:
            raise exceptions.PermissionDenied(refused.message) from None
        return Response(OrderOut(order).data, status=status.HTTP_201_CREATED)



