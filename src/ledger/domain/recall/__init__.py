"""The ``Recall`` aggregate: a recall's level, lots, deadlines, notices, recovery and close-out."""
