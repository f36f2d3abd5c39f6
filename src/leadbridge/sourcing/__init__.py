"""leadbridge.sourcing."""
