"""Does the classifier work equally well for every group of children? A report with uncertainty.

Concepts
--------
A classifier can be accurate overall and still fail one group of children more than another. This
module measures that for one label at one threshold. It compares groups defined by *sensitive
attributes* (in this project ``sex``, ``ethnicity``, ``age_band``, ``disability`` and
``deprivation_quintile``) and by *intersections* of them (``sex × ethnicity``), because a gap can
hide inside a combination that neither attribute shows on its own.

For each group it reports the **missed share** (false-negative rate, FNR: of the notes that truly
had the outcome, the share the model did not flag; in this domain the costliest error), the
**false-positive rate** (FPR: of the notes without the outcome, the share flagged), **precision**
(of the flagged notes, the share with the outcome), the **selection rate** (the share flagged),
**AUROC** (how well the scores rank notes within the group), the **Brier score** (calibration
and sharpness together) and **observed − predicted**: the share of the group's notes with the
outcome minus the group's mean score (calibration-in-the-large; above zero, the model
under-estimates the group's risk). Rates come with Wilson intervals; the score figures with
bootstrap intervals.

Observed − predicted is the figure that shows *label bias*. A model reads the notes; when one
group's outcomes are recorded more often than its notes support (over-labelling), or its risks are
written down less often than they occur (under-recording), the outcome in that group runs ahead of
what the notes predict. Missed shares and false-positive rates at one threshold can hide this:
they depend on where the threshold falls and on how many of the group's notes lie near it.

Each group is compared with a *reference group*, by default the largest group of that attribute:
the **difference** (group − reference) and the **ratio** (group / reference) of each figure, each
with a percentile-bootstrap interval in which both groups' figures are recomputed on every
resample (whole clusters, such as cases, are resampled when ``clusters`` is given, because notes of
one case are not independent). A difference whose interval excludes zero is marked
``excludes_zero``: a *detected* gap, unlikely to be chance alone. An interval that includes zero
does **not** show that the groups are equal; it says the data cannot tell. With many groups and
figures, about 1 comparison in 20 will exclude zero by chance even when nothing differs.

Different fairness criteria (equal missed shares, equal false-positive rates, calibration within
each group, equal selection rates) cannot all hold at once when the groups' base rates differ,
except for a perfect classifier (Chouldechova 2017; Kleinberg, Mullainathan and Raghavan 2016).
The report therefore shows all of them and chooses none: which gap matters is a decision for the
people accountable for the model's use, recorded with its reasons. The statement is in every
report (:data:`IMPOSSIBILITY_NOTE`) so a model card can quote it.

Small numbers (the rule)
------------------------
1. A group with fewer than ``min_group`` notes (10 by default) is **suppressed** before anything
   is computed from it: no figures at all, only ``"suppressed: fewer than 10 notes"``. It is never
   a reference, never in a gap, never in the headline figures.
2. No count below ``min_group`` is ever output. ``positives`` and ``negatives`` are withheld
   together when either is small (``n`` minus one gives the other); ``flagged`` is withheld when it
   or ``n − flagged`` is small.
3. When the suppressed groups of an attribute hold fewer than ``min_group`` notes in total, the
   counts of the smallest shown group are withheld too, so that subtracting the shown groups from
   the overall figures cannot reveal the suppressed ones (its rates are still shown).
4. A rate whose denominator (positives for FNR, negatives for FPR, flagged notes for precision,
   all notes for the selection rate; the smaller class for AUROC) is below ``min_group`` is
   **withheld**; one whose denominator is below ``flag_below`` (30) is shown but **flagged** as
   unreliable, and every gap that uses it is flagged and left out of the headline gaps.

Rates are model-behaviour figures and are kept even when their numerators are small; a reader
who multiplies a rate by its denominator can recover a small numerator when the denominator is
shown. Differencing across *several* tables (an intersection against its attributes) is not
prevented. If a disclosure policy counts either as a disclosure, raise ``min_group``.

Everything is returned as a :class:`FairnessReport` whose ``to_dict()`` is JSON-serialisable.
Group labels come from the sensitive columns; missing values become ``"not recorded"``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame

from casenotes.modeling.metrics import (
    _as_labels,
    _as_scores,
    _auroc,
    _bootstrap,
    _check_ci,
    _check_n_boot,
    _check_threshold,
    _cluster_codes,
    _percentile_interval,
    _Ranked,
    wilson_interval,
)

__all__ = [
    "IMPOSSIBILITY_NOTE",
    "RATES",
    "SCOPE_NOTE",
    "FairnessReport",
    "fairness_report",
]

#: Figures that are proportions of notes (Wilson intervals; differences in percentage points).
RATES: tuple[str, ...] = ("fnr", "fpr", "precision", "selection_rate")
#: Figures computed from the scores (bootstrap intervals).
SCORE_METRICS: tuple[str, ...] = ("auroc", "brier", "observed_minus_predicted")
#: Figures shown in percentage points (signed), though they are not proportions of notes.
POINT_METRICS: tuple[str, ...] = ("observed_minus_predicted",)
METRICS: tuple[str, ...] = RATES + SCORE_METRICS

METRIC_LABELS: dict[str, str] = {
    "fnr": "missed share (FNR)",
    "fpr": "false-positive rate",
    "precision": "precision",
    "selection_rate": "share flagged",
    "auroc": "AUROC",
    "brier": "Brier score",
    "observed_minus_predicted": "observed − predicted",
}
#: Which count each figure is a share of (its denominator, for suppression and flagging).
DENOMINATORS: dict[str, str] = {
    "fnr": "positives",
    "fpr": "negatives",
    "precision": "flagged",
    "selection_rate": "n",
    "auroc": "smaller class",
    "brier": "n",
    "observed_minus_predicted": "n",
}

NOT_RECORDED = "not recorded"
INTERSECTION_SEPARATOR = " / "
DEFAULT_INTERSECTIONS: tuple[tuple[str, ...], ...] = (("sex", "ethnicity"),)

IMPOSSIBILITY_NOTE = (
    "Different fairness criteria cannot all be met at once. When groups differ in how often the "
    "outcome occurs (their base rates), no classifier short of a perfect one can give every group "
    "the same missed share (false-negative rate), the same false-positive rate, the same "
    "calibration (a given score meaning the same risk in every group) and the same share "
    "flagged (Chouldechova 2017; Kleinberg, Mullainathan and Raghavan 2016). This report shows "
    "all of them; choosing which gaps matter most is a decision for the people accountable for "
    "the model's use, to be recorded with its reasons."
)
SCOPE_NOTE = (
    "These figures are for surfacing evidence and measuring need for services and research. They "
    "must not be used for automated decisions about individual children."
)
SUPPRESSION_NOTE = (
    "Groups with fewer than {min_group} notes are suppressed and no figures are shown for them. "
    "No count below {min_group} is shown. Rates whose denominator is below {min_group} are "
    "withheld; those whose denominator is below {flag_below} are marked unreliable (†) and left "
    "out of the headline gaps."
)

# Error messages (tests import them).
NOT_A_DATAFRAME = "sensitive must be a pandas DataFrame with one column per attribute; got {kind}."
NO_ATTRIBUTES = "sensitive has no columns: give at least one sensitive attribute."
WRONG_LENGTH = "sensitive has {got} rows but y_true has {expected}; give one row per note."
UNKNOWN_COLUMNS = "intersection {intersection} names columns not in sensitive: {missing}."
SHORT_INTERSECTION = "intersection {intersection} must name at least two columns."
BAD_REFERENCE = (
    "reference must be 'largest' or a mapping from attribute to group label; got {reference!r}."
)
UNKNOWN_REFERENCE = "reference group {group!r} for {attribute!r} is not among its groups: {known}."
SUPPRESSED_REFERENCE = (
    "reference group {group!r} for {attribute!r} has fewer than {min_group} notes and is "
    "suppressed; choose a larger group."
)
BAD_LIMITS = "min_group must be >= 1 and flag_below >= min_group; got {min_group} and {flag_below}."

_MLFLOW_UNSAFE = re.compile(r"[^A-Za-z0-9_\-./ ]")


def _safe_key(text: str) -> str:
    """``text`` with every character MLflow does not allow in a metric key replaced by ``_``."""
    return _MLFLOW_UNSAFE.sub("_", text)


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FairnessReport:
    """Group figures, gaps against a reference group and plain-language readings.

    * ``overall``: figures for all notes (same shape as a group row).
    * ``attributes``: per attribute key, ``{"label", "columns", "reference", "suppressed",
      "comparisons"}``.
    * ``by_group``: per attribute key, a list of rows, largest group first; a row is
      ``{"group", "suppressed": False, "reference", "n", "positives", "negatives", "flagged",
      "fnr", "fpr", "precision", "selection_rate", "auroc", "brier"}`` with each figure as
      ``{"value", "low", "high", "interval", "unreliable", ...}``, or, for a suppressed group,
      ``{"group", "suppressed": True, "note"}``.
    * ``gaps``: per attribute key, a list of ``{"group", "reference", "metric", "group_value",
      "reference_value", "difference": {...}, "ratio": {...} | None, "excludes_zero",
      "unreliable"}``.
    * ``readings``: per attribute key, a paragraph for a non-specialist.
    * ``notes``: the fairness-impossibility statement, the suppression rule, the intended use.
    """

    threshold: float
    settings: dict[str, Any]
    overall: dict[str, Any]
    attributes: dict[str, dict[str, Any]]
    by_group: dict[str, list[dict[str, Any]]]
    gaps: dict[str, list[dict[str, Any]]]
    readings: dict[str, str]
    notes: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy of the whole report."""
        return _clean(
            {
                "threshold": self.threshold,
                "settings": self.settings,
                "overall": self.overall,
                "attributes": self.attributes,
                "by_group": self.by_group,
                "gaps": self.gaps,
                "readings": self.readings,
                "notes": self.notes,
            }
        )

    def headline_gaps(self) -> dict[str, float]:
        """Flat MLflow-safe metrics: the largest reliable gaps per figure and attribute.

        ``{metric}_gap_max.{attribute}`` is the largest absolute difference from the reference
        group among the reliable (not flagged) comparisons; ``gaps_detected.{attribute}`` counts
        the reliable comparisons whose interval excludes zero; ``groups_suppressed.{attribute}``
        counts suppressed groups. Suppressed groups never contribute.
        """
        flat: dict[str, float] = {}
        for key, gaps in self.gaps.items():
            reliable = [gap for gap in gaps if not gap["unreliable"]]
            for metric in METRICS:
                values = [
                    abs(gap["difference"]["value"])
                    for gap in reliable
                    if gap["metric"] == metric and gap["difference"]["value"] is not None
                ]
                if values:
                    flat[f"{metric}_gap_max.{key}"] = float(max(values))
            flat[f"gaps_detected.{key}"] = float(sum(gap["excludes_zero"] for gap in reliable))
            flat[f"groups_suppressed.{key}"] = float(len(self.attributes[key]["suppressed"]))
        return flat

    def to_markdown(self, heading_level: int = 1) -> str:
        """The report as Markdown: per attribute, a table of groups, one of gaps, the reading.

        ``heading_level`` is the level of the title (sections are one below), so the report can
        sit inside a larger document.
        """
        ci = round(100 * self.settings["ci"])
        top, sub = "#" * heading_level, "#" * (heading_level + 1)
        lines = [
            f"{top} Fairness report (threshold {self.threshold:.3g})",
            "",
            SCOPE_NOTE,
            "",
            f"Intervals are {ci}% intervals: Wilson for rates, percentile bootstrap "
            f"({self.settings['n_boot']} resamples of {self.settings['bootstrap_unit']}s) for "
            "AUROC, Brier and every gap. † marks a figure resting on fewer than "
            f"{self.settings['flag_below']} notes.",
            "",
            f"{sub} All notes",
            "",
            *_group_table([{**self.overall, "group": "all notes"}]),
        ]
        for key, info in self.attributes.items():
            lines += ["", f"{sub} {info['label']}", "", self.readings[key], ""]
            lines += _group_table(self.by_group[key])
            if self.gaps[key]:
                lines += ["", f"Gaps against the reference group, {info['reference']}:", ""]
                lines += _gap_table(self.gaps[key])
        lines += ["", f"{sub} Notes", ""]
        lines += [f"- {text}" for text in self.notes.values()]
        return "\n".join(lines) + "\n"


def _clean(value: Any) -> Any:
    """A copy with numpy scalars as Python numbers and NaN / infinities as ``None``."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


# --------------------------------------------------------------------------------------------
# Markdown helpers
# --------------------------------------------------------------------------------------------


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _fmt_figure(metric: str, entry: Mapping[str, Any]) -> str:
    if entry.get("value") is None:
        return "withheld" if entry.get("withheld") else "–"
    value, low, high = entry["value"], entry.get("low"), entry.get("high")
    if metric in RATES:
        text = f"{100 * value:.0f}%"
        if low is not None and high is not None:
            text += f" ({100 * low:.0f}–{100 * high:.0f})"
    elif metric in POINT_METRICS:
        text = f"{_signed_points(value)} pts"
        if low is not None and high is not None:
            text += f" ({_signed_points(low)} to {_signed_points(high)})"
    else:
        text = f"{value:.3f}"
        if low is not None and high is not None:
            text += f" ({low:.3f}–{high:.3f})"
    return text + (" †" if entry.get("unreliable") else "")


def _fmt_count(value: Any) -> str:
    return "withheld" if value is None else str(value)


def _group_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    header = ["group", "n", "positives", "flagged"] + [METRIC_LABELS[m] for m in METRICS]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in rows:
        if row.get("suppressed"):
            cells = [_md(row["group"]), _md(row["note"])] + [""] * (len(header) - 2)
        else:
            name = _md(row["group"]) + (" (reference)" if row.get("reference") else "")
            cells = [name] + [_fmt_count(row[c]) for c in ("n", "positives", "flagged")]
            cells += [_fmt_figure(m, row[m]) for m in METRICS]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _fmt_difference(metric: str, entry: Mapping[str, Any]) -> str:
    if entry.get("value") is None:
        return "–"
    fmt, unit = (_signed_points, " pts") if _in_points(metric) else (_signed, "")
    text = fmt(entry["value"]) + unit
    if entry.get("low") is not None and entry.get("high") is not None:
        text += f" ({fmt(entry['low'])} to {fmt(entry['high'])})"
    return text


def _gap_table(gaps: Sequence[Mapping[str, Any]]) -> list[str]:
    header = ["group", "figure", "difference (CI)", "ratio (CI)", "interval excludes 0"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for gap in gaps:
        ratio = gap.get("ratio") or {}
        ratio_text = "–"
        if ratio.get("value") is not None:
            ratio_text = f"{ratio['value']:.2f}"
            if ratio.get("low") is not None and ratio.get("high") is not None:
                ratio_text += f" ({ratio['low']:.2f}–{ratio['high']:.2f})"
        detected = "yes" if gap["excludes_zero"] else "no"
        cells = [
            _md(gap["group"]),
            METRIC_LABELS[gap["metric"]],
            _fmt_difference(gap["metric"], gap["difference"]),
            ratio_text,
            detected + (" (unreliable †)" if gap["unreliable"] else ""),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


# --------------------------------------------------------------------------------------------
# Per-group figures
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Attribute:
    key: str  # MLflow-safe
    label: str  # for people
    columns: tuple[str, ...]
    labels: np.ndarray  # one group label per note
    phrases: dict[str, str]  # group label -> which notes it holds, in words


def _group_labels(frame: pd.DataFrame) -> tuple[np.ndarray, dict[str, str]]:
    """One label per row (values joined with " / " for an intersection), and a phrase per label.

    The phrase says in words which notes the group holds, for the readings: "ethnicity is
    recorded as Black", "sex is recorded as Male and ethnicity is not recorded".
    """
    parts = [
        frame[column].astype(object).where(frame[column].notna(), NOT_RECORDED).astype(str)
        for column in frame.columns
    ]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + INTERSECTION_SEPARATOR + part
    phrases: dict[str, str] = {}
    for row, label in enumerate(joined):
        if label not in phrases:
            phrases[label] = " and ".join(
                f"{column} is not recorded"
                if values.iloc[row] == NOT_RECORDED
                else f"{column} is recorded as {values.iloc[row]}"
                for column, values in zip(frame.columns, parts, strict=True)
            )
    return joined.to_numpy(dtype=object), phrases


def _attributes(
    sensitive: pd.DataFrame, intersections: Sequence[Sequence[str]] | None
) -> list[_Attribute]:
    if intersections is None:
        wanted = [i for i in DEFAULT_INTERSECTIONS if set(i) <= set(sensitive.columns)]
    else:
        wanted = [tuple(i) for i in intersections]
    attributes = [
        _Attribute(_safe_key(str(c)), str(c), (c,), *_group_labels(sensitive[[c]]))
        for c in sensitive.columns
    ]
    for intersection in wanted:
        columns = tuple(intersection)
        if len(columns) < 2:
            raise ValueError(SHORT_INTERSECTION.format(intersection=columns))
        missing = [c for c in columns if c not in sensitive.columns]
        if missing:
            raise ValueError(UNKNOWN_COLUMNS.format(intersection=columns, missing=missing))
        names = [str(c) for c in columns]
        attributes.append(
            _Attribute(
                _safe_key("_x_".join(names)),
                " × ".join(names),
                columns,
                *_group_labels(sensitive[list(columns)]),
            )
        )
    return attributes


def _group_summary(threshold: float) -> Any:
    """The metric handed to :class:`fairlearn.metrics.MetricFrame`: one group's counts and scores.

    One callable returning every figure, rather than one callable per figure, because MetricFrame
    copies the group's arrays on every call.
    """

    def summary(y_true: Any, y_pred: Any) -> dict[str, float]:
        y = np.asarray(y_true, dtype=float)
        s = np.asarray(y_pred, dtype=float)
        positive = y == 1
        flagged = s >= threshold
        return {
            "n": float(y.size),
            "positives": float(positive.sum()),
            "flagged": float(flagged.sum()),
            "tp": float((positive & flagged).sum()),
            "fp": float((~positive & flagged).sum()),
            "auroc": float(_auroc(np.ones((1, y.size)), _Ranked.of(y, s))[0]),
            "brier": float(np.mean((s - y) ** 2)),
            "observed_minus_predicted": float(np.mean(y - s)),
        }

    return summary


def _denominators(counts: Mapping[str, float]) -> dict[str, float]:
    negatives = counts["n"] - counts["positives"]
    return {
        "fnr": counts["positives"],
        "fpr": negatives,
        "precision": counts["flagged"],
        "selection_rate": counts["n"],
        "auroc": min(counts["positives"], negatives),
        "brier": counts["n"],
        "observed_minus_predicted": counts["n"],
    }


def _numerators(counts: Mapping[str, float]) -> dict[str, float]:
    return {
        "fnr": counts["positives"] - counts["tp"],
        "fpr": counts["fp"],
        "precision": counts["tp"],
        "selection_rate": counts["flagged"],
    }


def _shown_counts(counts: Mapping[str, float], min_group: int, hide: bool) -> dict[str, Any]:
    """The counts a row may show: rule 2 (and rule 3 when ``hide``) of the module docstring."""
    n = round(counts["n"])
    positives, flagged = round(counts["positives"]), round(counts["flagged"])

    def small(value: int) -> bool:
        return 0 < value < min_group

    shown: dict[str, Any] = {"n": n, "positives": positives, "negatives": n - positives}
    if small(positives) or small(n - positives):
        shown["positives"] = shown["negatives"] = None
    shown["flagged"] = None if small(flagged) or small(n - flagged) else flagged
    if hide:
        shown = dict.fromkeys(shown)
    return shown


def _figure(
    metric: str,
    counts: Mapping[str, float],
    point: float,
    resamples: np.ndarray | None,
    ci: float,
    min_group: int,
    flag_below: int,
) -> dict[str, Any]:
    """One figure of one group: value, interval, and whether it is withheld or unreliable."""
    denominator = _denominators(counts)[metric]
    what = DENOMINATORS[metric]
    if denominator < min_group:
        return {
            "value": None,
            "low": None,
            "high": None,
            "unreliable": True,
            "withheld": f"fewer than {min_group} notes in the denominator ({what})",
        }
    entry: dict[str, Any]
    if metric in RATES:
        numerator = _numerators(counts)[metric]
        low, high = wilson_interval(numerator, denominator, ci)
        entry = {"value": numerator / denominator, "low": low, "high": high, "interval": "Wilson"}
    else:
        low, high, n_valid = _percentile_interval(resamples, ci)
        entry = {
            "value": point if math.isfinite(point) else None,
            "low": low,
            "high": high,
            "interval": "bootstrap",
            "n_valid": n_valid,
        }
    entry["unreliable"] = bool(denominator < flag_below)
    if entry["unreliable"]:
        entry["note"] = f"fewer than {flag_below} notes in the denominator ({what})"
    return entry


def _weighted_group_figures(
    weights: np.ndarray,
    y: np.ndarray,
    s: np.ndarray,
    flagged: np.ndarray,
    ranked: _Ranked,
) -> dict[str, np.ndarray]:
    """Every figure of one group of notes for each row of bootstrap ``weights``."""
    total = weights.sum(axis=1)
    tp = weights @ (y * flagged)
    fp = weights @ ((1 - y) * flagged)
    positives = weights @ y
    negatives = total - positives
    auroc = _auroc(weights, ranked)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "fnr": np.where(positives > 0, (positives - tp) / positives, np.nan),
            "fpr": np.where(negatives > 0, fp / negatives, np.nan),
            "precision": np.where(tp + fp > 0, tp / (tp + fp), np.nan),
            "selection_rate": np.where(total > 0, (tp + fp) / total, np.nan),
            "auroc": auroc,
            "brier": np.where(total > 0, (weights @ (s - y) ** 2) / total, np.nan),
            "observed_minus_predicted": np.where(total > 0, (weights @ (y - s)) / total, np.nan),
        }


# --------------------------------------------------------------------------------------------
# Readings
# --------------------------------------------------------------------------------------------


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _interval_words(entry: Mapping[str, Any], ci_pct: int, first: bool) -> str:
    if entry.get("low") is None or entry.get("high") is None:
        return ""
    prefix = f"{ci_pct}% CI " if first else ""
    return f" ({prefix}{100 * entry['low']:.0f}–{100 * entry['high']:.0f}%)"


def _signed_points(value: float) -> str:
    """A signed difference in percentage points: whole points, or one decimal near zero."""
    points = 100 * value
    if round(points) != 0:
        return f"{points:+.0f}"
    return f"{points:+.1f}" if abs(points) >= 0.05 else "0"


def _in_points(metric: str) -> bool:
    return metric in RATES or metric in POINT_METRICS


def _signed(value: float) -> str:
    return f"{value:+.3f}" if abs(value) >= 0.0005 else "0"


def _difference_words(
    metric: str, entry: Mapping[str, Any], ci_pct: int, *, short: bool = False
) -> str:
    fmt = _signed_points if _in_points(metric) else _signed
    value = fmt(entry["value"])
    if _in_points(metric):
        value += " points" if short else " percentage points"
    if entry.get("low") is None or entry.get("high") is None:
        return value
    return f"{value} ({ci_pct}% CI {fmt(entry['low'])} to {fmt(entry['high'])})"


def _names(groups: Sequence[str]) -> str:
    groups = [str(g) for g in groups]
    if len(groups) <= 1:
        return "".join(groups)
    return ", ".join(groups[:-1]) + " and " + groups[-1]


def _reading(
    label: str,
    reference: str | None,
    rows: Sequence[Mapping[str, Any]],
    gaps: Sequence[Mapping[str, Any]],
    *,
    phrases: Mapping[str, str],
    reference_is_largest: bool,
    ci: float,
    min_group: int,
    flag_below: int,
    outcome: str,
    unit: str,
) -> str:
    """A paragraph for a non-specialist: the largest reliable gap in missed share, the other
    detected gaps, the multiple-comparison caveat, flagged and suppressed groups, the limits."""
    ci_pct = round(100 * ci)
    sentences: list[str] = []
    reliable = [g for g in gaps if not g["unreliable"] and g["difference"]["value"] is not None]
    by_name = {row["group"]: row for row in rows if not row.get("suppressed")}
    fnr_gaps = sorted(
        (g for g in reliable if g["metric"] == "fnr"),
        key=lambda g: -abs(g["difference"]["value"]),
    )
    role = "the largest group" if reference_is_largest else "the reference group"
    if reference is None:
        sentences.append(f"No group of {label} is large enough to report.")
    elif not fnr_gaps:
        sentences.append(
            f"No group of {label} other than {reference} ({role}) has enough {unit} with "
            f"{outcome} to compare the share the model missed reliably."
        )
    else:
        gap = fnr_gaps[0]
        group_fnr = by_name[gap["group"]]["fnr"]
        reference_fnr = by_name[reference]["fnr"]
        sentence = (
            f"Among {unit} where {phrases[gap['group']]}, the model missed "
            f"{_pct(group_fnr['value'])}{_interval_words(group_fnr, ci_pct, True)} of those with "
            f"{outcome}, against {_pct(reference_fnr['value'])}"
            f"{_interval_words(reference_fnr, ci_pct, False)} for {reference}, {role}; "
            f"the difference of {_difference_words('fnr', gap['difference'], ci_pct)} "
        )
        if gap["excludes_zero"]:
            sentence += "is unlikely to be chance alone."
        elif gap["difference"]["low"] is None:
            sentence += "has no interval (no bootstrap resamples), so chance cannot be ruled out."
        else:
            sentence += (
                "could be chance. That does not show the missed shares are equal, only that "
                "these data cannot tell them apart."
            )
        sentences.append(sentence)
        if len(fnr_gaps) > 1:
            sentences.append(
                f"This is the largest of {len(fnr_gaps)} reliable differences in missed share."
            )
    first = fnr_gaps[0] if fnr_gaps else None
    others = [g for g in reliable if g["excludes_zero"] and g is not first]
    if others:
        listed = "; ".join(
            f"{METRIC_LABELS[g['metric']]} for {g['group']}, "
            f"{_difference_words(g['metric'], g['difference'], ci_pct, short=True)}"
            for g in others[:5]
        )
        more = f"; and {len(others) - 5} more (see the table)" if len(others) > 5 else ""
        sentences.append(
            f"Other differences from {reference} unlikely to be chance alone: {listed}{more}."
        )
    elif reliable:
        sentences.append(
            f"No other reliable difference from {reference} has an interval that excludes zero."
        )
    sentences += _label_bias_sentences(reliable, reference, outcome, unit)
    if reliable:
        sentences.append(
            f"This table makes {len(reliable)} reliable comparisons; even with no real "
            f"differences, about 1 in {round(1 / (1 - ci))} would exclude zero by chance."
        )
    unreliable = [
        str(row["group"]) for row in rows if not row.get("suppressed") and _has_unreliable(row)
    ]
    if unreliable:
        sentences.append(
            f"Some figures for {_names(unreliable)} rest on fewer than {flag_below} {unit} (or "
            "are withheld) and are marked unreliable: they are shown but not used for the "
            "headline gaps, and differences there cannot be judged."
        )
    suppressed = [str(row["group"]) for row in rows if row.get("suppressed")]
    if len(suppressed) == 1:
        sentences.append(
            f"{suppressed[0]} had fewer than {min_group} {unit} and is not reported: nothing can "
            "be said here about how the model works for that group."
        )
    elif suppressed:
        sentences.append(
            f"{_names(suppressed)} had fewer than {min_group} {unit} each and are not reported: "
            "nothing can be said here about how the model works for those groups."
        )
    sentences.append(
        "These figures describe this evaluation data at this threshold; they do not say why any "
        "rates differ."
    )
    return " ".join(sentences)


def _label_bias_sentences(
    reliable: Sequence[Mapping[str, Any]], reference: str | None, outcome: str, unit: str
) -> list[str]:
    """What a detected observed − predicted gap may mean, in words, one sentence per direction."""
    detected = [
        g for g in reliable if g["metric"] == "observed_minus_predicted" and g["excludes_zero"]
    ]
    under = [str(g["group"]) for g in detected if g["difference"]["value"] > 0]
    over = [str(g["group"]) for g in detected if g["difference"]["value"] < 0]
    sentences = []
    if under:
        sentences.append(
            f"For {_names(under)}, {outcome} was recorded more often than the model's scores "
            f"predict, compared with {reference}: the notes may under-record these {unit}' "
            f"risks, or {outcome} may be recorded for reasons the notes do not show (label "
            "bias). A model trained on such records cannot tell which, and its missed share for "
            "the group can look acceptable while this gap remains."
        )
    if over:
        sentences.append(
            f"For {_names(over)}, {outcome} was recorded less often than the model's scores "
            f"predict, compared with {reference}: the model over-estimates their risk, or "
            f"{outcome} is under-recorded for them."
        )
    return sentences


def _has_unreliable(row: Mapping[str, Any]) -> bool:
    return any(row[m].get("unreliable") for m in METRICS)


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


def _check_limits(min_group: int, flag_below: int) -> None:
    if min_group < 1 or flag_below < min_group:
        raise ValueError(BAD_LIMITS.format(min_group=min_group, flag_below=flag_below))


def fairness_report(
    y_true: Any,
    scores: Any,
    threshold: float,
    sensitive: pd.DataFrame,
    *,
    intersections: Sequence[Sequence[str]] | None = None,
    reference: str | Mapping[str, str] = "largest",
    min_group: int = 10,
    flag_below: int = 30,
    clusters: Any = None,
    n_boot: int = 500,
    seed: int = 0,
    ci: float = 0.95,
    outcome: str = "the outcome",
    unit: str = "notes",
) -> FairnessReport:
    """Per-group figures, gaps against a reference group, and plain-language readings.

    ``y_true`` (0/1), ``scores`` (probabilities) and the rows of ``sensitive`` (one column per
    attribute, rows aligned by position) describe the same notes; a note is flagged when
    ``score >= threshold``. ``intersections`` lists combinations of columns to report as well;
    ``None`` means ``("sex", "ethnicity")`` when both columns are present. ``reference`` is
    ``"largest"`` (each attribute's largest reported group) or a mapping from attribute (column
    name, or the intersection's key such as ``"sex_x_ethnicity"``) to group label; attributes not
    in the mapping use their largest group. ``clusters`` (such as case ids) make the bootstrap
    resample whole clusters. ``outcome`` and ``unit`` are words for the readings ("escalation",
    "cases"). See the module docstring for the suppression rule.
    """
    y = _as_labels(y_true)
    s = _as_scores(scores, y.size)
    _check_threshold(threshold)
    _check_ci(ci)
    _check_n_boot(n_boot)
    _check_limits(min_group, flag_below)
    if not isinstance(sensitive, pd.DataFrame):
        raise ValueError(NOT_A_DATAFRAME.format(kind=type(sensitive).__name__))
    if sensitive.shape[1] == 0:
        raise ValueError(NO_ATTRIBUTES)
    if len(sensitive) != y.size:
        raise ValueError(WRONG_LENGTH.format(got=len(sensitive), expected=y.size))
    if not (reference == "largest" or isinstance(reference, Mapping)):
        raise ValueError(BAD_REFERENCE.format(reference=reference))
    codes = _cluster_codes(clusters, y.size)
    flagged = (s >= threshold).astype(float)
    threshold = float(threshold)
    summary = _group_summary(threshold)

    # Point figures with MetricFrame, one attribute at a time.
    overall_counts: dict[str, float] = {}
    tables: dict[str, pd.DataFrame] = {}
    attributes = _attributes(sensitive.reset_index(drop=True), intersections)
    for attribute in attributes:
        frame = MetricFrame(
            metrics={"summary": summary},
            y_true=y,
            y_pred=s,
            sensitive_features=pd.Series(attribute.labels, name=attribute.key),
        )
        summaries = frame.by_group["summary"]
        table = pd.DataFrame(list(summaries), index=summaries.index)
        tables[attribute.key] = table[table["n"].fillna(0) > 0]
        overall_counts = dict(frame.overall["summary"])

    # Which groups are shown, suppressed, the reference, and whose counts are withheld.
    plan: dict[str, dict[str, Any]] = {}
    for attribute in attributes:
        table = tables[attribute.key]
        sizes = {str(g): float(table.loc[g, "n"]) for g in table.index}
        shown = sorted((g for g in sizes if sizes[g] >= min_group), key=lambda g: (-sizes[g], g))
        suppressed = sorted(g for g in sizes if sizes[g] < min_group)
        hidden_total = sum(sizes[g] for g in suppressed)
        hide_counts = {shown[-1]} if shown and 0 < hidden_total < min_group else set()
        chosen = reference.get(attribute.key) if isinstance(reference, Mapping) else None
        if chosen is None and isinstance(reference, Mapping):
            chosen = reference.get(attribute.label)
        if chosen is not None:
            chosen = str(chosen)
            if chosen in suppressed:
                raise ValueError(
                    SUPPRESSED_REFERENCE.format(
                        group=chosen, attribute=attribute.label, min_group=min_group
                    )
                )
            if chosen not in sizes:
                raise ValueError(
                    UNKNOWN_REFERENCE.format(
                        group=chosen, attribute=attribute.label, known=sorted(sizes)
                    )
                )
        plan[attribute.key] = {
            "shown": shown,
            "suppressed": suppressed,
            "hide_counts": hide_counts,
            "reference": chosen if chosen is not None else (shown[0] if shown else None),
        }

    # One bootstrap for everything: the same resamples for every group and the overall figures.
    subsets: dict[tuple[str, str], tuple[np.ndarray, _Ranked]] = {}
    for attribute in attributes:
        for group in plan[attribute.key]["shown"]:
            rows = np.flatnonzero(attribute.labels == group)
            subsets[(attribute.key, group)] = (rows, _Ranked.of(y[rows], s[rows]))
    everyone = np.arange(y.size)
    subsets[("", "")] = (everyone, _Ranked.of(y, s))

    def statistics(weights: np.ndarray) -> dict[Any, np.ndarray]:
        out: dict[Any, np.ndarray] = {}
        for (key, group), (rows, ranked) in subsets.items():
            sub = weights if key == "" else weights[:, rows]
            figures = _weighted_group_figures(sub, y[rows], s[rows], flagged[rows], ranked)
            for metric, values in figures.items():
                out[(key, group, metric)] = values
        return out

    resamples = _bootstrap(y.size, codes, n_boot, seed, statistics) if n_boot else {}

    def row_figures(key: str, group: str, counts: Mapping[str, float]) -> dict[str, Any]:
        point = {metric: counts[metric] for metric in SCORE_METRICS}
        return {
            metric: _figure(
                metric,
                counts,
                point.get(metric, math.nan),
                resamples.get((key, group, metric)),
                ci,
                min_group,
                flag_below,
            )
            for metric in METRICS
        }

    overall = {
        "group": "all notes",
        "suppressed": False,
        **_shown_counts(overall_counts, min_group, hide=False),
        **row_figures("", "", overall_counts),
    }

    by_group: dict[str, list[dict[str, Any]]] = {}
    gaps: dict[str, list[dict[str, Any]]] = {}
    readings: dict[str, str] = {}
    attribute_info: dict[str, dict[str, Any]] = {}
    suppressed_note = f"suppressed: fewer than {min_group} {unit}"
    for attribute in attributes:
        key, info = attribute.key, plan[attribute.key]
        table = tables[key]
        index_of = {str(g): g for g in table.index}
        rows: list[dict[str, Any]] = []
        for group in info["shown"]:
            counts = {k: float(v) for k, v in table.loc[index_of[group]].items()}
            rows.append(
                {
                    "group": group,
                    "suppressed": False,
                    "reference": group == info["reference"],
                    **_shown_counts(counts, min_group, hide=group in info["hide_counts"]),
                    **row_figures(key, group, counts),
                }
            )
        rows += [
            {"group": g, "suppressed": True, "note": suppressed_note} for g in info["suppressed"]
        ]
        by_group[key] = rows
        gaps[key] = _gaps(key, info["reference"], rows, resamples, ci)
        readings[key] = _reading(
            attribute.label,
            info["reference"],
            rows,
            gaps[key],
            phrases=attribute.phrases,
            reference_is_largest=bool(info["shown"]) and info["reference"] == info["shown"][0],
            ci=ci,
            min_group=min_group,
            flag_below=flag_below,
            outcome=outcome,
            unit=unit,
        )
        attribute_info[key] = {
            "label": attribute.label,
            "columns": [str(c) for c in attribute.columns],
            "reference": info["reference"],
            "suppressed": list(info["suppressed"]),
            "comparisons": sum(not gap["unreliable"] for gap in gaps[key]),
        }

    settings = {
        "min_group": min_group,
        "flag_below": flag_below,
        "ci": ci,
        "n_boot": n_boot,
        "seed": seed,
        "bootstrap_unit": "note" if codes is None else "cluster",
        "flag_rule": "score >= threshold",
        "reference": "largest" if reference == "largest" else dict(reference),
        "outcome": outcome,
        "unit": unit,
    }
    notes = {
        "scope": SCOPE_NOTE,
        "impossibility": IMPOSSIBILITY_NOTE,
        "suppression": SUPPRESSION_NOTE.format(min_group=min_group, flag_below=flag_below),
        "label_bias": (
            "Observed − predicted is the share of a group with the outcome minus the group's mean "
            "score. A group whose outcomes are recorded more often than its notes support, or "
            "whose risks are written down less often than they occur, shows a positive gap "
            "against the reference group, even when its missed share does not stand out."
        ),
        "detection": (
            "A gap is marked as unlikely to be chance when its bootstrap interval excludes zero. "
            "An interval that includes zero does not show the groups are equal. Rates use Wilson "
            "intervals, which treat notes as independent; the gap intervals resample "
            + ("whole clusters." if codes is not None else "notes.")
        ),
    }
    return FairnessReport(
        threshold=threshold,
        settings=settings,
        overall=overall,
        attributes=attribute_info,
        by_group=by_group,
        gaps=gaps,
        readings=readings,
        notes=notes,
    )


def _gaps(
    key: str,
    reference: str | None,
    rows: Sequence[Mapping[str, Any]],
    resamples: Mapping[Any, np.ndarray],
    ci: float,
) -> list[dict[str, Any]]:
    """Differences and ratios of each shown group's figures against the reference group."""
    if reference is None:
        return []
    by_name = {row["group"]: row for row in rows if not row.get("suppressed")}
    base = by_name[reference]
    out: list[dict[str, Any]] = []
    for row in rows:
        if row.get("suppressed") or row["group"] == reference:
            continue
        for metric in METRICS:
            mine, theirs = row[metric], base[metric]
            if mine["value"] is None or theirs["value"] is None:
                continue
            group_draws = resamples.get((key, row["group"], metric))
            reference_draws = resamples.get((key, reference, metric))
            difference_draws = ratio_draws = None
            if group_draws is not None and reference_draws is not None:
                difference_draws = group_draws - reference_draws
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio_draws = np.where(
                        reference_draws > 0, group_draws / reference_draws, np.nan
                    )
            low, high, n_valid = _percentile_interval(difference_draws, ci)
            difference = {
                "value": mine["value"] - theirs["value"],
                "low": low,
                "high": high,
                "n_valid": n_valid,
            }
            ratio = None
            if metric in RATES:
                r_low, r_high, r_valid = _percentile_interval(ratio_draws, ci)
                ratio = {
                    "value": mine["value"] / theirs["value"] if theirs["value"] > 0 else None,
                    "low": r_low,
                    "high": r_high,
                    "n_valid": r_valid,
                }
            out.append(
                {
                    "group": row["group"],
                    "reference": reference,
                    "metric": metric,
                    "group_value": mine["value"],
                    "reference_value": theirs["value"],
                    "difference": difference,
                    "ratio": ratio,
                    "excludes_zero": bool(
                        low is not None and high is not None and (low > 0 or high < 0)
                    ),
                    "unreliable": bool(mine["unreliable"] or theirs["unreliable"]),
                }
            )
    return out
