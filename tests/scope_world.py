"""A small country for staff-scope tests: members, money, claims and imports in Jakarta (31.74) and Palembang,
South Sumatra (16.71), and one account of every role. Staff of South Sumatra and of the Palembang branch look at
Jakarta's objects, so a leak shows. Built through the services where the services make it (payments, claims,
imports); plain rows where they are reference data (regions, branches, accounts)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Role, User
from members.models import Member
from reference.models import Region
from tests.factories.core import UserFactory
from tests.factories.members import AgentFactory, MemberFactory, SponsorFactory, SponsorshipFactory
from tests.seeding import claims_reference_data

JAKARTA_VILLAGE = "31.74.01.1001"  # Tebet Timur, Jakarta Selatan: branch JKT-SEL
PALEMBANG_DISTRICT = "16.71.01"  # a district of Kota Palembang: branch PLG, province South Sumatra (16)
# The world is built on a fixed day (tests run under a pinned clock), long after the months paid below.
WORLD_DAY = dt.datetime.fromisoformat("2026-09-15T10:00:00+07:00")
PAID_AT = dt.datetime.fromisoformat("2026-01-05T10:00:00+07:00")

_serial = itertools.count(1)


def nik_of(prefix: str, n: int) -> str:
    """A NIK with a valid structure: district prefix, a woman born 17 August 1990, serial n."""
    return f"{prefix}570890{n:04d}"


def member_in(village: str, *, user: User | None = None, prefix: str = "317401") -> Member:
    n = next(_serial)
    return MemberFactory(user=user, nik=nik_of(prefix, 100 + n), full_name=f"PESERTA SCOPE {n}", birth_place="Kota",
                         phone=f"+62815{n:08d}", village=Region.objects.get(code=village))


def paid(member: Member, payer: User):
    """A real order and payment (12 months from January 2026) through the services; returns (order, payment)."""
    from contributions.services.payments import payment_order_create
    from tests.contributions.helpers import confirm

    order = payment_order_create(member=member, months_count=12, payer=payer, today=PAID_AT.date())
    confirm(order, paid_at=PAID_AT)
    order.refresh_from_db()
    return order, order.payment


def user(username: str, role: str = Role.WORKER, **extra) -> User:
    return UserFactory(username=username, role=role, **{"phone": None, **extra})


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)  # role name -> account
    objects: dict[str, object] = field(default_factory=dict)


def reference_data() -> None:
    """Occupations, tariffs, ecosystems, claims rules and branches (idempotent: the seeds upsert)."""
    from members.models import Occupation as OccupationModel
    from members.seed import occupations_seed
    from reference.models import Discount, Ecosystem, IncomeBase, TariffRate
    from reference.seed import ecosystems_seed, tariffs_seed
    from reference.services import regions_load

    tariffs_seed(IncomeBase, TariffRate, Discount)
    occupations_seed(OccupationModel)
    ecosystems_seed(Ecosystem)
    claims_reference_data()
    for root in (JAKARTA_VILLAGE, PALEMBANG_DISTRICT):
        if not Region.objects.filter(code=root).exists():
            regions_load(root=root)


def palembang_village() -> str:
    return Region.objects.filter(code__startswith=PALEMBANG_DISTRICT + ".", level=4).order_by("code") \
        .values_list("code", flat=True)[0]


def staff_accounts(world: World) -> None:
    """Branch staff and a supervisor of Palembang, South Sumatra's regional staff (like the demo's `wilayah`, a
    supervisor with a StaffRegion and no branch), Jakarta Selatan's branch staff, and an admin."""
    from reference.models import Branch, StaffBranch, StaffRegion

    plg, jkt = Branch.objects.get(code="PLG"), Branch.objects.get(code="JKT-SEL")
    for name, role, branch in (("branch_staff", Role.BRANCH_STAFF, plg), ("supervisor", Role.SUPERVISOR, plg),
                               ("jakarta_staff", Role.BRANCH_STAFF, jkt)):
        account = user(f"scope-{name}", role)
        StaffBranch.objects.create(user=account, branch=branch)
        world.users[name] = account
    regional = user("scope-regional", Role.SUPERVISOR)
    StaffRegion.objects.create(user=regional, region_id="16")
    world.users["regional"] = regional
    world.users["admin"] = user("scope-admin", Role.ADMIN, is_staff=True, is_superuser=True)


def sponsor_import(sponsor, csv_text: str):
    from sponsors.bulk import bulk_import_start, bulk_import_validate_job

    item = bulk_import_start(sponsor=sponsor, uploaded=SimpleUploadedFile("pekerja.csv", csv_text.encode()),
                             actor=sponsor.user)
    return bulk_import_validate_job(import_id=item.pk)  # its task runs after a commit this world never makes


def import_csv(village: str, nik: str, phone: str) -> str:
    from sponsors import bulk

    header = bulk.template_csv().splitlines()[0]
    return "\n".join([header, f"{nik},SITI AMINAH,Kota,17-08-1990,P,{phone},{village},Jl. A,asisten-rumah-tangga,"
                              "1000000,tidak,3"]) + "\n"


def build_world() -> World:
    """Every role, and in Jakarta: a member with an order and receipt, a death claim with documents (branch
    JKT-SEL, filed by an heir), an organisation's validated import. In Palembang: the same for the staff there."""
    from tests.claims.claim_helpers import death_claim

    reference_data()
    world = World()
    staff_accounts(world)
    village = palembang_village()
    o = world.objects

    # A worker in Palembang with their own paid membership.
    worker = user("scope-worker", phone="+6281511110001")
    o["own_member"] = member_in(village, user=worker, prefix="167101")
    paid(o["own_member"], worker)
    world.users["worker"] = worker

    # Jakarta: a member who paid, a second one who died and whose heir filed a claim, and its documents.
    jakarta_user = user("scope-jakarta-worker", phone="+6281511110002")
    o["jakarta_member"] = member_in(JAKARTA_VILLAGE, user=jakarta_user)
    o["jakarta_order"], o["jakarta_payment"] = paid(o["jakarta_member"], jakarta_user)
    deceased = member_in(JAKARTA_VILLAGE)
    paid(deceased, user("scope-jakarta-payer"))
    jakarta_heir = user("scope-jakarta-heir", phone="+6281511110003")
    o["jakarta_claim"] = death_claim(deceased, jakarta_heir, day="2026-08-10")
    o["jakarta_document"] = o["jakarta_claim"].documents.order_by("pk").first()

    # Palembang: a member in scope of the South Sumatra staff, paid, and a claim of the Palembang branch.
    o["palembang_member"] = member_in(village, prefix="167101")
    o["palembang_order"], o["palembang_payment"] = paid(o["palembang_member"], user("scope-palembang-payer"))
    palembang_deceased = member_in(village, prefix="167101")
    paid(palembang_deceased, user("scope-palembang-payer2"))
    heir = user("scope-heir", phone="+6281511110004")
    o["palembang_claim"] = death_claim(palembang_deceased, heir, day="2026-08-10")
    world.users["heir"] = heir

    # A citizen sponsor with a worker of its own; another sponsor's worker is the Jakarta member.
    sponsor_user = user("scope-sponsor", Role.SPONSOR, phone="+6281511110005")
    sponsor = SponsorFactory(user=sponsor_user, name="Ibu Ratna")
    SponsorshipFactory(sponsor=sponsor, member=o["palembang_member"])
    other_sponsor = SponsorFactory(user=user("scope-other-sponsor", Role.SPONSOR, phone="+6281511110006"),
                                   name="Pak Budi")
    SponsorshipFactory(sponsor=other_sponsor, member=o["jakarta_member"])
    world.users["sponsor"] = sponsor_user
    from contributions.services.autodebit.mandates import debit_mandate_create

    o["jakarta_mandate"] = debit_mandate_create(payer=other_sponsor.user, member=o["jakarta_member"], method="bank",
                                                issuer="BNI", account="99887766", max_amount_idr=500_000,
                                                consent_ip=None)

    # Organisations: one in Jakarta with a validated import of a Jakarta worker, one in Palembang with its own.
    jakarta_org = SponsorFactory(user=user("scope-jakarta-org", Role.SPONSOR, email="csr@jakarta.example"),
                                 name="PT Jakarta", kind="organisation", funding_source="csr")
    o["jakarta_import"] = sponsor_import(jakarta_org, import_csv(JAKARTA_VILLAGE, nik_of("317401", 9001),
                                                                 "081511119001"))
    org_user = user("scope-org", Role.SPONSOR, email="csr@palembang.example")
    organisation = SponsorFactory(user=org_user, name="PT Palembang", kind="organisation", funding_source="csr")
    o["palembang_import"] = sponsor_import(organisation, import_csv(village, nik_of("167101", 9002),
                                                                    "081511119002"))
    world.users["organisation"] = org_user

    agent_user = user("scope-agent", Role.AGENT, phone="+6281511110007")
    AgentFactory(user=agent_user, body__name="Koperasi Scope", market="Pasar 16 Ilir",
                 village=Region.objects.get(code=village))
    world.users["agent"] = agent_user
    return world


def sign_in(client, user) -> None:
    """As a person would: staff with a TOTP authenticator and the MFA step recorded in the session (allauth)."""
    if user.role in (Role.BRANCH_STAFF, Role.SUPERVISOR, Role.ADMIN):
        from allauth.account.internal.flows.login import record_authentication
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
        from django.test import RequestFactory

        authenticator = TOTP.activate(user, generate_totp_secret()).instance
        client.force_login(user)
        request = RequestFactory().get("/")
        request.session, request.user = client.session, user
        record_authentication(request, user, "mfa", id=authenticator.pk, type=Authenticator.Type.TOTP)
        request.session.save()
    else:
        client.force_login(user)
    client.cookies["bpu_lang"] = "en"


def world_fixture(django_db_blocker):
    """For a module-scoped fixture: the world built once in a transaction that is rolled back at the end, under a
    clock pinned to WORLD_DAY (ticking) so sessions, payments and claims agree whatever day the suite runs."""
    import shutil
    import tempfile

    import time_machine
    from django.db import transaction
    from django.test import override_settings

    media = tempfile.mkdtemp(prefix="bpu-scope-media-")  # uploaded files hold NIKs: never left on disk
    try:
        with time_machine.travel(WORLD_DAY, tick=True), override_settings(MEDIA_ROOT=media), \
                django_db_blocker.unblock(), transaction.atomic():
            yield build_world()
            transaction.set_rollback(True)
    finally:
        shutil.rmtree(media, ignore_errors=True)
