"""The staff scope (ecosystems.selectors.scope) and every selector that uses it: regional staff of South Sumatra
and Palembang's branch find nothing of Jakarta, Jakarta's branch nothing of Palembang; admins everything."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client

from claims.selectors import claim_for_staff, claims_for_staff
from contributions import selectors as money
from contributions.services.payments import payment_order_create_for_many
from core.models import AuditEvent, Role
from members.models import Member
from reference.models import Branch, StaffBranch
from reference.scope import staff_scope
from sponsors import selectors as enrollment
from sponsors.bulk import bulk_import_commit_start
from tests.scope_world import sign_in, user, world_fixture


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_fixture(django_db_blocker)


pytestmark = pytest.mark.django_db

SOUTH_SUMATRA = ("regional", "branch_staff", "supervisor")


def test_the_scope_of_each_role(world):
    u = world.users
    assert staff_scope(viewer=u["admin"]).national
    assert staff_scope(viewer=u["regional"]).regions == ("16",) and staff_scope(viewer=u["regional"]).region == "16"
    assert staff_scope(viewer=u["branch_staff"]).regions == ("16.71",)
    assert staff_scope(viewer=u["jakarta_staff"]).regions == ("31.74",)
    for name in ("worker", "sponsor", "organisation", "agent", "heir"):
        assert staff_scope(viewer=u[name]).empty
    regional = staff_scope(viewer=u["regional"])
    assert regional.covers("16.71.01.1001") and regional.covers("16") and not regional.covers("31.74.01.1001")
    assert not regional.covers("1") and not regional.covers("161") and not regional.covers("")


def test_the_default_branch_serves_every_regency_no_other_branch_names(world):
    central = user("scope-central", Role.BRANCH_STAFF)
    StaffBranch.objects.create(user=central, branch=Branch.objects.get(is_default=True))
    scope = staff_scope(viewer=central)
    assert scope.covers("31.71.01.1001")  # its own area
    assert scope.covers("12.01.01.2001")  # no branch names North Sumatra's regencies
    assert not scope.covers("31.74.01.1001") and not scope.covers("16.71.01.1001")  # other branches'
    assert list(Member.objects.filter(scope.q("village__code"))) == []  # the world's members are all elsewhere


@pytest.mark.parametrize("name", SOUTH_SUMATRA)
def test_south_sumatra_staff_find_no_jakarta_member_by_kpj_or_nik(world, name):
    staff, jakarta, palembang = world.users[name], world.objects["jakarta_member"], world.objects["palembang_member"]
    assert money.member_for_staff(query=jakarta.kpj, viewer=staff) is None
    assert money.member_for_staff(query=jakarta.nik, viewer=staff) is None
    assert money.member_for_staff_by_id(member_id=jakarta.pk, viewer=staff) is None
    assert money.member_for_staff(query=palembang.kpj, viewer=staff) == palembang
    assert money.member_for_staff(query=palembang.nik, viewer=staff) == palembang


def test_jakarta_staff_find_no_palembang_member_and_admins_find_both(world):
    jakarta, palembang = world.objects["jakarta_member"], world.objects["palembang_member"]
    staff = world.users["jakarta_staff"]
    assert money.member_for_staff(query=palembang.nik, viewer=staff) is None
    assert money.member_for_staff(query=jakarta.nik, viewer=staff) == jakarta
    for member in (jakarta, palembang):
        assert money.member_for_staff(query=member.kpj, viewer=world.users["admin"]) == member
        assert money.member_for_staff(query=member.nik, viewer=world.users["admin"]) == member
    for name in ("worker", "sponsor", "agent"):
        assert money.member_for_staff(query=palembang.kpj, viewer=world.users[name]) is None


@pytest.mark.parametrize("name", SOUTH_SUMATRA)
def test_south_sumatra_staff_open_no_jakarta_receipt_or_order(world, name):
    staff, o = world.users[name], world.objects
    assert money.payment_for_viewer(receipt_number=o["jakarta_payment"].receipt_number, viewer=staff) is None
    assert money.order_for_viewer(order_id=o["jakarta_order"].pk, viewer=staff) is None
    assert money.payment_for_viewer(receipt_number=o["palembang_payment"].receipt_number, viewer=staff) is not None
    assert money.order_for_viewer(order_id=o["palembang_order"].pk, viewer=staff) is not None


def test_receipts_and_orders_by_branch_and_for_admins(world):
    o, jakarta_staff, admin = world.objects, world.users["jakarta_staff"], world.users["admin"]
    assert money.payment_for_viewer(receipt_number=o["palembang_payment"].receipt_number, viewer=jakarta_staff) is None
    assert money.order_for_viewer(order_id=o["palembang_order"].pk, viewer=jakarta_staff) is None
    assert money.payment_for_viewer(receipt_number=o["jakarta_payment"].receipt_number, viewer=jakarta_staff)
    for key in ("jakarta", "palembang"):
        assert money.payment_for_viewer(receipt_number=o[f"{key}_payment"].receipt_number, viewer=admin)
        assert money.order_for_viewer(order_id=o[f"{key}_order"].pk, viewer=admin)


def test_an_order_with_members_in_two_provinces_is_for_admins(world):
    o = world.objects
    both = payment_order_create_for_many(items=[(o["jakarta_member"], 1), (o["palembang_member"], 1)],
                                         payer=world.users["sponsor"])
    for name in ("regional", "branch_staff", "jakarta_staff"):
        assert money.order_for_viewer(order_id=both.pk, viewer=world.users[name]) is None
    assert money.order_for_viewer(order_id=both.pk, viewer=world.users["admin"]) == both
    assert money.order_for_viewer(order_id=both.pk, viewer=world.users["sponsor"]) == both  # its payer


@pytest.mark.parametrize("name", SOUTH_SUMATRA)
def test_south_sumatra_staff_see_no_jakarta_import_and_cannot_confirm_it(world, name):
    staff, o = world.users[name], world.objects
    jakarta_import, palembang_import = o["jakarta_import"], o["palembang_import"]
    assert jakarta_import.status == palembang_import.status == "validated"
    listed = set(enrollment.bulk_imports_for_staff(viewer=staff))
    assert palembang_import in listed and jakarta_import not in listed
    assert enrollment.bulk_import_for_viewer(import_id=jakarta_import.pk, viewer=staff) is None
    assert enrollment.bulk_import_for_viewer(import_id=palembang_import.pk, viewer=staff) == palembang_import
    # Nobody but the sponsor confirms an import (its invoice), not even staff in scope.
    for item in (jakarta_import, palembang_import):
        with pytest.raises(PermissionDenied):
            bulk_import_commit_start(import_id=item.pk, actor=staff)
        item.refresh_from_db()
        assert item.status == "validated" and item.order_id is None


def test_imports_by_branch_and_for_admins(world):
    o, jakarta_staff, admin = world.objects, world.users["jakarta_staff"], world.users["admin"]
    assert set(enrollment.bulk_imports_for_staff(viewer=jakarta_staff)) == {o["jakarta_import"]}
    assert {o["jakarta_import"], o["palembang_import"]} <= set(enrollment.bulk_imports_for_staff(viewer=admin))
    with pytest.raises(PermissionDenied):
        bulk_import_commit_start(import_id=o["jakarta_import"].pk, actor=admin)
    for name in ("worker", "sponsor", "agent", "heir"):
        assert list(enrollment.bulk_imports_for_staff(viewer=world.users[name])) == []
        assert enrollment.bulk_import_for_viewer(import_id=o["jakarta_import"].pk, viewer=world.users[name]) is None


def test_claims_stay_with_their_branch(world):
    o = world.objects
    assert list(claims_for_staff(viewer=world.users["branch_staff"])) == [o["palembang_claim"]]
    assert list(claims_for_staff(viewer=world.users["jakarta_staff"])) == [o["jakarta_claim"]]
    with pytest.raises(Http404):
        claim_for_staff(viewer=world.users["supervisor"], pk=o["jakarta_claim"].pk)
    with pytest.raises(Http404):  # regional staff handle no branch's claims
        claims_for_staff(viewer=world.users["regional"])
    assert set(claims_for_staff(viewer=world.users["admin"])) == {o["jakarta_claim"], o["palembang_claim"]}


# --- the member page: search by POST, NIK masked until an audited show --------------------------------------------


@pytest.fixture
def regional_client(world):
    client = Client()
    sign_in(client, world.users["regional"])
    return client


def test_staff_search_by_nik_is_a_post_and_shows_the_nik_masked(world, regional_client):
    member = world.objects["palembang_member"]
    response = regional_client.post("/staf/peserta/", {"q": member.nik})
    assert response.status_code == 200 and response.request["PATH_INFO"] == "/staf/peserta/"
    html = response.content.decode()
    assert member.kpj in html and member.nik_masked in html and member.nik not in html
    assert "no-store" in response["Cache-Control"]
    # A search put in the URL (an old bookmark, a typed link) is not run: the NIK must not travel in URLs.
    html = regional_client.get("/staf/peserta/", {"q": member.nik}).content.decode()
    assert member.kpj not in html


def test_a_member_outside_the_region_is_not_found_by_nik_or_kpj(world, regional_client):
    member = world.objects["jakarta_member"]
    for query in (member.nik, member.kpj):
        html = regional_client.post("/staf/peserta/", {"q": query}).content.decode()
        assert "No member in your area has this participant number or NIK." in html
        assert member.full_name not in html and member.nik_masked not in html
        assert f'value="{query}"' in html  # what was typed stays in the box


def test_showing_the_full_nik_is_deliberate_and_audited(world, regional_client):
    member, staff = world.objects["palembang_member"], world.users["regional"]
    response = regional_client.post("/staf/peserta/", {"member": member.pk})
    assert response.status_code == 200 and member.nik in response.content.decode()
    event = AuditEvent.objects.get(action="member.nik_shown", object_id=str(member.pk))
    assert event.actor == staff and member.nik not in str(event.changes)
    # Outside the region: no page, nothing shown, nothing recorded; odd ids are a 404, never a 500.
    for odd in (world.objects["jakarta_member"].pk, "abc", "", "9" * 30):
        assert regional_client.post("/staf/peserta/", {"member": odd}).status_code == 404
    assert AuditEvent.objects.filter(action="member.nik_shown").count() == 1


def test_staff_open_a_receipt_in_their_region_and_not_one_outside(world, regional_client):
    o = world.objects
    assert regional_client.get(f"/anggota/bukti-bayar/{o['palembang_payment'].receipt_number}/").status_code == 200
    assert regional_client.get(f"/anggota/bukti-bayar/{o['jakarta_payment'].receipt_number}/").status_code == 404
    assert regional_client.get(f"/anggota/bayar/{o['jakarta_order'].pk}/").status_code == 404
    html = regional_client.get("/staf/impor/").content.decode()
    assert f"/penyantun/impor/{o['palembang_import'].pk}/" in html
    assert f"/penyantun/impor/{o['jakarta_import'].pk}/" not in html
    # In scope the import is readable, but its confirm button is the sponsor's alone.
    html = regional_client.get(f"/penyantun/impor/{o['palembang_import'].pk}/").content.decode()
    assert "/daftarkan/" not in html
    assert regional_client.post(f"/penyantun/impor/{o['palembang_import'].pk}/daftarkan/").status_code == 403
