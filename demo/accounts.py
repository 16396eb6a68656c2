"""Demo accounts for `make run`: staff with known passwords and TOTP secrets, one registered worker, an agent,
sponsors (citizen, local government, organisation), a partner system, and an heir with a deceased member to claim for
(claims/demo.py)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from core.models import Role, User
from demo.claims import claims_demo_seed, claims_demo_text
from enrollment.services import member_register
from members.models import Agent, AgentBody, Member, Partner
from members.services import RegistrationData, partner_create, partner_key_issue, sponsor_become
from reference.models import Region
from sponsors.organisations import organisation_sponsor_register

DEMO_PASSWORD = "demo-bpu-2026!"
# Base32 TOTP secrets, fixed so a tester can add them to an authenticator app (or run `make totp`).
STAFF = [
    ("admin", Role.ADMIN, "Admin Pusat", "JBSWY3DPEHPK3PXPADMINAAA"),
    ("supervisor", Role.SUPERVISOR, "Supervisor Cabang", "JBSWY3DPEHPK3PXPSUPERVAA"),
    ("petugas", Role.BRANCH_STAFF, "Petugas Cabang", "JBSWY3DPEHPK3PXPPETUGASA"),
    ("wilayah", Role.SUPERVISOR, "Staf Wilayah Sumsel", "JBSWY3DPEHPK3PXPWILAYAHA"),  # South Sumatra's dashboards
]
WORKER_PHONE = "+6281200000001"
WORKER_NIK = "3174015708900001"  # Jakarta Selatan, woman born 17-08-1990
WORKER_VILLAGE = "31.74.01.1001"
AGENT_PHONE = "+6281200000002"
SPONSOR_PHONE = "+6281200000003"
GOVERNMENT_PHONE = "+6281200000004"
ORGANISATION_EMAIL = "csr@maju-bersama.example"  # signs in by email + DEMO_PASSWORD, address already confirmed
PARTNER_NAME = "Demo Marketplace"
PARTNER_KEY = "bpu_demo0000_not-a-secret-demo-partner-key"  # development only: printed by `make run`


class DemoDataRefused(Exception):
    pass


def demo_data_check() -> None:
    """Demo accounts have published passwords, TOTP secrets and a partner key: never with production settings."""
    if not settings.DEMO_DATA_ALLOWED:
        raise DemoDataRefused(
            "Refused: demo accounts have published passwords and TOTP secrets, and these settings are for "
            "production (DEBUG off). Run demo commands with config.settings.local only.")


def demo_seed() -> None:
    demo_data_check()
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    with transaction.atomic():
        for username, role, name, secret in STAFF:
            user, created = User.objects.get_or_create(
                username=username, defaults={"role": role, "first_name": name, "is_staff": role == Role.ADMIN,
                                             "is_superuser": role == Role.ADMIN}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                TOTP.activate(user, secret)

        if not Partner.objects.filter(name=PARTNER_NAME).exists():
            partner = partner_create(name=PARTNER_NAME, actor=None)
            partner_key_issue(partner=partner, scopes=["members:register", "members:read", "payments:create"],
                              actor=None, plaintext=PARTNER_KEY)

        if not Agent.objects.filter(user__phone=AGENT_PHONE).exists():
            body, _ = AgentBody.objects.get_or_create(name="Koperasi Pasar Sejahtera",
                                                      defaults={"kind": AgentBody.Kind.COOPERATIVE})
            agent_user = User.objects.create(username="p" + AGENT_PHONE.lstrip("+"), phone=AGENT_PHONE,
                                             role=Role.AGENT, first_name="Agen Demo")
            Agent.objects.create(user=agent_user, body=body, market="Pasar Tebet",
                                 village=Region.objects.filter(code=WORKER_VILLAGE).first())
        sponsor_user, _ = User.objects.get_or_create(username="p" + SPONSOR_PHONE.lstrip("+"),
                                                     defaults={"phone": SPONSOR_PHONE, "role": Role.SPONSOR})
        sponsor_become(user=sponsor_user, name="Ibu Ani (demo)")
        government_user, _ = User.objects.get_or_create(username="p" + GOVERNMENT_PHONE.lstrip("+"),
                                                        defaults={"phone": GOVERNMENT_PHONE, "role": Role.SPONSOR})
        government = sponsor_become(user=government_user, name="Pemerintah Kota Bontang (demo)")
        if government.kind != government.Kind.GOVERNMENT:
            type(government).objects.filter(pk=government.pk).update(kind=government.Kind.GOVERNMENT,
                                                                    funding_source="apbd")

        if not User.objects.filter(email=ORGANISATION_EMAIL).exists():
            organisation_sponsor_register(email=ORGANISATION_EMAIL, password=DEMO_PASSWORD,
                                          organisation_name="PT Maju Bersama (CSR, demo)", contact_name="Dewi Lestari",
                                          email_verified=True)
        worker, _ = User.objects.get_or_create(
            username="p" + WORKER_PHONE.lstrip("+"), defaults={"phone": WORKER_PHONE}
        )
        if not Member.objects.filter(user=worker).exists() and Region.objects.filter(code=WORKER_VILLAGE).exists():
            member_register(
                data=RegistrationData(
                    nik=WORKER_NIK, full_name="Siti Rahayu", birth_place="Jakarta", birth_date=dt.date(1990, 8, 17),
                    gender="P", phone=WORKER_PHONE, village_code=WORKER_VILLAGE,
                    address_line="Jl. Melati No. 5 RT 02/RW 03",
                    occupation_code="penjual-makanan", income_base_idr=1_000_000, programs=["JKK", "JKM", "JHT"],
                    consent=True,
                ),
                user=worker, actor=None,
            )

        claims_demo_seed(worker_village=WORKER_VILLAGE)


def demo_accounts_text() -> str:
    demo_data_check()
    member = Member.objects.filter(user__phone=WORKER_PHONE).first()
    lines = [
        "Demo accounts",
        "  Workers sign in at /masuk/ with a phone number and the code printed in this console.",
        f"    registered worker: {WORKER_PHONE} (0812-0000-0001)" + (f", KPJ {member.kpj}" if member else ""),
        "    a new worker: any other mobile number, e.g. 0812-3456-7890, then 'Daftar'",
        f"    Perisai agent: {AGENT_PHONE} (0812-0000-0002), then /agen/",
        f"    SERTAKAN sponsor: {SPONSOR_PHONE} (0812-0000-0003), then /penyantun/",
        f"    local government (APBD): {GOVERNMENT_PHONE} (0812-0000-0004), then /penyantun/impor/",
        f"  Organisation sponsor (PT Maju Bersama): /penyantun/organisasi/masuk/, email {ORGANISATION_EMAIL},",
        f"    password '{DEMO_PASSWORD}', then /penyantun/",
        f"  Staff sign in at /akun/login/ with password '{DEMO_PASSWORD}' and a TOTP code",
        "  (add the secret to an authenticator app, or run `make totp USER_NAME=<username>`):",
    ]
    lines += [f"    {username:<11} {role.label:<14} TOTP secret {secret}" for username, role, _n, secret in STAFF]

    lines += ["  Claims:"] + claims_demo_text()
    lines += [f"  Partner API ({PARTNER_NAME}): header 'Authorization: Api-Key {PARTNER_KEY}' and an Idempotency-Key;",
              "    see /api/docs/ (partner)"]
    return "\n".join(lines)
