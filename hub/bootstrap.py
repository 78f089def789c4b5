"""Composition root: settings → database, cipher, connectors. Entry points build a Hub here."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from connectors.registry import ConnectorRegistry
from connectors.url_guard import Resolver, system_resolver
from hub.config import Settings, get_settings
from hub.crypto import TokenCipher
from hub.db.engine import Database

logger = logging.getLogger(__name__)


@dataclass
class Hub:
    """Everything a service call needs, built once per process."""

    settings: Settings
    db: Database
    cipher: TokenCipher
    connectors: ConnectorRegistry = field(default_factory=ConnectorRegistry)
    extras: dict[str, object] = field(default_factory=dict)
    resolver: Resolver = field(default=system_resolver)  # host names of feed URLs → addresses

    def close(self) -> None:
        self.db.dispose()


def build_hub(settings: Settings | None = None, *, database_url: str | None = None) -> Hub:
    settings = settings or get_settings()
    url = database_url or settings.resolved_database_url
    return Hub(settings=settings, db=Database(url), cipher=TokenCipher(settings.fernet_key()))
