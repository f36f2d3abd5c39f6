"""leadbridge: keep a marketing database and a CRM clean and in sync."""

__version__ = "0.1.0"
