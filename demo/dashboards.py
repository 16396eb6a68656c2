"""Dashboard demo data for `make run` (called by the demo_seed command after the demo accounts exist): a few hundred
members over the last 12 months in a handful of provinces (South Sumatra and Jakarta first), every ecosystem and
channel, their monthly bills (most paid, some open or overdue), a few lapses, linked to demo agents and sponsors;
then the rollups are rebuilt so the dashboards show real-looking figures from the start.

Set-based (bulk_create), deterministic (a seeded random generator) and idempotent: members are marked by their
consent version and made only once; the rollups are rebuilt on every run. Demo members opt out of reminders so the
outbox stays quiet (and the SMS simulator's inboxes, where testers read their sign-in codes). Their paid bills have
no payments behind them (the reconciliation counts payments, so it stays balanced); the demo worker's own account is
made by the services.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from contributions.models import Bill, BillStatus
from contributions.services.billing import bills_create_for_members
from core.models import AuditEvent, Role, User
from core.nik import nik_blind_index, nik_encrypt
from core.services import audit_type
from demo.accounts import AGENT_PHONE, GOVERNMENT_PHONE, ORGANISATION_EMAIL, PARTNER_NAME, SPONSOR_PHONE
from ecosystems.services.rollups import rollups_rebuild
from members.models import (
    Agent,
    AgentBody,
    Member,
    MemberStatus,
    Occupation,
    Partner,
    Relationship,
    Sponsor,
    Sponsorship,
)
from reference.duedates import add_months, due_date_for
from reference.models import Region, RegionLevel, StaffRegion
from reference.tariffs import income_bases

MARKER = "demo-eco"  # consent_version of the demo members
MEMBERS = 360
SEED = 2026

# province -> (weight, regencies in the order they are used); missing ones are skipped.
PROVINCES = {
    "16": (36, ["16.71", "16.03", "16.10", "16.07", "16.74"]),  # Sumatera Selatan: Palembang first
    "31": (26, ["31.74", "31.71", "31.75", "31.73"]),  # DKI Jakarta: Jakarta Selatan first
    "32": (16, ["32.73", "32.04", "32.76"]),  # Jawa Barat
    "35": (12, ["35.78", "35.07", "35.15"]),  # Jawa Timur
    "73": (10, ["73.71", "73.06"]),  # Sulawesi Selatan
}
GOVERNMENT_REGENCY = "64.74"  # Kota Bontang: the demo local government's import
VILLAGES_PER_REGENCY = 8

# The demo agent (enrollment.demo) works in Jakarta Selatan; two more agents make a leaderboard.
EXTRA_AGENTS = [
    ("demo-agen-palembang", "Agen Pasar 16 Ilir", "Pasar 16 Ilir", "16.71"),
    ("demo-agen-bandung", "Agen Pasar Kosambi", "Pasar Kosambi", "32.73"),
]

CHANNELS = [("self", 34), ("api", 20), ("agent", 18), ("sponsor", 13), ("bulk", 15)]
OCCUPATIONS = {  # ecosystem -> occupations its members have (self registration: the occupation decides)
    "desa": ["petani", "buruh-tani", "nelayan", "peternak", "pembudidaya-ikan"],
    "pasar": ["pedagang-pasar", "pedagang-kaki-lima", "penjual-makanan"],
    "ecommerce_umkm": ["ojek-online", "kurir", "penjual-online", "penjahit", "pekerja-lepas", "pengusaha-kecil"],
    "pekerja_rentan": ["asisten-rumah-tangga", "buruh-bangunan", "buruh-tani", "pengasuh-anak", "lainnya"],
}
FIRST_M = ["Budi", "Agus", "Joko", "Rizki", "Dedi", "Andi", "Slamet", "Bambang", "Hendra", "Yusuf", "Eko", "Rudi",
           "Ahmad", "Fajar", "Wahyu", "Imam", "Taufik", "Arif"]
FIRST_F = ["Siti", "Sri", "Dewi", "Ani", "Rina", "Nur", "Yuni", "Fitri", "Wulan", "Lestari", "Ratna", "Indah",
           "Putri", "Maya", "Rahma", "Ayu", "Endang", "Tuti"]
LAST = ["Santoso", "Saputra", "Wijaya", "Hidayat", "Lubis", "Siregar", "Nasution", "Pratama", "Kurniawan", "Rahayu",
        "Susanti", "Wati", "Setiawan", "Gunawan", "Hasibuan", "Harahap", "Syahputra", "Utami", "Daeng", "Pohan"]
STREETS = ["Jl. Merdeka", "Jl. Sudirman", "Jl. Kenanga", "Jl. Melati", "Jl. Mawar", "Jl. Pasar", "Jl. Masjid",
           "Gg. Damai", "Jl. Veteran", "Jl. Diponegoro"]


@dataclass
class _Plan:
    """One demo member before it is written: who, where, how they came in and how they pay."""

    i: int
    village: str
    channel: str
    ecosystem: str
    occupation: str
    funding: str
    registered_at: dt.datetime
    profile: str  # good, late, lapsed, new (never paid yet)
    agent_id: int | None = None
    partner_id: int | None = None
    sponsor_id: int | None = None


def _luhn(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def _villages() -> dict[str, list[str]]:
    """regency -> a spread of its village codes (only regions that are loaded)."""
    wanted = [r for _w, regencies in PROVINCES.values() for r in regencies] + [GOVERNMENT_REGENCY]
    out: dict[str, list[str]] = {}
    for regency in wanted:
        codes = list(Region.objects.filter(level=RegionLevel.VILLAGE, code__gt=f"{regency}.", code__lt=f"{regency}/")
                     .order_by("code").values_list("code", flat=True))
        if codes:
            step = max(1, len(codes) // VILLAGES_PER_REGENCY)
            out[regency] = codes[::step][:VILLAGES_PER_REGENCY]
    return out


def _actors() -> dict:
    """The demo agents, the partner and the sponsors the members are linked to (made by enrollment.demo)."""
    agents: dict[str, int] = {}  # regency -> agent id
    demo_agent = Agent.objects.filter(user__phone=AGENT_PHONE).select_related("village").first()
    if demo_agent is not None:
        agents[demo_agent.village_id[:5] if demo_agent.village_id else "31.74"] = demo_agent.pk
        body = demo_agent.body
    else:
        body, _ = AgentBody.objects.get_or_create(name="Koperasi Pasar Sejahtera",
                                                  defaults={"kind": AgentBody.Kind.COOPERATIVE})
    for username, name, market, regency in EXTRA_AGENTS:
        agent = Agent.objects.filter(user__username=username).first()
        if agent is None:
            village = Region.objects.filter(code__gt=f"{regency}.", code__lt=f"{regency}/", level=4).order_by("code")
            user = User.objects.create(username=username, role=Role.AGENT, first_name=name)
            user.set_unusable_password()
            user.save(update_fields=["password"])
            agent = Agent.objects.create(user=user, body=body, market=market, village=village.first())
        agents[regency] = agent.pk
    sponsors = {
        "citizen": Sponsor.objects.filter(user__phone=SPONSOR_PHONE).values_list("pk", flat=True).first(),
        "organisation": Sponsor.objects.filter(user__email=ORGANISATION_EMAIL).values_list("pk", flat=True).first(),
        "government": Sponsor.objects.filter(user__phone=GOVERNMENT_PHONE).values_list("pk", flat=True).first(),
    }
    partner = Partner.objects.filter(name=PARTNER_NAME).first()
    return {"agents": agents, "sponsors": sponsors, "partner": partner}


def _pick(rng: random.Random, weighted):
    items, weights = zip(*weighted, strict=True)
    return rng.choices(items, weights=weights)[0]


def _plans(rng: random.Random, now: dt.datetime, villages: dict[str, list[str]], actors: dict) -> list[_Plan]:
    tz = timezone.get_current_timezone()
    today = timezone.localdate(now)
    by_province = {p: [r for r in regencies if r in villages] for p, (_w, regencies) in PROVINCES.items()}
    provinces = [(p, w) for p, (w, _r) in PROVINCES.items() if by_province[p]]
    all_regencies = sorted(villages)
    partner = actors["partner"]
    sponsors = actors["sponsors"]
    plans = []
    for i in range(MEMBERS):
        channel = _pick(rng, CHANNELS)
        agent_id = partner_id = sponsor_id = None
        funding = "self"
        if channel == "bulk":  # the local government's import: its own city, budget-funded vulnerable workers
            regency = GOVERNMENT_REGENCY if GOVERNMENT_REGENCY in villages else rng.choice(all_regencies)
            ecosystem, funding, sponsor_id = "pekerja_rentan", "apbd", sponsors["government"]
        elif channel == "agent":  # traders registered by an agent at their market
            regency = rng.choice([r for r in actors["agents"] if r in villages] or all_regencies)
            ecosystem, agent_id = "pasar", actors["agents"].get(regency)
        else:
            province = _pick(rng, provinces) if provinces else None
            regency = rng.choice(by_province[province]) if province else rng.choice(all_regencies)
            if channel == "api":
                ecosystem = partner.ecosystem_id if partner else "ecommerce_umkm"
                partner_id = partner.pk if partner else None
            elif channel == "sponsor":  # the sponsor's form asks: mostly vulnerable workers and small traders
                ecosystem = _pick(rng, [("pekerja_rentan", 5), ("ecommerce_umkm", 3), ("pasar", 1), ("desa", 1)])
                funding = "donor"
                sponsor_id = sponsors["citizen"] if regency.startswith("31") or rng.random() < 0.4 \
                    else sponsors["organisation"]
            else:  # self: villages in South Sumatra's regencies, more online work in the cities
                city = regency[3] == "7"
                ecosystem = _pick(rng, [("desa", 2 if city else 6), ("pasar", 2), ("ecommerce_umkm", 6 if city else 2),
                                        ("pekerja_rentan", 1)])
        occupation = rng.choice(OCCUPATIONS[ecosystem])
        # More registrations in recent months (the programme is growing).
        days_ago = int(365 * rng.random() ** 1.6)
        day = today - dt.timedelta(days=days_ago)
        registered_at = dt.datetime.combine(day, dt.time(rng.randint(7, 20), rng.randint(0, 59)), tzinfo=tz)
        if registered_at > now:
            registered_at = now - dt.timedelta(minutes=rng.randint(5, 300))
        months = (today.year - day.year) * 12 + today.month - day.month
        roll = rng.random()
        if days_ago <= 40 and roll < 0.35:
            profile = "new"
        elif months >= 4 and roll < 0.2:
            profile = "lapsed"
        elif months >= 1 and roll < 0.35:
            profile = "late"
        else:
            profile = "good"
        plans.append(_Plan(i=i, village=rng.choice(villages[regency]), channel=channel, ecosystem=ecosystem,
                           occupation=occupation, funding=funding, registered_at=registered_at, profile=profile,
                           agent_id=agent_id, partner_id=partner_id, sponsor_id=sponsor_id))
    return plans


def _member(plan: _Plan, rng: random.Random, *, occupations: dict, incomes: list[int]):
    gender = rng.choice("LP")
    birth = dt.date(rng.randint(1966, 2004), rng.randint(1, 12), rng.randint(1, 28))
    prefix = plan.village.replace(".", "")[:6]
    nik = f"{prefix}{birth.day + (40 if gender == 'P' else 0):02d}{birth:%m}{birth.year % 100:02d}{5000 + plan.i:04d}"
    first = rng.choice(FIRST_M if gender == "L" else FIRST_F)
    name = f"{first} {rng.choice(LAST)}".upper()
    income = incomes[0] if rng.random() < 0.6 else rng.choice(incomes[:4])
    return Member(
        kpj=_luhn(f"98{plan.i:08d}"), nik_ciphertext=nik_encrypt(nik), nik_index=nik_blind_index(nik),
        full_name=name, birth_place="-", birth_date=birth, gender=gender, phone=f"+6281577{plan.i:06d}",
        village_id=plan.village, address_line=f"{rng.choice(STREETS)} No. {rng.randint(1, 120)}",
        occupation=occupations[plan.occupation], income_base_idr=income, has_jht=rng.random() < 0.35,
        funding_source=plan.funding, channel=plan.channel, ecosystem_id=plan.ecosystem,
        partner_id=plan.partner_id, agent_id=plan.agent_id,
        billing_start=timezone.localdate(plan.registered_at).replace(day=1),
        consent_version=MARKER, consented_at=plan.registered_at, reminders_opt_out=True,
    )


@dataclass
class _Billing:
    """How a member's months go: the months billed, when each was paid (None: open), when they lapsed."""

    months: list[dt.date]
    paid_at: dict[dt.date, dt.datetime]
    first_due: dt.date
    lapse_at: dt.datetime | None


def _billing(plan: _Plan, rng: random.Random, now: dt.datetime, dues: dict[dt.date, dt.date]) -> _Billing:
    """From the registration month to this month; a lapsed member's stop after their 3 unpaid months."""
    tz = timezone.get_current_timezone()
    today = timezone.localdate(now)
    registered = timezone.localdate(plan.registered_at)
    months = []
    month = registered.replace(day=1)
    while month <= today.replace(day=1):
        months.append(month)
        dues.setdefault(month, due_date_for(month))
        month = add_months(month, 1)
    lapse_at = None
    unpaid_from = len(months)  # index of the first unpaid month
    if plan.profile == "new":
        unpaid_from = 0
    elif plan.profile == "late":
        unpaid_from = len(months) - rng.choice([1, 2]) if len(months) > 1 else len(months)
    elif plan.profile == "lapsed":
        # Paid some months, then 3 unpaid ones; the lapse job ends the membership on the 1st of the month after.
        unpaid_from = rng.randint(0, len(months) - 4)
        months = months[: unpaid_from + settings.ARREARS_MONTHS]
        lapse_at = min(now, dt.datetime.combine(add_months(months[-1], 1), dt.time(2, rng.randint(0, 30)), tzinfo=tz))
    # The first bill gives a week's grace after registering (billing.first_bill_due_date).
    first_due = max(dues[months[0]], registered + dt.timedelta(days=settings.FIRST_BILL_GRACE_DAYS))
    paid_at = {}
    for n, month in enumerate(months[:unpaid_from]):
        due = first_due if n == 0 else dues[month]
        if n == 0:
            day = registered + dt.timedelta(days=rng.randint(0, 4))
        elif rng.random() < 0.88:
            day = month + dt.timedelta(days=rng.randint(0, max(0, (due - month).days)))
        else:  # a little late
            day = due + dt.timedelta(days=rng.randint(1, 10))
        at = dt.datetime.combine(day, dt.time(rng.randint(7, 21), rng.randint(0, 59)), tzinfo=tz)
        at = max(at, plan.registered_at + dt.timedelta(minutes=30))
        if at <= now:  # else: this month's, not paid yet
            paid_at[month] = at
    return _Billing(months=months, paid_at=paid_at, first_due=first_due, lapse_at=lapse_at)


def _bills_create(members, billing: list[_Billing]) -> None:
    """The bills through billing's own set-based INSERT … SELECT (the tariff in SQL), one statement a month for the
    members billed that month; then paid months marked and first due dates set."""
    by_month: dict[dt.date, list[int]] = {}
    for member, b in zip(members, billing, strict=True):
        for month in b.months:
            by_month.setdefault(month, []).append(member.pk)
    for month, ids in sorted(by_month.items()):
        bills_create_for_members(month=month, members=(f"m.id IN ({', '.join(['%s'] * len(ids))})", ids))
    plans = {member.pk: b for member, b in zip(members, billing, strict=True)}
    changed = []
    for bill in Bill.objects.filter(member_id__in=list(plans)).only("id", "member_id", "month", "due_date"):
        b = plans[bill.member_id]
        paid_at = b.paid_at.get(bill.month)
        first = bill.month == b.months[0] and bill.due_date != b.first_due
        if paid_at or first:
            bill.paid_at = paid_at
            bill.status = BillStatus.PAID if paid_at else BillStatus.OPEN
            bill.due_date = b.first_due if bill.month == b.months[0] else bill.due_date
            changed.append(bill)
    Bill.objects.bulk_update(changed, ["status", "paid_at", "due_date"], batch_size=300)


def _create(now: dt.datetime) -> int:
    villages = _villages()
    if not villages:
        return 0
    rng = random.Random(SEED)  # noqa: S311 - demo data, not secrets
    actors = _actors()
    plans = _plans(rng, now, villages, actors)
    occupations = {o.code: o for o in Occupation.objects.all()}
    incomes = sorted(income_bases(timezone.localdate(now)))
    members = [_member(plan, rng, occupations=occupations, incomes=incomes) for plan in plans]
    taken = set(Member.objects.filter(kpj__in=[m.kpj for m in members]).values_list("kpj", flat=True)) | set(
        Member.objects.filter(nik_index__in=[m.nik_index for m in members]).values_list("nik_index", flat=True))
    kept = [(p, m) for p, m in zip(plans, members, strict=True) if m.kpj not in taken and m.nik_index not in taken]
    plans, members = [p for p, _m in kept], [m for _p, m in kept]
    dues: dict[dt.date, dt.date] = {}
    billing = [_billing(plan, rng, now, dues) for plan in plans]
    for member in members:
        member.status = MemberStatus.ACTIVE  # billable while the bills are made; the real status below
    members = Member.objects.bulk_create(members)
    for plan, member in zip(plans, members, strict=True):  # auto_now(_add) wrote now: back-date them
        member.created_at = member.updated_at = plan.registered_at
    Member.objects.bulk_update(members, ["created_at", "updated_at"], batch_size=200)
    _bills_create(members, billing)

    lapses = [(m, MemberStatus.ACTIVE if b.paid_at else MemberStatus.REGISTERED, b.lapse_at)
              for m, b in zip(members, billing, strict=True) if b.lapse_at is not None]
    Member.objects.filter(pk__in=[m.pk for m, _b, _a in lapses]).update(status=MemberStatus.LAPSED)
    Member.objects.filter(pk__in=[m.pk for m, b in zip(members, billing, strict=True)
                                  if b.lapse_at is None and not b.paid_at]).update(status=MemberStatus.REGISTERED)
    events = AuditEvent.objects.bulk_create([
        AuditEvent(action="member.status_changed", object_type=audit_type(Member), object_id=str(member.pk),
                   changes={"status": [before, MemberStatus.LAPSED]},
                   reason=f"{settings.ARREARS_MONTHS} consecutive unpaid months (demo)")
        for member, before, _at in lapses])
    for event, (_m, _b, at) in zip(events, lapses, strict=True):
        event.created_at = at
    AuditEvent.objects.bulk_update(events, ["created_at"], batch_size=200)

    sponsored = [Sponsorship(sponsor_id=plan.sponsor_id, member=member, confirmed_at=plan.registered_at,
                             relationship=(Relationship.OTHER if plan.channel == "bulk"
                                           else rng.choice(list(Relationship.values))))
                 for plan, member in zip(plans, members, strict=True) if plan.sponsor_id]
    Sponsorship.objects.bulk_create(sponsored)
    return len(members)


REGIONAL_STAFF, REGIONAL_REGION = "wilayah", "16"  # the demo regional staff sees South Sumatra only


def ecosystems_demo_seed(*, now: dt.datetime | None = None) -> int:
    """Makes the demo members once (returns how many were made now) and rebuilds the rollups."""
    now = now or timezone.now()
    made = 0
    with transaction.atomic():
        if not Member.objects.filter(consent_version=MARKER).exists():
            made = _create(now)
        regional = User.objects.filter(username=REGIONAL_STAFF).first()
        if regional is not None and Region.objects.filter(code=REGIONAL_REGION).exists():
            StaffRegion.objects.get_or_create(user=regional, defaults={"region_id": REGIONAL_REGION})
    rollups_rebuild(today=timezone.localdate(now))
    return made
