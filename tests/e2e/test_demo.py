"""`hub demo` as a user runs it, twice on one fresh SQLite file."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from hub.db.engine import Database
from hub.db.models import SupplierOrder, SupplierOrderLine
from tests.cli.test_cli import hub_cli


def test_demo_places_every_routable_line_once_and_adds_orders_on_a_second_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    env = {"HUB_VAR_DIR": str(tmp_path / "var")}
    first = hub_cli("demo", "--orders", "100", "--json", "--database", url, env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    one = json.loads(first.stdout)
    assert one["orders_created"] == 100 and one["orders_in_database"] == 100
    assert one["lines"] == one["lines_routed"] + one["lines_needing_attention"]
    assert one["lines_routed"] > one["lines_needing_attention"] > 0
    assert one["supplier_orders_placed"] > 0 and one["supplier_orders_not_placed"] == 0
    assert one["supplier_orders_duplicated_at_suppliers"] == 0
    assert one["store_fulfillments"] == one["parcels_shipped"] >= one["supplier_orders_placed"]
    revenue, fees, cost, profit = (Decimal(one[k]) for k in ("revenue", "fees", "supplier_cost", "profit"))
    assert revenue > cost > 0 and fees > 0
    assert profit == revenue - fees - cost  # no refunds or FX in the sandbox run

    second = hub_cli("demo", "--orders", "40", "--json", "--database", url, env=env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    two = json.loads(second.stdout)
    assert two["orders_created"] == 40 and two["orders_in_database"] == 140
    assert two["supplier_orders_not_placed"] == 0 and two["supplier_orders_duplicated_at_suppliers"] == 0
    database = Database(url)
    with database.transaction() as session:
        supplier_orders = session.execute(select(func.count()).select_from(SupplierOrder)).scalar_one()
        # every routed line sits in exactly one supplier order line per offer it ships from
        per_line = session.execute(select(SupplierOrderLine.order_line_id, SupplierOrderLine.offer_id,
                                          func.count()).group_by(SupplierOrderLine.order_line_id,
                                                                 SupplierOrderLine.offer_id)
                                   .having(func.count() > 1)).all()
    database.dispose()
    assert supplier_orders == one["supplier_orders_placed"] + two["supplier_orders_placed"]
    assert per_line == []
