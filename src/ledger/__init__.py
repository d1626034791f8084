"""The medical-device traceability ledger: domain, application and event store."""
