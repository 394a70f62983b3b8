"""End to end: `train` on raw synthetic notes with a real MLflow SQLite store, then check the
lineage, the artifacts, the logged pyfunc model, and that no identifier reached the store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.slow


def test_one_parent_run_with_a_nested_run_per_model(run, client):
    result = run["result"]
    parent = client.get_run(result.parent_run_id)
    children = client.search_runs(
        [parent.info.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{result.parent_run_id}'",
    )
    assert sorted(c.info.run_name for c in children) == ["mentions_lr", "tfidf_lr"]
    for run_info in [parent, *children]:
        tags = run_info.data.tags
        assert tags["casenotes.ethics_review"] == "pending"
        assert len(tags["casenotes.data_digest"]) == 64
        assert tags["casenotes.git_commit"]
        assert any(key.startswith("casenotes.rules.") for key in tags)
    assert parent.data.params["task"] == "note_risks"
    assert parent.data.params["privacy.deidentify"] == "run"


def test_headline_metrics_with_intervals_and_fairness_gaps(run, client, train_labels):
    tfidf = next(m for m in run["result"].models if m.name == "tfidf_lr")
    metrics = client.get_run(tfidf.run_id).data.metrics
    for label in train_labels:
        assert 0.0 <= metrics[f"{label}.auroc_low"] <= metrics[f"{label}.auroc"]
        assert metrics[f"{label}.auroc"] <= metrics[f"{label}.auroc_high"] <= 1.0
        assert f"{label}.recall" in metrics and f"{label}.threshold" in metrics
    assert any(key.startswith("domestic_abuse.fairness.") for key in metrics)
    assert metrics["domestic_abuse.explanation.max_error"] <= 1e-6


def test_models_beat_the_prevalence_baseline(run):
    result = run["result"]
    prevalence = result.baselines["prevalence"]["evaluation"]["summary"]["auroc"]
    assert prevalence == pytest.approx(0.5)
    aurocs = {model.name: model.evaluation["summary"]["auroc"] for model in result.models}
    assert min(aurocs.values()) > 0.6
    assert aurocs["mentions_lr"] > 0.9  # the glass box reads the extractor's mentions


def test_artifacts_are_logged(run, client):
    tfidf = next(m for m in run["result"].models if m.name == "tfidf_lr")
    names = {a.path for a in client.list_artifacts(tfidf.run_id, "reports")}
    for expected in (
        "reports/evaluation.html",
        "reports/evaluation.json",
        "reports/fairness.json",
        "reports/fairness.md",
        "reports/explanations.json",
        "reports/model_card_draft.md",
        "reports/plots",
        "reports/examples",
    ):
        assert expected in names
    summary = {a.path for a in client.list_artifacts(run["result"].parent_run_id)}
    assert {"summary.json", "summary.md"} <= summary


def test_logged_pyfunc_model_scores_text_with_its_signature(run, train_labels):
    import mlflow

    tfidf = next(m for m in run["result"].models if m.name == "tfidf_lr")
    mlflow.set_tracking_uri(run["uri"])
    model = mlflow.pyfunc.load_model(f"runs:/{tfidf.run_id}/model")
    assert [c.name for c in model.metadata.get_input_schema().inputs] == ["text"]
    frame = pd.DataFrame({"text": ["Mum disclosed that her partner hit her.", "Visit went well."]})
    scores = model.predict(frame)
    assert list(scores.columns) == list(train_labels)
    assert np.all((scores.to_numpy() >= 0) & (scores.to_numpy() <= 1))
    assert scores["domestic_abuse"][0] > scores["domestic_abuse"][1]


def _store_files(run) -> list[Path]:
    tmp: Path = run["tmp"]
    return [p for p in tmp.rglob("*") if p.is_file()]


def test_no_gold_identifier_anywhere_in_the_store_or_the_logs(run, gold_values):
    files = _store_files(run)
    assert any(p.name == "mlflow.db" for p in files)
    assert any("mlartifacts" in p.parts for p in files)
    assert len(gold_values) > 200  # the search has plenty to find
    hits = []
    for path in files:
        content = path.read_bytes()
        hits += [(path.name, value) for value in gold_values if value.encode() in content]
    assert not hits, f"{len(hits)} identifier(s) found in {sorted({h[0] for h in hits})}"
    logged = "\n".join(record.getMessage() for record in run["logs"])
    assert not [value for value in gold_values if value in logged]


def test_saved_vocabulary_holds_no_pii_token_of_fewer_than_k_cases(run, raw_corpus):
    """No word of the model's vocabulary occurs only inside direct identifiers (names, phone
    numbers, NHS numbers...) of fewer than `min_cases` families in the raw corpus.

    That is what the case-vocabulary floor guarantees. A first name that de-identification missed
    in several families can pass it: shared by `min_cases` or more cases it identifies no one.
    """
    import json
    import re
    from collections import defaultdict

    from casenotes.modeling.bundle import load_bundle
    from casenotes.records import DIRECT_IDENTIFIERS

    word = re.compile(r"\w+")
    direct = {label.value for label in DIRECT_IDENTIFIERS}
    inside: dict[str, set[str]] = defaultdict(set)
    outside: set[str] = set()
    for line in raw_corpus.read_text().splitlines():
        record = json.loads(line)
        text = record["text"]
        chars = list(text)
        for span in record.get("pii") or []:
            if span["label"] in direct:
                for token in word.findall(text[span["start"] : span["end"]]):
                    inside[token.lower()].add(record["case_id"])
                chars[span["start"] : span["end"]] = " " * (span["end"] - span["start"])
        outside.update(w.lower() for w in word.findall("".join(chars)))
    pii_only = {token: cases for token, cases in inside.items() if token not in outside}
    tfidf = next(m for m in run["result"].models if m.name == "tfidf_lr")
    bundle = load_bundle(tfidf.bundle_path)
    floor = bundle.vocabulary.min_cases
    words = {t for term in bundle.estimator.vocabulary_terms() for t in term.split()}
    rare = {token for token, cases in pii_only.items() if len(cases) < floor}
    assert len(rare) > 100 and len(words) > 100  # the check has something to find
    assert not words & rare
    assert not bundle.vocabulary.allowed_ & rare
    assert len(words & set(pii_only)) <= 0.01 * len(pii_only)
