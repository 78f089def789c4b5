"""Fakes of the ports, for service tests: they satisfy the real Protocols and record what they got."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.http import RemoteRejected, RemoteUnavailable
from connectors.registry import ConnectorRegistry
from hub.ports import (
    StockLevel,
    Supplier,
    SupplierOrderRequest,
    SupplierOrderState,
    SupplierOrderStatus,
)


@dataclass
class FakeSupplierAccount:
    """What a supplier has on its side: orders by reference, and knobs to make it misbehave."""

    honours_key: bool = True
    orders: dict[str, SupplierOrderRequest] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    created: int = 0  # orders created (a duplicate would show here)
    calls: int = 0
    fail_next: list[Exception] = field(default_factory=list)  # raised before handling
    lose_answer_next: int = 0  # create the order, then raise a timeout (the answer is lost)
    reject_all: str | None = None
    shipped: set[str] = field(default_factory=set)
    cancelled: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeSupplier:
    def __init__(self, account: FakeSupplierAccount) -> None:
        self.account = account

    @property
    def honours_idempotency_key(self) -> bool:
        return self.account.honours_key

    def place_order(self, request: SupplierOrderRequest) -> SupplierOrderStatus:
        a = self.account
        with a.lock:
            a.calls += 1
            if a.fail_next:
                raise a.fail_next.pop(0)
            if a.reject_all:
                raise RemoteRejected(422, None, a.reject_all)
            if a.honours_key and request.idempotency_key in a.by_key:
                return self._status(a.by_key[request.idempotency_key])
            a.orders[request.reference] = request
            a.by_key[request.idempotency_key] = request.reference
            a.created += 1
            if a.lose_answer_next:
                a.lose_answer_next -= 1
                raise RemoteUnavailable("read timeout after the supplier took the order")
            return self._status(request.reference)

    def _status(self, reference: str) -> SupplierOrderStatus:
        state = (SupplierOrderState.CANCELLED if reference in self.account.cancelled else
                 SupplierOrderState.SHIPPED if reference in self.account.shipped else SupplierOrderState.ACCEPTED)
        return SupplierOrderStatus(reference, f"R-{reference}", state)

    def get_order(self, reference: str, remote_id: str | None = None) -> SupplierOrderStatus | None:
        with self.account.lock:
            return self._status(reference) if reference in self.account.orders else None

    def cancel_order(self, reference: str, remote_id: str | None = None) -> bool:
        with self.account.lock:
            if reference in self.account.shipped:
                return False
            self.account.cancelled.add(reference)
            return True

    def stock(self, skus: Sequence[str]) -> list[StockLevel]:
        return []

    def close(self) -> None:
        return None


class FakeRegistry(ConnectorRegistry):
    """The real registry for storefronts, fake accounts for suppliers (by supplier config 'account')."""

    def __init__(self, accounts: Mapping[str, FakeSupplierAccount], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.accounts = dict(accounts)

    def supplier(self, kind: str, config: Mapping[str, Any], secrets: Mapping[str, str]) -> Supplier:  # type: ignore[override]
        return FakeSupplier(self.accounts[str(config["account"])])
