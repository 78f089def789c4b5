"""The stores and jobs pages' forms over HTTP: errors beside their field with nothing saved, the
install form when the app is configured, disconnect keeping the store's data, the rules forms and
PUT /api/v1/stores/{id}/settings refusing alike, "Run now" for an unknown job, and posts from a
visitor not signed in or from another site."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from connectors.registry import ConnectorRegistry
from connectors.shopify.sandbox import SandboxShopify
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models import JobRun, Store
from hub.services import store_settings
from hub.services.intake import ingest_orders
from tests.api.conftest import AUTH
from tests.conftest import ADMIN_TOKEN, SAME_SITE
from tests.factories import make_order


@pytest.fixture
def shop() -> SandboxShopify:
    return SandboxShopify()


@pytest.fixture
def pages(sqlite_hub: Hub, shop: SandboxShopify) -> Iterator[TestClient]:
    sqlite_hub.connectors = ConnectorRegistry(shopify_transport=shop.transport())
    with TestClient(create_app(sqlite_hub), follow_redirects=False, headers=SAME_SITE) as client:
        assert client.post("/login", data={"token": ADMIN_TOKEN}).status_code == 303
        yield client


def _error(html: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="f-{field}-error">([^<]*)</p>', html)
    return found.group(1) if found else ""


def _stores(hub: Hub) -> int:
    with hub.db.read() as session:
        return int(session.execute(select(func.count()).select_from(Store)).scalar_one())


def test_connect_refusals_are_beside_their_field(pages: TestClient, sqlite_hub: Hub, shop: SandboxShopify) -> None:
    good = {"shop": shop.config.shop_domain, "token": shop.config.access_token}
    for data, field, words in [
        ({**good, "shop": "evil.example.com"}, "shop", "myshopify.com"),
        ({**good, "token": ""}, "token", ""),
        ({**good, "token": "has spaces in it"}, "token", "printable ASCII"),
        ({**good, "token": "shpat_wrong"}, "token", "could not verify the token"),
        ({**good, "currency": "dollars"}, "currency", "ISO 4217"),
    ]:
        answer = pages.post("/stores", data=data)
        assert answer.status_code == 200, data
        assert words in _error(answer.text, field) and _error(answer.text, field), (data, answer.text[-2000:])
        assert data["token"] not in answer.text or not data["token"]  # a typed token is never sent back
    assert _stores(sqlite_hub) == 0
    connected = pages.post("/stores", data={**good, "webhook_secret": "whsec"})
    assert connected.status_code == 303 and connected.headers["location"].endswith("?saved=connected")
    again = pages.post("/stores", data=good)
    assert "already connected" in _error(again.text, "shop") and _stores(sqlite_hub) == 1
    listing = pages.get("/stores")
    assert shop.config.shop_name in listing.text and "not pulled yet" in listing.text
    assert "Install" not in listing.text  # the app's client id and secret are not configured


def test_install_form_starts_the_oauth_flow(pages: TestClient, sqlite_hub: Hub) -> None:
    sqlite_hub.settings.shopify_client_id = "app-id"
    sqlite_hub.settings.shopify_client_secret = SecretStr("app-secret")
    assert 'action="/stores/install"' in pages.get("/stores").text
    refused = pages.post("/stores/install", data={"install_shop": "nope.example"})
    assert refused.status_code == 200 and "not a Shopify shop domain" in _error(refused.text, "install_shop")
    started = pages.post("/stores/install", data={"install_shop": "my-shop.myshopify.com"})
    assert started.status_code == 303
    assert started.headers["location"].startswith("https://my-shop.myshopify.com/admin/oauth/authorize?")
    assert "hub_shopify_oauth" in started.headers["set-cookie"]


def test_disconnect_asks_first_and_keeps_the_data(pages: TestClient, sqlite_hub: Hub, shop: SandboxShopify) -> None:
    store_id = int(pages.post("/stores", data={"shop": shop.config.shop_domain, "token": shop.config.access_token})
                   .headers["location"].split("/")[2].split("?")[0])
    ingest_orders(sqlite_hub.db, store_id, [make_order("1")], "pull")
    store_settings.save(sqlite_hub.db, store_id, stock_cover_days="9")
    page = pages.get(f"/stores/{store_id}")
    assert "Disconnect this store" in page.text and "Yes, disconnect" not in page.text
    assert "Yes, disconnect" in pages.get(f"/stores/{store_id}?confirm=disconnect").text
    done = pages.post(f"/stores/{store_id}/disconnect")
    assert done.status_code == 303
    after = pages.get(done.headers["location"])
    assert "Store disconnected" in after.text and "disconnected" in after.text
    with sqlite_hub.db.read() as session:
        store = session.get(Store, store_id)
        assert store is not None and store.status == "disconnected" and store.access_token_encrypted is None
    assert store_settings.current(sqlite_hub.db, store_id).stock_cover_days == 9
    back = pages.post("/stores", data={"shop": shop.config.shop_domain, "token": shop.config.access_token})
    assert back.status_code == 303 and f"/stores/{store_id}?" in back.headers["location"]  # the same store again
    assert pages.post("/stores/999/disconnect").status_code == 404
    assert pages.get("/stores/abc").status_code == 404


def test_rules_forms_and_the_api_refuse_alike(pages: TestClient, sqlite_hub: Hub, shop: SandboxShopify) -> None:
    store_id = int(pages.post("/stores", data={"shop": shop.config.shop_domain, "token": shop.config.access_token})
                   .headers["location"].split("/")[2].split("?")[0])
    routing = {"strategy": "landed_cost", "max_unit_cost": "12.5", "consolidate_max_extra": "", "margin_guard": "on",
               "prefer_scorecard": "on"}
    bad = pages.post(f"/stores/{store_id}/routing", data={**routing, "max_unit_cost": "-3"})
    assert _error(bad.text, "max_unit_cost") == "must not be negative" and 'value="-3"' in bad.text
    api_bad = pages.put(f"/api/v1/stores/{store_id}/settings", json={"routing": {"max_unit_cost": "-3"}}, headers=AUTH)
    assert api_bad.status_code == 422 and api_bad.json()["error"]["message"] == "max_unit_cost: must not be negative"
    assert pages.post(f"/stores/{store_id}/routing", data=routing).status_code == 303
    rules = store_settings.current(sqlite_hub.db, store_id)
    assert rules.routing == {"strategy": "landed_cost", "max_unit_cost": "12.5", "margin_guard": True,
                             "consolidate_max_extra": None, "prefer_scorecard": True}
    pricing = {"pricing_on": "on", "markup_percent": "80", "rounding": ".95", "min_margin_percent": "100",
               "tolerance_percent": "10", "action": "save"}
    refused = pages.post(f"/stores/{store_id}/pricing", data=pricing)
    assert _error(refused.text, "min_margin_percent") == "must be under 100"
    assert not store_settings.current(sqlite_hub.db, store_id).pricing_on
    previewed = pages.post(f"/stores/{store_id}/pricing", data={**pricing, "min_margin_percent": "10",
                                                                "action": "preview"})
    assert 'id="preview"' in previewed.text and "Save pricing rules" in previewed.text
    assert not store_settings.current(sqlite_hub.db, store_id).pricing_on
    assert pages.post(f"/stores/{store_id}/stock", data={"stock_cover_days": "0"}).text.count("must be 1 to 365") == 1
    assert pages.post(f"/stores/{store_id}/stock", data={"stock_cover_days": "14"}).status_code == 303
    body = {"pricing": {"markup_percent": "60", "rounding": "whole"}, "routing": {"strategy": "priority"}}
    put = pages.put(f"/api/v1/stores/{store_id}/settings", headers=AUTH, json=body)
    assert put.status_code == 200, put.text
    assert put.json() == {"routing": {**rules.routing, "strategy": "priority"}, "stock_cover_days": 14,
                          "pricing": {"markup_percent": "60", "rounding": "whole", "min_margin_percent": "0",
                                      "tolerance_percent": "20"}}
    assert pages.put(f"/api/v1/stores/{store_id}/settings", json={"pricing": None}, headers=AUTH
                     ).json()["pricing"] is None
    assert pages.get(f"/api/v1/stores/{store_id}/settings", headers=AUTH).json()["stock_cover_days"] == 14
    assert pages.put("/api/v1/stores/999/settings", json={}, headers=AUTH).status_code == 404
    assert pages.put(f"/api/v1/stores/{store_id}/settings", json={"stock_cover_days": 0}, headers=AUTH
                     ).status_code == 422


def test_run_now_and_who_may_post(pages: TestClient, sqlite_hub: Hub) -> None:
    ran = pages.post("/jobs/housekeeping.prune_job_runs/run")
    assert ran.status_code == 303 and ran.headers["location"].startswith("/jobs?ran=housekeeping.prune_job_runs")
    page = pages.get(ran.headers["location"])
    assert "housekeeping.prune_job_runs started." in page.text and "deleted 0" in page.text
    with sqlite_hub.db.read() as session:
        assert session.execute(select(JobRun.status).where(JobRun.job == "housekeeping.prune_job_runs")
                               ).scalars().all() == ["ok"]
    assert pages.post("/jobs/no.such.job/run").status_code == 404
    none = pages.post("/jobs/orders.pull/run").headers["location"]
    assert "runs for each connected store, and none is connected" in pages.get(none).text
    stranger = TestClient(create_app(sqlite_hub), follow_redirects=False, headers=SAME_SITE)
    for path in ("/stores", "/stores/1/routing", "/jobs/orders.route/run"):
        assert stranger.post(path, data={}).headers["location"].startswith("/login?next=")
    assert stranger.get("/jobs").headers["location"] == "/login?next=/jobs"
    assert pages.post("/jobs/orders.route/run", headers={"Origin": "https://evil.example"}).status_code == 403
