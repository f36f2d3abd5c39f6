"""leadbridge.routing."""
