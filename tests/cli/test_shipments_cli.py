"""`hub shipments import`: parcels from a supplier's CSV become shipments, bad rows are listed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from hub.bootstrap import Hub
from hub.config import Settings
from hub.crypto import TokenCipher
from hub.db.engine import Database
from hub.db.migrate import upgrade
from hub.db.models import Shipment, SupplierOrder
from hub.services import outbox
from hub.services.routing import route
from tests import catalogue_builders as cb
from tests.cli.test_cli import hub_cli
from tests.fakes import FakeRegistry, FakeSupplierAccount
from tests.integration.test_routing import order_with


def test_import_records_parcels_once_and_lists_bad_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    db = Database(url)
    upgrade(db.engine)
    settings = Settings(_env_file=None, var_dir=tmp_path / "var", admin_token="x")  # type: ignore[call-arg]
    hub = Hub(settings=settings, db=db, cipher=TokenCipher(settings.fernet_key()),
              connectors=FakeRegistry({"alpha": FakeSupplierAccount()}))
    store_id = cb.store(db)
    alpha = cb.supplier(db, "alpha", kind="csv_po")
    cb.listing(db, store_id, "MUG", "v-MUG", cb.offer(db, alpha, "A-MUG", "5.00"))
    route(hub, order_with(hub, store_id, "1", ("MUG", 2)))
    outbox.dispatch(hub, kinds=["supplier.place"])
    with db.transaction() as session:
        reference = session.execute(select(SupplierOrder.reference)).scalar_one()
    (tmp_path / "tracking.csv").write_text(
        "reference,tracking_number,carrier,sku,quantity\n"
        f"{reference},YT1,YunExpress,A-MUG,1\n"
        "NO-SUCH-REF,YT2,YunExpress,A-MUG,1\n"
        f"{reference},,YunExpress,A-MUG,1\n")
    env = {"HUB_DATABASE_URL": url, "HUB_VAR_DIR": str(tmp_path / "var")}
    first = hub_cli("shipments", "import", "alpha", "tracking.csv", env=env, cwd=tmp_path)
    assert first.returncode == 1, first.stderr
    assert "1 parcels recorded" in first.stdout and "2 rows rejected" in first.stdout
    second = hub_cli("shipments", "import", "alpha", "tracking.csv", env=env, cwd=tmp_path)
    assert "0 parcels recorded, 1 already known" in second.stdout
    with db.transaction() as session:
        shipments = session.execute(select(Shipment.tracking_number, Shipment.lines)).all()
    assert [(n, [line["quantity"] for line in lines]) for n, lines in shipments] == [("YT1", [1])]
    missing = hub_cli("shipments", "import", "alpha", "nope.csv", env=env, cwd=tmp_path)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    db.dispose()
