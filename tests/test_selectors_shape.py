"""Selectors are keyword-only and typed (DESIGN: selectors.py, reads, keyword-only, typed, taking the viewer): every
public function of every selectors module, and of reference.scope, takes its arguments by keyword, annotates each
of them and says what it returns."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTRA = ["reference/scope.py"]


def selector_modules() -> list[str]:
    # Packages at any depth (contributions/selectors/, ecosystems/selectors/dashboard/): every module of them, and
    # the package itself by its own name.
    paths = [*ROOT.glob("*/selectors.py"), *ROOT.glob("*/selectors/**/*.py"), *(ROOT / extra for extra in EXTRA)]
    return sorted({p.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__")
                   for p in paths if ".venv" not in p.parts})


def shape_faults(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    faults = []
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if name.startswith("_") or function.__module__ != module_name:
            continue  # private helpers, and functions imported from elsewhere (checked where they live)
        where = f"{module_name}.{name}"
        signature = inspect.signature(function)
        for parameter in signature.parameters.values():
            if parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
                faults.append(f"{where}: {parameter.name} is not keyword-only")
            if parameter.annotation is inspect.Parameter.empty:
                faults.append(f"{where}: {parameter.name} has no annotation")
        if signature.return_annotation is inspect.Signature.empty:
            faults.append(f"{where}: no return annotation")
    return faults


def test_the_selector_modules_are_found():
    modules = selector_modules()
    assert {"claims.selectors", "contributions.selectors", "ecosystems.selectors.dashboard", "sponsors.selectors",
            "members.selectors", "reference.selectors", "reference.scope"} <= set(modules)
    assert {"contributions.selectors.access", "contributions.selectors.account", "contributions.selectors.agents",
            "contributions.selectors.autodebit", "contributions.selectors.coverage",
            "contributions.selectors.reconciliation", "ecosystems.selectors.dashboard.leaders",
            "ecosystems.selectors.dashboard.read", "ecosystems.selectors.dashboard.results",
            "ecosystems.selectors.dashboard.scope", "ecosystems.selectors.targets"} <= set(modules)


def test_selectors_are_keyword_only_and_typed():
    assert [fault for module in selector_modules() for fault in shape_faults(module)] == []


def test_the_check_finds_a_positional_or_untyped_parameter(tmp_path, monkeypatch):
    (tmp_path / "shape_sample.py").write_text(
        "def good(*, a: int) -> int:\n    return a\n\n"
        "def positional(a: int) -> int:\n    return a\n\n"
        "def untyped(*, a):\n    return a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert shape_faults("shape_sample") == [
        "shape_sample.positional: a is not keyword-only",
        "shape_sample.untyped: a has no annotation",
        "shape_sample.untyped: no return annotation",
    ]
