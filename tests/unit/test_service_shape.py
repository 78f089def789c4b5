"""The shape of `hub/services`: an explicit outbox table and no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from hub import import_graph
from hub.domain.outbox_kinds import OutboxKind
from hub.services.outbox_handlers import HANDLERS
from hub.services.outbox_messages import enqueue

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [p for folder in ("hub", "jobs", "connectors") for p in sorted((ROOT / folder).rglob("*.py"))]


def _calls(*names: str) -> list[tuple[Path, ast.Call]]:
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if called in names:
                    found.append((path, node))
    return found


def test_every_kind_has_a_handler_and_every_handler_a_kind() -> None:
    assert set(HANDLERS) == set(OutboxKind)
    assert all(callable(handler) for handler in HANDLERS.values())


def test_every_message_written_names_a_kind_of_the_table() -> None:
    """Each `enqueue(…)` / `enqueue_many(…)` in the code passes `OutboxKind.<member>`, so what is
    written is handled."""
    written = set()
    for path, call in _calls("enqueue", "enqueue_many"):
        kind = call.args[1] if len(call.args) > 1 else next(k.value for k in call.keywords if k.arg == "kind")
        assert isinstance(kind, ast.Attribute) and isinstance(kind.value, ast.Name), f"{path}: {ast.unparse(call)}"
        assert kind.value.id == "OutboxKind", f"{path}: kind must be an OutboxKind member: {ast.unparse(kind)}"
        written.add(OutboxKind[kind.attr])
    assert written == set(HANDLERS)  # and no handler waits for a kind nobody writes


def test_outbox_rows_are_written_only_by_enqueue() -> None:
    writers = {path.relative_to(ROOT).as_posix() for path in SOURCES
               if "OutboxMessage.__table__" in path.read_text(encoding="utf-8")
               or "OutboxMessage(" in path.read_text(encoding="utf-8")}
    assert writers <= {"hub/services/outbox_messages.py", "hub/db/models/ops.py"}


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        enqueue(None, "supplier.teleport", "k", {})  # type: ignore[arg-type]


def test_hub_services_has_no_import_cycle() -> None:
    assert import_graph.cycles(import_graph.graph("hub.services")) == []


def test_the_cycle_finder_sees_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_graph.cycles(edges) == [["a", "b", "c"]]


def test_the_graph_counts_imports_inside_functions_but_not_type_checking(tmp_path: Path) -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import b\n"
                     "def f():\n    from pkg import c\n")
    assert import_graph._imports(tree, "pkg", {"pkg.b", "pkg.c"}) == {"typing", "pkg", "pkg.c"}


def test_supplier_order_states_change_only_through_the_claim_helper() -> None:
    """No `update(SupplierOrder)…values(state=…)` and no `.state =` on a supplier order outside
    `hub/services/supplier_orders.py`: every move goes through `claim` and its table."""
    offenders = []
    for path in SOURCES:
        if path.relative_to(ROOT).as_posix() == "hub/services/supplier_orders.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "values":
                text = ast.unparse(node)
                if "update(SupplierOrder)" in text and any(k.arg == "state" for k in node.keywords):
                    offenders.append(f"{path}:{node.lineno}")
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Attribute) and target.attr == "state" and "supplier" in ast.unparse(
                            target.value).lower():
                        offenders.append(f"{path}:{node.lineno}")
    assert offenders == []


@pytest.mark.parametrize(("model", "writer"), [("OrderEvent", "hub/services/events.py"),
                                               ("AttentionItem", "hub/services/attention.py")])
def test_timeline_entries_and_attention_items_have_one_writer(model: str, writer: str) -> None:
    """Only the one function writes rows of `model`: no `Model(…)`, no insert into its table elsewhere."""
    patterns = (f"{model}(", f"{model}.__table__", f"insert({model})")
    writers = {path.relative_to(ROOT).as_posix() for path in SOURCES
               if any(p in path.read_text(encoding="utf-8") for p in patterns)}
    assert writers <= {writer, "hub/db/models/orders.py", "hub/db/models/ops.py"}
