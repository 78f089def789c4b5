"""Emulated supplier with a small JSON API that honours `Idempotency-Key` and counts what it got.

server = SandboxSupplierServer(SupplierSandboxConfig(ship_after=5))
supplier = SandboxSupplier("http://sandbox-supplier", transport=server.transport())
app = create_app(server)   # the same supplier as ASGI
python -m connectors.suppliers.sandbox --port 8765   # the same supplier as its own process
"""

from connectors.suppliers.sandbox.adapter import SandboxSupplier
from connectors.suppliers.sandbox.asgi import create_app
from connectors.suppliers.sandbox.config import SupplierFaults, SupplierSandboxConfig
from connectors.suppliers.sandbox.server import Reply, SandboxSupplierServer

__all__ = ["Reply", "SandboxSupplier", "SandboxSupplierServer", "SupplierFaults", "SupplierSandboxConfig",
           "create_app"]
