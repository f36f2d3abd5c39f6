"""Hygiene rules acting on entry: trigger + filter + actions, inside the write path's batch."""
