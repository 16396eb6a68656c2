"""Payment providers. The simulator is the default and behaves like a gateway: it issues virtual-account numbers
and QRIS payloads with an expiry, and confirms payments by an HMAC-signed webhook to the portal."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from lokal import qris_crc

from contributions.models import SimulatorCharge, SimulatorMandate
from core.sql import chunks, in_list, insert_rows

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
    providers: dict[str, type[PaymentProvider]] = {"simulator": SimulatorProvider, "agent_cash": AgentCashProvider}
    if name not in providers:
        raise ValueError(f"unknown payment provider {name}")
    return providers[name]()


# --- Auto-debit: mandates and charges ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MandateIssued:
    reference: str
    account_masked: str


@dataclass(frozen=True)
class DebitCharge:
    """One charge request. The provider charges at most once per idempotency_key, whatever the number of calls."""

    idempotency_key: str
    mandate_reference: str
    amount_idr: int


class DebitOutcome:
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    TIMEOUT = "timeout"  # no answer: the charge may have been made; ask again with the same key


@dataclass(frozen=True)
class DebitResult:
    idempotency_key: str
    outcome: str  # DebitOutcome
    reason: str = ""  # for a decline: insufficient_funds, expired, revoked, over_limit, unknown_mandate
    reference: str = ""  # the provider's charge reference (the Payment's provider_reference on success)
    amount_idr: int = 0
    charged_at: dt.datetime | None = None


class DebitProvider(Protocol):
    """What the portal needs from a gateway for auto-debit. Results come back from charge_many and, for real
    gateways, by signed callback as well; the portal applies either, once."""

    name: str

    def mandate_create(self, *, method: str, issuer: str, account: str, max_amount_idr: int) -> MandateIssued: ...

    def mandate_revoke(self, *, reference: str) -> None: ...

    def charge_many(self, *, charges: Sequence[DebitCharge]) -> list[DebitResult]: ...


# Simulator test accounts: the last three digits of the account (bank account or e-wallet phone) pick the script of
# outcomes, one per try (the last repeats), like card-test numbers. Any other number always succeeds.
SIMULATOR_TEST_ACCOUNTS = {
    "051": ["insufficient_funds"],
    "069": ["expired"],
    "077": ["timeout", "success"],
    "085": ["duplicate_callback", "success"],
    "093": ["insufficient_funds", "success"],
}
SIMULATOR_SCRIPT_ITEMS = ("success", "insufficient_funds", "expired", "timeout", "duplicate_callback")
_CHARGED = ("success", "timeout", "duplicate_callback")  # a timeout is a charge whose answer was lost


@dataclass(frozen=True)
class _SimMandate:
    max_amount_idr: int
    script: list
    revoked: bool


def account_mask(account: str) -> str:
    return "•••• " + account[-4:]


class SimulatorDebitProvider:
    """Mandates and charges of the simulated gateway, kept in SimulatorMandate / SimulatorCharge: a repeated call
    with the same idempotency key returns the first result and never charges twice (a unique key, not a read)."""

    name = "simulator"

    def mandate_create(self, *, method: str, issuer: str, account: str, max_amount_idr: int,
                       script: list[str] | None = None) -> MandateIssued:
        if script is None:
            script = SIMULATOR_TEST_ACCOUNTS.get(account[-3:], [])
        reference = "SIMM" + secrets.token_hex(8).upper()
        SimulatorMandate.objects.create(reference=reference, account=account, max_amount_idr=max_amount_idr,
                                        script=list(script))
        return MandateIssued(reference=reference, account_masked=account_mask(account))

    def mandate_revoke(self, *, reference: str) -> None:
        SimulatorMandate.objects.filter(reference=reference).update(revoked=True)

    def charge_many(self, *, charges: Sequence[DebitCharge]) -> list[DebitResult]:
        """One INSERT … ON CONFLICT DO NOTHING for the new keys, one SELECT for the answers. A key inserted now with
        the script's `timeout` answers TIMEOUT (the money is taken, the answer lost); asked again it answers the
        charge. `duplicate_callback` reports its result twice."""
        if not charges:
            return []
        refs = sorted({c.mandate_reference for c in charges})
        mandates = {}
        sim_table = SimulatorMandate._meta.db_table
        with connection.cursor() as cursor:
            for some in chunks(refs):
                refs_sql, params = in_list("reference", some)
                cursor.execute(f"SELECT reference, max_amount_idr, script, revoked FROM {sim_table} "  # noqa: S608
                               f"WHERE {refs_sql}", params)
                for reference, top, script, revoked in cursor.fetchall():
                    mandates[reference] = _SimMandate(top, json.loads(script) if isinstance(script, str)
                                                      else script, bool(revoked))
        # The n-th distinct charge on a mandate plays the script's n-th item: count earlier ones where it matters.
        scripted = [r for r, m in mandates.items() if len(m.script) > 1]
        done = {}
        table = SimulatorCharge._meta.db_table
        with connection.cursor() as cursor:
            for some in chunks(scripted):
                refs_sql, params = in_list("mandate_reference", some)
                cursor.execute(f"SELECT mandate_reference, count(*) FROM {table} "  # noqa: S608
                               f"WHERE {refs_sql} GROUP BY mandate_reference", params)
                done.update(cursor.fetchall())
        now = timezone.now()
        rows, mine = [], {}
        for charge in charges:
            mandate = mandates.get(charge.mandate_reference)
            if mandate is None:
                outcome = "unknown_mandate"
            elif mandate.revoked:
                outcome = "revoked"
            elif charge.amount_idr > mandate.max_amount_idr:
                outcome = "over_limit"
            else:
                script = mandate.script or ["success"]
                outcome = script[min(done.get(charge.mandate_reference, 0), len(script) - 1)]
            reference = "SIMD" + secrets.token_hex(10).upper()
            mine[charge.idempotency_key] = reference
            rows.append((charge.idempotency_key, charge.mandate_reference, charge.amount_idr, outcome, reference, now))
        with transaction.atomic():
            insert_rows(SimulatorCharge, ("idempotency_key", "mandate_reference", "amount_idr", "outcome",
                                          "reference", "created_at"), rows, on_conflict_skip=True, as_arrays=True)
        stored = {}
        with connection.cursor() as cursor:
            for some in chunks([c.idempotency_key for c in charges]):
                keys_sql, params = in_list("idempotency_key", some)
                cursor.execute(f"SELECT idempotency_key, outcome, reference, amount_idr, created_at FROM {table} "  # noqa: S608
                               f"WHERE {keys_sql}", params)
                for key, outcome, reference, amount, created in cursor.fetchall():
                    if isinstance(created, str):  # SQLite: UTC as text, or as a naive datetime
                        created = dt.datetime.fromisoformat(created)
                    if created.tzinfo is None:
                        created = created.replace(tzinfo=dt.UTC)
                    stored[key] = (key, outcome, reference, amount, created)
        results, again = [], []
        for charge in charges:
            key, outcome, reference, amount, created = stored[charge.idempotency_key]
            first = mine[key] == reference
            if outcome == "timeout" and first:
                results.append(DebitResult(key, DebitOutcome.TIMEOUT))
                continue
            if outcome in _CHARGED:
                result = DebitResult(key, DebitOutcome.SUCCEEDED, "", reference, amount, created)
                if outcome == "duplicate_callback" and first:
                    again.append(result)
            else:
                result = DebitResult(key, DebitOutcome.DECLINED, outcome, reference, amount, created)
            results.append(result)
        return results + again


def get_debit_provider(name: str = "simulator") -> DebitProvider:
    providers = {"simulator": SimulatorDebitProvider}
    if name not in providers:
        raise ValueError(f"unknown debit provider {name}")
    return providers[name]()


def debit_callback_payload(result: DebitResult) -> bytes:
    """The signed callback a gateway sends for a charge result (same signature headers as the payment webhook)."""
    return json.dumps({"idempotency_key": result.idempotency_key, "status": result.outcome, "reason": result.reason,
                       "reference": result.reference, "amount_idr": result.amount_idr,
                       "charged_at": result.charged_at.isoformat() if result.charged_at else None},
                      separators=(",", ":")).encode()
