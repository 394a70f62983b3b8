"""A small synthetic training corpus and a finished training run, shared by the modeling tests."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

TRAIN_LABELS = ("domestic_abuse", "mental_health", "substance_misuse", "housing")


@pytest.fixture(scope="session")
def train_labels() -> tuple[str, ...]:
    return TRAIN_LABELS


@pytest.fixture(scope="session")
def make_train_config():
    """A function (tmp folder, tracking URI, overrides) → a small, fast TrainConfig."""
    return _train_config


def _train_config(tmp: Path, tracking_uri: str, **overrides):
    from casenotes.modeling.config import TrainConfig

    data = {
        "task": "note_risks",
        "synthetic": True,
        "labels": list(TRAIN_LABELS),
        "experiment": "test-note-risks",
        "tracking_uri": tracking_uri,
        "out": str(tmp / "models"),
        "privacy": {"deidentify": "run", "min_cases": 3},
        "evaluation": {"n_boot": 100},
        "fairness": {"labels": ["domestic_abuse"], "n_boot": 100},
        "explain": {"examples": 2, "deletion_notes": 30, "top_features": 10},
        "models": [
            {"name": "tfidf_lr", "kind": "tfidf_logistic", "params": {"cv": 3}},
            {"name": "mentions_lr", "kind": "mention_linear"},
        ],
    }
    data.update(overrides)
    return TrainConfig.model_validate(data)


@pytest.fixture(scope="session")
def run(raw_corpus, tmp_path_factory):
    """One real training run (both linear models) into a SQLite store, shared by the tests."""
    tmp = tmp_path_factory.mktemp("train")
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    config = _train_config(tmp, uri)
    from casenotes.modeling.train import train

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(level=logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        result = train(config, raw_corpus)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    return {"tmp": tmp, "uri": uri, "result": result, "logs": records}


@pytest.fixture(scope="session")
def client(run):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=run["uri"])
