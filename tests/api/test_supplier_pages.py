"""/suppliers and /suppliers/{code} without a browser: sign-in, forms refused beside their field,
keys shown once, uploads through the push path, held runs, purchase-order downloads."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from hub.bootstrap import Hub
from hub.services import feed_runs, suppliers
from tests.conftest import ADMIN_TOKEN, SAME_SITE


def _sign_in(client: TestClient) -> None:
    client.post("/login", data={"token": ADMIN_TOKEN})


def test_signed_out_pages_and_forms_go_to_sign_in(client: TestClient, sqlite_hub: Hub) -> None:
    suppliers.add_supplier(sqlite_hub.db, "acme", "Acme", "USD")
    for path in ("/suppliers", "/suppliers/acme", "/suppliers/acme/purchase-orders/20260101T000000Z.csv"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), path
    for path in ("/suppliers", "/suppliers/acme/keys", "/suppliers/acme/keys/1/revoke", "/suppliers/acme/feed",
                 "/suppliers/acme/feed-runs/1/confirm"):
        answer = client.post(path, headers=SAME_SITE, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), path
    assert suppliers.list_keys(sqlite_hub.db, "acme") == []
    assert client.post("/suppliers", data={"code": "x"}, headers={"Origin": "https://evil.example"}).status_code == 403


def test_add_a_supplier_with_errors_beside_the_fields(client: TestClient, sqlite_hub: Hub) -> None:
    _sign_in(client)
    refused = client.post("/suppliers", headers=SAME_SITE,
                          data={"code": "Bad Code", "name": "", "currency": "dollars", "kind": "feed"})
    assert refused.status_code == 200
    assert 'id="f-code-error"' in refused.text and 'id="f-currency-error"' in refused.text
    assert 'id="f-name-error"' in refused.text and 'value="Bad Code"' in refused.text
    bad_mapping = client.post("/suppliers", headers=SAME_SITE,
                              data={"code": "acme", "name": "Acme", "currency": "USD", "mapping": '{"colour": "X"}'})
    assert 'id="f-mapping-error"' in bad_mapping.text and "unknown field" in bad_mapping.text
    added = client.post("/suppliers", headers=SAME_SITE, follow_redirects=False,
                        data={"code": "acme", "name": "Acme Ltd", "currency": "eur", "kind": "csv_po",
                              "mapping": '{"sku": "Item"}'})
    assert added.status_code == 303 and added.headers["location"] == "/suppliers/acme?note=added"
    view = suppliers.get_supplier(sqlite_hub.db, "acme")
    assert (view.name, view.currency, view.kind, view.mapping) == ("Acme Ltd", "EUR", "csv_po", {"sku": "Item"})
    again = client.post("/suppliers", headers=SAME_SITE, data={"code": "acme", "name": "Again", "currency": "USD"})
    assert 'id="f-code-error"' in again.text and "already exists" in again.text
    api = client.get("/api/v1/suppliers/acme/scorecard?days=7", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert api.status_code == 200 and (api.json()["orders"], api.json()["fill_rate"]) == (0, None)
    listing = client.get("/suppliers?days=7")
    assert "Acme Ltd" in listing.text and 'aria-current="page">last 7 days' in listing.text
    assert client.get("/suppliers/nobody").status_code == 404


def test_a_key_is_shown_once_and_revoked(client: TestClient, sqlite_hub: Hub) -> None:
    suppliers.add_supplier(sqlite_hub.db, "acme", "Acme", "USD")
    _sign_in(client)
    created = client.post("/suppliers/acme/keys", headers=SAME_SITE, data={"label": "their ERP"})
    secret = re.search(r'<p class="secret" id="new-key">([^<]+)</p>', created.text)
    assert secret is not None and suppliers.authenticate_key(sqlite_hub.db, secret.group(1)) is not None
    assert created.headers["cache-control"] == "no-store"
    page = client.get("/suppliers/acme").text
    assert secret.group(1) not in page and "their ERP" in page and "feed" in page
    (key,) = suppliers.list_keys(sqlite_hub.db, "acme")
    revoked = client.post(f"/suppliers/acme/keys/{key.id}/revoke", headers=SAME_SITE, follow_redirects=False)
    assert revoked.headers["location"] == "/suppliers/acme?note=revoked#keys"
    assert suppliers.authenticate_key(sqlite_hub.db, secret.group(1)) is None
    assert "revoked" in client.get("/suppliers/acme?note=revoked").text
    assert client.post("/suppliers/other/keys", headers=SAME_SITE).status_code == 404


def test_upload_lists_rejects_and_a_held_run_is_confirmed(client: TestClient, sqlite_hub: Hub) -> None:
    suppliers.add_supplier(sqlite_hub.db, "acme", "Acme", "USD")
    _sign_in(client)
    full = b"sku,qty,price\n" + b"".join(b"S%d,1,1.00\n" % i for i in range(10)) + b"S1,2,oops\n"
    first = client.post("/suppliers/acme/feed", headers=SAME_SITE, data={"mode": "full", "format": "auto"},
                        files={"file": ("stock.csv", full, "text/csv")})
    assert first.status_code == 200
    assert "<strong>10 offers accepted</strong>" in first.text and "stock.csv" in first.text
    assert "<td class=\"num\">12</td>" in first.text  # the rejected row's line
    (run,) = feed_runs.list_runs(sqlite_hub.db, "acme")
    assert (run.source, run.accepted, run.rejected) == ("upload", 10, 1)
    held = client.post("/suppliers/acme/feed", headers=SAME_SITE, data={"mode": "full", "format": "csv"},
                       files={"file": ("short.csv", b"sku,qty,price\nS1,5,1.00\n", "text/csv")})
    assert "Apply it" in held.text and "held" in held.text
    suspect = feed_runs.list_runs(sqlite_hub.db, "acme")[0]
    assert suspect.status == "suspect"
    confirmed = client.post(f"/suppliers/acme/feed-runs/{suspect.id}/confirm", headers=SAME_SITE,
                            follow_redirects=False)
    assert confirmed.headers["location"] == "/suppliers/acme?note=confirmed#runs"
    assert feed_runs.list_runs(sqlite_hub.db, "acme")[0].status == "applied"
    twice = client.post(f"/suppliers/acme/feed-runs/{suspect.id}/confirm", headers=SAME_SITE)
    assert twice.status_code == 200 and 'class="form-error"' in twice.text
    nothing = client.post("/suppliers/acme/feed", headers=SAME_SITE, data={"mode": "sideways"})
    assert 'id="f-file-error"' in nothing.text and 'id="f-mode-error"' in nothing.text
    unreadable = client.post("/suppliers/acme/feed", headers=SAME_SITE, data={"format": "json"},
                             files={"file": ("x.json", b"{not json", "application/json")})
    assert unreadable.status_code == 200 and 'id="f-file-error"' in unreadable.text


def test_purchase_orders_download_for_a_csv_supplier(client: TestClient, sqlite_hub: Hub) -> None:
    suppliers.add_supplier(sqlite_hub.db, "paper", "Paper Co", "USD", kind="csv_po")
    folder = sqlite_hub.settings.var_dir / "purchase-orders" / "paper"
    folder.mkdir(parents=True)
    (folder / "20260101T000000Z.csv").write_bytes(b"reference,sku,quantity\nR-1,A,2\n")
    _sign_in(client)
    page = client.get("/suppliers/paper").text
    assert 'href="/suppliers/paper/purchase-orders/20260101T000000Z.csv"' in page
    download = client.get("/suppliers/paper/purchase-orders/20260101T000000Z.csv")
    assert download.status_code == 200 and download.content == b"reference,sku,quantity\nR-1,A,2\n"
    assert download.headers["content-disposition"] == 'attachment; filename="paper-20260101T000000Z.csv"'
    assert client.get("/suppliers/paper/purchase-orders/..%2Fsecret.csv").status_code == 404
    assert client.get("/suppliers/paper/purchase-orders/20990101T000000Z.csv").status_code == 404
