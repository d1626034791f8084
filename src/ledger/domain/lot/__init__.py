"""The ``Lot`` aggregate: one lot of one product, its events, state, rules and errors."""
