"""The hub: a self-hosted dropshipping integration hub."""

__version__ = "0.1.0"
