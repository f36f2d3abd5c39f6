"""leadbridge.dedupe."""
