"""The staff scope (ecosystems.selectors.scope) and every selector that uses it: regional staff of South Sumatra
and Palembang's branch find nothing of Jakarta, Jakarta's branch nothing of Palembang; admins everything."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from claims.models import Branch, StaffBranch
from claims.selectors import claim_for_staff, claims_for_staff
from contributions import selectors as money
from contributions.services.payments import payment_order_create_for_many
from core.models import Role
from ecosystems.selectors.scope import staff_scope
from enrollment import selectors as enrollment
from enrollment.bulk import bulk_import_commit_start
from enrollment.models import Member
from tests.scope_world import user, world_fixture


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_fixture(django_db_blocker)


pytestmark = pytest.mark.django_db

SOUTH_SUMATRA = ("regional", "branch_staff", "supervisor")


def test_the_scope_of_each_role(world):
    u = world.users
    assert staff_scope(u["admin"]).national
    assert staff_scope(u["regional"]).regions == ("16",)
    assert staff_scope(u["branch_staff"]).regions == ("16.71",)
    assert staff_scope(u["jakarta_staff"]).regions == ("31.74",)
    for name in ("worker", "sponsor", "organisation", "agent", "heir"):
        assert staff_scope(u[name]).empty
    regional = staff_scope(u["regional"])
    assert regional.covers("16.71.01.1001") and regional.covers("16") and not regional.covers("31.74.01.1001")
    assert not regional.covers("1") and not regional.covers("161") and not regional.covers("")


def test_the_default_branch_serves_every_regency_no_other_branch_names(world):
    central = user("scope-central", Role.BRANCH_STAFF)
    StaffBranch.objects.create(user=central, branch=Branch.objects.get(is_default=True))
    scope = staff_scope(central)
    assert scope.covers("31.71.01.1001")  # its own area
    assert scope.covers("12.01.01.2001")  # no branch names North Sumatra's regencies
    assert not scope.covers("31.74.01.1001") and not scope.covers("16.71.01.1001")  # other branches'
    assert list(Member.objects.filter(scope.q("village__code"))) == []  # the world's members are all elsewhere


@pytest.mark.parametrize("name", SOUTH_SUMATRA)
def test_south_sumatra_staff_find_no_jakarta_member_by_kpj_or_nik(world, name):
    staff, jakarta, palembang = world.users[name], world.objects["jakarta_member"], world.objects["palembang_member"]
    assert money.member_for_staff(query=jakarta.kpj, staff=staff) is None
    assert money.member_for_staff(query=jakarta.nik, staff=staff) is None
    assert money.member_for_staff_by_id(member_id=jakarta.pk, staff=staff) is None
    assert money.member_for_staff(query=palembang.kpj, staff=staff) == palembang
    assert money.member_for_staff(query=palembang.nik, staff=staff) == palembang


def test_jakarta_staff_find_no_palembang_member_and_admins_find_both(world):
    jakarta, palembang = world.objects["jakarta_member"], world.objects["palembang_member"]
    staff = world.users["jakarta_staff"]
    assert money.member_for_staff(query=palembang.nik, staff=staff) is None
    assert money.member_for_staff(query=jakarta.nik, staff=staff) == jakarta
    for member in (jakarta, palembang):
        assert money.member_for_staff(query=member.kpj, staff=world.users["admin"]) == member
        assert money.member_for_staff(query=member.nik, staff=world.users["admin"]) == member
    for name in ("worker", "sponsor", "agent"):
        assert money.member_for_staff(query=palembang.kpj, staff=world.users[name]) is None


@pytest.mark.parametrize("name", SOUTH_SUMATRA)
def test_south_sumatra_staff_open_no_jakarta_receipt_or_order(world, name):
    staff, o = world.users[name], world.objects
    assert money.payment_for_viewer(receipt_number=o["jakarta_payment"].receipt_number, user=staff) is None
    assert money.order_for_viewer(order_id=o["jakarta_order"].pk, user=staff) is None
    assert money.payment_for_viewer(receipt_number=o["palembang_payment"].receipt_number, user=staff) is not None
    assert money.order_for_viewer(order_id=o["palembang_order"].pk, user=staff) is not None


def test_receipts_and_orders_by_branch_and_for_admins(world):
    o, jakarta_staff, admin = world.objects, world.users["jakarta_staff"], world.users["admin"]
    assert money.payment_for_viewer(receipt_number=o["palembang_payment"].receipt_number, user=jakarta_staff) is None
    assert money.order_for_viewer(order_id=o["palembang_order"].pk, user=jakarta_staff) is None
    assert money.payment_for_viewer(receipt_number=o["jakarta_payment"].receipt_number, user=jakarta_staff)
    for key in ("jakarta", "palembang"):
        assert money.payment_for_viewer(receipt_number=o[f"{key}_payment"].receipt_number, user=admin)
        assert money.order_for_viewer(order_id=o[f"{key}_order"].pk, user=admin)


def test_an_order_with_members_in_two_provinces_is_for_admins(world):
    o = world.objects
    both = payment_order_create_for_many(items=[(o["jakarta_member"], 1), (o["palembang_member"], 1)],
                                         payer=world.users["sponsor"])
    for name in ("regional", "branch_staff", "jakarta_staff"):
        assert money.order_for_viewer(order_id=both.pk, user=world.users[name]) is None
    assert money.order_for_viewer(order_id=both.pk, user=world.users["admin"]) == both
    assert money.order_for_viewer(order_id=both.pk, user=world.users["sponsor"]) == both  # its payer


@pytest.mark.parametrize("name", SOUTH_SUMATRA)
def test_south_sumatra_staff_see_no_jakarta_import_and_cannot_confirm_it(world, name):
    staff, o = world.users[name], world.objects
    jakarta_import, palembang_import = o["jakarta_import"], o["palembang_import"]
    assert jakarta_import.status == palembang_import.status == "validated"
    listed = set(enrollment.bulk_imports_for_staff(staff=staff))
    assert palembang_import in listed and jakarta_import not in listed
    assert enrollment.bulk_import_for_viewer(import_id=jakarta_import.pk, user=staff) is None
    assert enrollment.bulk_import_for_viewer(import_id=palembang_import.pk, user=staff) == palembang_import
    # Nobody but the sponsor confirms an import (its invoice), not even staff in scope.
    for item in (jakarta_import, palembang_import):
        with pytest.raises(PermissionDenied):
            bulk_import_commit_start(import_id=item.pk, actor=staff)
        item.refresh_from_db()
        assert item.status == "validated" and item.order_id is None


def test_imports_by_branch_and_for_admins(world):
    o, jakarta_staff, admin = world.objects, world.users["jakarta_staff"], world.users["admin"]
    assert set(enrollment.bulk_imports_for_staff(staff=jakarta_staff)) == {o["jakarta_import"]}
    assert {o["jakarta_import"], o["palembang_import"]} <= set(enrollment.bulk_imports_for_staff(staff=admin))
    with pytest.raises(PermissionDenied):
        bulk_import_commit_start(import_id=o["jakarta_import"].pk, actor=admin)
    for name in ("worker", "sponsor", "agent", "heir"):
        assert list(enrollment.bulk_imports_for_staff(staff=world.users[name])) == []
        assert enrollment.bulk_import_for_viewer(import_id=o["jakarta_import"].pk, user=world.users[name]) is None


def test_claims_stay_with_their_branch(world):
    o = world.objects
    assert list(claims_for_staff(world.users["branch_staff"])) == [o["palembang_claim"]]
    assert list(claims_for_staff(world.users["jakarta_staff"])) == [o["jakarta_claim"]]
    with pytest.raises(Http404):
        claim_for_staff(world.users["supervisor"], o["jakarta_claim"].pk)
    with pytest.raises(Http404):  # regional staff handle no branch's claims
        claims_for_staff(world.users["regional"])
    assert set(claims_for_staff(world.users["admin"])) == {o["jakarta_claim"], o["palembang_claim"]}
