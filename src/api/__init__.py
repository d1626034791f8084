"""The ledger's outer face: the HTTP API and the command line."""
