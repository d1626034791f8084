"""The ledger's outer face: the command line (and, later, the HTTP API)."""
