"""Idempotency-Key for API writes: the first response is stored; a replay of the same request gets it back
and changes nothing; the same key with a different request is refused."""

from __future__ import annotations

import functools
import hashlib

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from core.models import IdempotencyRecord

HEADER = "Idempotency-Key"


class KeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was used for a different request."


def _fingerprint(request) -> str:
    body = request.body if hasattr(request, "body") else b""
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n" + body).hexdigest()


def idempotent(owner):
    """Wraps an APIView method. `owner(request)` names who the key belongs to (keys are per owner)."""

    def decorate(method):
        @functools.wraps(method)
        def wrapped(view, request, *args, **kwargs):
            key = request.headers.get(HEADER, "").strip()
            if not key or len(key) > 100:
                raise ValidationError({HEADER: [_("Send an Idempotency-Key header (up to 100 characters).")]})
            who, fingerprint = owner(request), _fingerprint(request._request)
            stored = IdempotencyRecord.objects.filter(owner=who, key=key).first()
            if stored is None:
                try:
                    with transaction.atomic():
                        # The row is written first and locked by its unique index until this transaction ends:
                        # the same key sent at the same time waits here, then reads the stored response.
                        record = IdempotencyRecord.objects.create(owner=who, key=key, fingerprint=fingerprint)
                        try:
                            with transaction.atomic():  # a refused request leaves nothing but its answer
                                response = method(view, request, *args, **kwargs)
                        except Exception as exc:  # noqa: BLE001 - DRF turns known errors into responses
                            response = view.handle_exception(exc)  # re-raises what it cannot answer
                        if response.status_code >= 500:
                            raise _Abort(response)
                        record.status_code = response.status_code
                        record.response = response.data
                        record.save(update_fields=["status_code", "response"])
                        return response
                except _Abort as abort:
                    return abort.response
                except IntegrityError:
                    stored = IdempotencyRecord.objects.filter(owner=who, key=key).first()
                    if stored is None:
                        raise
            if stored.fingerprint != fingerprint:
                raise KeyReused()
            response = Response(stored.response, status=stored.status_code)
            response["Idempotent-Replayed"] = "true"
            return response

        return wrapped

    return decorate


class _Abort(Exception):
    def __init__(self, response):
        self.response = response
