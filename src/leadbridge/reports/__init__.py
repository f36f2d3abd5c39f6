"""leadbridge.reports."""
