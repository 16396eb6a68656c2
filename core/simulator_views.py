"""The SMS/WhatsApp gateway simulator's HTTP side (only while SMS_SIMULATOR_ENABLED; 404 otherwise): the gateway's
send API, which the portal's GatewayBackend calls like any gateway, and the simulated phones' inboxes, where a tester
reads the messages (sign-in codes included) that a real phone would get."""

from __future__ import annotations

import json

import phonenumbers
from django.conf import settings
from django.db.models import Count, Max
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from core.models import SimulatedMessage
from core.notifications import simulator
from core.notifications.gateway import IDEMPOTENCY_HEADER
from core.publish import task_publish
from core.tasks import sms_simulator_receipts_send


def sms_simulator_required(view):
    def wrapped(request, *args, **kwargs):
        if not settings.SMS_SIMULATOR_ENABLED:
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


@csrf_exempt  # an API called with a key, not a form
@sms_simulator_required
@require_POST
def sms_simulator_send(request):
    try:
        payload = json.loads(request.body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return JsonResponse({"error": {"code": "invalid_json", "message": "the body must be a JSON object"}},
                            status=400)
    try:
        message, created = simulator.simulated_message_accept(
            authorization=request.headers.get("Authorization"), idempotency_key=request.headers.get(IDEMPOTENCY_HEADER),
            payload=payload)
    except simulator.SimulatorRefused as refused:
        return JsonResponse({"error": {"code": refused.code, "message": refused.message}}, status=refused.status)
    if created:  # the receipt goes a moment later, from the worker, never inside this answer (no broker: the sweep)
        task_publish(sms_simulator_receipts_send, countdown=settings.SMS_SIMULATOR_RECEIPT_DELAY_SECONDS + 0.5)
    return JsonResponse({"id": message.message_id, "status": "accepted"}, status=201 if created else 200)


def _e164(value: str) -> str | None:
    try:
        number = phonenumbers.parse(value, "ID")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if \
        phonenumbers.is_possible_number(number) else None


@never_cache
@sms_simulator_required
@require_GET
def sms_simulator_inbox(request):
    """Every simulated phone that got a message, newest first; one phone's messages when its number is given."""
    query = request.GET.get("nomor", "").strip()[:30]
    phone = _e164(query) if query else None
    # not `messages`: that name is the messages framework's in the base template
    inbox = SimulatedMessage.objects.filter(recipient=phone).order_by("-created_at", "-pk")[:50] if phone else []
    phones = (SimulatedMessage.objects.values("recipient").annotate(count=Count("pk"), last=Max("created_at"))
              .order_by("-last")[:50])
    return render(request, "core/sms_simulator.html", {"query": query, "phone": phone, "inbox": inbox,
                                                       "phones": phones, "unknown": bool(query) and not phone})
