"""Ready-made dedupe settings for data that is not a CRM's people: a person registry (FEBRL's fields)."""

from __future__ import annotations

from leadbridge.dedupe.config import BlockingRule, Comparison, DedupeConfig


def registry() -> DedupeConfig:
    """Names, date of birth, social security id and a postal address (the FEBRL benchmark's fields)."""
    return DedupeConfig(
        comparisons=[
            Comparison(field="given_name", kind="name"), Comparison(field="surname", kind="name"),
            Comparison(field="date_of_birth", kind="code"), Comparison(field="soc_sec_id", kind="code"),
            Comparison(field="street_number", kind="code"), Comparison(field="address_1", kind="text"),
            Comparison(field="address_2", kind="text"), Comparison(field="suburb", kind="text"),
            Comparison(field="postcode", kind="code"), Comparison(field="state", kind="exact"),
        ],
        blocking=[
            BlockingRule(name="surname + given name", keys=["surname:3", "given_name:3"]),
            BlockingRule(name="date of birth", keys=["date_of_birth"]),
            BlockingRule(name="social security id", keys=["soc_sec_id"]),
            BlockingRule(name="postcode + surname", keys=["postcode", "surname:2"]),
            BlockingRule(name="suburb + given name", keys=["suburb", "given_name:2"]),
            BlockingRule(name="address", keys=["address_1", "street_number"]),
        ],
        auto_merge_threshold=0.99, review_threshold=0.5, conflicts=[],
    )
