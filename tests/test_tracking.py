"""The MLflow module's pure helpers: URI resolution, flattening params, finite metrics."""

from __future__ import annotations

from pathlib import Path

from casenotes import tracking


def test_uri_precedence(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert tracking.resolve_tracking_uri(None) == "sqlite:///mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert tracking.resolve_tracking_uri(None) == "http://127.0.0.1:5000"
    assert tracking.resolve_tracking_uri("sqlite:///x.db") == "sqlite:///x.db"


def test_local_store_only_for_sqlite():
    assert tracking.local_store("sqlite:///tmp/a/mlflow.db") == Path("tmp/a/mlflow.db")
    assert tracking.local_store("sqlite:////abs/mlflow.db") == Path("/abs/mlflow.db")
    assert tracking.local_store("http://host:5000") is None


def test_flatten_nested_config_and_cap_length():
    flat = tracking.flatten({"a": {"b": 1, "c": {"d": [1, 2]}}, "e": "x" * 7000, "f": {}})
    assert flat["a.b"] == "1" and flat["a.c.d"] == "[1, 2]" and flat["f"] == "{}"
    assert len(flat["e"]) == tracking.MAX_PARAM_LENGTH and flat["e"].endswith("...")


def test_only_finite_numbers_become_metrics():
    metrics = tracking.finite_metrics(
        {"a": 1, "b": 0.5, "c": None, "d": float("nan"), "e": float("inf"), "f": True, "g": "x"}
    )
    assert metrics == {"a": 1.0, "b": 0.5}


def test_git_commit_outside_a_repository(tmp_path):
    assert tracking.git_commit(tmp_path) == "unknown"
