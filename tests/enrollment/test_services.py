import datetime as dt
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from core.models import AuditEvent, OutboxMessage, User
from core.nik import nik_blind_index, nik_decrypt
from enrollment.services import member_register
from members.models import Member, MemberStatus, Occupation
from members.transitions import MEMBER_TRANSITIONS, TransitionNotAllowed, member_status_transition
from tests.conftest import VALID_NIK_MAN, VALID_NIK_WOMAN
from tests.core.helpers import age_on, luhn_valid, nik_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _errors(exc_info) -> dict:
    return exc_info.value.message_dict


def _nothing_written():
    assert not Member.objects.exists()
    assert not AuditEvent.objects.filter(action="member.registered").exists()
    assert not OutboxMessage.objects.exists()


# --- registration ----------------------------------------------------------------------------------------


def test_register_success(registration_data, worker_user):
    member = member_register(data=registration_data(), user=worker_user, actor=worker_user, ip_address="10.2.3.4")
    member.refresh_from_db()
    assert re.fullmatch(r"[1-9][0-9]{10}", member.kpj)
    assert luhn_valid(member.kpj)
    assert member.status == MemberStatus.REGISTERED
    assert member.user == worker_user
    assert member.full_name == "SITI RAHAYU"
    assert member.birth_date == dt.date(1990, 8, 17) and member.gender == "P"
    assert str(member.phone) == "+6281234567890"
    assert member.village.code.startswith("31.74.01.")
    assert member.occupation.code == "ojek-online"
    assert member.income_base_idr == 1_000_000
    assert member.has_jht and member.programs == ["JKK", "JKM", "JHT"]
    assert member.funding_source == "self" and member.channel == "self"
    assert member.consent_version and member.consented_at is not None
    assert len(member.card_token) >= 16


def test_nik_is_stored_encrypted_with_blind_index(registration_data):
    member = member_register(data=registration_data(), user=None, actor=None)
    row = Member.objects.filter(pk=member.pk).values().get()
    for column, value in row.items():
        assert VALID_NIK_WOMAN not in str(value), f"clear NIK in column {column}"
    assert nik_decrypt(row["nik_ciphertext"]) == VALID_NIK_WOMAN
    assert row["nik_index"] == nik_blind_index(VALID_NIK_WOMAN)
    assert member.nik == VALID_NIK_WOMAN
    assert member.nik_masked == "3174********0001"


def test_nik_typed_with_spaces_is_stored_normalised(registration_data):
    member = member_register(data=registration_data(nik=" 3174 0157 0890 0001 "), user=None, actor=None)
    assert member.nik == VALID_NIK_WOMAN
    assert member.nik_index == nik_blind_index(VALID_NIK_WOMAN)


def test_register_writes_audit_event_without_clear_nik(registration_data, worker_user):
    member = member_register(data=registration_data(), user=worker_user, actor=worker_user, ip_address="10.2.3.4")
    event = AuditEvent.objects.get(action="member.registered")
    assert event.object_type == "enrollment.member" and event.object_id == str(member.pk)
    assert event.actor == worker_user and event.ip_address == "10.2.3.4"
    assert event.changes["nik"] == "3174********0001"
    assert event.changes["kpj"] == member.kpj
    assert event.changes["status"] == [None, "registered"]
    for stored in AuditEvent.objects.all():
        assert VALID_NIK_WOMAN not in json.dumps(stored.changes)
        assert VALID_NIK_WOMAN not in stored.reason


def test_register_queues_welcome_sms_with_kpj(registration_data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        member = member_register(data=registration_data(), user=None, actor=None)
    message = OutboxMessage.objects.get(purpose="registration")
    assert message.channel == "sms"
    assert message.recipient == "+6281234567890"
    assert member.kpj in message.body
    assert VALID_NIK_WOMAN not in message.body
    assert message.status == "sent"


def test_kpj_is_unique_per_member(registration_data):
    first = member_register(data=registration_data(), user=None, actor=None)
    second = member_register(data=registration_data(nik=VALID_NIK_MAN, full_name="Budi Santoso", gender="L",
                                                    birth_date=dt.date(1985, 3, 12), phone="+6285712345678"),
                             user=None, actor=None)
    assert first.kpj != second.kpj
    assert luhn_valid(second.kpj)


def test_duplicate_nik_is_refused_without_revealing_the_other_member(registration_data):
    first = member_register(data=registration_data(), user=None, actor=None)
    with pytest.raises(ValidationError) as exc:
        member_register(data=registration_data(full_name="Orang Lain", phone="+6285712345678"), user=None, actor=None)
    errors = _errors(exc)
    assert list(errors) == ["nik"]
    text = " ".join(errors["nik"])
    assert "already registered" in text
    for secret in (first.kpj, "SITI", "Siti", "Rahayu", "RAHAYU", "81234567890", VALID_NIK_WOMAN):
        assert secret not in text
    assert Member.objects.count() == 1


def test_duplicate_nik_typed_differently_is_refused(registration_data):
    member_register(data=registration_data(), user=None, actor=None)
    with pytest.raises(ValidationError) as exc:
        member_register(data=registration_data(nik="3174 0157 0890 0001", phone="+6285712345678"), user=None,
                        actor=None)
    assert "nik" in _errors(exc)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"nik": "1234"}, "nik"),
        ({"nik": "3174015709900001"}, "nik"),  # NIK says 17-09-1990
        ({"gender": "L"}, "nik"),  # a woman's NIK (day + 40)
        ({"full_name": "   "}, "full_name"),
        ({"village_code": "31.74.01"}, "village_code"),  # a district, not a village
        ({"village_code": "99.99.99.9999"}, "village_code"),
        ({"occupation_code": "astronot"}, "occupation"),
        ({"income_base_idr": 1_234_567}, "income_base_idr"),
        ({"income_base_idr": 0}, "income_base_idr"),
        ({"programs": ["JKK", "JKM", "JP"]}, "programs"),
        ({"consent": False}, "consent"),
    ],
)
def test_invalid_answers_are_reported_on_the_right_field(registration_data, overrides, field):
    with pytest.raises(ValidationError) as exc:
        member_register(data=registration_data(**overrides), user=None, actor=None)
    assert list(_errors(exc)) == [field]
    _nothing_written()


def test_all_errors_are_reported_at_once(registration_data):
    with pytest.raises(ValidationError) as exc:
        member_register(
            data=registration_data(nik="12", village_code="x", occupation_code="x", income_base_idr=5, consent=False),
            user=None, actor=None,
        )
    assert set(_errors(exc)) == {"nik", "village_code", "occupation", "income_base_idr", "consent"}
    _nothing_written()


def test_inactive_occupation_is_refused(registration_data):
    Occupation.objects.filter(code="ojek-online").update(active=False)
    with pytest.raises(ValidationError) as exc:
        member_register(data=registration_data(), user=None, actor=None)
    assert list(_errors(exc)) == ["occupation"]


def test_unknown_district_in_nik_is_accepted(registration_data):
    member = member_register(data=registration_data(nik="3199995708900001"), user=None, actor=None)
    assert member.nik == "3199995708900001"


# --- age limits ------------------------------------------------------------------------------------------


def _age_of_woman() -> int:
    return age_on(dt.date(1990, 8, 17), timezone.localdate())


def test_age_at_the_ceiling_is_accepted(registration_data):
    with override_settings(BPU_MAX_AGE=_age_of_woman()):
        member_register(data=registration_data(), user=None, actor=None)
    assert Member.objects.count() == 1


def test_age_above_the_ceiling_is_refused(registration_data):
    age = _age_of_woman()
    with override_settings(BPU_MAX_AGE=age - 1), pytest.raises(ValidationError) as exc:
        member_register(data=registration_data(), user=None, actor=None)
    assert _errors(exc) == {"birth_date": [f"BPU registration is open up to the age of {age - 1}."]}
    _nothing_written()


def test_age_at_the_floor_is_accepted_and_below_refused(registration_data):
    age = _age_of_woman()
    with override_settings(BPU_MIN_AGE=age + 1), pytest.raises(ValidationError) as exc:
        member_register(data=registration_data(), user=None, actor=None)
    assert _errors(exc) == {"birth_date": [f"You must be at least {age + 1} years old to register."]}
    with override_settings(BPU_MIN_AGE=age):
        member_register(data=registration_data(), user=None, actor=None)


@override_settings(BPU_MIN_AGE=15, BPU_MAX_AGE=65)
def test_default_style_limits_with_matching_niks(registration_data):
    today = timezone.localdate()
    too_young = dt.date(today.year - 14, today.month, 1)
    just_old_enough = dt.date(today.year - 15, today.month, 1) - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        member_register(data=registration_data(nik=nik_for(too_young, "P"), birth_date=too_young), user=None,
                        actor=None)
    assert list(_errors(exc)) == ["birth_date"]
    member = member_register(data=registration_data(nik=nik_for(just_old_enough, "P"), birth_date=just_old_enough),
                             user=None, actor=None)
    assert member.birth_date == just_old_enough


# --- status transitions ----------------------------------------------------------------------------------

EXPECTED_ALLOWED = {
    ("registered", "active"), ("registered", "lapsed"), ("registered", "closed"),
    ("active", "lapsed"), ("active", "closed"),
    ("lapsed", "active"), ("lapsed", "closed"),
}
STATUSES = ["registered", "active", "lapsed", "closed"]


def test_transition_table_is_the_documented_one():
    table = {(a, b) for a, targets in MEMBER_TRANSITIONS.items() for b in targets}
    assert table == EXPECTED_ALLOWED


@pytest.mark.parametrize("start", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_status_transition(member, start, target):
    Member.objects.filter(pk=member.pk).update(status=start)
    AuditEvent.objects.all().delete()
    staff = User.objects.create(username="spv", role="supervisor")
    if start == target:
        result = member_status_transition(member_id=member.pk, to=target, actor=staff, reason="no-op")
        assert result.status == start
        assert not AuditEvent.objects.exists()
    elif (start, target) in EXPECTED_ALLOWED:
        result = member_status_transition(member_id=member.pk, to=target, actor=staff, reason="payment received")
        assert result.status == target
        event = AuditEvent.objects.get()
        assert event.action == "member.status_changed"
        assert event.changes == {"status": [start, target]}
        assert event.actor == staff and event.reason == "payment received"
        assert event.object_id == str(member.pk)
    else:
        with pytest.raises(TransitionNotAllowed):
            member_status_transition(member_id=member.pk, to=target, actor=staff, reason="x")
        assert not AuditEvent.objects.exists()
    member.refresh_from_db()
    assert member.status == (target if (start, target) in EXPECTED_ALLOWED else start)


def test_set_based_transition_checks_every_row_before_writing(member):
    from members.transitions import member_statuses_transition_locked
    from tests.contributions.helpers import member_make

    other = member_make(status=MemberStatus.CLOSED)
    AuditEvent.objects.all().delete()
    with pytest.raises(TransitionNotAllowed):
        member_statuses_transition_locked(members=[(member.pk, "registered"), (other.pk, "closed")], to="active",
                                          actor=None, reason="x")
    assert not AuditEvent.objects.exists()
    assert Member.objects.get(pk=member.pk).status == "registered"

    events: list = []
    member_statuses_transition_locked(members=[(member.pk, "registered")], to="active", actor=None,
                                      reason="first payment", audit_into=events)
    assert Member.objects.get(pk=member.pk).status == "active"
    assert events == [("member.status_changed", "enrollment.member", member.pk,
                       {"status": ["registered", "active"]}, "first payment")]
    assert not AuditEvent.objects.exists()  # the caller writes them with its own


def test_reactivation_keeps_nik_and_kpj(member):
    kpj, index = member.kpj, member.nik_index
    for to in ("active", "lapsed", "active"):
        member_status_transition(member_id=member.pk, to=to, actor=None, reason="test")
    member.refresh_from_db()
    assert (member.status, member.kpj, member.nik_index) == ("active", kpj, index)
    events = AuditEvent.objects.filter(action="member.status_changed").order_by("pk")
    history = list(events.values_list("changes", flat=True))
    assert history == [{"status": ["registered", "active"]}, {"status": ["active", "lapsed"]},
                       {"status": ["lapsed", "active"]}]
