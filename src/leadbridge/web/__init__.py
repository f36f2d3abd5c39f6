"""leadbridge.web."""
