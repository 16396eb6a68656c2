"""members.services: each set-based twin against its row-by-row original, field by field: registration
(members_create_many / member_create) and sponsorships (sponsorships_create_many / sponsorship_create,
sponsorships_request_many / sponsorship_request)."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from core.choices import FundingSource
from core.models import AuditEvent, OutboxMessage, User
from core.nik import nik_decrypt
from members.models import Member, MemberInvitation, RegistrationChannel, Sponsor, Sponsorship
from members.services import (
    member_create,
    member_row_from_registration,
    members_create_many,
    sponsorship_create,
    sponsorship_request,
    sponsorships_create_many,
    sponsorships_request_many,
)
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


def _members(registration_data, count: int) -> list[Member]:
    return [member_create(data=registration_data(nik=nik_for(dt.date(1990, 8, 17), "P", serial=f"{k + 1:04d}"),
                                                 phone=f"+628123450{k:04d}"), user=None, actor=None)
            for k in range(count)]


def _sponsors() -> list[Sponsor]:
    return [Sponsor.objects.create(user=User.objects.create(username=f"s{k}", phone=f"+628130000000{k}"),
                                   name=f"Sponsor {k}") for k in range(2)]


def _sponsorships(sponsor: Sponsor) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in {"id", "sponsor_id", "member_id", "created_at"}}
            for row in Sponsorship.objects.filter(sponsor=sponsor).order_by("member_id").values()]


def test_sponsorships_for_many_agree_with_one_sponsorship(registration_data):
    members, (one, many) = _members(registration_data, 3), _sponsors()
    confirmed = timezone.now()
    for member in members:
        sponsorship_create(sponsor=one, member=member, relationship="employer", confirmed_at=confirmed)
    sponsorships_create_many(sponsor=many, member_ids=[m.pk for m in members], relationship="employer",
                             confirmed_at=confirmed)
    assert _sponsorships(one) == _sponsorships(many) and len(_sponsorships(one)) == 3
    assert _sponsorships(one)[0]["confirmed_at"] == confirmed and _sponsorships(one)[0]["ended_at"] is None


def test_sponsorship_requests_for_many_agree_with_one_request(registration_data):
    members, (one, many) = _members(registration_data, 3), _sponsors()
    OutboxMessage.objects.all().delete()
    body = "{name} would like to pay your contributions."
    MemberInvitation.objects.create(sender=one.user, member=members[2], day=timezone.localdate())  # texted today
    MemberInvitation.objects.create(sender=many.user, member=members[2], day=timezone.localdate())
    for member in members:
        sponsorship_request(sponsor=one, member=member, relationship="other", body=body.format(name=one.name))
    texts_one = list(OutboxMessage.objects.order_by("pk").values_list("channel", "recipient", "purpose", "body"))
    OutboxMessage.objects.all().delete()
    sponsorships_request_many(sponsor=many, members=members, body=body.format(name=many.name))
    texts_many = list(OutboxMessage.objects.order_by("pk").values_list("channel", "recipient", "purpose", "body"))

    assert _sponsorships(one) == _sponsorships(many) and len(_sponsorships(one)) == 3
    assert _sponsorships(one)[0]["confirmed_at"] is None  # waiting for the member's answer
    invitations = [sorted(MemberInvitation.objects.filter(sender=s.user).values_list("member_id", "day"))
                   for s in (one, many)]
    assert invitations[0] == invitations[1] and len(invitations[0]) == 3
    assert [t[:3] for t in texts_one] == [t[:3] for t in texts_many] == [
        ("sms", str(m.phone), "sponsorship") for m in members[:2]]  # at most one text a day
    assert [t[3] for t in texts_one] == [body.format(name=one.name)] * 2
    assert [t[3] for t in texts_many] == [body.format(name=many.name)] * 2
