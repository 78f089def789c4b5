"""Importing this module registers every outbox handler (each lives beside its use case)."""

from hub.services import cancellation, fulfillment, placement

__all__ = ["cancellation", "fulfillment", "placement"]
