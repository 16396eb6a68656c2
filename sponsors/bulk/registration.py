"""The registration of a checked file: everyone or nobody, in one transaction, set-based; existing members are
asked to accept the sponsor, and one invoice covers the new members."""

from __future__ import annotations

import datetime as dt
import functools

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from contributions.services.payments import payment_order_create_from_set
from core.models import STAFF_ROLES, User
from core.services import audit_event_record, phone_users_get_or_create_many
from members.models import Member, RegistrationChannel
from members.services import MemberRow, members_create_many, sponsorships_create_many, sponsorships_request_many
from sponsors.bulk.validation import BATCH
from sponsors.bulk_files import bulk_import_file_delete
from sponsors.models import BulkImport, BulkImportRow, BulkRowStatus
from sponsors.transitions import bulk_import_status_transition_locked


def bulk_import_commit(*, import_id: int, actor) -> BulkImport:
    """Registers every accepted row and asks existing members to accept the sponsor, all in one transaction, then
    issues one invoice (workers × months). Set-based, in batches of rows: users, members, audit events, first bills
    and the invoice lines are bulk statements, not a query per worker. Nothing is half-done: any failure leaves no
    member behind."""
    with transaction.atomic(durable=True):
        bulk = BulkImport.objects.select_for_update().select_related("sponsor").get(pk=import_id)
        if bulk.status not in (BulkImport.Status.VALIDATED, BulkImport.Status.COMMITTING):
            return bulk
        accepted = bulk.rows.filter(status=BulkRowStatus.ACCEPTED)
        _refuse_changed_rows(accepted)
        today = timezone.localdate()
        registered = 0
        batch: list = []
        rows = accepted.order_by("row_number").values_list("row_number", "nik_index", "phone", "data")
        for row in rows.iterator(chunk_size=BATCH):
            batch.append(row)
            if len(batch) >= BATCH:
                registered += _register_batch(bulk, batch, actor, today)
                batch = []
        registered += _register_batch(bulk, batch, actor, today)
        _link_rows(bulk)
        _ask_existing_members(bulk)
        order = _invoice(bulk, actor, today) if registered else None
        bulk_import_status_transition_locked(bulk=bulk, to=BulkImport.Status.COMMITTED, actor=actor,
                                             committed_at=timezone.now(), order=order, error="")
        audit_event_record(actor=actor, action="bulk_import.committed", obj=bulk,
                           changes={"registered": registered, "order": order.pk if order else None})
        # The rows hold what the file said (NIKs encrypted): the spreadsheet itself goes now.
        transaction.on_commit(functools.partial(bulk_import_file_delete, import_id=bulk.pk))
        return bulk


def _refuse_changed_rows(accepted) -> None:
    """What happened since the check, for the whole file at once: a NIK or phone number now a member's, or a phone
    number of a staff account (staff never get phone sign-in)."""
    problems = [
        (accepted.filter(nik_index__in=Member.objects.values("nik_index")),
         _("This NIK is already registered.")),
        (accepted.filter(phone__in=Member.objects.values("phone")),
         _("This phone number already belongs to a member.")),
        (accepted.filter(phone__in=User.objects.filter(
            Q(role__in=STAFF_ROLES) | Q(is_staff=True) | Q(is_active=False)).exclude(phone=None).values("phone")),
         _("This phone number cannot be used for a worker's account.")),
    ]
    for rows, message in problems:
        first = rows.order_by("row_number").values_list("row_number", flat=True).first()
        if first is not None:
            raise ValidationError(_("Row %(row)s changed since the check: %(error)s Please check the file "
                                    "again.") % {"row": first, "error": message})


def _register_batch(bulk: BulkImport, batch: list, actor, today: dt.date) -> int:
    """Users (new ones without a password: they sign in by phone code), members, their audit events, the
    sponsorships and the welcome SMS for one batch of rows, each as one bulk statement of the app that owns the
    table. Phone numbers were checked and put in E.164 when the file was read, so they are written as they are. A
    phone number that already has an account (a sponsor's, an agent's, an heir's) gives a member without an account:
    its owner claims it with the NIK and birth date (services.member_claim), nobody finds a stranger's membership in
    their account."""
    if not batch:
        return 0
    accounts = phone_users_get_or_create_many(
        phones=[phone for _n, _i, phone, _d in batch], actor_id=actor.pk,
        changes={"via": "bulk_import", "bulk_import": bulk.pk})
    users = {phone: pk for phone, (pk, created) in accounts.items() if created}  # never an existing account
    rows = [MemberRow(nik_ciphertext=d["nik"], nik_index=index, nik_masked=d["nik_masked"], full_name=d["name"],
                      birth_place=d["birth_place"], birth_date=dt.date.fromisoformat(d["birth_date"]),
                      gender=d["gender"], phone=phone, village_code=d["village"], address_line=d["address"],
                      occupation_code=d["occupation"], income_base_idr=d["income"], has_jht=d["jht"],
                      user_id=users.get(phone))
            for _number, index, phone, d in batch]
    created = members_create_many(rows=rows, actor_id=actor.pk, channel=RegistrationChannel.BULK,
                                  funding_source=bulk.sponsor.funding_source, sponsor=bulk.sponsor,
                                  audit_changes={"bulk_import": bulk.pk})
    sponsorships_create_many(sponsor=bulk.sponsor, member_ids=[pk for pk, _kpj in created],
                             confirmed_at=timezone.now())
    return len(created)


def _link_rows(bulk: BulkImport) -> None:
    rows = bulk.rows.filter(status=BulkRowStatus.ACCEPTED)
    rows.update(member=Subquery(Member.objects.filter(nik_index=OuterRef("nik_index")).values("pk")[:1]))


def _ask_existing_members(bulk: BulkImport) -> None:
    """Existing members in the file are asked to accept the sponsor (decisions.md, R); nothing more happens to them."""
    indexes = bulk.rows.filter(status=BulkRowStatus.EXISTING).values("nik_index")
    members = Member.objects.filter(nik_index__in=indexes).exclude(
        sponsorships__sponsor=bulk.sponsor, sponsorships__ended_at=None)
    body = _("%(name)s would like to pay your BPJS Ketenagakerjaan contributions. Sign in to the BPU portal to accept "
             "or decline.") % {"name": bulk.sponsor.name}
    asked = []
    for member in members.only("pk", "phone").iterator(chunk_size=BATCH):
        asked.append(member)
        if len(asked) >= BATCH:
            sponsorships_request_many(sponsor=bulk.sponsor, members=asked, body=body)
            asked = []
    sponsorships_request_many(sponsor=bulk.sponsor, members=asked, body=body)


def _invoice(bulk: BulkImport, actor, today: dt.date):
    """The first bills for the months each row asked for, and one order with a line per worker
    (contributions.services.payments.payment_order_create_from_set)."""
    rows = (f"SELECT r.member_id, r.months FROM {BulkImportRow._meta.db_table} r "  # noqa: S608
            "WHERE r.bulk_import_id = %s AND r.status = %s", [bulk.pk, BulkRowStatus.ACCEPTED])
    return payment_order_create_from_set(items=rows, payer=actor, today=today, changes={"bulk_import": bulk.pk})
