"""Tests of the fairness report: group figures, suppression, flagging, gap detection, outputs."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import false_negative_rate, false_positive_rate

from casenotes.modeling.fairness import (
    IMPOSSIBILITY_NOTE,
    NOT_RECORDED,
    SUPPRESSED_REFERENCE,
    UNKNOWN_COLUMNS,
    UNKNOWN_REFERENCE,
    fairness_report,
)
from casenotes.modeling.metrics import wilson_interval

MLFLOW_KEY = re.compile(r"^[A-Za-z0-9_\-./ ]+$")
COUNT_KEYS = {"n", "positives", "negatives", "flagged"}


def simulate(
    sizes: dict[str, int],
    fnr: dict[str, float],
    *,
    seed: int,
    prevalence: float = 0.3,
    fpr: float = 0.1,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Labels, scores and a ``group`` column where each group has its own missed share (FNR).

    A positive note is missed with probability ``fnr[group]``; a negative one is flagged with
    probability ``fpr``. Flagged notes score above 0.5, the others below.
    """
    rng = np.random.default_rng(seed)
    groups = np.concatenate([[g] * n for g, n in sizes.items()])
    y = (rng.random(groups.size) < prevalence).astype(int)
    miss = rng.random(groups.size) < np.array([fnr[g] for g in groups])
    false_alarm = rng.random(groups.size) < fpr
    flagged = np.where(y == 1, ~miss, false_alarm)
    s = np.where(flagged, 0.5 + 0.5 * rng.random(groups.size), 0.5 * rng.random(groups.size))
    sex = rng.choice(["Female", "Male"], groups.size)
    return y, s, pd.DataFrame({"group": groups, "sex": sex})


def _rows(report, key: str) -> dict[str, dict]:
    return {row["group"]: row for row in report.to_dict()["by_group"][key]}


def _gap(report, key: str, group: str, metric: str) -> dict:
    return next(g for g in report.gaps[key] if g["group"] == group and g["metric"] == metric)


# --- Figures per group ------------------------------------------------------------------------


def test_group_figures_match_fairlearn_and_carry_wilson_intervals():
    y, s, sensitive = simulate({"A": 600, "B": 400}, {"A": 0.2, "B": 0.3}, seed=1)
    report = fairness_report(y, s, 0.5, sensitive[["group"]], n_boot=50)
    rows = _rows(report, "group")
    for group in ("A", "B"):
        mask = (sensitive["group"] == group).to_numpy()
        predicted = (s[mask] >= 0.5).astype(int)
        row = rows[group]
        assert row["fnr"]["value"] == pytest.approx(false_negative_rate(y[mask], predicted))
        assert row["fpr"]["value"] == pytest.approx(false_positive_rate(y[mask], predicted))
        missed = int(((y[mask] == 1) & (predicted == 0)).sum())
        low, high = wilson_interval(missed, int(y[mask].sum()))
        assert (row["fnr"]["low"], row["fnr"]["high"]) == pytest.approx((low, high))
        assert row["n"] == mask.sum()
        assert row["auroc"]["low"] <= row["auroc"]["value"] <= row["auroc"]["high"]
        assert row["brier"]["interval"] == "bootstrap"
    assert rows["A"]["reference"] is True and rows["B"]["reference"] is False
    assert report.attributes["group"]["reference"] == "A"


def test_missing_values_form_a_not_recorded_group():
    y, s, sensitive = simulate({"A": 300, "B": 200}, {"A": 0.2, "B": 0.2}, seed=2)
    sensitive.loc[:49, "group"] = None
    report = fairness_report(y, s, 0.5, sensitive[["group"]], n_boot=0)
    assert _rows(report, "group")[NOT_RECORDED]["n"] == 50


def test_default_intersection_is_sex_by_ethnicity_when_both_columns_exist():
    y, s, sensitive = simulate({"A": 300, "B": 300}, {"A": 0.2, "B": 0.2}, seed=3)
    sensitive = sensitive.rename(columns={"group": "ethnicity"})
    report = fairness_report(y, s, 0.5, sensitive, n_boot=0)
    assert list(report.by_group) == ["ethnicity", "sex", "sex_x_ethnicity"]
    assert report.attributes["sex_x_ethnicity"]["label"] == "sex × ethnicity"
    assert "Female / A" in _rows(report, "sex_x_ethnicity")
    # Without an ethnicity column the default intersection is skipped, not an error...
    assert list(fairness_report(y, s, 0.5, sensitive[["sex"]], n_boot=0).by_group) == ["sex"]
    # ...but an intersection asked for by name must exist.
    with pytest.raises(ValueError, match=re.escape(UNKNOWN_COLUMNS.split("{")[0])):
        fairness_report(y, s, 0.5, sensitive[["sex"]], intersections=[("sex", "age_band")])


# --- Suppression and flagging -----------------------------------------------------------------


def _with_small_group(z_scores: np.ndarray, z_labels: np.ndarray, seed: int = 4):
    y, s, sensitive = simulate({"A": 500, "B": 300, "C": 120}, dict.fromkeys("ABC", 0.2), seed=seed)
    sensitive = pd.concat(
        [sensitive, pd.DataFrame({"group": ["Z"] * 9, "sex": ["Female"] * 5 + ["Male"] * 4})],
        ignore_index=True,
    )
    return np.r_[y, z_labels], np.r_[s, z_scores], sensitive


def _walk_counts(value, path=""):
    """Every (path, count) in a nested dict where the key names a count."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in COUNT_KEYS and isinstance(inner, int | float):
                yield f"{path}.{key}", inner
            yield from _walk_counts(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _walk_counts(inner, f"{path}[{i}]")


def test_a_group_of_nine_never_appears_with_figures():
    y, s, sensitive = _with_small_group(np.full(9, 0.99), np.zeros(9, dtype=int))
    intersections = [("sex", "group")]
    report = fairness_report(y, s, 0.5, sensitive, intersections=intersections, n_boot=100)
    data = report.to_dict()
    assert _rows(report, "group")["Z"] == {
        "group": "Z",
        "suppressed": True,
        "note": "suppressed: fewer than 10 notes",
    }
    for label in ("Female / Z", "Male / Z"):
        assert _rows(report, "sex_x_group")[label]["suppressed"] is True
    assert all(
        gap["group"] != "Z" and "Z" not in gap["group"].split(" / ")
        for gaps in data["gaps"].values()
        for gap in gaps
    )
    # No count below 10 anywhere in the output.
    assert [(p, c) for p, c in _walk_counts(data) if 0 < c < 10] == []
    # In Markdown the group's row holds the note and nothing else.
    z_lines = [line for line in report.to_markdown().splitlines() if line.startswith("| Z ")]
    assert z_lines == ["| Z | suppressed: fewer than 10 notes |" + "  |" * 9]
    assert "Z had fewer than 10 notes" in report.readings["group"]
    # The suppressed group's notes cannot move the headline gaps or the other groups' figures.
    y_other, s_other, _ = _with_small_group(np.full(9, 0.01), np.ones(9, dtype=int))
    other = fairness_report(
        y_other, s_other, 0.5, sensitive, intersections=intersections, n_boot=100
    )

    # (Z's notes do count towards the sex groups, which are large enough to show.)
    def without_sex(gaps: dict[str, float]) -> dict[str, float]:
        return {key: value for key, value in gaps.items() if not key.endswith(".sex")}

    assert without_sex(other.headline_gaps()) == without_sex(report.headline_gaps())
    assert other.by_group["group"] == report.by_group["group"]
    assert report.headline_gaps()["groups_suppressed.group"] == 1


def test_counts_of_the_smallest_shown_group_are_hidden_when_subtraction_would_reveal_a_small_one():
    y, s, sensitive = _with_small_group(np.full(9, 0.3), np.zeros(9, dtype=int))
    rows = _rows(fairness_report(y, s, 0.5, sensitive[["group"]], n_boot=0), "group")
    assert rows["C"]["n"] is None and rows["C"]["positives"] is None
    assert rows["C"]["fnr"]["value"] is not None  # rates are still shown
    assert rows["B"]["n"] == 300


def test_small_class_counts_are_withheld_with_their_complement_and_rates_flagged():
    rng = np.random.default_rng(5)
    y = np.r_[
        (rng.random(600) < 0.3).astype(int),
        [1] * 5 + [0] * 45,
        [1] * 25 + [0] * 75,
        [1] * 30 + [0] * 70,
    ]
    s = rng.random(y.size)
    groups = ["A"] * 600 + ["few"] * 50 + ["some"] * 100 + ["enough"] * 100
    report = fairness_report(y, s, 0.5, pd.DataFrame({"group": groups}), n_boot=100)
    rows = _rows(report, "group")
    # 5 positives: the count and its complement are withheld, FNR and AUROC too.
    assert (rows["few"]["positives"], rows["few"]["negatives"], rows["few"]["n"]) == (
        None,
        None,
        50,
    )
    assert rows["few"]["fnr"]["value"] is None and "withheld" in rows["few"]["fnr"]
    assert rows["few"]["auroc"]["value"] is None
    # 25 positives: shown, but flagged as unreliable, and so is every gap using it.
    assert rows["some"]["positives"] == 25
    assert rows["some"]["fnr"]["unreliable"] is True
    assert rows["some"]["fpr"]["unreliable"] is False  # 75 negatives
    assert _gap(report, "group", "some", "fnr")["unreliable"] is True
    # 30 positives is enough.
    assert rows["enough"]["fnr"]["unreliable"] is False
    assert _gap(report, "group", "enough", "fnr")["unreliable"] is False
    # The headline FNR gap comes from the reliable comparison only.
    reliable = abs(_gap(report, "group", "enough", "fnr")["difference"]["value"])
    assert report.headline_gaps()["fnr_gap_max.group"] == pytest.approx(reliable)
    assert "†" in report.to_markdown()


# --- Gap detection ----------------------------------------------------------------------------


def test_a_real_difference_in_missed_share_is_detected():
    y, s, sensitive = simulate({"A": 1000, "B": 1000}, {"A": 0.2, "B": 0.5}, seed=6)
    report = fairness_report(y, s, 0.5, sensitive[["group"]], n_boot=400, seed=1)
    gap = _gap(report, "group", "B", "fnr")
    assert gap["excludes_zero"] is True
    assert 0.15 < gap["difference"]["low"] < gap["difference"]["value"] < gap["difference"]["high"]
    assert gap["ratio"]["low"] > 1
    assert 0.2 < report.headline_gaps()["fnr_gap_max.group"] < 0.4
    assert "is unlikely to be chance alone" in report.readings["group"]
    assert report.readings["group"].startswith("Among notes where group is recorded as B")


def test_no_real_difference_is_rarely_detected():
    # Same missed share in both groups: the 95% interval should include zero for nearly every
    # seed (expected about 1 in 20 exclusions; five fixed seeds, at most one may exclude).
    detected = []
    for seed in range(5):
        y, s, sensitive = simulate({"A": 1000, "B": 1000}, {"A": 0.3, "B": 0.3}, seed=100 + seed)
        report = fairness_report(y, s, 0.5, sensitive[["group"]], n_boot=400, seed=seed)
        detected.append(_gap(report, "group", "B", "fnr")["excludes_zero"])
    assert sum(detected) <= 1
    assert "could be chance" in report.readings["group"]


def _calibrated(sizes: dict[str, int], over_label: dict[str, float], seed: int):
    """Calibrated scores (each label drawn from its score), then each group's negatives relabelled
    positive with probability ``over_label[group]``, as outcomes recorded without cause are."""
    rng = np.random.default_rng(seed)
    groups = np.concatenate([[g] * n for g, n in sizes.items()])
    s = rng.beta(2, 5, groups.size)
    y = (rng.random(groups.size) < s).astype(int)
    relabel = rng.random(groups.size) < np.array([over_label[g] for g in groups])
    y = np.where((y == 0) & relabel, 1, y)
    return y, s, pd.DataFrame({"group": groups})


def test_observed_minus_predicted_is_the_outcome_share_less_the_mean_score():
    y, s, sensitive = _calibrated({"A": 700, "B": 300}, {"A": 0.0, "B": 0.2}, seed=3)
    report = fairness_report(y, s, 0.4, sensitive, n_boot=100)
    rows = _rows(report, "group")
    for group in ("A", "B"):
        mask = (sensitive["group"] == group).to_numpy()
        entry = rows[group]["observed_minus_predicted"]
        assert entry["value"] == pytest.approx(y[mask].mean() - s[mask].mean())
        assert entry["interval"] == "bootstrap"
        assert entry["low"] <= entry["value"] <= entry["high"]
    overall = report.to_dict()["overall"]["observed_minus_predicted"]
    assert overall["value"] == pytest.approx(y.mean() - s.mean())
    assert "observed − predicted" in report.to_markdown()


def test_over_labelling_shows_as_observed_minus_predicted_not_as_missed_share():
    # Group B's negatives are recorded positive 15% of the time, whatever their scores say: the
    # outcome runs ahead of the scores in B, which a label-bias check must detect.
    y, s, sensitive = _calibrated({"A": 2000, "B": 600}, {"A": 0.0, "B": 0.15}, seed=5)
    report = fairness_report(y, s, 0.3, sensitive, n_boot=400, seed=2)
    gap = _gap(report, "group", "B", "observed_minus_predicted")
    assert gap["excludes_zero"] is True
    assert 0.05 < gap["difference"]["low"] < gap["difference"]["value"] < 0.2
    assert gap["ratio"] is None
    reading = report.readings["group"]
    assert "recorded more often than the model's scores predict" in reading
    assert "label bias" in reading
    assert report.headline_gaps()["observed_minus_predicted_gap_max.group"] > 0.05
    assert "+" in next(
        line
        for line in report.to_markdown().splitlines()
        if "observed − predicted" in line and line.startswith("| B")
    )


def test_no_label_bias_is_rarely_detected():
    # Calibrated in both groups: at most one of five fixed seeds may exclude zero (1 in 20).
    detected = []
    for seed in range(5):
        y, s, sensitive = _calibrated({"A": 1500, "B": 600}, {"A": 0.0, "B": 0.0}, seed=40 + seed)
        report = fairness_report(y, s, 0.3, sensitive, n_boot=400, seed=seed)
        detected.append(_gap(report, "group", "B", "observed_minus_predicted")["excludes_zero"])
    assert sum(detected) <= 1
    assert "label bias" not in report.readings["group"]


def test_clusters_widen_the_gap_intervals():
    y, s, sensitive = simulate({"A": 1000, "B": 1000}, {"A": 0.3, "B": 0.3}, seed=7)
    # Make notes come in identical blocks of 10 (one case each).
    y, s, sensitive = (
        y[::10].repeat(10),
        s[::10].repeat(10),
        sensitive.iloc[::10].loc[lambda d: d.index.repeat(10)].reset_index(drop=True),
    )
    cases = np.arange(y.size) // 10
    plain = fairness_report(y, s, 0.5, sensitive[["group"]], n_boot=300)
    clustered = fairness_report(y, s, 0.5, sensitive[["group"]], n_boot=300, clusters=cases)
    width = {
        name: _gap(r, "group", "B", "fnr")["difference"]["high"]
        - _gap(r, "group", "B", "fnr")["difference"]["low"]
        for name, r in (("plain", plain), ("clustered", clustered))
    }
    assert width["clustered"] > 2 * width["plain"]
    assert clustered.settings["bootstrap_unit"] == "cluster"


# --- Reference group --------------------------------------------------------------------------


def test_reference_can_be_chosen_and_is_checked():
    y, s, sensitive = _with_small_group(np.full(9, 0.5), np.zeros(9, dtype=int))
    chosen = fairness_report(y, s, 0.5, sensitive[["group"]], reference={"group": "B"}, n_boot=0)
    assert chosen.attributes["group"]["reference"] == "B"
    assert {g["reference"] for g in chosen.gaps["group"]} == {"B"}
    assert "B, the reference group" in chosen.readings["group"]
    with pytest.raises(ValueError, match=re.escape(UNKNOWN_REFERENCE.split("{")[0])):
        fairness_report(y, s, 0.5, sensitive[["group"]], reference={"group": "Q"})
    message = SUPPRESSED_REFERENCE.format(group="Z", attribute="group", min_group=10)
    with pytest.raises(ValueError, match=re.escape(message)):
        fairness_report(y, s, 0.5, sensitive[["group"]], reference={"group": "Z"})


# --- Outputs ----------------------------------------------------------------------------------


def test_outputs_are_json_markdown_and_mlflow_safe():
    y, s, sensitive = simulate({"A": 400, "B": 300}, {"A": 0.2, "B": 0.3}, seed=8)
    sensitive = sensitive.rename(columns={"group": "age band (years)"})
    report = fairness_report(
        y, s, 0.5, sensitive, intersections=[("sex", "age band (years)")], n_boot=50
    )
    data = report.to_dict()
    json.dumps(data, allow_nan=False)
    assert data["notes"]["impossibility"] == IMPOSSIBILITY_NOTE
    assert "Chouldechova 2017" in report.to_markdown()
    headline = report.headline_gaps()
    assert headline and all(MLFLOW_KEY.match(key) for key in headline)
    assert "fnr_gap_max.age band _years_" in headline
    assert all(isinstance(value, float) for value in headline.values())
    markdown = report.to_markdown()
    assert "## age band (years)" in markdown and "## sex × age band (years)" in markdown
    nested = report.to_markdown(heading_level=2)
    assert nested.startswith("## Fairness report") and "\n### age band (years)\n" in nested


def test_bad_sensitive_table_is_explained():
    with pytest.raises(ValueError, match="sensitive must be a pandas DataFrame"):
        fairness_report([0, 1], [0.1, 0.9], 0.5, {"sex": ["F", "M"]})
    with pytest.raises(ValueError, match="sensitive has 1 rows but y_true has 2"):
        fairness_report([0, 1], [0.1, 0.9], 0.5, pd.DataFrame({"sex": ["F"]}))
