"""The ledger's use cases: the ``Ledger`` (commands, idempotency, saving) and the use
cases of each area, composed with it."""
