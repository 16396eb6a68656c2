"""docs/claims.md's rules table is generated from claims/seed.py: it must match it (`make states` regenerates it)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_rules_table_is_up_to_date():
    spec = importlib.util.spec_from_file_location("rules_doc", ROOT / "scripts" / "rules_doc.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    current = (ROOT / "docs" / "claims.md").read_text(encoding="utf-8")
    assert script.BEGIN in current, "docs/claims.md has no rules table: run `make states`"
    assert script.document(current) == current, "docs/claims.md's rules table is out of date: run `make states`"
