"""Data standards: normalizers (country, state, email, phone, names) and rules, applied on every write."""
