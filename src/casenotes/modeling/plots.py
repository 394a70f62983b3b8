"""Figures for evaluation reports, drawn from the dicts of :mod:`metrics` and :mod:`fairness`.

Each figure comes in two forms, ``*_svg`` (a string) and ``*_png`` (bytes), and takes a report
dict (never notes or their text). SVG text is kept as text, not outlines, so titles and axis
labels can be read by screen readers, searched and tested; the SVG carries the title as metadata.
When there is nothing to draw (a ROC curve for a test set with one class, a forest plot where
every group is suppressed) the figure says so in words instead of raising, so a report can always
be written. Colours come from the Okabe–Ito palette, which stays distinct for
the common kinds of colour blindness, and every series also differs in line style or marker.

Matplotlib is imported inside the functions and figures are drawn on an Agg canvas without
``pyplot``, so importing this module is cheap and no global backend or figure state is touched.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "PALETTE",
    "forest_png",
    "forest_svg",
    "pr_png",
    "pr_svg",
    "reliability_png",
    "reliability_svg",
    "roc_png",
    "roc_svg",
]

#: Okabe-Ito colours: blue, orange, bluish green, vermillion, reddish purple, sky blue, yellow.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
)
_LINE_STYLES = ("-", "--", "-.", ":")
_GREY = "#7f7f7f"

# Error messages (tests import them) and the words of figures with nothing to draw.
NO_CURVE = "No {kind} curve: it needs {needs}."
NO_BINS = "No reliability bin holds enough notes to show."
NO_GROUPS = "No group of {attribute} has a {figure} to show."
UNKNOWN_ATTRIBUTE = "the fairness report has no attribute {attribute!r}; it has: {known}."
UNKNOWN_FIGURE = "unknown figure {metric!r}; choose one of: {known}."

_FOREST_METRICS: dict[str, tuple[str, bool]] = {
    # name: (axis label, is a proportion shown as a percentage)
    "fnr": ("Missed share: positive notes not flagged (FNR)", True),
    "fpr": ("False-positive rate: negative notes flagged", True),
    "precision": ("Precision: flagged notes that are positive", True),
    "selection_rate": ("Share of notes flagged", True),
    "auroc": ("AUROC", False),
    "brier": ("Brier score (lower is better)", False),
    "observed_minus_predicted": (
        "Observed − predicted: outcome share minus mean score (above 0: risk under-estimated)",
        True,
    ),
}


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _new_figure(width: float = 5.5, height: float = 4.5) -> tuple[Figure, Axes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _svg(figure: Figure, title: str) -> str:
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "casenotes"}):
        figure.savefig(buffer, format="svg", metadata={"Title": title, "Date": None})
    return buffer.getvalue().decode("utf-8")


def _png(figure: Figure, title: str) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, metadata={"Title": title})
    return buffer.getvalue()


def _message_figure(title: str, message: str) -> Figure:
    """A small figure that says, in words, why there is nothing to draw."""
    figure, axes = _new_figure(height=2.0)
    axes.set_axis_off()
    axes.set_title(title)
    axes.text(0.5, 0.5, message, ha="center", va="center", wrap=True)
    return figure


def _interval_text(entry: Mapping[str, Any] | None, name: str, ci: float) -> str:
    if not entry or entry.get("value") is None:
        return f"{name} undefined"
    text = f"{name} {entry['value']:.2f}"
    if entry.get("low") is not None and entry.get("high") is not None:
        text += f", {round(100 * ci)}% CI {entry['low']:.2f}–{entry['high']:.2f}"
    return text


def _ci(report: Mapping[str, Any]) -> float:
    return float(report.get("bootstrap", {}).get("ci", 0.95))


def _unit_axes(axes: Axes) -> None:
    axes.set_xlim(-0.01, 1.01)
    axes.set_ylim(-0.01, 1.01)
    axes.set_aspect("equal")
    axes.grid(True, color="#e0e0e0", linewidth=0.6)


# --------------------------------------------------------------------------------------------
# ROC and precision-recall curves
# --------------------------------------------------------------------------------------------


def _curve_series(
    report: Mapping[str, Any], baselines: Mapping[str, Mapping[str, Any]] | None, label: str
) -> list[tuple[str, Mapping[str, Any]]]:
    return [(label, report), *((baselines or {}).items())]


def _roc_figure(
    report: Mapping[str, Any],
    *,
    baselines: Mapping[str, Mapping[str, Any]] | None = None,
    label: str = "model",
    title: str = "ROC curve",
) -> Figure:
    if not (report.get("curves") or {}).get("roc"):
        return _message_figure(
            title, NO_CURVE.format(kind="ROC", needs="positive and negative notes")
        )
    figure, axes = _new_figure()
    axes.plot([0, 1], [0, 1], color=_GREY, linestyle=":", linewidth=1, label="chance (0.50)")
    for i, (name, rep) in enumerate(_curve_series(report, baselines, label)):
        roc = rep.get("curves", {}).get("roc")
        if not roc:
            continue
        colour, style = PALETTE[i % len(PALETTE)], _LINE_STYLES[i % len(_LINE_STYLES)]
        axes.plot(
            roc["fpr"],
            roc["tpr"],
            color=colour,
            linestyle=style,
            linewidth=1.8,
            label=f"{name} ({_interval_text(rep.get('auroc'), 'AUROC', _ci(rep))})",
        )
    recall, specificity = report.get("recall", {}), report.get("specificity", {})
    if recall.get("value") is not None and specificity.get("value") is not None:
        axes.plot(
            [1 - specificity["value"]],
            [recall["value"]],
            marker="o",
            color=PALETTE[0],
            linestyle="none",
            label=f"{label} at threshold {report['threshold']:.2f}",
        )
    axes.set_xlabel("False-positive rate (1 − specificity)")
    axes.set_ylabel("True-positive rate (recall)")
    axes.set_title(title)
    _unit_axes(axes)
    axes.legend(loc="lower right", fontsize="small")
    return figure


def _pr_figure(
    report: Mapping[str, Any],
    *,
    baselines: Mapping[str, Mapping[str, Any]] | None = None,
    label: str = "model",
    title: str = "Precision–recall curve",
) -> Figure:
    if not (report.get("curves") or {}).get("pr"):
        return _message_figure(
            title, NO_CURVE.format(kind="precision-recall", needs="at least one positive note")
        )
    figure, axes = _new_figure()
    prevalence = (report.get("prevalence") or {}).get("value")
    if prevalence is not None:
        axes.axhline(
            prevalence,
            color=_GREY,
            linestyle=":",
            linewidth=1,
            label=f"no skill (prevalence {prevalence:.2f})",
        )
    for i, (name, rep) in enumerate(_curve_series(report, baselines, label)):
        pr = rep.get("curves", {}).get("pr")
        if not pr:
            continue
        colour, style = PALETTE[i % len(PALETTE)], _LINE_STYLES[i % len(_LINE_STYLES)]
        axes.plot(
            pr["recall"],
            pr["precision"],
            color=colour,
            linestyle=style,
            linewidth=1.8,
            drawstyle="steps-post",
            label=f"{name} ({_interval_text(rep.get('pr_auc'), 'PR-AUC', _ci(rep))})",
        )
    recall, precision = report.get("recall", {}), report.get("precision", {})
    if recall.get("value") is not None and precision.get("value") is not None:
        axes.plot(
            [recall["value"]],
            [precision["value"]],
            marker="o",
            color=PALETTE[0],
            linestyle="none",
            label=f"{label} at threshold {report['threshold']:.2f}",
        )
    axes.set_xlabel("Recall (share of positive notes flagged)")
    axes.set_ylabel("Precision (share of flagged notes that are positive)")
    axes.set_title(title)
    _unit_axes(axes)
    axes.legend(loc="upper right", fontsize="small")
    return figure


# --------------------------------------------------------------------------------------------
# Reliability diagram
# --------------------------------------------------------------------------------------------


def _reliability_figure(
    report: Mapping[str, Any],
    *,
    title: str = "Reliability diagram",
) -> Figure:
    reliability = report.get("reliability") or {}
    bins = [b for b in reliability.get("bins", []) if not b.get("suppressed")]
    if not bins:
        return _message_figure(title, NO_BINS)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5.5, 6.0), layout="constrained")
    FigureCanvasAgg(figure)
    axes, counts_axes = figure.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    axes.plot([0, 1], [0, 1], color=_GREY, linestyle=":", linewidth=1, label="perfect calibration")
    x = [b["mean_predicted"] for b in bins]
    y = [b["observed_rate"] for b in bins]
    errors = [
        [b["observed_rate"] - b["observed_low"] for b in bins],
        [b["observed_high"] - b["observed_rate"] for b in bins],
    ]
    axes.errorbar(
        x,
        y,
        yerr=errors,
        color=PALETTE[0],
        marker="o",
        linestyle="-",
        linewidth=1.2,
        capsize=3,
        label=f"observed rate with Wilson {round(100 * _ci(report))}% interval",
    )
    ece = report.get("ece") or {}
    subtitle = f" ({_interval_text(ece, 'ECE', _ci(report))})" if ece else ""
    axes.set_ylabel("Observed share of positive notes in bin")
    axes.set_title(title + subtitle, fontsize="medium")
    axes.set_xlim(-0.01, 1.01)
    axes.set_ylim(-0.01, 1.01)
    axes.grid(True, color="#e0e0e0", linewidth=0.6)
    axes.legend(loc="upper left", fontsize="small")
    bars = counts_axes.bar(
        [(b["bin_low"] + b["bin_high"]) / 2 for b in bins],
        [b["count"] for b in bins],
        width=[0.9 * (b["bin_high"] - b["bin_low"]) for b in bins],
        color=PALETTE[5],
        edgecolor=PALETTE[0],
        linewidth=0.6,
    )
    counts_axes.bar_label(bars, fontsize="x-small", padding=1)
    counts_axes.set_ylim(0, 1.25 * max(b["count"] for b in bins))
    counts_axes.set_xlabel("Mean predicted probability in bin (bars: bin ranges)")
    counts_axes.set_ylabel("Notes in bin")
    return figure


# --------------------------------------------------------------------------------------------
# Forest plot of one figure across groups
# --------------------------------------------------------------------------------------------


def _forest_figure(
    fairness: Any,
    attribute: str,
    metric: str = "fnr",
    *,
    title: str | None = None,
) -> Figure:
    if metric not in _FOREST_METRICS:
        raise ValueError(UNKNOWN_FIGURE.format(metric=metric, known=", ".join(_FOREST_METRICS)))
    data = fairness.to_dict() if hasattr(fairness, "to_dict") else fairness
    if attribute not in data["by_group"]:
        raise ValueError(
            UNKNOWN_ATTRIBUTE.format(attribute=attribute, known=", ".join(data["by_group"]))
        )
    axis_label, is_rate = _FOREST_METRICS[metric]
    scale = 100.0 if is_rate else 1.0
    info = data["attributes"][attribute]
    rows = [
        row
        for row in data["by_group"][attribute]
        if not row.get("suppressed") and row[metric].get("value") is not None
    ]
    n_hidden = sum(1 for row in data["by_group"][attribute] if row.get("suppressed"))
    n_withheld = sum(
        1
        for row in data["by_group"][attribute]
        if not row.get("suppressed") and row[metric].get("value") is None
    )
    title = title or f"{axis_label.split(':')[0]} by {info['label']}"
    if not rows:
        return _message_figure(
            title,
            NO_GROUPS.format(attribute=info["label"], figure=axis_label.split(":")[0].lower()),
        )
    figure, axes = _new_figure(width=6.5, height=1.6 + 0.38 * max(len(rows), 1))
    positions = list(range(len(rows)))[::-1]
    for position, row in zip(positions, rows, strict=True):
        entry = row[metric]
        value = scale * entry["value"]
        if entry.get("low") is not None and entry.get("high") is not None:
            axes.hlines(position, scale * entry["low"], scale * entry["high"], color=PALETTE[0])
        hollow = bool(entry.get("unreliable"))
        axes.plot(
            [value],
            [position],
            marker="D" if row.get("reference") else "o",
            markersize=7,
            color=PALETTE[0],
            markerfacecolor="white" if hollow else PALETTE[0],
            linestyle="none",
            gid=f"forest-point-{position}-{'hollow' if hollow else 'filled'}",
        )
        if row.get("reference"):
            axes.axvline(value, color=PALETTE[1], linestyle="--", linewidth=1)
    axes.set_yticks(positions, [_group_name(row) for row in rows])
    axes.set_xlabel(axis_label + (" (%)" if is_rate else ""))
    axes.set_ylabel(info["label"])
    axes.set_title(title, fontsize="medium")
    axes.grid(True, axis="x", color="#e0e0e0", linewidth=0.6)
    axes.set_ylim(-0.7, len(rows) - 0.3)
    ci_pct = round(100 * float(data.get("settings", {}).get("ci", 0.95)))
    footnote = [
        f"Bars: {ci_pct}% intervals. Diamond and dashed line: reference group.",
        "Hollow: rests on too few notes (unreliable).",
    ]
    if n_hidden:
        footnote.append(f"Not shown: {n_hidden} group(s) suppressed for too few notes.")
    if n_withheld:
        footnote.append(f"Not shown: {n_withheld} group(s) whose figure is withheld or undefined.")
    figure.supxlabel("\n".join(footnote), fontsize="x-small", color="#333333", ha="center")
    return figure


def _group_name(row: Mapping[str, Any]) -> str:
    n = row.get("n")
    return str(row["group"]) + (f" (n={n})" if n is not None else "")


# --------------------------------------------------------------------------------------------
# Public functions: one SVG and one PNG form per figure
# --------------------------------------------------------------------------------------------

Baselines = Mapping[str, Mapping[str, Any]] | None


def roc_svg(
    report: Mapping[str, Any],
    *,
    baselines: Baselines = None,
    label: str = "model",
    title: str = "ROC curve",
) -> str:
    """The ROC curve of a :func:`~casenotes.modeling.metrics.binary_report`, as SVG.

    ``baselines`` maps a name to another report on the same notes (a rules-only scorer, a constant
    score). The legend gives each AUROC with its interval; a dot marks the model's threshold.
    """
    return _svg(_roc_figure(report, baselines=baselines, label=label, title=title), title)


def roc_png(
    report: Mapping[str, Any],
    *,
    baselines: Baselines = None,
    label: str = "model",
    title: str = "ROC curve",
) -> bytes:
    """:func:`roc_svg` as PNG bytes."""
    return _png(_roc_figure(report, baselines=baselines, label=label, title=title), title)


def pr_svg(
    report: Mapping[str, Any],
    *,
    baselines: Baselines = None,
    label: str = "model",
    title: str = "Precision–recall curve",
) -> str:
    """The precision-recall curve of a ``binary_report``, with the no-skill line, as SVG."""
    return _svg(_pr_figure(report, baselines=baselines, label=label, title=title), title)


def pr_png(
    report: Mapping[str, Any],
    *,
    baselines: Baselines = None,
    label: str = "model",
    title: str = "Precision–recall curve",
) -> bytes:
    """:func:`pr_svg` as PNG bytes."""
    return _png(_pr_figure(report, baselines=baselines, label=label, title=title), title)


def reliability_svg(report: Mapping[str, Any], *, title: str = "Reliability diagram") -> str:
    """Observed rate against mean score per bin, with Wilson intervals and bin counts, as SVG.

    Points on the diagonal are well calibrated; above it the scores are too low, below it too
    high. Bins withheld for small numbers are not drawn (they still count in the ECE).
    """
    return _svg(_reliability_figure(report, title=title), title)


def reliability_png(report: Mapping[str, Any], *, title: str = "Reliability diagram") -> bytes:
    """:func:`reliability_svg` as PNG bytes."""
    return _png(_reliability_figure(report, title=title), title)


def forest_svg(
    fairness: Any, attribute: str, metric: str = "fnr", *, title: str | None = None
) -> str:
    """One figure (``"fnr"`` by default) for each group of one attribute, with its interval.

    ``fairness`` is a :class:`~casenotes.modeling.fairness.FairnessReport` or its ``to_dict()``;
    ``attribute`` is an attribute key (``"ethnicity"``, ``"sex_x_ethnicity"``). Suppressed groups
    and groups whose figure is withheld are left out (the footnote counts them); groups whose
    figure rests on too few notes are drawn hollow; the dashed line is the reference group's value.
    """
    figure = _forest_figure(fairness, attribute, metric, title=title)
    return _svg(figure, figure.axes[0].get_title())


def forest_png(
    fairness: Any, attribute: str, metric: str = "fnr", *, title: str | None = None
) -> bytes:
    """:func:`forest_svg` as PNG bytes."""
    figure = _forest_figure(fairness, attribute, metric, title=title)
    return _png(figure, figure.axes[0].get_title())
