"""Errors raised by the storage layer."""

from __future__ import annotations


class StoreError(Exception):
    """Root of the storage layer's errors."""


class DatabaseUnavailable(StoreError):
    """The database could not be reached or started; the message says which and why."""


class MigrationFailed(StoreError):
    """A migration could not be applied; the message names it."""


class DatabaseBusy(StoreError):
    """A statement or a wait for a connection ran past its limit; the work was not done."""
