"""leadbridge.store."""
