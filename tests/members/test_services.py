"""members.services: the set-based registration (members_create_many) against the row-by-row one (member_create),
field by field."""

import datetime as dt

import pytest
from django.db import transaction

from core.choices import FundingSource
from core.models import AuditEvent, OutboxMessage, User
from core.nik import nik_decrypt
from members.models import Member, RegistrationChannel
from members.services import member_create, member_row_from_registration, members_create_many
from tests.core.helpers import english, nik_for  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

# Everything a member row holds except what is drawn or stamped per row (and the ciphertext, whose nonce is random:
# the NIK inside is compared instead).
NOT_COMPARED = {"id", "kpj", "card_token", "created_at", "updated_at", "consented_at", "nik_ciphertext"}


def _registrations(registration_data):
    return [
        registration_data(),
        registration_data(nik=nik_for(dt.date(1985, 3, 12), "L", serial="0002"), full_name="  budi   santoso ",
                          birth_place=" Bandung ", birth_date=dt.date(1985, 3, 12), gender="L", phone="+6281234567891",
                          address_line=" Jl. Mawar 1 ", occupation_code="pedagang-pasar",
                          income_base_idr=2_000_000, programs=["JKK", "JKM"], email="budi@example.com"),
        registration_data(nik=nik_for(dt.date(1999, 1, 2), "P", serial="0003"), full_name="Ani",
                          birth_date=dt.date(1999, 1, 2), phone="+6281234567892", occupation_code="nelayan",
                          programs=["JKK", "JKM"]),
    ]


def _users():
    return [User.objects.create(username="p6281234567890", phone="+6281234567890", language="en"), None,
            User.objects.create(username="p6281234567892", phone="+6281234567892")]


def _written(actor: User) -> dict[str, dict]:
    """What registration wrote, by NIK, with the per-row draws (KPJ) taken out of the texts."""
    out = {}
    for member in Member.objects.all():
        row = {k: v for k, v in Member.objects.filter(pk=member.pk).values().get().items() if k not in NOT_COMPARED}
        events = [(e.action, e.object_type, e.actor_id, e.reason, e.ip_address,
                   {k: ("KPJ" if k == "kpj" else v) for k, v in e.changes.items()})
                  for e in AuditEvent.objects.filter(object_id=str(member.pk), object_type="enrollment.member")]
        texts = [(m.channel, m.recipient, m.subject, m.purpose, m.status, m.body.replace(member.kpj, "KPJ"))
                 for m in OutboxMessage.objects.filter(recipient=str(member.phone))]
        out[nik_decrypt(member.nik_ciphertext)] = {"member": row, "audit": events, "texts": texts}
    return out


def _clear():
    Member.objects.all().delete()
    AuditEvent.objects.all().delete()
    OutboxMessage.objects.all().delete()


@pytest.mark.parametrize("channel, funding", [(RegistrationChannel.SELF, FundingSource.SELF),
                                              (RegistrationChannel.BULK, FundingSource.APBD)])
def test_register_many_agrees_with_register_one_field_by_field(registration_data, channel, funding):
    actor = User.objects.create(username="sponsor", phone="+6281300000001")
    registrations, users = _registrations(registration_data), _users()
    with transaction.atomic():
        for data, user in zip(registrations, users, strict=True):
            member_create(data=data, user=user, actor=actor, channel=channel, funding_source=funding)
    one_by_one = _written(actor)
    _clear()
    with transaction.atomic():
        created = members_create_many(
            rows=[member_row_from_registration(data, user=user) for data, user in zip(registrations, users,
                                                                                     strict=True)],
            actor_id=actor.pk, channel=channel, funding_source=funding)
    many = _written(actor)
    assert len(created) == 3 and [kpj for _pk, kpj in created] == list(
        Member.objects.filter(pk__in=[pk for pk, _k in created]).order_by("pk").values_list("kpj", flat=True))
    assert set(many) == set(one_by_one) == {d.nik for d in registrations}
    for nik in one_by_one:
        assert many[nik] == one_by_one[nik], nik
    # Not vacuous: the rows differ from each other where the answers do.
    members = {nik: written["member"] for nik, written in many.items()}
    assert {m["full_name"] for m in members.values()} == {"SITI RAHAYU", "BUDI SANTOSO", "ANI"}
    assert {m["language"] for m in members.values()} == {"en", "id"}
    assert [len(w["audit"]) for w in many.values()] == [1, 1, 1]
    assert [len(w["texts"]) for w in many.values()] == [1, 1, 1]


def test_register_many_adds_the_callers_audit_changes(registration_data):
    actor = User.objects.create(username="sponsor", phone="+6281300000001")
    with transaction.atomic():
        [(pk, kpj)] = members_create_many(rows=[member_row_from_registration(registration_data())], actor_id=actor.pk,
                                          channel=RegistrationChannel.BULK, funding_source=FundingSource.APBD,
                                          audit_changes={"bulk_import": 7})
    event = AuditEvent.objects.get(object_id=str(pk), action="member.registered")
    assert event.changes["kpj"] == kpj and event.changes["bulk_import"] == 7


def test_register_many_of_nothing_writes_nothing(db):
    assert members_create_many(rows=[], actor_id=None, channel=RegistrationChannel.BULK,
                               funding_source=FundingSource.APBD) == []
    assert not Member.objects.exists() and not OutboxMessage.objects.exists()
