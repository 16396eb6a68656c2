"""JSON API for registration: the same services as the web steps, for partner systems and the mobile app."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from knox.auth import TokenAuthentication
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from contributions.api import QuoteLineOut
from contributions.selectors import coverage_status
from core import services as core_services
from core.api import ErrorResponseSerializer
from core.choices import Gender
from core.forms import PhoneForm
from core.views import client_ip
from enrollment.services import member_register
from members.models import Occupation, RegistrationChannel
from members.selectors import member_for_user, member_monthly_quote
from members.services import ClaimRefused, ClaimThrottled, RegistrationData, identity_check_allow, member_claim
from reference.models import Program
from reference.selectors import region_children
from reference.tariffs import income_bases

ERRORS = {400: ErrorResponseSerializer, 401: ErrorResponseSerializer, 403: ErrorResponseSerializer,
          404: ErrorResponseSerializer, 429: ErrorResponseSerializer}


class PhoneIn(serializers.Serializer):
    phone = serializers.CharField(max_length=20)

    def validate_phone(self, value):
        form = PhoneForm(data={"phone": value})
        if not form.is_valid():
            raise serializers.ValidationError([str(e) for e in form.errors["phone"]])
        return str(form.cleaned_data["phone"])


class CodeIn(PhoneIn):
    code = serializers.RegexField(r"^[0-9]{6}$", error_messages={"invalid": gettext_lazy("The code has 6 digits.")})


class TokenOut(serializers.Serializer):
    token = serializers.CharField()
    registered = serializers.BooleanField(help_text="Whether this phone already belongs to a member")


class CodeRequestView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=PhoneIn, responses={202: None, **ERRORS}, tags=["auth"],
                   summary="Send a one-time sign-in code by SMS")
    def post(self, request):
        data = PhoneIn(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            core_services.phone_code_request(phone=data.validated_data["phone"], ip_address=client_ip(request))
        except core_services.CodeRequestRefused as refused:
            raise Throttled(wait=refused.retry_after, detail=refused.message) from None
        return Response(status=status.HTTP_202_ACCEPTED)


class CodeVerifyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=CodeIn, responses={200: TokenOut, **ERRORS}, tags=["auth"],
                   summary="Exchange the code for an API token",
                   description="Send the token as `Authorization: Token <token>`. It expires after "
                               "`API_TOKEN_IDLE_DAYS` without use (14 by default) and at the latest "
                               "`API_TOKEN_MAX_AGE_DAYS` after it was issued (90); then ask for a new code. "
                               "Only a digest is stored: a lost token cannot be shown again.")
    def post(self, request):
        data = CodeIn(data=request.data)
        data.is_valid(raise_exception=True)
        phone = data.validated_data["phone"]
        try:
            core_services.phone_code_verify(phone=phone, code=data.validated_data["code"])
        except core_services.CodeInvalid as invalid:
            raise serializers.ValidationError({"code": [invalid.message]}) from None
        try:
            user, _new = core_services.phone_user_get_or_create(phone=phone)
        except core_services.PhoneSignInRefused:
            raise PermissionDenied(_("This number cannot sign in here. Staff sign in with a username.")) from None
        # A new token per sign-in (each device its own), so signing out on one device leaves the others.
        token = core_services.api_token_issue(user=user)
        return Response({"token": token, "registered": hasattr(user, "member")})


class LogoutView(APIView):
    authentication_classes = [TokenAuthentication]  # a browser session signs out at /keluar/

    @extend_schema(request=None, responses={204: None, 401: ErrorResponseSerializer}, tags=["auth"],
                   summary="Sign out: revoke the token of this request")
    def post(self, request):
        core_services.api_token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    authentication_classes = [TokenAuthentication]

    @extend_schema(request=None, responses={204: None, 401: ErrorResponseSerializer}, tags=["auth"],
                   summary="Sign out everywhere: revoke every token of this account")
    def post(self, request):
        core_services.api_tokens_revoke_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RegionOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.IntegerField()
    postal_code = serializers.CharField()


class RegionListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("parent", str, description="Parent code, e.g. 32.01; empty for provinces")],
        responses={200: RegionOut(many=True)}, tags=["reference"], summary="Regions one level below a parent",
    )
    def get(self, request):
        regions = region_children(parent_code=request.query_params.get("parent") or None)
        return Response(RegionOut(regions, many=True).data)


class OccupationOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    sector = serializers.CharField()


class OccupationListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: OccupationOut(many=True)}, tags=["reference"], summary="Occupations")
    def get(self, request):
        return Response(OccupationOut(Occupation.objects.filter(active=True), many=True).data)


class IncomeBaseListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: {"type": "array", "items": {"type": "integer"}}}, tags=["reference"],
                   summary="Declared-income steps a member may choose, in rupiah")
    def get(self, request):
        return Response(income_bases())


class RegistrationIn(serializers.Serializer):
    nik = serializers.CharField(max_length=24)
    full_name = serializers.CharField(max_length=120)
    birth_place = serializers.CharField(max_length=80)
    birth_date = serializers.DateField()
    gender = serializers.ChoiceField(choices=Gender.choices)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    village_code = serializers.CharField(max_length=13, help_text="Kemendagri village code, e.g. 32.01.01.2001")
    address_line = serializers.CharField(max_length=200)
    occupation = serializers.CharField(max_length=40, help_text="Occupation code from /api/v1/occupations/")
    income_base_idr = serializers.IntegerField(min_value=1)
    programs = serializers.ListField(child=serializers.ChoiceField(choices=Program.choices),
                                     help_text="JKK and JKM are always included; add JHT to save for old age")
    consent = serializers.BooleanField()


class MemberOut(serializers.Serializer):
    kpj = serializers.CharField()
    full_name = serializers.CharField()
    nik_masked = serializers.CharField()
    status = serializers.CharField()
    coverage = serializers.SerializerMethodField()
    programs = serializers.ListField(child=serializers.CharField())
    income_base_idr = serializers.IntegerField()
    monthly = serializers.SerializerMethodField()
    card_url = serializers.SerializerMethodField()

    def get_coverage(self, member) -> str:
        return coverage_status(member=member).code

    @extend_schema(exclude=False)
    def get_monthly(self, member) -> dict:
        quote = member_monthly_quote(member=member)
        return {"month": quote.month.strftime("%Y-%m"), "total_idr": quote.total_idr,
                "lines": QuoteLineOut(quote.lines, many=True).data}

    def get_card_url(self, member) -> str:
        return self.context["request"].build_absolute_uri(reverse("enrollment:card-check", args=[member.card_token]))


class RegistrationView(APIView):
    @extend_schema(request=RegistrationIn, responses={201: MemberOut, **ERRORS}, tags=["registration"],
                   summary="Register the signed-in phone's owner as a BPU member")
    def post(self, request):
        data = RegistrationIn(data=request.data)
        data.is_valid(raise_exception=True)
        if not request.user.phone:
            raise PermissionDenied(_("Sign in with a phone number and code to register."))
        if member_for_user(user=request.user) is not None:
            raise serializers.ValidationError({"non_field_errors": [_("This account is already registered.")]})
        v = data.validated_data
        if len("".join(ch for ch in v["nik"] if ch.isdigit())) == 16 and not identity_check_allow(
                session_key=f"api:{request.user.pk}", phone=str(request.user.phone), ip_address=client_ip(request)):
            # The same limits as the web's identity step: registering is also a way to ask "is this NIK taken?".
            raise Throttled(detail=_("You have checked many NIKs in a short time. To protect everyone's data, "
                                     "please try again in an hour."))
        member = member_register(
            data=RegistrationData(
                nik=v["nik"], full_name=v["full_name"], birth_place=v["birth_place"], birth_date=v["birth_date"],
                gender=v["gender"], phone=str(request.user.phone or ""), email=v["email"],
                village_code=v["village_code"], address_line=v["address_line"], occupation_code=v["occupation"],
                income_base_idr=v["income_base_idr"], programs=list(v["programs"]), consent=v["consent"],
            ),
            user=request.user, actor=request.user, channel=RegistrationChannel.API, ip_address=client_ip(request),
        )
        return Response(MemberOut(member, context={"request": request}).data, status=status.HTTP_201_CREATED)


class ClaimIn(serializers.Serializer):
    nik = serializers.CharField(max_length=24)
    birth_date = serializers.DateField()


class MemberClaimView(APIView):
    @extend_schema(request=ClaimIn, responses={200: MemberOut, **ERRORS}, tags=["registration"],
                   summary="Claim the membership someone registered with the signed-in phone number",
                   description="A sponsor, agent, bulk file or partner that registered a worker with the number of "
                               "an existing account left the membership without an account. The phone's owner, "
                               "signed in by code, gives the NIK and date of birth; every wrong answer gets the "
                               "same 400.")
    def post(self, request):
        data = ClaimIn(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            member = member_claim(user=request.user, nik=data.validated_data["nik"],
                                           birth_date=data.validated_data["birth_date"],
                                           ip_address=client_ip(request))
        except ClaimThrottled as refused:
            raise Throttled(detail=refused.message) from None
        except ClaimRefused as refused:
            raise serializers.ValidationError({"non_field_errors": [refused.message]}) from None
        return Response(MemberOut(member, context={"request": request}).data)


class MemberMeView(APIView):
    @extend_schema(responses={200: MemberOut, **ERRORS}, tags=["registration"], summary="The signed-in member")
    def get(self, request):
        member = member_for_user(user=request.user)
        if member is None:
            raise NotFound(_("This account is not registered yet."))
        return Response(MemberOut(member, context={"request": request}).data)
