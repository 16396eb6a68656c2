"""The top agents and sponsors of a region, read from the Leader rollup."""

from __future__ import annotations

from django.db import connection
from django.db.models import CharField, F, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Trim

from ecosystems.models import Leader, LeaderKind
from ecosystems.selectors.dashboard.results import TOP, LeaderRow
from ecosystems.selectors.dashboard.scope import Scope
from members.models import Agent, Sponsor


def _leaders(scope: Scope) -> tuple[list[LeaderRow], list[LeaderRow]]:
    """The top agents and sponsors of the region: one query reads both kinds, one more names them."""
    # The top TOP of each kind in one statement: two index range reads (kind, level, region_code, -active) glued
    # with UNION ALL, each inside its own sub-select so that SQLite accepts their ORDER BY and LIMIT too.
    parts: list[str] = []
    params: list = []
    for kind in (LeaderKind.AGENT, LeaderKind.SPONSOR):
        top = (Leader.objects.filter(kind=kind, level=scope.level, region_code=scope.code)
               .order_by("-active", "-members", "ref_id").values("kind", "ref_id", "members", "active", "paid_idr"))
        sql, part_params = top[:TOP].query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) AS top_{kind}")  # noqa: S608 - Django-compiled SQL
        params += part_params
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        columns = [col[0] for col in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    rows.sort(key=lambda row: (row["kind"], -row["active"], -row["members"], row["ref_id"]))
    agent_ids = [row["ref_id"] for row in rows if row["kind"] == LeaderKind.AGENT]
    sponsor_ids = [row["ref_id"] for row in rows if row["kind"] == LeaderKind.SPONSOR]
    names: dict[tuple[str, int], str] = {}
    if rows:
        full_name = Coalesce(NullIf(Trim(Concat("user__first_name", Value(" "), "user__last_name",
                                                output_field=CharField())), Value("")), "user__username",
                             output_field=CharField())
        agents = (Agent.objects.filter(pk__in=agent_ids or [0])
                  .annotate(k=Value(LeaderKind.AGENT, output_field=CharField()), label=full_name)
                  .values_list("k", "pk", "label").order_by())
        sponsors = (Sponsor.objects.filter(pk__in=sponsor_ids or [0])
                    .annotate(k=Value(LeaderKind.SPONSOR, output_field=CharField()), label=F("name"))
                    .values_list("k", "pk", "label").order_by())
        names = {(kind, pk): label for kind, pk, label in agents.union(sponsors, all=True)}

    def listed(kind: str) -> list[LeaderRow]:
        return [LeaderRow(name=names.get((kind, row["ref_id"])) or f"#{row['ref_id']}", members=row["members"],
                          active=row["active"], paid_idr=row["paid_idr"]) for row in rows if row["kind"] == kind]

    return listed(LeaderKind.AGENT), listed(LeaderKind.SPONSOR)
