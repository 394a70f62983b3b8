"""``casenotes review pack RUN_ID``: one self-contained page for an ethics panel.

Written for panel members who are not data scientists: every number sits beside a sentence that
says what it means, and charts are drawn where a picture reads faster than a table. The page holds
no scripts and loads nothing from outside (inline CSS and SVG), so it can be e-mailed or printed.
It is built from the same evidence as the model card (and carries the card's digest, so the panel
can see that the card they read is the one their decision will name).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from casenotes.reports import render
from casenotes.review.card import build_card, gather
from casenotes.review.config import CardSettings
from casenotes.review.records import card_digest

PACK_FILE = "review_pack.html"
MAX_CHART_LABELS = 4


def _out_of_ten(value: float | None) -> str:
    return "n/a" if value is None else f"{10 * value:.0f}"


def plain_figures(metrics: dict[str, Any], label: str) -> list[dict[str, str]]:
    """Each headline figure with a sentence a non-specialist can read."""
    name = label.replace("_", " ")

    def entry(key: str) -> dict[str, Any]:
        return metrics.get(key) or {}

    def span(key: str) -> str:
        item = entry(key)
        if item.get("low") is None or item.get("high") is None:
            return ""
        return f" (likely between {_out_of_ten(item['low'])} and {_out_of_ten(item['high'])})"

    recall, precision, missed = entry("recall"), entry("precision"), entry("missed_share")
    auroc, ece = entry("auroc"), entry("ece")
    rows = [
        {
            "figure": "recall",
            "key": "recall",
            "meaning": f"Of every 10 examples that really record {name}, the model flags about "
            f"{_out_of_ten(recall.get('value'))}{span('recall')}.",
        },
        {
            "figure": "missed share",
            "key": "missed_share",
            "meaning": f"It misses about {_out_of_ten(missed.get('value'))} in 10"
            f"{span('missed_share')}. These are the children whose recorded {name} the model "
            "would not surface.",
        },
        {
            "figure": "precision",
            "key": "precision",
            "meaning": f"Of every 10 examples it flags, about {_out_of_ten(precision.get('value'))}"
            f" really record {name}{span('precision')}; the rest are false alarms a person "
            "would have to read and set aside.",
        },
        {
            "figure": "AUROC",
            "key": "auroc",
            "meaning": "Given one example that records it and one that does not, the model ranks "
            f"the right one higher {100 * (auroc.get('value') or 0):.0f}% of the time "
            "(50% is guessing, 100% is perfect).",
        },
        {
            "figure": "calibration error",
            "key": "ece",
            "meaning": f"When the model says '30% likely', the truth is on average about "
            f"{100 * (ece.get('value') or 0):.0f} percentage points away from that.",
        },
    ]
    for row in rows:
        row["value"] = entry(row["key"])
    return rows


def build_pack(
    run_id: str,
    store,
    settings: CardSettings,
    *,
    today: dt.date | None = None,
) -> str:
    """The review pack as one HTML string."""
    from casenotes.modeling import plots

    with tempfile.TemporaryDirectory() as work:
        evidence = gather(run_id, store, Path(work))
    card = build_card(evidence, settings, today=today)
    report = evidence.report
    labels = list(report["labels"])
    focus = [label for label in labels if label in report["fairness"]] or labels
    chart_labels = focus[:MAX_CHART_LABELS]
    charts = {}
    for label in chart_labels:
        test = report["evaluation"]["labels"][label]["test"]
        baselines = {
            name: evaluation["labels"][label]["test"]
            for name, evaluation in report["baselines"].items()
        }
        charts[label] = {
            "roc": plots.roc_svg(test, title=f"How well it ranks — {label}", baselines=baselines),
            "calibration": plots.reliability_svg(test, title=f"Are its scores honest — {label}"),
        }
        fairness = report["fairness"].get(label)
        if fairness:
            for key in fairness["attributes"]:
                svg = plots.forest_svg(fairness, key, "fnr", title=f"Missed share by {key}")
                if svg:
                    charts[label][f"fairness:{key}"] = svg
    figures = {
        label: plain_figures(card["evaluation"]["labels"][label]["metrics"], label)
        for label in labels
    }
    return render(
        "review_pack.html.j2",
        card=card,
        report=report,
        figures=figures,
        charts=charts,
        chart_labels=chart_labels,
        digest=card_digest(card),
        generated=(today or dt.date.today()).isoformat(),
    )


def write_pack(run_id: str, store, settings: CardSettings, out: Path, *, log: bool = True) -> Path:
    page = build_pack(run_id, store, settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page)
    if log:
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / PACK_FILE
            target.write_text(page)
            store.log_artifacts(run_id, Path(folder), "review")
    return out
