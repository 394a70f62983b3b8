"""The report figures: valid SVG with readable titles and axis labels, PNG on request."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from casenotes.modeling.fairness import fairness_report
from casenotes.modeling.metrics import binary_report
from casenotes.modeling.plots import (
    NO_CURVE,
    NO_GROUPS,
    forest_png,
    forest_svg,
    pr_png,
    pr_svg,
    reliability_png,
    reliability_svg,
    roc_png,
    roc_svg,
)

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def scored() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = (rng.random(1500) < 0.25).astype(int)
    return y, np.clip(rng.beta(2, 5, y.size) + 0.3 * y, 0, 1)


@pytest.fixture(scope="module")
def report(scored) -> dict:
    return binary_report(*scored, 0.5, n_boot=50)


@pytest.fixture(scope="module")
def fairness(scored):
    y, s = scored
    groups = np.array(["Large"] * 1000 + ["Middle"] * 400 + ["Small"] * 91 + ["Tiny"] * 9)
    return fairness_report(y, s, 0.5, pd.DataFrame({"ethnicity": groups}), n_boot=50)


def _texts(svg: str) -> str:
    """All text content of an SVG (parsing it proves it is well-formed XML)."""
    root = ET.fromstring(svg)
    return " ".join("".join(element.itertext()) for element in root.iter(f"{SVG}text"))


def test_roc_plot_is_svg_with_titles_and_a_baseline(report, scored):
    y, _ = scored
    baseline = binary_report(y, np.full(y.size, y.mean()), 0.5, n_boot=20)
    svg = roc_svg(report, baselines={"prevalence only": baseline})
    texts = _texts(svg)
    for expected in ("ROC curve", "False-positive rate", "True-positive rate", "prevalence only"):
        assert expected in texts
    assert "AUROC" in texts and "95% CI" in texts
    assert "<dc:title>ROC curve</dc:title>" in svg


def test_pr_plot_and_reliability_plot_have_their_labels(report):
    texts = _texts(pr_svg(report))
    assert "Precision–recall curve" in texts and "Recall" in texts and "no skill" in texts
    texts = _texts(reliability_svg(report))
    for expected in ("Reliability diagram", "Mean predicted probability", "perfect calibration"):
        assert expected in texts
    assert "Notes in bin" in texts


@pytest.mark.parametrize("render", [roc_png, pr_png, reliability_png])
def test_png_forms(report, render):
    png = render(report)
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG\r\n\x1a\n")


def test_nothing_to_draw_gives_a_figure_that_says_why():
    one_class = binary_report([0] * 20, np.linspace(0, 1, 20), 0.5, n_boot=0)
    texts = _texts(roc_svg(one_class, title="ROC curve"))
    assert NO_CURVE.format(kind="ROC", needs="positive and negative notes") in texts
    assert "ROC curve" in texts


def test_forest_plot_omits_suppressed_and_draws_unreliable_hollow(fairness):
    rows = {row["group"]: row for row in fairness.by_group["ethnicity"]}
    assert rows["Tiny"]["suppressed"] and rows["Small"]["fnr"]["unreliable"]
    svg = forest_svg(fairness, "ethnicity", "fnr")
    texts = _texts(svg)
    assert "Missed share" in texts and "ethnicity" in texts
    assert "Large" in texts and "Small" in texts
    assert "Tiny" not in texts
    assert "1 group(s) suppressed" in texts
    root = ET.fromstring(svg)
    ids = [element.get("id", "") for element in root.iter(f"{SVG}g")]
    hollow = [i for i in ids if i.startswith("forest-point-") and i.endswith("-hollow")]
    filled = [i for i in ids if i.startswith("forest-point-") and i.endswith("-filled")]
    assert (len(hollow), len(filled)) == (1, 2)
    # The dict form works too.
    assert _texts(forest_svg(fairness.to_dict(), "ethnicity", "auroc")).count("AUROC") >= 1
    assert forest_png(fairness, "ethnicity").startswith(b"\x89PNG")


def test_forest_plot_with_every_group_suppressed_says_so(scored):
    y, s = scored
    sensitive = pd.DataFrame({"region": ["North"] * 1495 + [f"r{i}" for i in range(5)]})
    sensitive.loc[:1494, "region"] = [f"area {i % 200}" for i in range(1495)]  # groups of 7-8
    report = fairness_report(y, s, 0.5, sensitive, n_boot=0)
    texts = _texts(forest_svg(report, "region"))
    assert NO_GROUPS.format(attribute="region", figure="missed share") in texts
    assert "area 1" not in texts


def test_importing_plots_does_not_import_matplotlib():
    code = "import sys, casenotes.modeling.plots; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
