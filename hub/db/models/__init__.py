"""Every table of the data model (DESIGN.md), importable from one place for Alembic."""

from hub.db.base import Base
from hub.db.models.allocation import LedgerPart, LedgerPartDaily, LedgerSupplierDaily
from hub.db.models.catalogue import FeedReject, FeedRun, Listing, Mapping, Offer
from hub.db.models.daily import OrderDaily
from hub.db.models.expenses import Expense
from hub.db.models.money import FxRate, LedgerDaily, LedgerEntry, Payout, PayoutTransaction
from hub.db.models.ops import AttentionItem, JobLease, JobRun, OutboxMessage, WebhookDelivery
from hub.db.models.orders import (
    Order,
    OrderEvent,
    OrderLine,
    Reservation,
    Shipment,
    SupplierOrder,
    SupplierOrderLine,
)
from hub.db.models.stores import Store, Supplier, SupplierKey, SyncCursor

__all__ = [
    "AttentionItem", "Base", "Expense", "FeedReject", "FeedRun", "FxRate", "JobLease", "JobRun", "LedgerDaily",
    "LedgerEntry", "LedgerPart", "LedgerPartDaily", "LedgerSupplierDaily",
    "Listing", "Mapping", "Offer", "Order", "OrderDaily", "OrderEvent", "OrderLine", "OutboxMessage", "Payout",
    "PayoutTransaction", "Reservation",
    "Shipment", "Store", "Supplier", "SupplierKey", "SupplierOrder", "SupplierOrderLine", "SyncCursor",
    "WebhookDelivery",
]
