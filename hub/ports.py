"""What the core asks of the outside world. Connectors satisfy these structurally; tests use fakes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hub.domain.orders import OrderIn
from hub.domain.storefront import ShopInfo, WebhookSubscription


class Storefront(Protocol):
    """A connected store, as order intake sees it."""

    def shop(self) -> ShopInfo: ...

    def orders(self, updated_since: datetime | None = None, page_size: int | None = None) -> Iterator[OrderIn]:
        """Every order updated at or after `updated_since`, oldest update first, with all its lines."""
        ...

    def register_webhooks(self, address: str, topics: Sequence[str]) -> list[WebhookSubscription]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class StoreCredentials:
    """What a connector needs to reach one store; the token is decrypted only into this value."""

    platform: str
    shop_domain: str
    access_token: str
    api_version: str
    base_url: str | None = None

    def __repr__(self) -> str:
        return f"StoreCredentials({self.platform!r}, {self.shop_domain!r}, api_version={self.api_version!r})"


class StorefrontFactory(Protocol):
    def __call__(self, credentials: StoreCredentials) -> Storefront: ...
