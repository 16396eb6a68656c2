"""Filing a claim: who may file what, heir identity and order, the accident report, bank details, documents,
claim numbers, the message to the claimant and the audit event (never a clear NIK)."""

import datetime as dt
import json
import re
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from claims.models import Claim, ClaimDocument, ClaimStatus
from claims.services import claim_file, reported_late
from claims.services.common import _status_text
from claims.uploads import claim_documents_storage
from core.models import AuditEvent, OutboxMessage, Role
from core.nik import nik_blind_index, nik_decrypt, secret_decrypt
from tests.claims.claim_helpers import (
    BANK,
    HEIR_NIK,
    accident,
    all_documents,
    child,
    death_claim,
    event,
    heir,
    jpeg,
    paid_member,
    pdf,
    staff_make,
    user_make,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def errors(exc) -> dict:
    return exc.value.message_dict


@pytest.fixture
def member():
    return paid_member(months=12)


@pytest.fixture
def worker(member):
    user = user_make()
    member.user = user
    member.save(update_fields=["user"])
    return user


# --- what is stored ------------------------------------------------------------------------------------------------


def test_an_heir_files_a_jkm_death_claim_with_documents(member):
    claimant = user_make(phone="+6281399990001")
    claim = death_claim(member, claimant)
    assert re.fullmatch(r"KLM-2030-\d{7}", claim.number)  # the year is today's (pinned to 2030 in tests)
    assert (claim.status, claim.branch.code, claim.claimant, claim.member) == (ClaimStatus.SUBMITTED, "JKT-SEL",
                                                                               claimant, member)
    assert (claim.heir_name, claim.heir_relationship, claim.heir_phone) == ("SITI AMINAH", "spouse", "+6281399990001")
    assert HEIR_NIK not in claim.heir_nik_ciphertext and nik_decrypt(claim.heir_nik_ciphertext) == HEIR_NIK
    assert "012345678901234" not in claim.account_number_ciphertext
    assert secret_decrypt(claim.account_number_ciphertext) == "012345678901234"
    assert claim.account_number_masked == "****1234"
    assert claim.documents.count() == 8  # with the marriage book: a spouse claims
    assert claim.documents_complete_at is not None  # every required item came with the filing
    assert not claim.reported_late


def test_claim_numbers_are_consecutive_and_unique(member):
    numbers = [death_claim(paid_member(months=12), documents=False).number for _ in range(3)]
    serials = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert serials == [serials[0], serials[0] + 1, serials[0] + 2]


def test_the_filed_message_goes_to_the_claimants_phone_in_their_language(member):
    claimant = user_make(phone="+6281399990002", language="en")
    with translation.override("id"):  # the page's language does not decide: the claimant's does
        claim = death_claim(member, claimant)
    message = OutboxMessage.objects.get(purpose="claim.submitted")
    assert (message.channel, message.recipient) == ("sms", "+6281399990002")
    assert message.body == _status_text(claim, "submitted") and claim.number in message.body
    assert message.body.startswith("BPJS Ketenagakerjaan: your claim")


def test_the_filing_is_audited_without_a_clear_nik_or_account_number(member):
    claim = death_claim(member)
    event_ = AuditEvent.objects.get(action="claim.filed", object_id=str(claim.pk))
    payload = json.dumps(event_.changes)
    assert HEIR_NIK not in payload and "012345678901234" not in payload
    assert event_.changes["heir_nik"] == "3174********0123" and event_.changes["account"] == "****1234"
    assert event_.actor == claim.claimant


def test_a_worker_files_their_own_jht_claim(member, worker):
    claim = claim_file(claimant=worker, member=member, claim_type="jht_leaving", event=event("2026-09-01"),
                       bank=BANK, documents=all_documents("jht_leaving"))
    assert (claim.heir_relationship, claim.heir_nik_ciphertext, claim.documents.count()) == ("", "", 4)


# --- who files what --------------------------------------------------------------------------------------------


def test_a_worker_cannot_file_a_death_claim_for_themselves(member, worker):
    with pytest.raises(ValidationError) as exc:
        claim_file(claimant=worker, member=member, claim_type="jkm_death", event=event(), bank=BANK)
    assert "filed by an heir" in errors(exc)["claim_type"][0]


def test_someone_else_cannot_file_the_workers_own_claims(member):
    with pytest.raises(ValidationError) as exc:
        claim_file(claimant=user_make(), member=member, claim_type="jkk_medical", event=accident(), bank=BANK,
                   heir=heir())
    assert "Only the member" in errors(exc)["claim_type"][0]


def test_an_heir_must_say_who_they_are(member):
    with pytest.raises(ValidationError) as exc:
        claim_file(claimant=user_make(), member=member, claim_type="jkm_death", event=event(), bank=BANK)
    assert "heir_relationship" in errors(exc)


def test_staff_do_not_file_claims(member):
    with pytest.raises(PermissionDenied):
        claim_file(claimant=staff_make(Role.BRANCH_STAFF), member=member, claim_type="jkm_death", event=event(),
                   bank=BANK, heir=heir())


# --- heir identity and order --------------------------------------------------------------------------------


@pytest.mark.parametrize(("nik", "message"), [("31740157089", "16 digits"), ("3174015713900123", "birth-date")])
def test_the_heirs_nik_is_checked(member, nik, message):
    with pytest.raises(ValidationError) as exc:
        claim_file(claimant=user_make(), member=member, claim_type="jkm_death", event=event(), bank=BANK,
                   heir=heir(nik=nik))
    assert message in errors(exc)["heir_nik"][0]


def test_the_heir_cannot_give_the_members_own_nik(member):
    member_nik = nik_decrypt(member.nik_ciphertext)
    member.nik_index = nik_blind_index(member_nik)
    member.save(update_fields=["nik_index"])
    with pytest.raises(ValidationError) as exc:
        claim_file(claimant=user_make(), member=member, claim_type="jkm_death", event=event(), bank=BANK,
                   heir=heir(nik=member_nik))
    assert "NIK of the member" in errors(exc)["heir_nik"][0]


@pytest.mark.parametrize(("relationship", "others", "refused"), [
    ("spouse", ["parent", "sibling"], False),
    ("child", ["spouse"], False),  # the same class: either may claim
    ("parent", ["child"], True),
    ("grandchild", ["sibling"], False),
    ("grandchild", ["parent"], True),
    ("grandparent", ["grandchild"], True),
    ("sibling", ["grandparent"], True),
    ("parent_in_law", ["sibling"], True),
    ("will", ["parent_in_law"], True),
    ("will", [], False),
])
def test_the_heir_order_of_domain_md_is_checked_at_filing(member, relationship, others, refused):
    def file():
        return claim_file(claimant=user_make(), member=member, claim_type="jkm_death", event=event(), bank=BANK,
                          heir=heir(relationship, other_heirs=others))

    if refused:
        with pytest.raises(ValidationError) as exc:
            file()
        assert "may not claim" in errors(exc)["heir_relationship"][0]
    else:
        assert file().details.get("other_heirs", []) == others


@pytest.mark.parametrize("relationship", ["child_in_law", "sibling_in_law"])
def test_in_laws_other_than_parents_cannot_claim(member, relationship):
    with pytest.raises(ValidationError) as exc:
        claim_file(claimant=user_make(), member=member, claim_type="jkm_death", event=event(), bank=BANK,
                   heir=heir(relationship))
    assert "not heirs" in errors(exc)["heir_relationship"][0]


def test_a_higher_heirs_live_claim_stops_a_lower_heir(member):
    death_claim(member, relationship="child", claim_type="jht_death", documents=False)
    with pytest.raises(ValidationError) as exc:
        death_claim(member, relationship="parent", claim_type="jkm_death", documents=False)
    assert errors(exc)["heir_relationship"] == ["Parent may not claim: Child come first."]


def test_one_live_death_claim_per_member_and_type(member):
    first = death_claim(member, documents=False)
    with pytest.raises(ValidationError) as exc:
        death_claim(member, relationship="child", documents=False)
    assert first.number in errors(exc)["claim_type"][0]
    Claim.objects.filter(pk=first.pk).update(status=ClaimStatus.REJECTED)  # setup: a rejected claim no longer counts
    assert death_claim(member, relationship="child", documents=False).status == ClaimStatus.SUBMITTED


# --- the accident report ---------------------------------------------------------------------------------------


def _moment(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


@pytest.mark.parametrize(("reported", "late"), [
    ("2026-08-12T08:30:00+07:00", False),  # exactly 2×24 hours
    ("2026-08-12T08:31:00+07:00", True),  # 48 hours and a minute
    ("2026-08-11T01:30:00+00:00", False),  # UTC: 08:30 WIB the day after
])
def test_reported_late_boundary(reported, late):
    assert reported_late(claim_type="jkk_medical", day=dt.date(2026, 8, 10), time=dt.time(8, 30),
                         reported_at=_moment(reported)) is late


def test_reported_late_applies_to_accidents_only():
    far = _moment("2026-12-01T00:00:00+07:00")
    assert reported_late(claim_type="jkk_death", day=dt.date(2026, 8, 10), time=dt.time(8, 30), reported_at=far)
    assert not reported_late(claim_type="jkm_death", day=dt.date(2026, 8, 10), time=None, reported_at=far)


@pytest.mark.parametrize(("now", "late"), [("2026-08-12T08:30:00+07:00", False), ("2026-08-12T08:31:00+07:00", True)])
def test_a_late_accident_report_is_accepted_and_flagged(member, worker, now, late):
    with mock.patch("django.utils.timezone.now", return_value=_moment(now)):
        claim = claim_file(claimant=worker, member=member, claim_type="jkk_medical", event=accident(), bank=BANK,
                           details={})
    assert (claim.status, claim.reported_late) == (ClaimStatus.SUBMITTED, late)
    assert (claim.event_time, claim.event_place, claim.commuting, claim.traffic_accident) == (
        dt.time(8, 30), "Jl. Sudirman", False, False)


def test_an_accident_needs_time_place_and_what_happened(member, worker):
    with pytest.raises(ValidationError) as exc:
        claim_file(claimant=worker, member=member, claim_type="jkk_medical", event=event(), bank=BANK)
    assert {"event_time", "event_place", "event_description"} <= set(errors(exc))


def test_event_date_cannot_be_in_the_future(member, worker):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        claim_file(claimant=worker, member=member, claim_type="jht_age", event={"date": tomorrow}, bank=BANK)
    assert "future" in errors(exc)["event_date"][0]


@pytest.mark.parametrize(("bank", "field"), [
    ({**BANK, "account_number": "12ab"}, "account_number"), ({**BANK, "bank_name": ""}, "bank_name"),
    ({**BANK, "account_holder": " "}, "account_holder")])
def test_bank_details_are_required(member, worker, bank, field):
    with pytest.raises(ValidationError) as exc:
        claim_file(claimant=worker, member=member, claim_type="jht_age", event=event(), bank=bank)
    assert field in errors(exc)


def test_scholarships_need_the_children(member):
    with pytest.raises(ValidationError) as exc:
        claim_file(claimant=user_make(), member=member, claim_type="jkm_scholarship", event=event(), bank=BANK,
                   heir=heir("child"), details={"children": [{**child("ADI"), "level": "kindergarten"}]})
    assert "children" in errors(exc)
    claim = claim_file(claimant=user_make(), member=member, claim_type="jkm_scholarship", event=event(), bank=BANK,
                       heir=heir("child"), details={"children": [child("ADI", serial=7)]})
    assert claim.details["children"] == [{
        "name": "ADI", "level": "primary", "year_in_level": 1, "birth_date": "2015-03-15",
        "nik_digest": nik_blind_index("3174011503150007"), "nik_masked": "3174********0007"}]
    assert "3174011503150007" not in str(claim.details)  # the NIK itself is never kept


@pytest.mark.parametrize(("children", "field", "message"), [
    ([{**child("ADI"), "nik": "3174011503150000"}], "child_1_nik", "The last four digits of the NIK cannot be 0000."),
    ([{**child("ADI"), "birth_date": "2015-03-16"}], "child_1_nik",
     "The NIK does not match the birth date you entered. Please check both."),
    ([child("ADI", serial=5), child("ANI", serial=5)], "child_2_nik", "This child is named twice."),
    ([child("ADI", level="")], "children",
     "A scholarship is paid from the school year a child starts school: file it when a child is at school."),
    ([{**child("ADI"), "birth_date": None}], "children",
     "Give each child's name, date of birth, NIK, school level and year in it."),
])
def test_each_child_is_checked_next_to_its_fields(member, children, field, message):
    with pytest.raises(ValidationError) as exc:
        claim_file(claimant=user_make(), member=member, claim_type="jkm_scholarship", event=event(), bank=BANK,
                   heir=heir("child"), details={"children": children})
    assert errors(exc)[field] == [message]


def test_two_heirs_cannot_claim_the_same_child(member):
    claim_file(claimant=user_make(), member=member, claim_type="jkm_scholarship", event=event(), bank=BANK,
               heir=heir("child"), details={"children": [child("ADI", serial=11)]})
    with pytest.raises(ValidationError) as exc:
        claim_file(claimant=user_make(), member=member, claim_type="jkk_scholarship", event=event(), bank=BANK,
                   heir=heir("spouse"), details={"children": [child("ADI BIN SAPTO", serial=11)]})
    assert errors(exc)["child_1_nik"] == [
        "This child's scholarship is already claimed for this participant. Ask the branch if that is wrong."]


# --- documents at filing: all or nothing ---------------------------------------------------------------------


def _stored_files() -> set:
    storage = claim_documents_storage()
    found = set()
    if not storage.exists(""):
        return found
    folders, _files = storage.listdir("")
    for folder in folders:
        found.update(f"{folder}/{name}" for name in storage.listdir(folder)[1])
    return found


def test_a_document_that_fails_the_check_files_nothing(member):
    before = (Claim.objects.count(), ClaimDocument.objects.count(), _stored_files())
    fake = SimpleUploadedFile("ktp.jpg", b"MZ\x90\x00" + b"\x00" * 200, content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        claim_file(claimant=user_make(), member=member, claim_type="jkm_death", event=event(), bank=BANK,
                   heir=heir(), documents=[("card", jpeg()), ("ktp", fake)])
    assert "documents" in errors(exc)
    assert (Claim.objects.count(), ClaimDocument.objects.count(), _stored_files()) == before
    assert not OutboxMessage.objects.filter(purpose="claim.submitted").exists()


def test_a_document_the_claim_type_does_not_take_is_refused(member):
    with pytest.raises(ValidationError) as exc:
        claim_file(claimant=user_make(), member=member, claim_type="jkm_death", event=event(), bank=BANK,
                   heir=heir(), documents=[("passport", pdf())])
    assert "Passport" in errors(exc)["documents"][0]


def test_stored_files_get_random_names_under_the_claim(member):
    claim = claim_file(claimant=user_make(), member=member, claim_type="jkm_death", event=event(), bank=BANK,
                       heir=heir(), documents=[("ktp", jpeg("KTP Siti.jpg"))])
    document = claim.documents.get()
    assert re.fullmatch(rf"{claim.pk}/[0-9a-f]{{32}}\.jpg", document.file.name)
    assert (document.original_name, document.uploaded_by, document.status) == ("KTP Siti.jpg", claim.claimant,
                                                                                "pending")


# --- refused at filing: no cover on the day, or a work accident past its claim window -----------------------------


@pytest.mark.parametrize(("claim_type", "day"), [
    ("jkm_death", "2027-03-10"),    # 2026 paid, March 2027 not
    ("jkk_death", "2027-03-10"),
    ("jkm_death", "2025-12-20"),    # before the cover began (billed from January 2026)
])
def test_an_event_on_a_day_without_cover_is_refused_at_once_with_what_to_do(member, claim_type, day):
    with pytest.raises(ValidationError) as exc:
        death_claim(member, claim_type=claim_type, day=day, documents=False)
    message = errors(exc)["event_date"][0]
    assert "was not paid by" in message and "Paying now does not cover" in message and "receipt" in message
    assert not Claim.objects.exists()


def test_jht_needs_no_paid_month(member):
    assert death_claim(member, claim_type="jht_death", day="2027-03-10", documents=False).pk


@pytest.mark.clock(dt.datetime(2031, 8, 10, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))))
def test_a_work_accident_is_claimed_up_to_5_years_after(member, worker):
    claim = claim_file(claimant=worker, member=member, claim_type="jkk_medical", event=accident("2026-08-10"),
                       bank=BANK)
    assert claim.pk  # 10 August 2031: the last day


@pytest.mark.clock(dt.datetime(2031, 8, 11, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))))
def test_a_work_accident_older_than_5_years_is_refused_with_the_reason(member, worker):
    with pytest.raises(ValidationError) as exc:
        claim_file(claimant=worker, member=member, claim_type="jkk_medical", event=accident("2026-08-10"), bank=BANK)
    assert errors(exc)["event_date"] == [
        "A work accident can be claimed up to 5 years after it happened (this one until Aug. 10, 2031). It is older, "
        "so it can no longer be claimed."]
    # JKM has no such window: a death is claimed whenever the heir comes.
    assert death_claim(member, day="2026-08-10", documents=False).pk
