"""Refused provider notifications, kept for reconciliation (contributions.models.provider_events)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from contributions.models import ProviderEvent, ProviderEventOutcome
from contributions.providers import SIGNATURE_HEADER, TIMESTAMP_HEADER

HEADERS_KEPT = ("Content-Type", "Content-Length", "User-Agent", TIMESTAMP_HEADER)
_BIGINT = 2**63 - 1


def _claimed(body: bytes) -> dict:
    """What the body says, as far as it can be read: event id (or debit key), virtual account, amount."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(data, dict):
        return {}
    amount = data.get("amount_idr")
    return {
        "reference": str(data.get("event_id") or data.get("idempotency_key") or "")[:64],
        "account": str(data.get("va_number") or "")[:20],
        "amount_idr": amount if isinstance(amount, int) and not isinstance(amount, bool)
        and -_BIGINT <= amount <= _BIGINT else None,
    }


def provider_event_record(*, provider: str, kind: str, outcome: str, status_code: int, reason: str, body: bytes,
                          headers: Mapping[str, str], signature_valid: bool,
                          ip_address: str | None = None) -> ProviderEvent:
    """One refused notification: what it claimed, its body's hash and size, a few headers (never the signature
    itself). Written in the refusing request, after the refused transaction rolled back."""
    kept: dict[str, str | bool] = {name: str(headers[name])[:200] for name in HEADERS_KEPT if headers.get(name)}
    kept["signature_present"] = bool(headers.get(SIGNATURE_HEADER))
    if outcome not in ProviderEventOutcome.values:
        outcome = ProviderEventOutcome.OTHER
    return ProviderEvent.objects.create(
        provider=provider[:20], kind=kind, outcome=outcome, status_code=status_code, reason=str(reason)[:300],
        signature_valid=signature_valid, body_sha256=hashlib.sha256(body).hexdigest(), body_bytes=len(body),
        headers=kept, ip_address=ip_address, **_claimed(body))
