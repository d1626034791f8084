"""The recalls read model and the impact list.

``Recalls`` (``recalls``) folds recall events into one row per recall and one row per step;
the queries (``queries``) read them, and answer the impact list from them and the lot-trace,
stock and catalogue models; ``evidence`` builds a recall's evidence bundle from them.
"""

from projections.recall_impact.queries import (
    impact_list,
    impact_positions,
    list_recalls,
    lots_matching,
    outstanding_units,
    recall_lots,
    recall_summary,
    recall_tasks,
    selection_of,
)
from projections.recall_impact.recalls import STEPS, RecallChanges, Recalls

__all__ = [
    "STEPS",
    "RecallChanges",
    "Recalls",
    "impact_list",
    "impact_positions",
    "list_recalls",
    "lots_matching",
    "outstanding_units",
    "recall_lots",
    "recall_summary",
    "recall_tasks",
    "selection_of",
]
