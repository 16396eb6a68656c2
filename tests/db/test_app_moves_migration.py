"""Moving models into `reference` and `members` (decisions.md, Z) upgrades a database with rows in it: run on a
database of its own, migrated to the schema before the move, filled through the models as they were, then migrated
to the end. Nothing is copied: the same rows are read through the moved models, the schema is the same, and the
content types (permissions, admin history) follow the models."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import environ
import psycopg
import pytest
from django.conf import settings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]

# The last migration of each app before the move.
BEFORE = [("core", "0009_outbox_fresh_by_purpose"), ("ecosystems", "0004_rollup_high_water"),
          ("contributions", "0016_provider_events"), ("claims", "0004_claimnumbercounter"),
          ("enrollment", "0013_bulk_import_private_files")]

SCRIPT = textwrap.dedent("""
    import datetime as dt, json, sys
    import django
    django.setup()
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [tuple(t) for t in json.loads(sys.argv[1])]

    def tables():
        with connection.cursor() as cursor:
            cursor.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                           "WHERE table_schema = 'public' ORDER BY 1, 2")
            return cursor.fetchall()

    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    region = old.get_model("ecosystems", "Region")
    province = region.objects.create(code="31", name="DKI JAKARTA", level=1)
    regency = region.objects.create(code="31.74", name="KOTA JAKARTA SELATAN", level=2, parent=province)
    district = region.objects.create(code="31.74.01", name="TEBET", level=3, parent=regency)
    village = region.objects.create(code="31.74.01.1001", name="TEBET TIMUR", level=4, parent=district)
    user = old.get_model("core", "User").objects.create(username="w1", role="worker", phone="+6281200000001")
    occupation = old.get_model("enrollment", "Occupation").objects.get(code="ojek-online")
    member = old.get_model("enrollment", "Member").objects.create(
        user=user, kpj="12345678903", nik_ciphertext="x", nik_index="i" * 64, full_name="SITI AMINAH",
        birth_place="Jakarta", birth_date=dt.date(1990, 1, 1), gender="F", phone="+6281200000001",
        village=village, address_line="Jl. Tebet", occupation=occupation, income_base_idr=1_000_000,
        has_jht=True, funding_source="self", status="active", channel="self", ecosystem_id="ecommerce_umkm",
        billing_start=dt.date(2026, 11, 1), consent_version="v1", consented_at="2026-11-01T00:00:00Z",
        card_token="t" * 32)
    sponsor_user = old.get_model("core", "User").objects.create(username="s1", role="sponsor")
    sponsor = old.get_model("enrollment", "Sponsor").objects.create(user=sponsor_user, name="Ibu Rina")
    old.get_model("enrollment", "Sponsorship").objects.create(sponsor=sponsor, member=member, relationship="employer")
    income = old.get_model("contributions", "IncomeBase").objects.order_by("amount_idr").first()
    bill = old.get_model("contributions", "Bill").objects.create(
        member=member, month=dt.date(2026, 11, 1), due_date=dt.date(2026, 12, 15), income_base_idr=income.amount_idr,
        jkk_gross_idr=10_000, jkm_gross_idr=6_800, jht_gross_idr=20_000, total_idr=36_800)
    branch = old.get_model("claims", "Branch").objects.create(code="JKS", name="Jakarta Selatan", is_default=False)
    old.get_model("claims", "BranchArea").objects.update_or_create(regency_id="31.74", defaults={"branch": branch})
    old.get_model("claims", "StaffBranch").objects.create(
        user=old.get_model("core", "User").objects.create(username="clerk", role="branch_staff"), branch=branch)
    counts_before = {name: old.get_model(app, name).objects.count() for app, name in [
        ("ecosystems", "Region"), ("enrollment", "Member"), ("enrollment", "Sponsorship"),
        ("contributions", "IncomeBase"), ("contributions", "TariffRate"), ("claims", "Branch")]}
    content_type = old.get_model("contenttypes", "ContentType")  # as post_migrate made them on a deployed database
    type_ids = {(app, model): content_type.objects.get_or_create(app_label=app, model=model)[0].pk for app, model in [
        ("enrollment", "member"), ("enrollment", "sponsorship"), ("ecosystems", "region"),
        ("contributions", "incomebase"), ("claims", "staffbranch")]}
    schema_before = tables()

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from claims.models import Claim
    from contributions.models import Bill
    from django.contrib.contenttypes.models import ContentType
    from members.models import Member, Sponsorship
    from reference.models import Branch, BranchArea, IncomeBase, Region, StaffBranch, TariffRate

    moved = Member.objects.select_related("village__parent", "occupation").get(pk=member.pk)
    assert moved.full_name == "SITI AMINAH" and moved.village.parent.code == "31.74.01"
    assert moved.occupation.code == "ojek-online" and moved.status == "active"
    assert Sponsorship.objects.get(member=moved).sponsor.name == "Ibu Rina"
    assert Bill.objects.get(pk=bill.pk).member == moved
    assert BranchArea.objects.get(regency_id="31.74").branch.code == "JKS"
    assert StaffBranch.objects.get(user__username="clerk").branch == Branch.objects.get(code="JKS")
    assert Claim._meta.get_field("member").related_model is Member
    counts_after = {"Region": Region.objects.count(), "Member": Member.objects.count(),
                    "Sponsorship": Sponsorship.objects.count(), "IncomeBase": IncomeBase.objects.count(),
                    "TariffRate": TariffRate.objects.count(), "Branch": Branch.objects.count()}
    assert counts_after == counts_before, (counts_before, counts_after)
    for (old_label, model), type_id in type_ids.items():  # the same row: permissions and admin history follow
        new_label = {"enrollment": "members"}.get(old_label, "reference")
        assert ContentType.objects.get(app_label=new_label, model=model).pk == type_id, model
    old_labels = ContentType.objects.filter(app_label="enrollment", model__in=["member", "sponsorship"]).count()
    assert old_labels == 0, old_labels
    added = sorted(set(tables()) - set(schema_before))
    dropped = sorted(set(schema_before) - set(tables()))
    assert not dropped, dropped
    print("OK", json.dumps({"counts": counts_after, "new_columns": added}))
""")


@pytest.fixture
def scratch_database():
    url = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    name = f"{settings.DATABASES['default']['NAME']}_moves"
    admin = dict(host=url["HOST"] or "127.0.0.1", port=url["PORT"] or 5432, user=url["USER"] or "postgres",
                 password=url["PASSWORD"] or None, dbname="postgres", autocommit=True)
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://{admin['user']}@{admin['host']}:{admin['port']}/{name}"
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_moving_models_between_apps_keeps_every_row(scratch_database):
    env = {**os.environ, "DATABASE_URL": scratch_database, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(BEFORE)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "OK" in result.stdout
