"""The dashboard's lifecycle: the orders page filters by it, each order wears it, the overview counts it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.services.routing import route
from tests import catalogue_builders as cb
from tests.conftest import ADMIN_TOKEN, SAME_SITE
from tests.integration.test_routing import order_with


def test_orders_page_filters_by_lifecycle_and_the_overview_counts_them(sqlite_hub: Hub) -> None:
    client = TestClient(create_app(sqlite_hub), headers=SAME_SITE, follow_redirects=False)
    client.post("/login", data={"token": ADMIN_TOKEN, "next": "/"})
    store_id = cb.store(sqlite_hub.db)
    stuck = order_with(sqlite_hub, store_id, "81", ("NOPE", 1))
    route(sqlite_hub, stuck)
    waiting = order_with(sqlite_hub, store_id, "82", ("NOPE", 1))
    stuck_page = client.get("/orders?lifecycle=needs_attention")
    assert stuck_page.status_code == 200 and "#81" in stuck_page.text and "#82" not in stuck_page.text
    assert "Needs attention" in stuck_page.text and '<option value="needs_attention" selected>' in stuck_page.text
    received = client.get("/orders?lifecycle=received")
    assert "#82" in received.text and "#81" not in received.text and "Received" in received.text
    assert "Received" in client.get(f"/orders/{waiting}").text  # the badge on the order page
    bad = client.get("/orders?lifecycle=lost")
    assert bad.status_code == 200 and "unknown lifecycle" in bad.text and "#81" not in bad.text
    home = client.get("/").text
    counts = home.split("Orders by lifecycle")[1].split("</table>")[0]
    assert '<a href="/orders?lifecycle=needs_attention">Needs attention</a></td><td class="num">1<' in counts
    assert '<a href="/orders?lifecycle=received">Received</a></td><td class="num">1<' in counts
