"""One error shape for the whole API: {"error": {"code", "message", "fields": {name: [messages]}}}."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


class ErrorResponseSerializer(serializers.Serializer):
    error = ErrorSerializer()


def _flatten(detail, prefix=""):
    fields = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}{key}" if key != "non_field_errors" else (prefix.rstrip(".") or "non_field_errors")
            fields.update(_flatten(value, f"{name}."))
            if not isinstance(value, dict | list) or (isinstance(value, list) and value and not isinstance(value[0], dict | list)):
                fields[name] = [str(v) for v in (value if isinstance(value, list) else [value])]
    elif isinstance(detail, list):
        for i, item in enumerate(detail):
            if isinstance(item, dict | list):
                fields.update(_flatten(item, f"{prefix}{i}."))
    return fields


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages})
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = {"code": "validation_error", "message": _("Some fields need attention."), "fields": _flatten(exc.detail)}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        body = {"code": str(code), "message": str(detail)}
    return Response({"error": body}, status=response.status_code, headers=getattr(response, "headers", None) and {
        k: v for k, v in response.headers.items() if k in ("Retry-After", "WWW-Authenticate")
    })
