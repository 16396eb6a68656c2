"""The admin puts staff on branches and only reads claims and payouts."""

import pytest

from claims.models import ClaimStatus
from core.models import Role, User
from reference.admin import StaffBranchForm
from reference.models import Branch
from tests.claims.claim_helpers import death_claim, paid_member, staff_make, user_make, walk
from tests.core.helpers import staff_login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def admin_client(client):
    admin = User.objects.create(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)
    staff_login(client, admin)  # staff without TOTP are sent to set it up first
    return client


@pytest.mark.parametrize(("role", "ok"), [(Role.BRANCH_STAFF, True), (Role.SUPERVISOR, True), (Role.WORKER, False),
                                          (Role.ADMIN, False)])
def test_only_branch_staff_and_supervisors_are_put_on_a_branch(role, ok):
    user = user_make(role=role)
    form = StaffBranchForm(data={"user": user.pk, "branch": Branch.objects.get(code="JKT-SEL").pk})
    assert form.is_valid() is ok


def test_claims_and_payouts_are_read_only_in_the_admin(admin_client):
    claim = walk(death_claim(paid_member(months=12)), to=ClaimStatus.PAID, staff=staff_make())
    page = admin_client.get(f"/admin/claims/claim/{claim.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert claim.number in html and claim.account_number_ciphertext not in html
    assert claim.heir_nik_ciphertext not in html and 'name="_save"' not in html
    assert admin_client.get("/admin/claims/claim/add/").status_code == 403
    assert admin_client.post(f"/admin/claims/claim/{claim.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get(f"/admin/claims/claimpayout/{claim.payout.pk}/change/").status_code == 200
    assert admin_client.get("/admin/claims/claimpayout/add/").status_code == 403
    assert admin_client.get("/admin/reference/staffbranch/add/").status_code == 200
