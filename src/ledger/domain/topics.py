"""The names events are stored under, which outlive the modules that define them.

The library stores each event with its class's topic, ``module:QualifiedName``, and finds
the class again by that topic when it reads the event back; the hash chain covers those
bytes. A class that moves to another module keeps the topic it was first stored under: it
says so with ``stored_under``, which gives the class an explicit ``TOPIC`` (so new events
are written with the old name) and registers the old name (so stored events still load).
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import register_topic

# The library's own classes on every aggregate, never stored by the ledger.
_UNSTORED = frozenset({"Event", "Created"})


def stored_under(cls: type, module: str) -> None:
    """Store ``cls`` (an aggregate with the events defined on it, or one event class) under
    ``module`` instead of the module it is defined in."""
    classes = [cls]
    if issubclass(cls, Aggregate):
        classes += [
            value
            for name, value in vars(cls).items()
            if isinstance(value, type)
            and issubclass(value, CanMutateAggregate)
            and name not in _UNSTORED
        ]
    for stored in classes:
        topic = f"{module}:{stored.__qualname__}"
        # Set on the class itself: the library reads TOPIC before the module path.
        type.__setattr__(stored, "TOPIC", topic)
        register_topic(topic, stored)
