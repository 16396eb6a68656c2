"""Payment providers. The simulator is the default and behaves like a gateway: it issues virtual-account numbers
and QRIS payloads with an expiry, and confirms payments by an HMAC-signed webhook to the portal."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from lokal import qris_crc

SIGNATURE_HEADER = "X-Simulator-Signature"
TIMESTAMP_HEADER = "X-Simulator-Timestamp"


@dataclass(frozen=True)
class Issued:
    va_number: str
    qris_payload: str


class PaymentProvider(Protocol):
    """What the portal needs from a gateway: a way to be paid for an amount. Confirmations arrive by webhook."""

    name: str

    def issue(self, *, amount_idr: int, reference: str) -> Issued: ...


def _tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


class SimulatorProvider:
    name = "simulator"
    bank_prefix = "8808"  # a made-up bank code for simulated virtual accounts

    def issue(self, *, amount_idr: int, reference: str) -> Issued:
        va_number = self.bank_prefix + "".join(secrets.choice("0123456789") for _ in range(12))
        return Issued(va_number=va_number, qris_payload=self.qris(amount_idr=amount_idr, reference=reference))

    @staticmethod
    def qris(*, amount_idr: int, reference: str) -> str:
        """A dynamic QRIS (EMVCo) payload for this amount, with the CRC-16/CCITT checksum in tag 63."""
        merchant = _tlv("00", "ID.CO.QRIS.WWW") + _tlv("01", "936008880000000001") + _tlv("02", "ID1026110000001")
        body = (
            _tlv("00", "01") + _tlv("01", "12") + _tlv("26", merchant) + _tlv("52", "6300") + _tlv("53", "360")
            + _tlv("54", str(amount_idr)) + _tlv("58", "ID") + _tlv("59", "BPJS KETENAGAKERJAAN")
            + _tlv("60", "JAKARTA") + _tlv("62", _tlv("01", reference[:25])) + "6304"
        )
        return body + qris_crc(body)


class AgentCashProvider:
    """Cash handed to a Perisai agent: no bank account to issue, only a reference for the collection."""

    name = "agent_cash"

    def issue(self, *, amount_idr: int, reference: str) -> Issued:
        return Issued(va_number="9900" + "".join(secrets.choice("0123456789") for _ in range(12)), qris_payload="")


def sign(body: bytes, timestamp: str, secret: str | None = None) -> str:
    key = (secret or settings.PAYMENT_SIMULATOR_SECRET).encode()
    return hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(body: bytes, timestamp: str | None, signature: str | None) -> bool:
    if not settings.PAYMENT_SIMULATOR_SECRET or not timestamp or not signature or not timestamp.isdigit():
        return False
    if abs(time.time() - int(timestamp)) > settings.PAYMENT_WEBHOOK_MAX_AGE_SECONDS:
        return False
    return hmac.compare_digest(sign(body, timestamp), signature)


def webhook_payload(*, event_id: str, va_number: str, amount_idr: int, channel: str, paid_at: str) -> bytes:
    return json.dumps({"event_id": event_id, "va_number": va_number, "amount_idr": amount_idr, "channel": channel,
                       "paid_at": paid_at}, separators=(",", ":")).encode()


def send_webhook(*, url: str, body: bytes) -> tuple[int, bytes]:
    """What the simulated gateway does when someone pays: POST the signed notification to the portal."""
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - URL is the portal's own webhook endpoint
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
                 SIGNATURE_HEADER: sign(body, timestamp)},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def get_provider(name: str = "simulator") -> PaymentProvider:
    providers = {"simulator": SimulatorProvider, "agent_cash": AgentCashProvider}
    if name not in providers:
        raise ValueError(f"unknown payment provider {name}")
    return providers[name]()
