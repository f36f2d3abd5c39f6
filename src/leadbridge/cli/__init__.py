"""leadbridge.cli."""
