"""JSON API for contributions: the public tariff quote and the payment gateway webhook."""

import datetime as dt
import json

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from contributions.models import Channel, ProviderEventKind, ProviderEventOutcome
from contributions.providers import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from contributions.services.payments import PaymentRefused, payment_confirm
from contributions.services.provider_events import provider_event_record
from core.api import ErrorResponseSerializer, RawJSONParser
from core.choices import FundingSource, Sector
from core.client_ip import client_ip
from reference.models import Program
from reference.tariffs import TariffError, income_bases, tariff_quote

ERRORS = {400: ErrorResponseSerializer, 401: ErrorResponseSerializer, 409: ErrorResponseSerializer}


MONTH_FORMAT = gettext_lazy("Write the month as YYYY-MM, e.g. 2026-12.")  # lazy: the class is built once


class QuoteIn(serializers.Serializer):
    income = serializers.IntegerField(help_text="Declared monthly income in rupiah, a value from /income-bases/")
    programs = serializers.CharField(default="JKK,JKM", help_text="Comma-separated: JKK,JKM[,JHT]")
    month = serializers.RegexField(r"^\d{4}-(0[1-9]|1[0-2])$", help_text="YYYY-MM",
                                   error_messages={"invalid": MONTH_FORMAT})
    sector = serializers.ChoiceField(choices=Sector.choices, default=Sector.OTHER)
    funding = serializers.ChoiceField(choices=FundingSource.choices, default=FundingSource.SELF)

    def validate_programs(self, value):
        programs = [p.strip().upper() for p in value.split(",") if p.strip()]
        unknown = sorted(set(programs) - set(Program.values))
        if unknown:
            raise serializers.ValidationError(_("Unknown program: %(names)s.") % {"names": ", ".join(unknown)})
        return programs

    def validate_month(self, value):
        year, month = (int(x) for x in value.split("-"))
        if year < 1900:
            raise serializers.ValidationError(MONTH_FORMAT)
        return value

    def validate(self, attrs):
        """The income must be one of the bases in force in the quoted month (the list changes by regulation)."""
        year, month = (int(x) for x in attrs["month"].split("-"))
        bases = income_bases(dt.date(year, month, 1))
        if not bases:
            raise serializers.ValidationError({"month": [_("No tariff is in force in %(month)s.")
                                                         % {"month": attrs["month"]}]})
        if attrs["income"] not in bases:
            raise serializers.ValidationError({"income": [_("Please choose an income from the list.")]})
        return attrs


class QuoteLineOut(serializers.Serializer):
    program = serializers.CharField()
    gross_idr = serializers.IntegerField()
    discount_idr = serializers.IntegerField()
    amount_idr = serializers.IntegerField()
    discount_name = serializers.CharField()


class QuoteOut(serializers.Serializer):
    income_idr = serializers.IntegerField()
    month = serializers.CharField()
    lines = QuoteLineOut(many=True)
    discount_idr = serializers.IntegerField()
    total_idr = serializers.IntegerField()


class TariffQuoteView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(parameters=[QuoteIn], responses={200: QuoteOut, 400: ErrorResponseSerializer}, tags=["tariffs"],
                   summary="Monthly contribution for an income, programs, month, sector and funding source")
    def get(self, request):
        data = QuoteIn(data=request.query_params)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        year, month = (int(x) for x in v["month"].split("-"))
        try:
            quote = tariff_quote(income_idr=v["income"], programs=v["programs"], month=dt.date(year, month, 1),
                                 sector=v["sector"], funding=v["funding"])
        except TariffError as exc:
            raise ValidationError({"month": [str(exc)]}) from None
        return Response({
            "income_idr": quote.income_idr, "month": f"{quote.month:%Y-%m}",
            "lines": [{"program": line.program, "gross_idr": line.gross_idr, "discount_idr": line.discount_idr,
                       "amount_idr": line.amount_idr, "discount_name": line.discount_name} for line in quote.lines],
            "discount_idr": quote.discount_idr, "total_idr": quote.total_idr,
        })


class WebhookIn(serializers.Serializer):
    event_id = serializers.CharField(max_length=64)
    va_number = serializers.CharField(max_length=20)
    amount_idr = serializers.IntegerField(min_value=1)
    channel = serializers.ChoiceField(choices=Channel.choices)
    paid_at = serializers.CharField()


class WebhookOut(serializers.Serializer):
    receipt_number = serializers.CharField()
    replay = serializers.BooleanField()


class BadSignature(APIException):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "authentication_failed"
    default_detail = "missing, wrong or stale signature"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def signed_simulator_payload(request, serializer_class, *, moment_field: str):
    """The simulated gateway's signed JSON body, checked: 404 without a simulator secret, 401 on a bad or stale
    signature, 400 on a body that is not the serializer's shape or a moment without a time zone. Returns the
    validated data and the parsed moment."""
    if not settings.PAYMENT_SIMULATOR_SECRET:
        raise NotFound()
    body = request.data if isinstance(request.data, bytes) else b""
    if not verify(body, request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER)):
        raise BadSignature()
    try:
        payload = json.loads(body)
    except ValueError:
        raise ValidationError({"non_field_errors": ["body is not JSON"]}) from None
    data = serializer_class(data=payload if isinstance(payload, dict) else {})
    data.is_valid(raise_exception=True)
    moment = parse_datetime(data.validated_data[moment_field])
    if moment is None or moment.tzinfo is None:
        raise ValidationError({moment_field: ["ISO 8601 with a time zone"]})
    return data.validated_data, moment


def refusal_record(request, error: APIException, *, kind: str, provider: str = "simulator") -> None:
    """Keeps a refused notification (contributions.services.provider_events) before the refusal is answered. An
    endpoint switched off (404, no simulator secret) refuses nothing: it is not there."""
    if isinstance(error, NotFound):
        return
    outcome: str
    if isinstance(error, BadSignature):
        outcome = ProviderEventOutcome.BAD_SIGNATURE
    elif marked := getattr(error, "outcome", None):
        outcome = marked
    elif isinstance(error, Conflict):
        outcome = str(error.get_codes())
    else:
        outcome = ProviderEventOutcome.INVALID
    body = request.data if isinstance(request.data, bytes) else b""
    provider_event_record(provider=provider, kind=kind, outcome=outcome, status_code=error.status_code,
                          reason=" ".join(str(m) for m in _messages(error.detail)), body=body, headers=request.headers,
                          signature_valid=not isinstance(error, BadSignature), ip_address=client_ip(request))


def _messages(detail) -> list:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _messages(value)]
    if isinstance(detail, list):
        return [m for value in detail for m in _messages(value)]
    return [detail]


class SimulatorWebhookView(APIView):
    """Payment notifications from the simulated gateway, signed with HMAC-SHA256 over "timestamp.body"."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    parser_classes = [RawJSONParser]
    throttle_classes: list = []

    @extend_schema(request=WebhookIn, responses={200: WebhookOut, **ERRORS}, tags=["payments"],
                   parameters=[OpenApiParameter(SIGNATURE_HEADER, str, OpenApiParameter.HEADER, required=True),
                               OpenApiParameter(TIMESTAMP_HEADER, str, OpenApiParameter.HEADER, required=True)],
                   summary="Payment confirmation from the simulated gateway")
    def post(self, request):
        try:
            v, paid_at = signed_simulator_payload(request, WebhookIn, moment_field="paid_at")
            try:
                confirmation = payment_confirm(provider="simulator", reference=v["event_id"],
                                               va_number=v["va_number"], amount_idr=v["amount_idr"],
                                               channel=v["channel"], paid_at=paid_at)
            except PaymentRefused as refused:
                error = Conflict(detail=refused.message, code=refused.code) if refused.code != "wrong_amount" \
                    else ValidationError({"amount_idr": [refused.message]})
                setattr(error, "outcome", refused.code)  # noqa: B010  # read back by refusal_record
                raise error from None
        except APIException as error:
            refusal_record(request, error, kind=ProviderEventKind.PAYMENT)
            raise
        return Response({"receipt_number": confirmation.payment.receipt_number, "replay": confirmation.replay})
