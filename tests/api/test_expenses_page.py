"""The /expenses page on each backend: signed in, adds with errors beside the field, imports a CSV upload,
removes, and refuses cross-site posts."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.services import expenses
from tests import catalogue_builders as cb
from tests.conftest import ADMIN_TOKEN, SAME_SITE


def _signed_in(hub: Hub) -> TestClient:
    client = TestClient(create_app(hub), headers=SAME_SITE, follow_redirects=False)
    assert client.post("/login", data={"token": ADMIN_TOKEN, "next": "/expenses"}).status_code == 303
    return client


def test_expenses_page_adds_imports_and_removes(hub: Hub) -> None:
    store_id = cb.store(hub.db)
    anonymous = TestClient(create_app(hub), headers=SAME_SITE, follow_redirects=False)
    assert anonymous.get("/expenses").headers["location"] == "/login?next=/expenses"
    assert anonymous.post("/expenses", data={"name": "x"}).status_code == 303
    assert expenses.list_expenses(hub.db) == []

    client = _signed_in(hub)
    page = client.get("/expenses")
    assert page.status_code == 200 and "Other costs" in page.text and 'href="/expenses"' in page.text
    bad = client.post("/expenses", data={"kind": "recurring", "name": "Plan", "amount": "29.999", "currency": "USD",
                                         "date": "2026-11-01", "store": str(store_id)})
    assert bad.status_code == 200  # the form again, errors beside the fields
    assert re.search(r'id="amount-error">has more than 2 decimals for USD<', bad.text)
    assert 'value="29.999"' in bad.text and f'<option value="{store_id}" selected>' in bad.text  # kept
    added = client.post("/expenses", data={"kind": "recurring", "name": "Plan", "amount": "29.00", "currency": "USD",
                                           "date": "2026-11-01", "store": str(store_id)})
    assert added.status_code == 303 and added.headers["location"] == "/expenses"
    listed = client.get("/expenses").text
    assert "Plan" in listed and "29.00 USD a month" in listed and "2026-11-01 to ongoing" in listed

    upload = ("date,platform,campaign,amount,currency,store\n2026-11-01,facebook,BF,10.00,USD,\n"
              "2026-11-02,google,,x,USD,\n")
    imported = client.post("/expenses/import", files={"file": ("spend.csv", upload.encode(), "text/csv")})
    assert imported.status_code == 200 and "2 rows: 1 written, 1 rejected." in imported.text
    assert "<td>3</td><td>amount</td>" in imported.text
    no_file = client.post("/expenses/import", files={"file": ("", b"", "text/csv")})
    assert no_file.status_code == 200 and "choose a CSV file" in no_file.text
    headerless = client.post("/expenses/import", files={"file": ("a.csv", b"a,b\n1,2\n", "text/csv")})
    assert headerless.status_code == 200 and "missing column(s) date, platform" in headerless.text

    rows = expenses.list_expenses(hub.db)
    assert sorted(r.kind for r in rows) == ["ad_spend", "recurring"]
    evil = client.post(f"/expenses/{rows[0].id}/delete", headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and len(expenses.list_expenses(hub.db)) == 2  # refused (hub.api.csrf)
    assert client.post(f"/expenses/{rows[0].id}/delete").status_code == 303
    assert [r.id for r in expenses.list_expenses(hub.db)] == [rows[1].id]
    assert client.post(f"/expenses/{rows[0].id}/delete").status_code == 303  # already gone: no error
