"""docs/states.md is generated from the transition tables: it must match them (`make states` regenerates it)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("states_doc", ROOT / "scripts" / "states_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_states_doc_is_up_to_date():
    script = _script()
    current = (ROOT / "docs" / "states.md").read_text(encoding="utf-8")
    assert script.document(current) == current, "docs/states.md is out of date: run `make states`"


def test_every_transition_table_is_in_the_doc():
    script = _script()
    current = (ROOT / "docs" / "states.md").read_text(encoding="utf-8")
    keys = script.tables()
    assert {"members.Member.status", "contributions.Bill.status", "contributions.PaymentOrder.status",
            "contributions.DebitMandate.status", "contributions.DebitAttempt.status", "claims.Claim.status",
            "claims.ClaimDocument.status", "sponsors.BulkImport.status", "sponsors.BulkImportRow.status",
            "members.Agent.status", "members.Sponsorship.status"} <= set(keys)
    for key in keys:
        assert f"## {key.split('.')[1]}.{key.split('.')[2]}" in current
