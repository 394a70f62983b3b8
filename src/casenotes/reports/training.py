"""The files a training run writes for each model, and the comparison across models.

Per model, under ``reports/``: ``evaluation.json`` and ``evaluation.html`` (headline figures with
intervals, baselines side by side, the threshold rationale, ROC / PR / reliability charts, the
fairness tables with their plain-language readings, explanations and the deletion test),
``fairness.json`` and ``fairness.md``, ``explanations.json``, ``plots/*.svg`` and a
``model_card_draft.md``. For synthetic data only, ``examples/*.html`` show single notes with the
tokens that moved the score highlighted. No page holds a note id.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from casenotes.reports import render

EVALUATION_JSON = "evaluation.json"
EVALUATION_HTML = "evaluation.html"
FAIRNESS_JSON = "fairness.json"
FAIRNESS_MD = "fairness.md"
EXPLANATIONS_JSON = "explanations.json"
CARD_DRAFT = "model_card_draft.md"
PLOTS_DIR = "plots"
COMPARED = ("auroc", "pr_auc", "precision", "recall", "fnr", "brier", "ece")
FAIRNESS_PLOT_METRIC = "fnr"


@dataclass
class ReportContext:
    """Everything the reports of one model say: figures, settings and hashes — no text."""

    model: str
    kind: str
    task: str
    labels: tuple[str, ...]
    evaluation: dict[str, Any]
    fairness: dict[str, Any]
    fairness_markdown: dict[str, str]
    baselines: dict[str, Any]
    explanations: dict[str, Any]
    split: dict[str, Any]
    gate: dict[str, Any]
    vocabulary: dict[str, Any]
    fit_seconds: float
    bundle_hash: str
    data_digest: str
    intended_use: str
    synthetic: bool

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("fairness_markdown")
        return data


def _dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, default=str, allow_nan=False))


def _plots(context: ReportContext, folder: Path) -> dict[str, dict[str, str]]:
    """SVG charts per label, written to ``folder`` and returned for inlining."""
    from casenotes.modeling import plots

    folder.mkdir(parents=True, exist_ok=True)
    charts: dict[str, dict[str, str]] = {}
    for index, label in enumerate(context.labels):
        report = context.evaluation["labels"][label]["test"]
        svgs = {
            "roc": plots.roc_svg(report, title=f"ROC — {label}"),
            "pr": plots.pr_svg(report, title=f"Precision–recall — {label}"),
            "calibration": plots.reliability_svg(report, title=f"Calibration — {label}"),
        }
        fairness = context.fairness.get(label)
        if fairness:
            for attribute in fairness.get("attributes", []):
                svg = plots.forest_svg(
                    fairness, attribute, FAIRNESS_PLOT_METRIC, title=f"Missed share by {attribute}"
                )
                if svg:
                    svgs[f"fairness_{attribute}"] = svg
        for name, svg in svgs.items():
            (folder / f"{index:02d}_{label}_{name}.svg").write_text(svg)
        charts[label] = svgs
    return charts


def write_model_reports(context: ReportContext, folder: Path) -> Path:
    """Write every report file of one model into ``folder``; returns the HTML page's path."""
    folder.mkdir(parents=True, exist_ok=True)
    _dump(folder / EVALUATION_JSON, context.to_dict())
    _dump(folder / FAIRNESS_JSON, context.fairness)
    (folder / FAIRNESS_MD).write_text(
        "\n\n".join(f"## {label}\n\n{text}" for label, text in context.fairness_markdown.items())
        + "\n"
    )
    _dump(folder / EXPLANATIONS_JSON, context.explanations)
    charts = _plots(context, folder / PLOTS_DIR)
    page = render(
        "evaluation.html.j2",
        c=context,
        charts=charts,
        compared=COMPARED,
        baseline_rows=_baseline_rows(context),
    )
    (folder / EVALUATION_HTML).write_text(page)
    (folder / CARD_DRAFT).write_text(render("model_card_draft.md.j2", c=context))
    return folder / EVALUATION_HTML


def _baseline_rows(context: ReportContext) -> list[dict[str, Any]]:
    """Per label: the model's figures next to each baseline's."""
    rows = []
    for label in context.labels:
        row: dict[str, Any] = {"label": label, "scorers": {}}
        row["scorers"][context.model] = context.evaluation["labels"][label]["test"]
        for name, evaluation in context.baselines.items():
            row["scorers"][name] = evaluation["labels"][label]["test"]
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------- example pages
def _outcome(truth: int, flagged: bool) -> str:
    return {
        (1, True): "true positive",
        (1, False): "missed (false negative)",
        (0, True): "false alarm (false positive)",
        (0, False): "true negative",
    }[(truth, flagged)]


def _highlighted(text: str, tokens: Sequence[Any]) -> str:
    """The text as HTML with each attributed span shaded by its weight (red up, blue down)."""
    spans = sorted((t for t in tokens if t.weight != 0.0), key=lambda t: t.start)
    top = max((abs(t.weight) for t in spans), default=0.0) or 1.0
    pieces, last = [], 0
    for token in spans:
        if token.start < last:
            continue
        alpha = min(1.0, abs(token.weight) / top)
        colour = "220,50,47" if token.weight > 0 else "38,139,210"
        pieces.append(html.escape(text[last : token.start]))
        pieces.append(
            f'<span class="tok" style="background: rgba({colour},{alpha:.2f})" '
            f'title="{token.weight:+.4f}">{html.escape(text[token.start : token.end])}</span>'
        )
        last = token.end
    pieces.append(html.escape(text[last:]))
    return "".join(pieces)


def write_example_pages(
    model: Any,
    texts: Sequence[str],
    truth: np.ndarray,
    scores: np.ndarray,
    labels: Sequence[str],
    thresholds: Mapping[str, float],
    folder: Path,
    *,
    count: int,
) -> list[Path]:
    """Explanation pages for a few test examples of the first label: one of each outcome kind
    (true positive, missed, false alarm, true negative) in turn. Synthetic data only."""
    folder.mkdir(parents=True, exist_ok=True)
    label = labels[0]
    column = labels.index(label)
    flagged = scores[:, column] >= thresholds[label]
    order = np.argsort(-scores[:, column], kind="stable")
    kinds: dict[str, list[int]] = {}
    for index in order:
        kinds.setdefault(_outcome(int(truth[index, column]), bool(flagged[index])), []).append(
            int(index)
        )
    chosen: list[int] = []
    while len(chosen) < count and any(kinds.values()):
        for queue in kinds.values():
            if queue and len(chosen) < count:
                chosen.append(queue.pop(0))
    written = []
    explanations = model.explain([texts[i] for i in chosen], label=label)
    for number, (index, explanation) in enumerate(zip(chosen, explanations, strict=True), 1):
        top = sorted(explanation.tokens, key=lambda t: -abs(t.weight))[:10]
        page = render(
            "example.html.j2",
            number=number,
            label=label,
            outcome=_outcome(int(truth[index, column]), bool(flagged[index])),
            score=float(scores[index, column]),
            threshold=thresholds[label],
            explanation=explanation,
            body=_highlighted(texts[index], explanation.tokens),
            top=[(texts[index][t.start : t.end], t.weight) for t in top],
        )
        path = folder / f"example_{number:02d}.html"
        path.write_text(page)
        written.append(path)
    return written


# ----------------------------------------------------------------------------- comparison
def comparison(result: Any, labels: Sequence[str]) -> dict[str, Any]:
    """Macro figures and per-label AUROC of every model and baseline, side by side."""
    table: dict[str, Any] = {"labels": list(labels), "scorers": {}}
    scorers = {name: entry["evaluation"] for name, entry in result.baselines.items()}
    scorers.update({outcome.name: outcome.evaluation for outcome in result.models})
    for name, evaluation in scorers.items():
        table["scorers"][name] = {
            "macro": evaluation.get("summary", {}),
            "auroc": {label: evaluation["labels"][label]["test"]["auroc"] for label in labels},
        }
    table["split"] = result.split
    table["gate"] = result.gate
    table["fit_seconds"] = {o.name: o.fit_seconds for o in result.models}
    return table


def comparison_markdown(table: Mapping[str, Any]) -> str:
    from casenotes.reports import figure

    lines = [
        "# Training run: models and baselines on the same later, case-disjoint test set",
        "",
        "Macro averages over labels; thresholds chosen on validation data.",
        "",
        "| scorer | " + " | ".join(COMPARED) + " |",
        "| --- | " + " | ".join("---" for _ in COMPARED) + " |",
    ]
    for name, entry in table["scorers"].items():
        lines.append(
            f"| {name} | "
            + " | ".join(figure(entry["macro"].get(metric)) for metric in COMPARED)
            + " |"
        )
    lines += ["", "AUROC per label (95% bootstrap interval, resampling cases):", ""]
    lines.append("| label | " + " | ".join(table["scorers"]) + " |")
    lines.append("| --- | " + " | ".join("---" for _ in table["scorers"]) + " |")
    for label in table["labels"]:
        lines.append(
            f"| {label} | "
            + " | ".join(figure(entry["auroc"][label]) for entry in table["scorers"].values())
            + " |"
        )
    return "\n".join(lines) + "\n"
