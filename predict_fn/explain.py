"""Why a record got its price: LightGBM's own TreeSHAP, named after the inputs a user sent.

`pred_contrib=True` gives, per record, one additive contribution per feature and the
model's expected value last; they sum to the raw prediction, which for this
regression objective is the prediction served. No new dependency.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from predict_fn import bodies
from predict_fn.features import INPUT_OF
from predict_fn.model import Bundle


@cache
def display_names(feature_order: tuple[str, ...]) -> tuple[str, ...]:
    """The input each model feature comes from, as the request names it."""
    return tuple(INPUT_OF.get(feature, feature) for feature in feature_order)


def explanations(bundle: Bundle, matrix: np.ndarray) -> list[bodies.Explanation]:
    """One explanation per row of `matrix`, in order: the baseline and every feature's
    contribution, largest magnitude first (a JSON object keeps insertion order)."""
    shap = np.asarray(
        bundle.model.booster_.predict(matrix, pred_contrib=True, num_threads=1), np.float64
    )
    names = display_names(bundle.feature_order)
    contributions = shap[:, :-1]
    ranks = np.argsort(-np.abs(contributions), axis=1, kind="stable")
    return [
        {"baseline": baseline, "contributions": {names[j]: row[j] for j in order}}
        for baseline, row, order in zip(
            shap[:, -1].tolist(), contributions.tolist(), ranks.tolist(), strict=True
        )
    ]
