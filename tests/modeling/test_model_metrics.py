"""Known-answer tests for the binary evaluation metrics and their bootstrap intervals."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from casenotes.modeling.metrics import (
    BAD_SCORES,
    HEADLINE_METRICS,
    MAX_CURVE_POINTS,
    NEEDS_THRESHOLD,
    NOT_BINARY,
    ONE_TARGET,
    binary_report,
    choose_threshold,
    headline_metrics,
    paired_difference,
    wilson_interval,
)


def _width(entry: dict) -> float:
    return entry["high"] - entry["low"]


def _simulated(n: int, seed: int, prevalence: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Labels and informative, roughly calibrated-looking scores."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < prevalence).astype(int)
    s = np.clip(rng.beta(2, 6, n) + 0.35 * y, 0, 1)
    return y, s


# --- Wilson interval -------------------------------------------------------------------------


def test_wilson_interval_known_value():
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.490, abs=5e-4)
    assert high == pytest.approx(0.943, abs=5e-4)


def test_wilson_interval_edges_and_width():
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    wide = wilson_interval(5, 10, ci=0.99)
    narrow = wilson_interval(5, 10, ci=0.80)
    assert wide[0] < narrow[0] < 0.5 < narrow[1] < wide[1]
    assert _width(dict(zip(("low", "high"), wilson_interval(50, 100), strict=True))) < (
        wide[1] - wide[0]
    )


@pytest.mark.parametrize(("k", "n"), [(1, 0), (-1, 10), (11, 10)])
def test_wilson_interval_rejects_impossible_counts(k, n):
    with pytest.raises(ValueError, match="wilson_interval needs"):
        wilson_interval(k, n)


# --- Known answers on hand-made data -----------------------------------------------------------


def test_perfect_scorer():
    y = np.array([0, 0, 0, 1, 1, 1] * 5)
    s = y.astype(float)
    report = binary_report(y, s, 0.5, n_boot=50, min_cell=1)
    for name, expected in {"auroc": 1, "pr_auc": 1, "brier": 0, "ece": 0, "precision": 1}.items():
        assert report[name]["value"] == pytest.approx(expected)
    assert report["fnr"]["value"] == 0
    assert report["specificity"]["value"] == 1


def test_ece_is_zero_when_each_bin_is_calibrated():
    # Four notes at 0.25 with one positive, four at 0.75 with three: calibrated bins.
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    s = np.array([0.25] * 4 + [0.75] * 4)
    report = binary_report(y, s, 0.5, n_boot=0, min_cell=1)
    assert report["ece"]["value"] == pytest.approx(0.0)
    assert report["brier"]["value"] == pytest.approx(0.1875)
    bins = {b["bin_low"]: b for b in report["reliability"]["bins"]}
    assert bins[0.2]["observed_rate"] == pytest.approx(0.25)
    assert bins[0.7]["mean_predicted"] == pytest.approx(0.75)
    assert bins[0.7]["observed_low"] < 0.75 < bins[0.7]["observed_high"]


def test_ece_of_a_miscalibrated_bin():
    # All scores 0.9 but only half positive: one bin, |0.9 - 0.5| = 0.4.
    report = binary_report([1, 0] * 10, [0.9] * 20, 0.5, n_boot=0)
    assert report["ece"]["value"] == pytest.approx(0.4)


def test_constant_scorer():
    y, _ = _simulated(400, seed=3)
    report = binary_report(y, np.full(y.size, 0.2), 0.5, n_boot=100)
    assert report["auroc"]["value"] == pytest.approx(0.5)
    assert report["pr_auc"]["value"] == pytest.approx(y.mean())
    assert report["flag_rate"]["value"] == 0
    assert report["precision"]["value"] is None
    assert report["precision"]["reason"] == "no notes flagged at this threshold"
    assert report["fnr"]["value"] == 1


def test_confusion_figures_at_the_threshold():
    # 4 positives (3 flagged), 6 negatives (1 flagged); flagged means score >= threshold.
    y = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    s = [0.9, 0.7, 0.5, 0.2, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0]
    report = binary_report(y, s, 0.5, n_boot=0, min_cell=1)
    assert report["flagged"] == 4
    assert report["precision"]["value"] == pytest.approx(3 / 4)
    assert report["recall"]["value"] == pytest.approx(3 / 4)
    assert report["fnr"]["value"] == pytest.approx(1 / 4)
    assert report["specificity"]["value"] == pytest.approx(5 / 6)
    assert report["f1"]["value"] == pytest.approx(3 / 4)
    assert report["prevalence"]["value"] == pytest.approx(0.4)
    assert report["flag_rate"]["value"] == pytest.approx(0.4)


def test_agrees_with_scikit_learn_with_ties():
    y, s = _simulated(3000, seed=11)
    s = np.round(s, 2)  # many ties
    report = binary_report(y, s, 0.4, n_boot=0)
    assert report["auroc"]["value"] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert report["pr_auc"]["value"] == pytest.approx(average_precision_score(y, s), abs=1e-12)
    assert report["brier"]["value"] == pytest.approx(brier_score_loss(y, s), abs=1e-12)


def test_undefined_figures_are_none_with_a_reason():
    report = binary_report([0] * 20, np.linspace(0, 1, 20), 0.5, n_boot=20)
    assert report["auroc"] == {
        "value": None,
        "low": None,
        "high": None,
        "n_valid": 0,
        "reason": "needs both positive and negative notes",
    }
    assert report["recall"]["value"] is None
    assert report["curves"]["roc"] is None
    assert report["specificity"]["value"] is not None


def test_report_is_strict_json_and_has_every_headline_figure():
    y, s = _simulated(500, seed=2)
    report = binary_report(y, s, 0.5, n_boot=50)
    json.dumps(report, allow_nan=False)
    for name in HEADLINE_METRICS:
        assert set(report[name]) >= {"value", "low", "high", "n_valid"}
    assert report["bootstrap"]["unit"] == "note"
    flat = headline_metrics(report, prefix="test.")
    assert flat["test.auroc"] == report["auroc"]["value"]
    assert flat["test.auroc_low"] == report["auroc"]["low"]


def test_curves_are_down_sampled():
    y, s = _simulated(5000, seed=4)
    curves = binary_report(y, s, 0.5, n_boot=0)["curves"]
    assert 2 < len(curves["roc"]["fpr"]) <= MAX_CURVE_POINTS
    assert len(curves["pr"]["recall"]) == len(curves["pr"]["precision"]) <= MAX_CURVE_POINTS
    assert curves["roc"]["fpr"][0] == 0 and curves["roc"]["tpr"][-1] == 1


def test_small_reliability_bins_and_counts_are_withheld():
    y = [1, 0] * 10 + [1]
    s = [0.95] * 5 + [0.05] * 16
    report = binary_report(y, s, 0.5, n_boot=0)
    assert report["flagged"] is None  # 5 notes flagged: below 10
    assert report["n"] == 21
    top = next(b for b in report["reliability"]["bins"] if b["bin_low"] == 0.9)
    assert top == {"bin_low": 0.9, "bin_high": 1.0, "suppressed": True, "count": None}


# --- Bootstrap --------------------------------------------------------------------------------


def test_intervals_contain_the_estimate_and_shrink_with_n():
    small = binary_report(*_simulated(300, seed=5), 0.5, n_boot=300, seed=1)
    large = binary_report(*_simulated(6000, seed=5), 0.5, n_boot=300, seed=1)
    for name in ("auroc", "pr_auc", "precision", "recall", "brier", "ece", "prevalence"):
        for report in (small, large):
            entry = report[name]
            assert entry["low"] <= entry["value"] <= entry["high"], name
        assert _width(large[name]) < _width(small[name]) / 2, name


def test_bootstrap_is_reproducible_for_a_seed():
    y, s = _simulated(500, seed=6)
    first = binary_report(y, s, 0.5, n_boot=100, seed=7)
    again = binary_report(y, s, 0.5, n_boot=100, seed=7)
    other = binary_report(y, s, 0.5, n_boot=100, seed=8)
    assert first["auroc"] == again["auroc"]
    assert first["auroc"]["low"] != other["auroc"]["low"]


def test_cluster_bootstrap_is_wider_when_notes_of_a_case_agree():
    # 100 cases of 20 notes; every note of a case has the case's label and score.
    rng = np.random.default_rng(9)
    case_y = (rng.random(100) < 0.3).astype(int)
    case_s = np.clip(0.3 + 0.3 * case_y + rng.normal(0, 0.2, 100), 0, 1)
    cases = np.repeat(np.arange(100), 20)
    y, s = case_y[cases], case_s[cases]
    by_note = binary_report(y, s, 0.5, n_boot=400, seed=0)
    by_case = binary_report(y, s, 0.5, n_boot=400, seed=0, clusters=cases)
    assert by_case["bootstrap"] | {"n_units": 100, "unit": "cluster"} == by_case["bootstrap"]
    for name in ("auroc", "prevalence", "recall", "brier"):
        assert _width(by_case[name]) > 2.5 * _width(by_note[name]), name


def test_resamples_without_both_classes_are_skipped_and_counted():
    y = [1] + [0] * 9
    s = [0.9] + [0.1 * i for i in range(9)]
    report = binary_report(y, s, 0.5, n_boot=200, seed=0, min_cell=1)
    # P(no positive drawn in 10 draws) = 0.9 ** 10, about 35%.
    assert 90 < report["auroc"]["n_valid"] < 170
    assert report["prevalence"]["n_valid"] == 200


# --- Threshold choice -------------------------------------------------------------------------

_Y = [1, 1, 1, 1, 0, 0, 0, 0]
_S = [0.9, 0.8, 0.7, 0.3, 0.6, 0.2, 0.1, 0.05]


def test_threshold_for_a_recall_target_is_the_highest_that_meets_it():
    choice = choose_threshold(_Y, _S, target_recall=0.75)
    assert (choice.threshold, choice.met, choice.recall, choice.precision) == (0.7, True, 0.75, 1.0)
    full = choose_threshold(_Y, _S, target_recall=1.0)
    assert (full.threshold, full.precision) == (0.3, 0.8)
    assert "highest threshold with recall >= 1" in full.rule


def test_threshold_for_a_precision_target_is_the_lowest_that_meets_it():
    # Precision is 1.0 down to 0.7, drops to 0.75 at 0.6, and is back to 0.8 at 0.3.
    choice = choose_threshold(_Y, _S, target_precision=0.8)
    assert (choice.threshold, choice.met, choice.recall) == (0.3, True, 1.0)
    assert choose_threshold(_Y, _S, target_precision=1.0).threshold == 0.7


def test_unreachable_precision_falls_back_to_best_f1():
    choice = choose_threshold([0, 1, 0, 1], [0.9, 0.8, 0.7, 0.6], target_precision=0.9)
    assert choice.met is False
    assert choice.threshold == 0.6  # F1 2/3 against 1/2 at 0.8
    assert "fell back to the threshold with the best F1" in choice.rule
    assert json.dumps(choice.to_dict())


@pytest.mark.parametrize("targets", [{}, {"target_recall": 0.5, "target_precision": 0.5}])
def test_threshold_needs_exactly_one_target(targets):
    with pytest.raises(ValueError, match=ONE_TARGET):
        choose_threshold(_Y, _S, **targets)


def test_bad_inputs_are_explained():
    with pytest.raises(ValueError, match=re.escape(NOT_BINARY.format(values="0, 2"))):
        binary_report([0, 2], [0.1, 0.2], 0.5)
    with pytest.raises(ValueError, match=re.escape(BAD_SCORES.format(bad=1))):
        binary_report([0, 1], [0.1, 1.2], 0.5)


# --- Paired difference ------------------------------------------------------------------------


def test_paired_difference_against_a_constant_baseline():
    y, s = _simulated(2000, seed=13)
    result = paired_difference(y, s, np.full(y.size, y.mean()), "auroc", n_boot=300)
    assert result["b"] == pytest.approx(0.5)
    assert result["difference"]["value"] == pytest.approx(result["a"] - 0.5)
    assert result["excludes_zero"] is True
    assert result["difference"]["low"] > 0


def test_paired_difference_of_a_scorer_with_itself_is_zero():
    y, s = _simulated(500, seed=14)
    result = paired_difference(y, s, s, "brier", n_boot=100)
    assert result["difference"] | {"value": 0.0, "low": 0.0, "high": 0.0} == result["difference"]
    assert result["excludes_zero"] is False


def test_paired_difference_is_narrower_than_separate_intervals():
    y, s = _simulated(1500, seed=15)
    noisy = np.clip(s + np.random.default_rng(0).normal(0, 0.05, s.size), 0, 1)
    paired = paired_difference(y, s, noisy, "auroc", n_boot=300)
    alone = binary_report(y, s, 0.5, n_boot=300)
    assert _width(paired["difference"]) < _width(alone["auroc"])


def test_paired_difference_at_a_threshold_needs_both_thresholds():
    with pytest.raises(ValueError, match=NEEDS_THRESHOLD.format(metric="recall")):
        paired_difference(_Y, _S, _S, "recall")
    result = paired_difference(_Y, _S, _S, "recall", threshold_a=0.5, threshold_b=0.25)
    assert result["difference"]["value"] == pytest.approx(0.75 - 1.0)
