"""Read models folded from the ledger's event stream."""
