"""The data audit: what is missing, inconsistent, invalid, duplicated or would fail in the CRM."""

from leadbridge.audit.report import run_audit

__all__ = ["run_audit"]
