"""core.services.users: an account signing in by email and password, with its allauth address; an account named by
its keys only; an account's language and contact address."""

import pytest
from allauth.account.models import EmailAddress

from core.models import AuditEvent, Role, User
from core.services import EmailTaken, email_user_create, key_user_create, user_contact_update, user_password_set

pytestmark = pytest.mark.django_db


def _create(**overrides) -> User:
    fields = {"username": "org-1", "email": "csr@example.id", "password": "Peduli-Pekerja-2026",
              "role": Role.SPONSOR, "changes": {"via": "test"}}
    return email_user_create(**(fields | overrides))


def test_an_account_with_its_address_and_audit_event():
    user = _create(first_name="Dewi")
    assert user.role == Role.SPONSOR and not user.is_staff and not user.is_superuser
    assert user.check_password("Peduli-Pekerja-2026") and user.first_name == "Dewi"
    address = EmailAddress.objects.get(user=user)
    assert address.email == "csr@example.id" and address.primary and not address.verified
    event = AuditEvent.objects.get(actor=user)
    assert (event.action, event.changes) == ("user.created", {"via": "test"})


def test_a_taken_address_whatever_its_case_and_a_staff_role_are_refused():
    _create()
    with pytest.raises(EmailTaken):
        _create(username="org-2", email="csr@example.id")
    User.objects.create(username="spv", email="SPV@bpjs.example", role=Role.SUPERVISOR)
    with pytest.raises(EmailTaken):
        _create(username="org-3", email="spv@bpjs.example")
    with pytest.raises(ValueError):
        _create(username="org-4", email="new@example.id", role=Role.SUPERVISOR)
    assert User.objects.filter(username__startswith="org-").count() == 1


def test_a_new_password_is_audited():
    user = _create()
    user_password_set(user=user, password="Another-Password-2026")
    user.refresh_from_db()
    assert user.check_password("Another-Password-2026")
    assert AuditEvent.objects.filter(actor=user, action="user.password_changed").count() == 1


def test_an_account_named_by_its_keys_has_no_password_and_is_never_staff():
    user = key_user_create(role=Role.PARTNER, name="Toko Sejahtera " * 20)
    assert user.role == Role.PARTNER and user.username.startswith("partner-") and not user.has_usable_password()
    assert user.first_name == ("Toko Sejahtera " * 20)[:150] and not user.is_staff
    assert key_user_create(role=Role.PARTNER, name="x").username != user.username
    with pytest.raises(ValueError):
        key_user_create(role=Role.BRANCH_STAFF, name="x")


def test_contact_update_changes_the_email_only_when_given():
    user = _create()
    user_contact_update(user=user, language="en")
    user.refresh_from_db()
    assert (user.language, user.email) == ("en", "csr@example.id")
    user_contact_update(user=user, language="id", email="baru@example.id")
    user.refresh_from_db()
    assert (user.language, user.email) == ("id", "baru@example.id")

