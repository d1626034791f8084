"""Benchmarks of the ledger against raw PostgreSQL (``ledger bench``)."""
