from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import hub_cli

CSV = """reference,email,currency,sku,title,quantity,unit_price,shipping,name,address1,city,country_code
M-1,a@example.com,USD,MUG-1,Mug,2,12.50,5.00,Ann,5 Elm St,Boston,US
M-1,,USD,CAP-1,Cap,1,8.00,,,,,
M-2,b@example.com,USD,MUG-1,Mug,zero,12.50,,Bob,1 Oak St,Austin,US
M-3,c@example.com,EUR,TEE-1,Tee,1,20.00,,Cy,Hlavni 1,Brno,CZ
"""


def test_import_takes_good_orders_lists_bad_rows_and_is_idempotent(tmp_path: Path) -> None:
    env = {"HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}"}
    assert hub_cli("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    (tmp_path / "orders.csv").write_text(CSV)
    first = hub_cli("orders", "import", "orders.csv", env=env, cwd=tmp_path)
    assert first.returncode == 1, first.stderr  # some rows were rejected
    assert "2 orders created" in first.stdout and "1 rows rejected" in first.stdout
    assert "quantity" in first.stdout and "Traceback" not in first.stderr
    second = hub_cli("orders", "import", "orders.csv", env=env, cwd=tmp_path)
    assert "0 orders created" in second.stdout and "2 unchanged" in second.stdout
    listing = hub_cli("orders", "list", env=env, cwd=tmp_path)
    assert "M-1" in listing.stdout and "M-3" in listing.stdout and "M-2" not in listing.stdout
    shown = hub_cli("orders", "show", "1", env=env, cwd=tmp_path)
    assert shown.returncode == 0 and "CAP-1" in shown.stdout and "received" in shown.stdout
    booked = hub_cli("jobs", "run", "ledger.orders", env=env, cwd=tmp_path)
    assert booked.returncode == 0, booked.stderr
    shown = hub_cli("orders", "show", "1", env=env, cwd=tmp_path)
    # M-1: 2 × 12.50 + 8.00 + 5.00 shipping, nothing paid out to anyone yet
    assert "profit 38.00 USD" in shown.stdout and ":shipping" in shown.stdout, shown.stdout


def test_missing_file_and_bad_header_are_one_line_exit_2(tmp_path: Path) -> None:
    env = {"HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}"}
    hub_cli("db", "upgrade", env=env, cwd=tmp_path)
    missing = hub_cli("orders", "import", "nope.csv", env=env, cwd=tmp_path)
    assert missing.returncode == 2 and "no such file" in missing.stderr and "Traceback" not in missing.stderr
    (tmp_path / "bad.csv").write_text("sku,qty\nA,1\n")
    header = hub_cli("orders", "import", "bad.csv", env=env, cwd=tmp_path)
    assert header.returncode == 2 and "lacks column" in header.stderr
    absent = hub_cli("orders", "show", "42", env=env, cwd=tmp_path)
    assert absent.returncode == 1 and "not found" in absent.stderr


def test_list_filters_by_lifecycle_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    env = {"HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}"}
    assert hub_cli("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    (tmp_path / "orders.csv").write_text(CSV)
    hub_cli("orders", "import", "orders.csv", env=env, cwd=tmp_path)
    received = hub_cli("orders", "list", "--lifecycle", "received", "--format", "csv", env=env, cwd=tmp_path)
    assert received.returncode == 0, received.stderr
    assert "M-1" in received.stdout and "M-3" in received.stdout and "lifecycle" in received.stdout
    shipped = hub_cli("orders", "list", "--lifecycle", "shipped", env=env, cwd=tmp_path)
    assert shipped.returncode == 0 and "M-1" not in shipped.stdout and "no orders" in shipped.stdout
    bad = hub_cli("orders", "list", "--lifecycle", "lost", env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "lost" in bad.stderr and "Traceback" not in bad.stderr, bad.stderr
    shown = hub_cli("orders", "show", "1", env=env, cwd=tmp_path)
    assert "Received" in shown.stdout
