"""Deletion test: do the tokens an explanation ranks highest matter more to the model than others?

An explanation is *faithful* when the spans it credits are the ones the model relies on. The test
asks the model itself: for each text, blank out (replace with spaces) the ``k`` spans with the
largest positive weight for a label and re-score the text; separately, blank out ``k`` spans drawn
at random from the same explanation's spans (``n_random`` seeded draws). If the explanation is
faithful, removing its top spans lowers the label's calibrated score much more than removing random
ones. The comparison is paired per text and summarised by a one-sided sign test: the share of texts
where the top spans' drop beats the mean random drop, and the chance of a share at least that large
if the ranking were no better than random (ties are left out of the test).

Model-agnostic: only ``model.explain(texts, label)``, ``model.predict_scores(texts)`` and
``model.labels_`` are used, so the same test serves linear models (exact attributions) and
integrated gradients. Spans are blanked with spaces, so the other spans' offsets stay valid. The
result carries counts and scores only, never text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import binomtest

from casenotes.modeling.explain import TokenAttribution

TIE_TOLERANCE = 1e-12  # score differences below this count as ties
ERR_BAD_K = "k must be a positive integer, got {value!r}"
ERR_BAD_N_RANDOM = "n_random must be a positive integer, got {value!r}"
ERR_NO_LABEL = "the model has no label {label!r}: its labels are {labels}"


@dataclass(frozen=True, slots=True)
class DeletionResult:
    """What deleting the top-``k`` spans did to a label's score, against ``k`` random spans."""

    label: str
    k: int
    n_random: int
    n: int  # texts compared (those with at least one positive-weight span)
    n_skipped: int  # texts whose explanation had no positive-weight span
    mean_drop_top: float  # mean fall of the calibrated score when the top spans are blanked
    mean_drop_random: float  # the same for random spans (mean of n_random draws per text)
    share_top_beats_random: float  # texts where the top spans' drop was the larger (ties: no)
    p_value: float  # one-sided sign test; 1.0 when every text was a tie
    alpha: float
    reading: str
    # Mean of (top drop - random drop) per text: a 95% percentile-bootstrap interval over texts.
    difference_low: float = float("nan")
    difference_high: float = float("nan")

    @property
    def passed(self) -> bool:
        """Top spans lower the score more than random ones, on average and by the sign test."""
        return (
            self.n > 0 and self.mean_drop_top > self.mean_drop_random and self.p_value < self.alpha
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (for run logs and MLflow)."""
        return {
            "label": self.label,
            "k": self.k,
            "n_random": self.n_random,
            "n": self.n,
            "n_skipped": self.n_skipped,
            "mean_drop_top": _finite(self.mean_drop_top),
            "mean_drop_random": _finite(self.mean_drop_random),
            "share_top_beats_random": _finite(self.share_top_beats_random),
            "p_value": self.p_value,
            "alpha": self.alpha,
            "passed": self.passed,
            "reading": self.reading,
            "difference": {
                "value": _finite(self.mean_drop_top - self.mean_drop_random),
                "low": _finite(self.difference_low),
                "high": _finite(self.difference_high),
            },
        }


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


BOOTSTRAP_RESAMPLES = 1000


def _bootstrap_mean(values: np.ndarray, seed: int) -> tuple[float, float]:
    """95% percentile-bootstrap interval of the mean of ``values``."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, values.size, size=(BOOTSTRAP_RESAMPLES, values.size))
    means = values[draws].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def blank_spans(text: str, spans: Sequence[TokenAttribution]) -> str:
    """``text`` with the characters of ``spans`` replaced by spaces (offsets stay valid)."""
    chars = list(text)
    for span in spans:
        chars[span.start : span.end] = " " * (span.end - span.start)
    return "".join(chars)


def _reading(
    label: str, k: int, n: int, top: float, rand: float, share: float, p: float, passed: bool
) -> str:
    if n == 0:
        return (
            f"No text had a span with positive weight for '{label}', so the explanation could not "
            "be tested."
        )
    verdict = "picks out" if passed else "does not reliably pick out"
    return (
        f"Blanking the {k} spans the explanation weighs highest lowered the '{label}' score by "
        f"{top:.3f} on average, against {rand:.3f} for {k} random spans, and mattered more in "
        f"{share:.0%} of {n} texts (sign test p={p:.2g}): the explanation {verdict} what the model "
        "uses."
    )


def deletion_test(
    model: Any,
    texts: Sequence[str],
    label: str | None = None,
    k: int = 5,
    n_random: int = 5,
    seed: int = 0,
    alpha: float = 0.05,
) -> DeletionResult:
    """Compare blanking each text's top-``k`` positive spans with blanking ``k`` random spans.

    ``label`` defaults to the model's first label. A text whose explanation has fewer than ``k``
    positive spans uses those it has, and the same number of random spans; one with none is
    skipped (counted in ``n_skipped``). Random spans are drawn without replacement from all the
    explanation's spans, with ``numpy.random.default_rng(seed)``.
    """
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(ERR_BAD_K.format(value=k))
    if not isinstance(n_random, int) or isinstance(n_random, bool) or n_random < 1:
        raise ValueError(ERR_BAD_N_RANDOM.format(value=n_random))
    texts = list(texts)
    labels = tuple(model.labels_)
    name = labels[0] if label is None else label
    if name not in labels:
        raise ValueError(ERR_NO_LABEL.format(label=name, labels=", ".join(labels)))
    column = labels.index(name)
    rng = np.random.default_rng(seed)

    variants: list[str] = []  # per used text: original, top-k blanked, n_random random blanked
    skipped = 0
    for text, explanation in zip(texts, model.explain(texts, name), strict=True):
        tokens = list(explanation.tokens)
        positive = sorted(
            (t for t in tokens if t.weight > 0), key=lambda t: t.weight, reverse=True
        )[:k]
        if not positive:
            skipped += 1
            continue
        variants.append(text)
        variants.append(blank_spans(text, positive))
        for _ in range(n_random):
            chosen = rng.choice(len(tokens), size=len(positive), replace=False)
            variants.append(blank_spans(text, [tokens[i] for i in chosen]))

    width = 2 + n_random
    n = len(variants) // width
    if n == 0:
        nan = float("nan")
        reading = _reading(name, k, 0, nan, nan, nan, 1.0, False)
        return DeletionResult(name, k, n_random, 0, skipped, nan, nan, nan, 1.0, alpha, reading)
    scores = np.asarray(model.predict_scores(variants))[:, column].reshape(n, width)
    drop_top = scores[:, 0] - scores[:, 1]
    drop_random = (scores[:, [0]] - scores[:, 2:]).mean(axis=1)
    difference = drop_top - drop_random
    wins = int(np.sum(difference > TIE_TOLERANCE))
    losses = int(np.sum(difference < -TIE_TOLERANCE))
    p_value = (
        binomtest(wins, wins + losses, 0.5, alternative="greater").pvalue if wins + losses else 1.0
    )
    top, rand, share = float(drop_top.mean()), float(drop_random.mean()), wins / n
    passed = top > rand and p_value < alpha
    low, high = _bootstrap_mean(difference, seed)
    return DeletionResult(
        label=name,
        k=k,
        n_random=n_random,
        n=n,
        n_skipped=skipped,
        mean_drop_top=top,
        mean_drop_random=rand,
        share_top_beats_random=share,
        p_value=float(p_value),
        alpha=alpha,
        reading=_reading(name, k, n, top, rand, share, float(p_value), passed),
        difference_low=low,
        difference_high=high,
    )


__all__ = ["DeletionResult", "blank_spans", "deletion_test"]
