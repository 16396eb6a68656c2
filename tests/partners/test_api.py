"""Partner API: scoped keys, revocation, Idempotency-Key replays, rate limits, and members tagged with the partner."""

import json
import threading

import pytest
from django.test import Client

from contributions.models import PaymentOrder
from core.models import AuditEvent, IdempotencyRecord
from members.models import Member, RegistrationChannel
from members.services import partner_create, partner_key_issue, partner_key_revoke
from tests.conftest import VALID_NIK_MAN, VALID_NIK_WOMAN

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
ALL = ["members:register", "members:read", "payments:create"]


@pytest.fixture
def partner(reference_data):  # its ecosystem is reference data, which a transactional test before may have flushed
    return partner_create(name="Toko Contoh", actor=None)


@pytest.fixture
def key(partner):
    return partner_key_issue(partner=partner, scopes=ALL, actor=None)[1]


@pytest.fixture
def body(village_code, reference_data):
    return {
        "nik": VALID_NIK_WOMAN, "full_name": "Siti Rahayu", "birth_place": "Jakarta", "birth_date": "1990-08-17",
        "gender": "P", "phone": "0812 3456 7890", "village_code": village_code, "address_line": "Jl. Melati 5",
        "occupation": "penjual-online", "income_base_idr": 1_000_000, "programs": ["JKK", "JKM"], "consent": True,
    }


def _post(client, path, data, key, idem="k-1"):
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    if idem:
        headers["HTTP_IDEMPOTENCY_KEY"] = idem
    return client.post(path, data=json.dumps(data), content_type="application/json", **headers)


def test_partner_registers_a_member_tagged_with_it(client, key, body, partner):
    response = _post(client, "/api/v1/partner/members/", body, key)
    assert response.status_code == 201, response.content
    member = Member.objects.get(kpj=response.json()["kpj"])
    assert member.partner == partner and member.channel == RegistrationChannel.API
    assert member.user.phone == "+6281234567890"
    assert response.json()["nik_masked"] == "3174********0001"
    assert AuditEvent.objects.filter(action="member.registered", actor=partner.user).exists()


def test_replay_returns_the_first_response_and_creates_nothing(client, key, body):
    first = _post(client, "/api/v1/partner/members/", body, key, idem="same")
    second = _post(client, "/api/v1/partner/members/", body, key, idem="same")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Member.objects.count() == 1


def test_a_refused_write_is_replayed_as_refused_and_leaves_nothing(client, key, body):
    body["nik"] = "123"
    first = _post(client, "/api/v1/partner/members/", body, key, idem="bad")
    assert first.status_code == 400 and "nik" in first.json()["error"]["fields"]
    body["nik"] = VALID_NIK_WOMAN  # a different request under the same key
    reused = _post(client, "/api/v1/partner/members/", body, key, idem="bad")
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert Member.objects.count() == 0


def test_missing_idempotency_key_is_refused(client, key, body):
    response = _post(client, "/api/v1/partner/members/", body, key, idem=None)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]
    assert Member.objects.count() == 0


def test_revoked_and_unknown_keys_are_refused(client, key, body, partner):
    partner_key_revoke(key_id=partner.keys.get().pk, actor=None)
    for k in (key, "bpu_nope_nope"):
        response = _post(client, "/api/v1/partner/members/", body, k)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "authentication_failed"
    assert Member.objects.count() == 0


def test_scopes_limit_what_a_key_may_do(client, partner, body):
    read_only = partner_key_issue(partner=partner, scopes=["members:read"], actor=None)[1]
    response = _post(client, "/api/v1/partner/members/", body, read_only)
    assert response.status_code == 403


def test_partner_reads_and_pays_only_for_its_own_members(client, key, body, partner, registration_data):
    from core.models import User
    from enrollment.services import member_register

    mine = _post(client, "/api/v1/partner/members/", body, key).json()["kpj"]
    other_user = User.objects.create(username="p6285712345678", phone="+6285712345678")
    other = member_register(data=registration_data(nik=VALID_NIK_MAN, birth_date=__import__("datetime").date(
        1985, 3, 12), gender="L", phone="+6285712345678"), user=other_user, actor=other_user)
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    assert client.get(f"/api/v1/partner/members/{mine}/", **auth).status_code == 200
    assert client.get(f"/api/v1/partner/members/{other.kpj}/", **auth).status_code == 404
    paid = _post(client, "/api/v1/partner/payments/", {"kpj": mine, "months": 3}, key, idem="pay-1")
    assert paid.status_code == 201, paid.content
    order = PaymentOrder.objects.get()
    assert paid.json()["va_number"] == order.va_number and order.payer == partner.user
    again = _post(client, "/api/v1/partner/payments/", {"kpj": mine, "months": 3}, key, idem="pay-1")
    assert again.json() == paid.json() and PaymentOrder.objects.count() == 1
    assert _post(client, "/api/v1/partner/payments/", {"kpj": other.kpj, "months": 1}, key,
                 idem="pay-2").status_code == 404


def test_requests_are_rate_limited(client, key, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    old = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = {**api_settings.DEFAULT_THROTTLE_RATES, "partner": "3/min"}
    try:
        codes = [client.get("/api/v1/partner/members/00000000000/", HTTP_AUTHORIZATION=f"Api-Key {key}").status_code
                 for _ in range(5)]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = old
    assert codes[:3] == [404, 404, 404] and codes[3:] == [429, 429]


@pytest.mark.django_db(transaction=True)
def test_the_same_key_sent_at_once_registers_one_member(key, body, settings):
    if not settings.TEST_ON_POSTGRES:
        pytest.skip("needs PostgreSQL row locks")
    from django.db import connection

    barrier = threading.Barrier(4)
    results = []

    def send():
        try:
            barrier.wait()
            results.append(_post(Client(), "/api/v1/partner/members/", body, key, idem="race").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 201, 201, 201]
    assert Member.objects.count() == 1 and IdempotencyRecord.objects.count() == 1
