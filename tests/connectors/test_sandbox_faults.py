"""The sandboxes' fault layer: each kind does what it says, in-process and over real HTTP; draws
are seeded; and a supplier without idempotency keys is placed once per reference under lost
answers only because the adapter looks the order up before re-sending."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.http import RetryPolicy
from connectors.sandbox_faults import FAULT_KINDS, FaultInjector, FaultPlan
from connectors.suppliers.sandbox import SandboxSupplier, SandboxSupplierServer, SupplierSandboxConfig, create_app
from tests.connectors.suppliers.helpers import order_request
from tests.live import live_server

BODY = {"reference": "R-1", "lines": [{"sku": "SBX-0001-1", "quantity": 1}], "currency": "USD"}


def _counting() -> tuple[httpx.MockTransport, Counter[str]]:
    calls: Counter[str] = Counter()

    def handle(request: httpx.Request) -> httpx.Response:
        calls[request.url.path] += 1
        return httpx.Response(200, json={"ok": True})

    return httpx.MockTransport(handle), calls


def _only(kind: str, **params: Any) -> FaultPlan:
    return FaultPlan(rates={kind: 1.0}, **params)


def test_each_kind_in_process() -> None:
    sleeps: list[float] = []
    inner, calls = _counting()
    seen: dict[str, int | str] = {}
    for kind in FAULT_KINDS:
        injector = FaultInjector(_only(kind, retry_after=3, slow_seconds=2.5), sleep=sleeps.append)
        client = httpx.Client(transport=injector.transport(inner))
        try:
            seen[kind] = client.get(f"http://sandbox/{kind}").status_code
        except httpx.HTTPError as exc:
            seen[kind] = type(exc).__name__
        assert injector.injected()[kind] == 1
    assert seen == {"429": 429, "5xx": 502, "timeout": "ReadTimeout", "lost": "RemoteProtocolError", "slow": 200}
    assert calls == {"/lost": 1, "/slow": 1}, "only a lost or slow answer reaches the sandbox (and does the work)"
    assert sleeps == [2.5], "a slow answer sleeps through the injected sleep"
    injector = FaultInjector(_only("429", retry_after=3))
    response = httpx.Client(transport=injector.transport(inner)).get("http://sandbox/x")
    assert response.headers["retry-after"] == "3"


def test_draws_are_seeded_and_follow_the_rates() -> None:
    def sequence(seed: int) -> list[tuple[str | None, bool]]:
        injector = FaultInjector(FaultPlan.every_kind(0.2, seed=seed))
        return [(d.kind, d.slow) for d in (injector.draw("/orders") for _ in range(3000))]

    first = sequence(5)
    assert first == sequence(5) and first != sequence(6)
    kinds = Counter(kind for kind, _ in first)
    assert 450 < kinds["429"] < 750  # 20% of all requests
    assert 0.8 * 0.2 * 3000 * 0.75 < kinds["5xx"] < 0.8 * 0.2 * 3000 * 1.25  # 20% of what 429 left
    assert 450 < sum(slow for _, slow in first) < 750


def test_exempt_paths_are_never_faulted() -> None:
    injector = FaultInjector(FaultPlan.every_kind(1.0), exempt=("/_stats", "/_control/"))
    assert injector.draw("/_stats").kind is None and injector.draw("/_control/ship").kind is None
    assert injector.draw("/orders").kind == "429"
    assert injector.injected()["429"] == 1


@given(st.dictionaries(st.sampled_from(FAULT_KINDS), st.floats(0, 1, allow_nan=False), min_size=1))
def test_parse_reads_what_it_is_given(rates: dict[str, float]) -> None:
    text = ",".join(f"{kind}={rate!r}" for kind, rate in rates.items())
    assert FaultPlan.parse(text, seed=3).rates == rates


@pytest.mark.parametrize("text", ["nope=0.1", "429=2", "429=x", "429", "-0.5", "lost=0.1,,5xx=0.1"])
def test_parse_refuses_with_the_reason(text: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        FaultPlan.parse(text)


def test_parse_spreads_a_bare_rate_over_every_kind() -> None:
    assert FaultPlan.parse("0.1").rates == dict.fromkeys(FAULT_KINDS, 0.1)
    assert FaultPlan.parse(" ").rates == {}


def test_each_kind_over_http() -> None:
    server = SandboxSupplierServer(SupplierSandboxConfig(ship_after=-1))
    sleeps: list[float] = []
    injector = FaultInjector(FaultPlan(), sleep=sleeps.append, exempt=("/_stats",))
    with live_server(injector.asgi(create_app(server))) as url, httpx.Client(base_url=url, timeout=5) as client:  # type: ignore[arg-type]
        injector.plan = _only("429", retry_after=4)
        answer = client.post("/orders", json=BODY, headers={"Idempotency-Key": "k"})
        assert (answer.status_code, answer.headers["retry-after"]) == (429, "4")
        injector.plan = _only("5xx")
        assert client.post("/orders", json=BODY, headers={"Idempotency-Key": "k"}).status_code == 502
        injector.plan = _only("timeout", stall_seconds=0.05)
        assert client.post("/orders", json=BODY, headers={"Idempotency-Key": "k"}).status_code == 504
        assert server.stats()["orders_created"] == 0, "none of these did the work"
        injector.plan = _only("lost")
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/orders", json=BODY, headers={"Idempotency-Key": "k"})
        assert server.stats()["orders_created"] == 1, "a lost answer's work is done"
        injector.plan = _only("slow", slow_seconds=9)
        assert client.get("/orders/R-1").json()["reference"] == "R-1"
        assert sleeps == [9]
        assert client.get("/_stats").status_code == 200, "control paths are exempt"
    assert injector.injected() == {"429": 1, "5xx": 1, "timeout": 1, "lost": 1, "slow": 1}


@pytest.mark.parametrize("adapter_knows", [False, True])
def test_keyless_supplier_gets_each_order_once_when_the_adapter_looks_before_resending(adapter_knows: bool) -> None:
    server = SandboxSupplierServer(SupplierSandboxConfig(ship_after=-1, honour_idempotency=False))
    injector = FaultInjector(FaultPlan(rates={"lost": 0.3, "timeout": 0.2, "5xx": 0.2}, seed=4))
    supplier = SandboxSupplier("http://sandbox", transport=injector.transport(server.transport()),
                               retry=RetryPolicy(attempts=20, sleep=lambda _: None),
                               honours_idempotency_key=not adapter_knows)
    for n in range(30):
        supplier.place_order(order_request(f"R-{n}"))
    stats = server.stats()
    assert injector.injected()["lost"] > 3
    if adapter_knows:
        assert stats["duplicates"] == [] and stats["orders_created"] == 30
    else:  # an adapter that trusts keys the supplier ignores doubles the orders whose answer was lost
        assert len(stats["duplicates"]) >= 3


def test_runnable_supplier_takes_a_fault_spec() -> None:
    from connectors.suppliers.sandbox.__main__ import parse_args

    assert parse_args(["--faults", "lost=0.1,429=0.05"]).faults.rates == {"lost": 0.1, "429": 0.05}
    assert parse_args([]).faults.rates == {}
    with pytest.raises(SystemExit):
        parse_args(["--faults", "lost=3"])
