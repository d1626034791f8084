"""The ledger's domain: aggregates, events, rules and value objects (plain Python)."""
