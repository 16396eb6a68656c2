"""Accounts: workers, sponsors and agents sign in by phone; staff and partners by other means and have none."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from core.models import Role, User

SIGN_IN_BY_PHONE = (Role.WORKER, Role.SPONSOR, Role.AGENT)


class UserFactory(DjangoModelFactory):
    """A worker by default; `UserFactory(staff=True)`, `supervisor=True`, `admin=True`, `sponsor=True`, `agent=True`
    give the other roles. Pass `phone=None` for an account without a phone."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user-{n}")
    role = Role.WORKER
    phone = factory.LazyAttributeSequence(
        lambda o, n: f"+62819{n % 100_000_000:08d}" if o.role in SIGN_IN_BY_PHONE else None)

    class Params:
        staff = factory.Trait(role=Role.BRANCH_STAFF)
        supervisor = factory.Trait(role=Role.SUPERVISOR)
        admin = factory.Trait(role=Role.ADMIN, is_staff=True, is_superuser=True)
        sponsor = factory.Trait(role=Role.SPONSOR)
        agent = factory.Trait(role=Role.AGENT)
