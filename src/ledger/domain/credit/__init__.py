"""The ``CreditAccount`` aggregate: a customer's credit, receivables and collection."""
