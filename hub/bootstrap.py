"""Composition root: settings → database, cipher, connectors. Entry points build a Hub here."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from connectors.registry import ConnectorRegistry
from connectors.url_guard import Resolver, system_resolver
from hub.config import Settings, get_settings
from hub.crypto import TokenCipher
from hub.db.engine import Database, DatabaseUrlError
from hub.errors import UserError

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
    """Configuration mistakes end here as a UserError that names the variable or option to fix."""
    settings = settings or get_settings()
    url = database_url or settings.resolved_database_url
    if not database_url and not settings.database_url:
        settings.ensure_var_dir()  # the default SQLite file lives there: name HUB_VAR_DIR, not the URL
    try:
        cipher = TokenCipher(settings.fernet_key())
    except ValueError as exc:  # var/secret.key edited or truncated (HUB_SECRET_KEY itself is checked on load)
        raise UserError(f"{settings.var_dir / 'secret.key'} is not a valid key: restore it from a backup "
                        "or set HUB_SECRET_KEY") from exc
    try:
        db = Database(url)
    except DatabaseUrlError as exc:
        raise UserError(f"{'--database' if database_url else 'HUB_DATABASE_URL'}: {exc}") from exc
    return Hub(settings=settings, db=db, cipher=cipher)
