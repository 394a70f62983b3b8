"""Evaluation metrics for one binary label, each with an interval that says how sure we are.

A classifier here gives each note a calibrated probability (a *score*) for one label, and a note is
*flagged* when its score is at or above a threshold (``score >= threshold``). This module turns
true labels and scores into the figures an evaluation report shows:

* **Ranking**: AUROC (the chance that a random positive note scores above a random negative one,
  ties counting half) and PR-AUC (average precision, as scikit-learn computes it: the sum over
  distinct thresholds of the recall gained times the precision there).
* **At the threshold**: precision (the share of flagged notes that are positive), recall or
  sensitivity (the share of positive notes that are flagged), the *missed share* (false-negative
  rate, ``1 − recall``), specificity, F1 and the share of notes flagged.
* **Calibration**: the Brier score (mean squared difference between score and label) and the
  expected calibration error (ECE): scores are put in ``n_bins`` equal-width bins on [0, 1] (a
  score of exactly 1 goes in the top bin); the ECE is the mean over bins of
  ``|mean score − observed rate|``, weighted by the number of notes in each bin. The reliability
  curve gives the same bins, each with a Wilson interval for its observed rate.

**Uncertainty.** Every headline figure comes as ``{"value", "low", "high", "n_valid"}``: the value
on the full data and a percentile-bootstrap interval. When ``clusters`` (for example case ids) are
given, the bootstrap resamples whole clusters, not notes, because the notes of one case are not
independent and resampling them one by one makes intervals too narrow. A figure that is undefined
in a resample (AUROC when a resample holds one class only) is skipped in that resample, and
``n_valid`` says how many resamples were used; a figure undefined on the full data is ``None``
with a ``reason``. The bootstrap is vectorised: each resample is a row of integer weights (how
many times each note was drawn) and every metric is computed as a weighted metric, AUROC from rank
statistics, so 1,000 resamples of 20,000 notes take seconds.

**Small numbers.** Counts below ``min_cell`` (10 by default, the project's disclosure rule) are
withheld (``None``) in the output, and so are the reliability bins that hold fewer notes; the
withheld bins still count towards the ECE. Rates are kept.

Every function returns plain, JSON-serialisable dicts (``NaN`` and infinities become ``None``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.metrics import precision_recall_curve, roc_curve

__all__ = [
    "HEADLINE_METRICS",
    "METRIC_DESCRIPTIONS",
    "ThresholdChoice",
    "binary_report",
    "choose_threshold",
    "headline_metrics",
    "paired_difference",
    "wilson_interval",
]

#: The figures :func:`binary_report` gives with an interval, in report order.
HEADLINE_METRICS: tuple[str, ...] = (
    "prevalence",
    "flag_rate",
    "auroc",
    "pr_auc",
    "precision",
    "recall",
    "fnr",
    "specificity",
    "f1",
    "brier",
    "ece",
)

#: One line per headline figure, for report legends.
METRIC_DESCRIPTIONS: dict[str, str] = {
    "prevalence": "share of notes that are positive",
    "flag_rate": "share of notes flagged (score at or above the threshold)",
    "auroc": "chance a random positive note scores above a random negative one (0.5 = chance)",
    "pr_auc": "average precision over all thresholds (chance level = prevalence)",
    "precision": "share of flagged notes that are positive",
    "recall": "share of positive notes that are flagged (sensitivity)",
    "fnr": "missed share: share of positive notes that are not flagged (1 - recall)",
    "specificity": "share of negative notes that are not flagged",
    "f1": "harmonic mean of precision and recall",
    "brier": "mean squared difference between score and label (lower is better)",
    "ece": "expected calibration error over equal-width bins, weighted by bin size",
}

MAX_CURVE_POINTS = 200
DEFAULT_MIN_CELL = 10
_CHUNK_CELLS = 2_000_000  # rows x resamples per bootstrap chunk: about 16 MB of float64 weights

# Error messages (tests import them).
MISMATCHED_LENGTHS = "{what} has {got} values but y_true has {expected}; give one value per note."
NOT_BINARY = "y_true must hold only 0 and 1 (or False and True); found {values}."
BAD_SCORES = "scores must be finite probabilities in [0, 1]; found {bad} values outside that."
EMPTY_INPUT = "y_true is empty: there is nothing to evaluate."
BAD_CI = "ci must be strictly between 0 and 1, for example 0.95; got {ci}."
BAD_N_BOOT = "n_boot must be a whole number of resamples >= 0; got {n_boot}."
BAD_N_BINS = "n_bins must be a whole number >= 1; got {n_bins}."
BAD_THRESHOLD = "threshold must be a number in [0, 1]; got {threshold}."
ONE_TARGET = "give exactly one of target_recall and target_precision."
BAD_TARGET = "{name} must be in (0, 1]; got {value}."
NO_POSITIVES = "y_true has no positive notes, so recall and a threshold for it are undefined."
BAD_WILSON = "wilson_interval needs 0 <= successes <= n and n > 0; got successes={k}, n={n}."
UNKNOWN_METRIC = "unknown metric {metric!r}; choose one of: {known}."
NEEDS_THRESHOLD = "metric {metric!r} is measured at a threshold: give threshold_a and threshold_b."

_UNDEFINED_REASONS: dict[str, str] = {
    "prevalence": "no notes",
    "flag_rate": "no notes",
    "auroc": "needs both positive and negative notes",
    "pr_auc": "needs at least one positive note",
    "precision": "no notes flagged at this threshold",
    "recall": "no positive notes",
    "fnr": "no positive notes",
    "specificity": "no negative notes",
    "f1": "no positive notes and none flagged",
    "brier": "no notes",
    "ece": "no notes",
}
_THRESHOLD_METRICS = frozenset({"flag_rate", "precision", "recall", "fnr", "specificity", "f1"})


# --------------------------------------------------------------------------------------------
# Validation and small helpers
# --------------------------------------------------------------------------------------------


def _check_ci(ci: float) -> None:
    if not 0 < ci < 1:
        raise ValueError(BAD_CI.format(ci=ci))


def _check_n_boot(n_boot: int) -> None:
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise ValueError(BAD_N_BOOT.format(n_boot=n_boot))


def _check_threshold(threshold: float) -> None:
    if not (isinstance(threshold, int | float | np.number) and 0 <= float(threshold) <= 1):
        raise ValueError(BAD_THRESHOLD.format(threshold=threshold))


def _as_labels(y_true: Any) -> np.ndarray:
    """``y_true`` as a float array of 0.0 and 1.0, or a ``ValueError`` saying what is wrong."""
    y = np.asarray(y_true)
    if y.ndim != 1:
        y = y.reshape(-1)
    if y.size == 0:
        raise ValueError(EMPTY_INPUT)
    if y.dtype == bool:
        return y.astype(float)
    try:
        values = np.unique(y)
        as_float = y.astype(float)
    except (TypeError, ValueError):
        raise ValueError(NOT_BINARY.format(values=_preview(np.unique(y.astype(str))))) from None
    if not np.isin(values.astype(float), (0.0, 1.0)).all():
        raise ValueError(NOT_BINARY.format(values=_preview(values)))
    return as_float


def _as_scores(scores: Any, n: int, what: str = "scores") -> np.ndarray:
    s = np.asarray(scores, dtype=float).reshape(-1)
    if s.size != n:
        raise ValueError(MISMATCHED_LENGTHS.format(what=what, got=s.size, expected=n))
    bad = ~np.isfinite(s) | (s < 0) | (s > 1)
    if bad.any():
        raise ValueError(BAD_SCORES.format(bad=int(bad.sum())))
    return s


def _cluster_codes(clusters: Any, n: int) -> np.ndarray | None:
    """Integer codes 0..k-1 for the clusters, or ``None`` when every note is its own unit."""
    if clusters is None:
        return None
    values = np.asarray(clusters, dtype=object).reshape(-1)
    if values.size != n:
        raise ValueError(MISMATCHED_LENGTHS.format(what="clusters", got=values.size, expected=n))
    codes, _ = pd.factorize(pd.Series(values), use_na_sentinel=False)
    return np.asarray(codes, dtype=np.intp)


def _preview(values: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in values[:limit])
    return shown + (", ..." if len(values) > limit else "")


def _float_or_none(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _count_or_none(value: float, min_cell: int) -> int | None:
    """A count for the output, or ``None`` when it is below ``min_cell`` (and above zero)."""
    count = round(float(value))
    return None if 0 < count < min_cell else count


def _z(ci: float) -> float:
    return float(norm.ppf(0.5 + ci / 2))


# --------------------------------------------------------------------------------------------
# Wilson interval
# --------------------------------------------------------------------------------------------


def wilson_interval(successes: float, n: float, ci: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for a proportion ``successes / n``.

    Unlike the normal ("Wald") interval it stays inside [0, 1] and keeps close to its nominal
    coverage for small ``n`` and for proportions near 0 or 1. It assumes independent trials: for
    notes clustered in cases it is too narrow, and the bootstrap in :func:`binary_report` is the
    better guide. ``wilson_interval(8, 10)`` is about ``(0.490, 0.943)``.
    """
    _check_ci(ci)
    if not (n > 0 and 0 <= successes <= n):
        raise ValueError(BAD_WILSON.format(k=successes, n=n))
    z = _z(ci)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


# --------------------------------------------------------------------------------------------
# Weighted metrics: one row of weights per resample (the full data is a single row of ones)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ranked:
    """Index arrays, computed once, that turn rank statistics into cumulative sums and gathers.

    ``desc`` orders the notes from the highest score down and ``ends`` marks the last note of each
    run of tied scores in that order (one entry per distinct threshold). For AUROC, ``below`` and
    ``upto`` give, for each positive note, how many negative notes (in ascending score order)
    score strictly below it and at most as high as it.
    """

    desc: np.ndarray
    ends: np.ndarray
    y_desc: np.ndarray
    positives: np.ndarray
    negatives_ascending: np.ndarray
    below: np.ndarray
    upto: np.ndarray

    @classmethod
    def of(cls, y: np.ndarray, s: np.ndarray) -> _Ranked:
        desc = np.argsort(-s, kind="stable")
        s_desc = s[desc]
        ends = np.flatnonzero(np.r_[s_desc[1:] != s_desc[:-1], True])
        positives = np.flatnonzero(y == 1)
        negatives = np.flatnonzero(y != 1)
        negatives_ascending = negatives[np.argsort(s[negatives], kind="stable")]
        negative_scores = s[negatives_ascending]
        return cls(
            desc=desc,
            ends=ends,
            y_desc=y[desc],
            positives=positives,
            negatives_ascending=negatives_ascending,
            below=np.searchsorted(negative_scores, s[positives], side="left"),
            upto=np.searchsorted(negative_scores, s[positives], side="right"),
        )

    def cumulative(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """True positives and flagged weight at each distinct threshold, highest first."""
        w_desc = weights[:, self.desc]
        flagged = np.cumsum(w_desc, axis=1)[:, self.ends]
        tp = np.cumsum(w_desc * self.y_desc, axis=1)[:, self.ends]
        return tp, flagged


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )


def _auroc(weights: np.ndarray, ranked: _Ranked) -> np.ndarray:
    """Weighted AUROC (tied scores count half), one value per row of ``weights``.

    The Mann-Whitney statistic: for each positive note, the weight of negatives scoring below it
    plus half of those tied with it, from one cumulative sum over the negatives.
    """
    below_or_tied = np.zeros((weights.shape[0], ranked.negatives_ascending.size + 1))
    np.cumsum(weights[:, ranked.negatives_ascending], axis=1, out=below_or_tied[:, 1:])
    w_pos = weights[:, ranked.positives]
    concordant = 0.5 * np.einsum(
        "ij,ij->i", w_pos, below_or_tied[:, ranked.below] + below_or_tied[:, ranked.upto]
    )
    return _divide(concordant, w_pos.sum(axis=1) * below_or_tied[:, -1])


def _average_precision(weights: np.ndarray, ranked: _Ranked) -> np.ndarray:
    """Weighted average precision (scikit-learn's definition), one value per row of ``weights``."""
    tp, flagged = ranked.cumulative(weights)
    gained = np.diff(tp, axis=1, prepend=0.0)
    precision = _divide(tp, flagged)
    gained_precision = np.where(gained > 0, gained * np.nan_to_num(precision), 0.0)
    return _divide(gained_precision.sum(axis=1), tp[:, -1])


@dataclass(frozen=True)
class _Prepared:
    """Everything the weighted metrics need, computed once for a set of notes."""

    y: np.ndarray
    s: np.ndarray
    ranked: _Ranked
    indicators: np.ndarray  # n x 4: tp, fp, fn, tn at the threshold (or zeros)
    squared_error: np.ndarray
    bin_scores: np.ndarray  # n x n_bins: score in its bin
    bin_labels: np.ndarray  # n x n_bins: label in its bin

    @classmethod
    def of(cls, y: np.ndarray, s: np.ndarray, threshold: float | None, n_bins: int) -> _Prepared:
        flagged = s >= threshold if threshold is not None else np.zeros_like(s, dtype=bool)
        indicators = np.column_stack(
            [y * flagged, (1 - y) * flagged, y * ~flagged, (1 - y) * ~flagged]
        ).astype(float)
        bin_index = _bin_index(s, n_bins)
        bins = np.zeros((s.size, n_bins))
        bins[np.arange(s.size), bin_index] = 1.0
        return cls(
            y=y,
            s=s,
            ranked=_Ranked.of(y, s),
            indicators=indicators,
            squared_error=(s - y) ** 2,
            bin_scores=bins * s[:, None],
            bin_labels=bins * y[:, None],
        )


def _bin_index(s: np.ndarray, n_bins: int) -> np.ndarray:
    return np.minimum((s * n_bins).astype(np.intp), n_bins - 1)


def _weighted_metrics(
    weights: np.ndarray, data: _Prepared, wanted: frozenset[str] | None = None
) -> dict[str, np.ndarray]:
    """Each headline metric (or the ``wanted`` ones) per row of ``weights``; NaN = undefined."""
    wanted = frozenset(HEADLINE_METRICS) if wanted is None else wanted
    out: dict[str, np.ndarray] = {}
    total = weights.sum(axis=1)
    if wanted & {"auroc", "pr_auc"}:
        out["auroc"] = _auroc(weights, data.ranked)
        out["pr_auc"] = _average_precision(weights, data.ranked)
    if wanted & (_THRESHOLD_METRICS | {"prevalence"}):
        tp, fp, fn, tn = (weights @ data.indicators).T
        out["prevalence"] = _divide(tp + fn, total)
        out["flag_rate"] = _divide(tp + fp, total)
        out["precision"] = _divide(tp, tp + fp)
        out["recall"] = _divide(tp, tp + fn)
        out["fnr"] = _divide(fn, tp + fn)
        out["specificity"] = _divide(tn, tn + fp)
        out["f1"] = _divide(2 * tp, 2 * tp + fp + fn)
    if "brier" in wanted:
        out["brier"] = _divide(weights @ data.squared_error, total)
    if "ece" in wanted:
        observed = weights @ data.bin_labels
        predicted = weights @ data.bin_scores
        out["ece"] = _divide(np.abs(predicted - observed).sum(axis=1), total)
    return {name: out[name] for name in HEADLINE_METRICS if name in wanted}


# --------------------------------------------------------------------------------------------
# Bootstrap machinery (shared with fairness.py)
# --------------------------------------------------------------------------------------------


def _resample_weights(
    n_rows: int,
    codes: np.ndarray | None,
    n_boot: int,
    rng: np.random.Generator,
) -> Iterator[np.ndarray]:
    """Chunks of bootstrap weights (resamples × notes): how often each note was drawn.

    Each resample draws as many units as there are, with replacement; a unit is a note, or a whole
    cluster when ``codes`` (cluster codes 0..k-1, one per note) are given.
    """
    n_units = n_rows if codes is None else int(codes.max()) + 1
    chunk = max(1, min(n_boot, _CHUNK_CELLS // max(n_rows, 1)))
    done = 0
    while done < n_boot:
        size = min(chunk, n_boot - done)
        draws = rng.integers(0, n_units, size=(size, n_units))
        offsets = (np.arange(size) * n_units)[:, None]
        counts = np.bincount((draws + offsets).ravel(), minlength=size * n_units)
        counts = counts.reshape(size, n_units).astype(float)
        yield counts if codes is None else counts[:, codes]
        done += size


def _bootstrap(
    n_rows: int,
    codes: np.ndarray | None,
    n_boot: int,
    seed: int,
    statistics: Callable[[np.ndarray], Mapping[Any, np.ndarray]],
) -> dict[Any, np.ndarray]:
    """``statistics(weights)`` over ``n_boot`` resamples, concatenated per statistic."""
    rng = np.random.default_rng(seed)
    parts: dict[Any, list[np.ndarray]] = {}
    for weights in _resample_weights(n_rows, codes, n_boot, rng):
        for name, values in statistics(weights).items():
            parts.setdefault(name, []).append(np.asarray(values, dtype=float))
    return {name: np.concatenate(values) for name, values in parts.items()}


def _percentile_interval(
    values: np.ndarray | None, ci: float
) -> tuple[float | None, float | None, int]:
    """The percentile interval of the finite values, and how many there were."""
    if values is None:
        return None, None, 0
    valid = values[np.isfinite(values)]
    if valid.size < 2:
        return None, None, int(valid.size)
    low, high = np.quantile(valid, [0.5 - ci / 2, 0.5 + ci / 2])
    return float(low), float(high), int(valid.size)


def _interval_entry(
    value: float, resamples: np.ndarray | None, ci: float, reason: str | None = None
) -> dict[str, Any]:
    if not math.isfinite(value):
        return {"value": None, "low": None, "high": None, "n_valid": 0, "reason": reason}
    low, high, n_valid = _percentile_interval(resamples, ci)
    return {"value": float(value), "low": low, "high": high, "n_valid": n_valid}


def _bootstrap_description(
    codes: np.ndarray | None, n_rows: int, n_boot: int, seed: int, ci: float
) -> dict[str, Any]:
    return {
        "method": "percentile",
        "n_boot": int(n_boot),
        "seed": int(seed),
        "ci": float(ci),
        "unit": "note" if codes is None else "cluster",
        "n_units": int(n_rows if codes is None else codes.max() + 1),
    }


# --------------------------------------------------------------------------------------------
# Threshold choice
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThresholdChoice:
    """A threshold chosen on validation data, and how it was chosen.

    ``met`` says whether the target was reached; when it was not, ``threshold`` is the one with the
    best F1 and ``rule`` says so. ``precision`` and ``recall`` are measured on the validation data
    at the threshold (a note is flagged when ``score >= threshold``).
    """

    threshold: float
    rule: str
    met: bool
    precision: float | None
    recall: float
    target_metric: str
    target: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy."""
        return asdict(self)


def _curve_by_threshold(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, ...]:
    """Distinct scores (descending) with the precision and recall of ``score >= threshold``."""
    ranked = _Ranked.of(y, s)
    tp, flagged = ranked.cumulative(np.ones((1, y.size)))
    thresholds = s[ranked.desc][ranked.ends]
    return thresholds, tp[0] / flagged[0], tp[0] / tp[0, -1]


def choose_threshold(
    y_true: Any,
    scores: Any,
    *,
    target_recall: float | None = None,
    target_precision: float | None = None,
) -> ThresholdChoice:
    """Choose a flagging threshold on validation data to meet one target.

    Candidate thresholds are the distinct scores; a note is flagged when ``score >= threshold``.

    * ``target_recall``: the *highest* threshold whose recall is at least the target (the fewest
      flags that still catch that share of positives). Always reachable.
    * ``target_precision``: the *lowest* threshold whose precision is at least the target (the
      most positives caught at that precision). If no threshold reaches it, ``met`` is ``False``
      and the threshold with the best F1 is returned instead; ``rule`` says so.
    """
    if (target_recall is None) == (target_precision is None):
        raise ValueError(ONE_TARGET)
    name, target = (
        ("recall", target_recall) if target_recall is not None else ("precision", target_precision)
    )
    assert target is not None  # for the type checker: exactly one target is set
    if not 0 < target <= 1:
        raise ValueError(BAD_TARGET.format(name=f"target_{name}", value=target))
    y = _as_labels(y_true)
    s = _as_scores(scores, y.size)
    if y.sum() == 0:
        raise ValueError(NO_POSITIVES)
    thresholds, precision, recall = _curve_by_threshold(y, s)
    if name == "recall":
        # Recall grows as the threshold falls: the first (highest) one that meets the target.
        index = int(np.flatnonzero(recall >= target - 1e-12)[0])
        rule = f"highest threshold with recall >= {target:g} on the validation data"
        met = True
    else:
        meets = np.flatnonzero(precision >= target - 1e-12)
        if meets.size:
            index = int(meets[-1])
            rule = f"lowest threshold with precision >= {target:g} on the validation data"
            met = True
        else:
            f1 = _divide(2 * precision * recall, precision + recall)
            index = int(np.nanargmax(f1))
            rule = (
                f"precision {target:g} is not reached at any threshold on the validation data "
                f"(best {precision.max():.3f}); fell back to the threshold with the best F1"
            )
            met = False
    return ThresholdChoice(
        threshold=float(thresholds[index]),
        rule=rule,
        met=met,
        precision=float(precision[index]),
        recall=float(recall[index]),
        target_metric=name,
        target=float(target),
    )


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


def _downsample(*columns: np.ndarray, limit: int = MAX_CURVE_POINTS) -> list[list[float | None]]:
    length = len(columns[0])
    if length > limit:
        keep = np.unique(np.linspace(0, length - 1, limit).round().astype(np.intp))
        columns = tuple(column[keep] for column in columns)
    return [[_float_or_none(v) for v in column] for column in columns]


def _curves(y: np.ndarray, s: np.ndarray) -> dict[str, Any]:
    curves: dict[str, Any] = {"roc": None, "pr": None}
    if 0 < y.sum() < y.size:
        fpr, tpr, thresholds = roc_curve(y, s)
        fpr_, tpr_, thr_ = _downsample(fpr, tpr, thresholds)
        curves["roc"] = {"fpr": fpr_, "tpr": tpr_, "threshold": thr_}
    if y.sum() > 0:
        precision, recall, thresholds = precision_recall_curve(y, s)
        # The last point (recall 0, precision 1) has no threshold.
        thresholds = np.r_[thresholds, np.nan]
        recall_, precision_, thr_ = _downsample(recall, precision, thresholds)
        curves["pr"] = {"recall": recall_, "precision": precision_, "threshold": thr_}
    return curves


def _reliability(
    y: np.ndarray, s: np.ndarray, n_bins: int, ci: float, min_cell: int
) -> dict[str, Any]:
    index = _bin_index(s, n_bins)
    bins = []
    for k in range(n_bins):
        members = index == k
        count = int(members.sum())
        if count == 0:
            continue
        entry: dict[str, Any] = {"bin_low": k / n_bins, "bin_high": (k + 1) / n_bins}
        if count < min_cell:
            entry |= {"suppressed": True, "count": None}
        else:
            positives = float(y[members].sum())
            low, high = wilson_interval(positives, count, ci)
            entry |= {
                "suppressed": False,
                "count": count,
                "mean_predicted": float(s[members].mean()),
                "observed_rate": positives / count,
                "observed_low": low,
                "observed_high": high,
            }
        bins.append(entry)
    return {
        "n_bins": n_bins,
        "binning": "equal-width on [0, 1]; a score of 1 goes in the top bin",
        "interval": "Wilson",
        "min_cell": min_cell,
        "bins": bins,
    }


def binary_report(
    y_true: Any,
    scores: Any,
    threshold: float,
    *,
    clusters: Any = None,
    n_boot: int = 1000,
    seed: int = 0,
    ci: float = 0.95,
    n_bins: int = 10,
    min_cell: int = DEFAULT_MIN_CELL,
) -> dict[str, Any]:
    """Everything an evaluation report says about one label's scores, with bootstrap intervals.

    Returns a JSON-serialisable dict:

    * ``n``, ``positives``, ``flagged`` (counts; ``None`` when below ``min_cell``), ``threshold``;
    * one entry per name in :data:`HEADLINE_METRICS` (``prevalence``, ``flag_rate``, ``auroc``,
      ``pr_auc``, ``precision``, ``recall``, ``fnr``, ``specificity``, ``f1``, ``brier``, ``ece``),
      each ``{"value", "low", "high", "n_valid"}`` (plus ``reason`` when the value is ``None``);
    * ``reliability``: ``{"n_bins", "binning", "interval", "min_cell", "bins": [...]}``, each
      non-empty bin with ``bin_low``, ``bin_high``, ``count``, ``mean_predicted``,
      ``observed_rate``, ``observed_low``, ``observed_high`` (or ``suppressed: True``);
    * ``curves``: ``{"roc": {"fpr", "tpr", "threshold"}, "pr": {"recall", "precision",
      "threshold"}}``, at most 200 points each (``None`` when undefined);
    * ``bootstrap``: method, ``n_boot``, seed, ci, ``unit`` (``"note"`` or ``"cluster"``),
      ``n_units``.
    """
    y = _as_labels(y_true)
    s = _as_scores(scores, y.size)
    _check_threshold(threshold)
    _check_ci(ci)
    _check_n_boot(n_boot)
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(BAD_N_BINS.format(n_bins=n_bins))
    codes = _cluster_codes(clusters, y.size)
    data = _Prepared.of(y, s, float(threshold), n_bins)
    point = {name: float(v[0]) for name, v in _weighted_metrics(np.ones((1, y.size)), data).items()}
    resamples = (
        _bootstrap(y.size, codes, n_boot, seed, lambda w: _weighted_metrics(w, data))
        if n_boot
        else {}
    )
    report: dict[str, Any] = {
        "n": _count_or_none(y.size, min_cell),
        "positives": _count_or_none(y.sum(), min_cell),
        "flagged": _count_or_none((s >= threshold).sum(), min_cell),
        "threshold": float(threshold),
        "flag_rule": "score >= threshold",
    }
    for name in HEADLINE_METRICS:
        report[name] = _interval_entry(
            point[name], resamples.get(name), ci, _UNDEFINED_REASONS[name]
        )
    report["reliability"] = _reliability(y, s, n_bins, ci, min_cell)
    report["curves"] = _curves(y, s)
    report["bootstrap"] = _bootstrap_description(codes, y.size, n_boot, seed, ci)
    return report


def headline_metrics(report: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """A flat ``{name: value}`` dict of a :func:`binary_report`'s headline figures and bounds.

    Keys are ``{prefix}{metric}``, ``{prefix}{metric}_low`` and ``{prefix}{metric}_high``;
    undefined figures are left out. Suitable for MLflow ``log_metrics``.
    """
    flat: dict[str, float] = {}
    for name in HEADLINE_METRICS:
        entry = report.get(name) or {}
        for suffix, key in (("", "value"), ("_low", "low"), ("_high", "high")):
            if entry.get(key) is not None:
                flat[f"{prefix}{name}{suffix}"] = float(entry[key])
    return flat


def paired_difference(
    y_true: Any,
    scores_a: Any,
    scores_b: Any,
    metric: str = "auroc",
    *,
    threshold_a: float | None = None,
    threshold_b: float | None = None,
    clusters: Any = None,
    n_boot: int = 1000,
    seed: int = 0,
    ci: float = 0.95,
    n_bins: int = 10,
) -> dict[str, Any]:
    """The difference ``metric(a) − metric(b)`` between two scorers of the same notes.

    Both scorers are measured on the *same* resamples (pairs of notes, or clusters), so the
    interval reflects how much the difference itself varies: far narrower than comparing two
    separate intervals. Typical use: the model against a rules-only baseline, or against a
    constant score at the training prevalence (``np.full(n, p)``: AUROC 0.5).

    Returns ``{"metric", "a", "b", "difference": {"value", "low", "high", "n_valid"},
    "excludes_zero", "bootstrap"}``; ``excludes_zero`` is ``True`` when the interval lies wholly
    above or below zero.
    """
    if metric not in HEADLINE_METRICS:
        raise ValueError(UNKNOWN_METRIC.format(metric=metric, known=", ".join(HEADLINE_METRICS)))
    needs_threshold = metric in _THRESHOLD_METRICS
    if needs_threshold and (threshold_a is None or threshold_b is None):
        raise ValueError(NEEDS_THRESHOLD.format(metric=metric))
    y = _as_labels(y_true)
    s_a = _as_scores(scores_a, y.size, "scores_a")
    s_b = _as_scores(scores_b, y.size, "scores_b")
    for threshold in (threshold_a, threshold_b):
        if threshold is not None:
            _check_threshold(threshold)
    _check_ci(ci)
    _check_n_boot(n_boot)
    codes = _cluster_codes(clusters, y.size)
    wanted = frozenset({metric})
    data_a = _Prepared.of(y, s_a, threshold_a if needs_threshold else None, n_bins)
    data_b = _Prepared.of(y, s_b, threshold_b if needs_threshold else None, n_bins)

    def difference(weights: np.ndarray) -> dict[str, np.ndarray]:
        a = _weighted_metrics(weights, data_a, wanted)[metric]
        b = _weighted_metrics(weights, data_b, wanted)[metric]
        return {"difference": a - b}

    ones = np.ones((1, y.size))
    value_a = float(_weighted_metrics(ones, data_a, wanted)[metric][0])
    value_b = float(_weighted_metrics(ones, data_b, wanted)[metric][0])
    resamples = _bootstrap(y.size, codes, n_boot, seed, difference) if n_boot else {}
    entry = _interval_entry(
        value_a - value_b, resamples.get("difference"), ci, _UNDEFINED_REASONS[metric]
    )
    low, high = entry["low"], entry["high"]
    return {
        "metric": metric,
        "a": _float_or_none(value_a),
        "b": _float_or_none(value_b),
        "difference": entry,
        "excludes_zero": bool(low is not None and high is not None and (low > 0 or high < 0)),
        "bootstrap": _bootstrap_description(codes, y.size, n_boot, seed, ci),
    }
