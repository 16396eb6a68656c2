"""One error shape for the whole API: {"error": {"code", "message", "fields": {name: [messages]}}}."""

import json

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from core.notifications.gateway import RECEIPT_STATUSES, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from core.services import UnknownProviderMessage, notification_receipt_record


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    # The serializer's metaclass takes declared fields off the class, so this does not hide Serializer.fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), required=False)


class ErrorResponseSerializer(serializers.Serializer):
    error = ErrorSerializer()


def _field_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """Nested DRF errors flattened to dotted names: {"programs.1": [...], "non_field_errors": [...]}."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            out.update(_field_errors(value, f"{prefix}{key}."))
        return out
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        out = {}
        for index, item in enumerate(detail):
            if item:
                out.update(_field_errors(item, f"{prefix}{index}."))
        return out
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix.rstrip(".") or "non_field_errors": [str(m) for m in messages]}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = {"code": "validation_error", "message": _("Some fields need attention."),
                "fields": _field_errors(exc.detail)}
    else:
        shown = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        body = {"code": str(getattr(shown, "code", None) or getattr(exc, "default_code", "error")),
                "message": str(shown)}
    response.data = {"error": body}
    return response


# --- delivery receipts from the SMS/WhatsApp gateway --------------------------------------------------------------


class RawJSONParser(BaseParser):
    """Keeps the exact bytes: the signature is over the raw body."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read()


class ReceiptIn(serializers.Serializer):
    id = serializers.CharField(max_length=100)
    status = serializers.ChoiceField(choices=RECEIPT_STATUSES)
    reported_at = serializers.CharField(max_length=40)
    error_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class ReceiptOut(serializers.Serializer):
    status = serializers.CharField()
    replay = serializers.BooleanField()


class BadSignature(exceptions.APIException):
    status_code = 401
    default_code = "authentication_failed"
    default_detail = "missing, wrong or stale signature"


class GatewayReceiptView(APIView):
    """A delivery receipt from the SMS/WhatsApp gateway, signed with HMAC-SHA256 over "timestamp.body". A bad or
    stale signature is 401, an unknown message id 404, a body of the wrong shape 400; none of them changes anything.
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []
    parser_classes = [RawJSONParser]
    throttle_classes: list = []

    @extend_schema(request=ReceiptIn, responses={200: ReceiptOut, 400: ErrorResponseSerializer,
                                                 401: ErrorResponseSerializer, 404: ErrorResponseSerializer},
                   parameters=[OpenApiParameter(SIGNATURE_HEADER, str, OpenApiParameter.HEADER, required=True),
                               OpenApiParameter(TIMESTAMP_HEADER, str, OpenApiParameter.HEADER, required=True)],
                   tags=["notifications"], summary="Delivery receipt from the SMS/WhatsApp gateway")
    def post(self, request):
        if not settings.SMS_GATEWAY_CALLBACK_SECRET:
            raise exceptions.NotFound()
        body = request.data if isinstance(request.data, bytes) else b""
        if not verify(body, request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER)):
            raise BadSignature()
        try:
            payload = json.loads(body)
        except ValueError:
            raise exceptions.ValidationError({"non_field_errors": ["body is not JSON"]}) from None
        data = ReceiptIn(data=payload if isinstance(payload, dict) else {})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            reported_at = parse_datetime(v["reported_at"])
        except ValueError:
            reported_at = None
        if reported_at is None or reported_at.tzinfo is None:
            raise exceptions.ValidationError({"reported_at": ["ISO 8601 with a time zone"]})
        try:
            message, replay = notification_receipt_record(provider_reference=v["id"], status=v["status"],
                                                          reported_at=reported_at, error_code=v["error_code"])
        except UnknownProviderMessage:
            raise exceptions.NotFound("unknown message id") from None
        return Response({"status": message.status, "replay": replay})
