import datetime as dt
import re

import pytest
from django.test import override_settings
from knox.models import AuthToken

from core.models import PhoneCode, User
from core.services import api_token_issue
from members.models import Member
from tests.conftest import VALID_NIK_MAN, VALID_NIK_WOMAN
from tests.core.helpers import last_code, luhn_valid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PHONE = "+6281234567890"


def _post(client, url, data, token=None):
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    return client.post(url, data, content_type="application/json", **headers)


def _get(client, url, token=None, **params):
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    return client.get(url, params, **headers)


def assert_error_shape(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert list(body) == ["error"]
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


@pytest.fixture
def token(worker_user):
    return api_token_issue(user=worker_user)


@pytest.fixture
def registration_body(village_code, reference_data):
    return {
        "nik": VALID_NIK_WOMAN, "full_name": "Siti Rahayu", "birth_place": "Jakarta", "birth_date": "1990-08-17",
        "gender": "P", "village_code": village_code, "address_line": "Jl. Melati 5", "occupation": "ojek-online",
        "income_base_idr": 1_000_000, "programs": ["JKK", "JKM", "JHT"], "consent": True,
    }


# --- sign-in by code -------------------------------------------------------------------------------------


def test_code_request_accepted(client):
    response = _post(client, "/api/v1/auth/code/request/", {"phone": "0812 3456 7890"})
    assert response.status_code == 202
    assert PhoneCode.objects.filter(phone=PHONE).count() == 1


def test_code_request_bad_phone(client):
    error = assert_error_shape(_post(client, "/api/v1/auth/code/request/", {"phone": "12345"}), 400, "validation_error")
    assert list(error["fields"]) == ["phone"]
    assert "Indonesian mobile number" in error["fields"]["phone"][0]


def test_code_request_too_soon_is_throttled(client):
    _post(client, "/api/v1/auth/code/request/", {"phone": PHONE})
    response = _post(client, "/api/v1/auth/code/request/", {"phone": PHONE})
    error = assert_error_shape(response, 429, "throttled")
    assert "A code was just sent" in error["message"]
    assert 0 < int(response["Retry-After"]) <= 60


def test_verify_returns_token(client):
    _post(client, "/api/v1/auth/code/request/", {"phone": PHONE})
    response = _post(client, "/api/v1/auth/code/verify/", {"phone": "081234567890", "code": last_code(PHONE)})
    assert response.status_code == 200
    body = response.json()
    user = User.objects.get(phone=PHONE)
    assert set(body) == {"token", "registered"} and body["registered"] is False
    assert re.fullmatch(r"[0-9a-f]{64}", body["token"])
    assert AuthToken.objects.get().user == user


def test_verify_registered_member(client, member_for_phone):
    _post(client, "/api/v1/auth/code/request/", {"phone": PHONE})
    response = _post(client, "/api/v1/auth/code/verify/", {"phone": PHONE, "code": last_code(PHONE)})
    assert response.json()["registered"] is True


def test_verify_staff_phone_is_refused(client):
    User.objects.create(username="staf-hp", phone=PHONE, role="supervisor")
    _post(client, "/api/v1/auth/code/request/", {"phone": PHONE})
    response = _post(client, "/api/v1/auth/code/verify/", {"phone": PHONE, "code": last_code(PHONE)})
    assert_error_shape(response, 403, "permission_denied")
    assert not AuthToken.objects.exists()


def test_verify_wrong_code(client):
    _post(client, "/api/v1/auth/code/request/", {"phone": PHONE})
    wrong = f"{(int(last_code(PHONE)) + 1) % 1_000_000:06d}"
    error = assert_error_shape(_post(client, "/api/v1/auth/code/verify/", {"phone": PHONE, "code": wrong}), 400,
                               "validation_error")
    assert error["fields"] == {"code": ["The code is not right. You have 4 tries left."]}
    assert not AuthToken.objects.exists()


def test_verify_malformed_code(client):
    error = assert_error_shape(_post(client, "/api/v1/auth/code/verify/", {"phone": PHONE, "code": "12a"}), 400,
                               "validation_error")
    assert error["fields"] == {"code": ["The code has 6 digits."]}


# --- registration ----------------------------------------------------------------------------------------


@pytest.mark.clock(dt.date(2025, 12, 15))
def test_register(client, token, registration_body):
    response = _post(client, "/api/v1/registrations/", registration_body, token=token)
    assert response.status_code == 201, response.content
    body = response.json()
    member = Member.objects.get()
    assert body["kpj"] == member.kpj and luhn_valid(body["kpj"]) and len(body["kpj"]) == 11
    assert body["nik_masked"] == "3174********0001"
    assert body["full_name"] == "SITI RAHAYU"
    assert body["status"] == "registered" and body["coverage"] == "awaiting_payment"
    assert body["programs"] == ["JKK", "JKM", "JHT"]
    assert body["income_base_idr"] == 1_000_000
    assert body["monthly"]["month"] == "2025-12"
    assert body["monthly"]["total_idr"] == 36_800
    assert [(line["program"], line["amount_idr"]) for line in body["monthly"]["lines"]] == [
        ("JKK", 10_000), ("JKM", 6_800), ("JHT", 20_000),
    ]
    assert body["card_url"] == f"http://testserver/cek/{member.card_token}/"
    assert VALID_NIK_WOMAN not in response.content.decode()
    assert member.channel == "api" and member.user.phone == PHONE and str(member.phone) == PHONE


@pytest.mark.clock(dt.date(2026, 12, 15))
def test_register_with_discount(client, token, registration_body):
    body = _post(client, "/api/v1/registrations/", registration_body, token=token).json()
    assert body["monthly"]["total_idr"] == 28_400
    assert [line["discount_idr"] for line in body["monthly"]["lines"]] == [5_000, 3_400, 0]


def test_register_invalid_nik_error_shape(client, token, registration_body):
    response = _post(client, "/api/v1/registrations/", {**registration_body, "nik": "3174015709900001"}, token=token)
    error = assert_error_shape(response, 400, "validation_error")
    assert set(error) == {"code", "message", "fields"}
    assert list(error["fields"]) == ["nik"]
    assert error["fields"]["nik"] == ["The NIK does not match the birth date you entered. Please check both."]
    assert not Member.objects.exists()


def test_register_serializer_errors_have_the_same_shape(client, token):
    response = _post(client, "/api/v1/registrations/", {"nik": "1", "gender": "X", "programs": ["JP"]}, token=token)
    error = assert_error_shape(response, 400, "validation_error")
    assert {"full_name", "birth_date", "village_code", "occupation", "income_base_idr", "consent", "gender"} <= set(
        error["fields"]
    )
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in error["fields"].values())
    assert any(key.startswith("programs") for key in error["fields"])


def test_register_service_errors_on_several_fields(client, token, registration_body):
    response = _post(client, "/api/v1/registrations/", {
        **registration_body, "village_code": "31.74.01", "occupation": "astronot", "income_base_idr": 1_234_567,
        "consent": False,
    }, token=token)
    error = assert_error_shape(response, 400, "validation_error")
    assert set(error["fields"]) == {"village_code", "occupation", "income_base_idr", "consent"}


def test_register_duplicate_nik(client, token, registration_body):
    other_user = User.objects.create(username="p6285712345678", phone="+6285712345678")
    other_token = api_token_issue(user=other_user)
    first = _post(client, "/api/v1/registrations/", registration_body, token=other_token).json()
    response = _post(client, "/api/v1/registrations/", {**registration_body, "full_name": "Orang Lain"}, token=token)
    error = assert_error_shape(response, 400, "validation_error")
    assert list(error["fields"]) == ["nik"]
    text = response.content.decode()
    assert first["kpj"] not in text and "SITI" not in text and "85712345678" not in text
    assert Member.objects.count() == 1


def test_register_twice_with_one_account(client, token, registration_body):
    assert _post(client, "/api/v1/registrations/", registration_body, token=token).status_code == 201
    second = {**registration_body, "nik": VALID_NIK_MAN, "gender": "L", "birth_date": "1985-03-12"}
    error = assert_error_shape(_post(client, "/api/v1/registrations/", second, token=token), 400, "validation_error")
    assert list(error["fields"]) == ["non_field_errors"]
    assert Member.objects.count() == 1


def test_register_unauthenticated(client, registration_body):
    response = _post(client, "/api/v1/registrations/", registration_body)
    error = assert_error_shape(response, 401, "not_authenticated")
    assert "fields" not in error
    assert response["WWW-Authenticate"] == "Token"
    assert not Member.objects.exists()


def test_register_bad_token(client, registration_body):
    response = _post(client, "/api/v1/registrations/", registration_body, token="0" * 40)
    assert_error_shape(response, 401, "authentication_failed")


def test_full_flow_from_code_to_member(client, registration_body):
    assert _post(client, "/api/v1/auth/code/request/", {"phone": PHONE}).status_code == 202
    token = _post(client, "/api/v1/auth/code/verify/", {"phone": PHONE, "code": last_code(PHONE)}).json()["token"]
    assert _post(client, "/api/v1/registrations/", registration_body, token=token).status_code == 201
    me = _get(client, "/api/v1/members/me/", token=token)
    assert me.status_code == 200
    assert me.json()["kpj"] == Member.objects.get().kpj


# --- members/me ------------------------------------------------------------------------------------------


@pytest.fixture
def member_for_phone(registration_data, worker_user):
    from enrollment.services import member_register

    return member_register(data=registration_data(), user=worker_user, actor=worker_user)


@pytest.mark.clock(dt.date(2025, 12, 15))
def test_member_me(client, token, member_for_phone):
    response = _get(client, "/api/v1/members/me/", token=token)
    assert response.status_code == 200
    body = response.json()
    assert body["kpj"] == member_for_phone.kpj
    assert body["nik_masked"] == "3174********0001"
    assert body["monthly"]["total_idr"] == 36_800
    assert VALID_NIK_WOMAN not in response.content.decode()


def test_member_me_not_registered(client, token):
    error = assert_error_shape(_get(client, "/api/v1/members/me/", token=token), 404, "not_found")
    assert error["message"] == "This account is not registered yet."


def test_member_me_unauthenticated(client):
    assert_error_shape(_get(client, "/api/v1/members/me/"), 401, "not_authenticated")


def test_member_me_with_session(client, worker_user, member_for_phone):
    client.force_login(worker_user)
    assert client.get("/api/v1/members/me/").json()["kpj"] == member_for_phone.kpj


# --- reference data --------------------------------------------------------------------------------------


def test_regions_under_a_district(client, regions):
    response = _get(client, "/api/v1/regions/", parent="31.74.01")
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 7
    assert all(set(r) == {"code", "name", "level", "postal_code"} for r in rows)
    assert all(r["code"].startswith("31.74.01.") and r["level"] == 4 for r in rows)
    assert [r["name"] for r in rows] == sorted(r["name"] for r in rows)
    assert {"code": "31.74.01.1001", "name": "Tebet Timur", "level": 4, "postal_code": "12820"} in rows


def test_regions_without_parent_are_provinces(client, regions):
    assert [(r["code"], r["level"]) for r in _get(client, "/api/v1/regions/").json()] == [("31", 1), ("32", 1)]
    assert _get(client, "/api/v1/regions/", parent="99.99").json() == []


def test_occupations(client, reference_data):
    rows = _get(client, "/api/v1/occupations/").json()
    assert {"code": "ojek-online", "name": "Ride-hailing motorbike driver", "sector": "transport"} in rows
    assert len(rows) == 27


def test_income_bases(client, reference_data):
    body = _get(client, "/api/v1/income-bases/").json()
    assert body[0] == 1_000_000 and body[-1] == 20_700_000
    assert body == sorted(body) and len(body) == 19


@override_settings(OTP_RESEND_AFTER_SECONDS=0, OTP_REQUESTS_PER_IP_PER_HOUR=2)
def test_code_requests_are_limited_per_ip(client):
    for phone in ("+6281100000001", "+6281100000002"):
        assert _post(client, "/api/v1/auth/code/request/", {"phone": phone}).status_code == 202
    response = _post(client, "/api/v1/auth/code/request/", {"phone": "+6281100000003"})
    assert_error_shape(response, 429, "throttled")
    assert response["Retry-After"] == "3600"
