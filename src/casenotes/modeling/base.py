"""What every casenotes classifier derives from its ``predict_scores``: sklearn's output shapes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class ScoresClassifierMixin:
    """``predict_proba`` and ``predict`` from ``predict_scores`` (always ``(n, L)``) and
    ``multilabel_``: binary gives ``(n, 2)`` / ``(n,)`` as scikit-learn does, multi-label
    ``(n, L)``."""

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """Binary: ``(n, 2)`` ``[P(0), P(1)]``; multi-label: ``(n, L)`` positive probabilities."""
        scores = self.predict_scores(X)  # type: ignore[attr-defined]
        if self.multilabel_:  # type: ignore[attr-defined]
            return scores
        return np.column_stack([1.0 - scores[:, 0], scores[:, 0]])

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """0/1 at a probability of 0.5: ``(n,)`` binary, ``(n, L)`` multi-label."""
        flags = (self.predict_scores(X) >= 0.5).astype(np.int64)  # type: ignore[attr-defined]
        return flags if self.multilabel_ else flags[:, 0]  # type: ignore[attr-defined]
