"""CJ Dropshipping API 2.0: client (tokens, pacing, envelope), adapter (the Supplier port), emulator."""

from connectors.suppliers.cj.adapter import CJSupplier
from connectors.suppliers.cj.client import CJ_BASE_URL, CJClient, CJSession
from connectors.suppliers.cj.errors import CJAuthError, CJNotFound, CJRejected
from connectors.suppliers.cj.pacing import TokenBucket

__all__ = ["CJ_BASE_URL", "CJAuthError", "CJClient", "CJNotFound", "CJRejected", "CJSession", "CJSupplier",
           "TokenBucket"]
