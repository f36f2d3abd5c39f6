"""Two-way CRM sync: push the outbox, pull changes, per-field ownership, errors that get fixed."""
