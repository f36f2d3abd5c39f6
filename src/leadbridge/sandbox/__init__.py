"""A Salesforce-compatible CRM server for tests, demos and dry runs (HTTPS, its own SQLite store)."""

from leadbridge.sandbox.config import SandboxConfig
from leadbridge.sandbox.server import SandboxServer

__all__ = ["SandboxConfig", "SandboxServer"]
