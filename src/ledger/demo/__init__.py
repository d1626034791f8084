"""Deterministic demo data: the same scale and seed always give the same ledger."""
