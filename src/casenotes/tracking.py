"""MLflow, in one place: the only module of casenotes that imports ``mlflow``.

Everything a run sends to MLflow passes through here, and none of it is note text or a span
value: parameters come from configs, metrics are numbers, tags are versions, hashes and states,
artifacts are report files written by casenotes from figures (and, for synthetic data only,
explanation pages). The tracking URI is always explicit: the configured one, else
``$MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db`` in the working directory. MLflow 3 refuses
the old ``./mlruns`` file store, so a local store is a SQLite file with its artifacts in a
``mlartifacts/`` folder beside it.
"""

from __future__ import annotations

import contextlib
import math
import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
ENV_TRACKING_URI = "MLFLOW_TRACKING_URI"
ARTIFACTS_DIR = "mlartifacts"
MAX_PARAM_LENGTH = 6000
TAG_ETHICS_REVIEW = "casenotes.ethics_review"
REVIEW_PENDING = "pending"
PYFUNC_INPUT_COLUMN = "text"


def resolve_tracking_uri(configured: str | None = None) -> str:
    """The configured URI, else ``$MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db``."""
    return configured or os.environ.get(ENV_TRACKING_URI) or DEFAULT_TRACKING_URI


def local_store(uri: str) -> Path | None:
    """The SQLite file behind a ``sqlite:///`` URI (None for a server)."""
    prefix = "sqlite:///"
    return Path(uri[len(prefix) :]) if uri.startswith(prefix) else None


def git_commit(cwd: Path | None = None) -> str:
    """The commit of the working tree (``+dirty`` when it has changes), or ``unknown``."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, cwd=cwd
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            cwd=cwd,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested config → ``{"a.b": "value"}`` with values as MLflow-sized strings."""
    flat: dict[str, str] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            text = str(value)
            flat[name] = (
                text if len(text) <= MAX_PARAM_LENGTH else text[: MAX_PARAM_LENGTH - 3] + "..."
            )
    return flat


def finite_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Only the finite numbers (MLflow cannot hold None or NaN as a metric)."""
    return {
        key: float(value)
        for key, value in metrics.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    }


class Tracker:
    """One experiment in one tracking store; runs are opened with :meth:`run`."""

    def __init__(self, uri: str | None, experiment: str) -> None:
        import mlflow

        self.uri = resolve_tracking_uri(uri)
        mlflow.set_tracking_uri(self.uri)
        store = local_store(self.uri)
        if mlflow.get_experiment_by_name(experiment) is None:
            location = None
            if store is not None:
                location = (store.resolve().parent / ARTIFACTS_DIR).as_uri()
            mlflow.create_experiment(experiment, artifact_location=location)
        self.experiment = mlflow.set_experiment(experiment)

    @contextlib.contextmanager
    def run(
        self, name: str, *, tags: Mapping[str, str] | None = None, nested: bool = False
    ) -> Iterator[str]:
        """Open a run (nested under the active one if ``nested``); yields its id."""
        import mlflow

        with mlflow.start_run(run_name=name, nested=nested, tags=dict(tags or {})) as active:
            yield active.info.run_id

    def log_params(self, params: Mapping[str, Any]) -> None:
        import mlflow

        flat = flatten(params)
        items = list(flat.items())
        for start in range(0, len(items), 100):  # MLflow takes at most 100 params per call
            mlflow.log_params(dict(items[start : start + 100]))

    def log_metrics(self, metrics: Mapping[str, Any]) -> None:
        import mlflow

        clean = finite_metrics(metrics)
        items = list(clean.items())
        for start in range(0, len(items), 500):
            mlflow.log_metrics(dict(items[start : start + 500]))

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        import mlflow

        mlflow.set_tags({key: str(value) for key, value in tags.items()})

    def log_artifacts(self, folder: Path, artifact_path: str | None = None) -> None:
        import mlflow

        mlflow.log_artifacts(str(folder), artifact_path=artifact_path)

    def log_pyfunc(
        self,
        bundle: Path,
        labels: Sequence[str],
        requirements: Sequence[str],
        code_paths: Sequence[str] = (),
        name: str = "model",
    ) -> str:
        """Log a saved model bundle as an MLflow pyfunc model; returns its model URI."""
        import mlflow
        from mlflow.models import ModelSignature
        from mlflow.types import ColSpec, Schema

        signature = ModelSignature(
            inputs=Schema([ColSpec("string", PYFUNC_INPUT_COLUMN)]),
            outputs=Schema([ColSpec("double", label) for label in labels]),
        )
        info = mlflow.pyfunc.log_model(
            name=name,
            python_model=CasenotesPyfunc(),
            artifacts={"bundle": str(bundle)},
            signature=signature,
            pip_requirements=list(requirements),
            code_paths=list(code_paths) or None,
        )
        return info.model_uri

    def active_run_id(self) -> str | None:
        import mlflow

        active = mlflow.active_run()
        return active.info.run_id if active else None


def load_pyfunc(model_uri: str):
    """Load a logged casenotes model as an MLflow pyfunc model."""
    import mlflow

    return mlflow.pyfunc.load_model(model_uri)


def _python_model_base() -> type:
    import mlflow.pyfunc

    return mlflow.pyfunc.PythonModel


class CasenotesPyfunc(_python_model_base()):  # type: ignore[misc]
    """Pyfunc wrapper: de-identified text in, one calibrated score per label out.

    The bundle holds the case-vocabulary floor and the fitted estimator
    (:mod:`casenotes.modeling.bundle`); the same scrub as in training is applied first.
    """

    def load_context(self, context) -> None:
        from casenotes.modeling.bundle import load_bundle

        self.bundle = load_bundle(Path(context.artifacts["bundle"]))

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        if isinstance(model_input, pd.DataFrame):
            texts = model_input[PYFUNC_INPUT_COLUMN].astype(str).tolist()
        else:
            texts = [str(text) for text in model_input]
        scores = self.bundle.predict_scores(texts)
        return pd.DataFrame(scores, columns=list(self.bundle.labels))


# ------------------------------------------------------------------------ reading logged runs
class RunStore:
    """Read and annotate runs that already exist (for model cards, reviews and the gate)."""

    def __init__(self, uri: str | None = None) -> None:
        from mlflow import MlflowClient

        self.uri = resolve_tracking_uri(uri)
        self.client = MlflowClient(tracking_uri=self.uri)

    def _activate(self) -> None:
        # MLflow resolves a logged model's artifacts (``model/...`` of a run) through the global
        # tracking URI, not the client's: point it at this store first, or an earlier store (a
        # stopped server, say) would be asked.
        import mlflow

        mlflow.set_tracking_uri(self.uri)

    def run(self, run_id: str) -> dict[str, Any]:
        """Tags, params, metrics and identity of one run; an error naming it if absent."""
        from mlflow.exceptions import MlflowException

        from casenotes.errors import InputError

        try:
            found = self.client.get_run(run_id)
        except MlflowException:
            raise InputError(f"run {run_id}: not found in the tracking store {self.uri}") from None
        experiment = self.client.get_experiment(found.info.experiment_id)
        return {
            "run_id": found.info.run_id,
            "run_name": found.info.run_name,
            "experiment": experiment.name if experiment else None,
            "experiment_id": found.info.experiment_id,
            "start_time": found.info.start_time,
            "artifact_uri": found.info.artifact_uri,
            "tags": dict(found.data.tags),
            "params": dict(found.data.params),
            "metrics": dict(found.data.metrics),
        }

    def download(self, run_id: str, path: str, destination: Path) -> Path:
        """Download one artifact (file or folder) of a run; returns the local path."""
        from mlflow.exceptions import MlflowException

        from casenotes.errors import InputError

        destination.mkdir(parents=True, exist_ok=True)
        self._activate()
        try:
            local = self.client.download_artifacts(run_id, path, str(destination))
        except (MlflowException, OSError):
            raise InputError(f"run {run_id}: no artifact {path!r}") from None
        return Path(local)

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        for key, value in tags.items():
            self.client.set_tag(run_id, key, str(value))

    def log_artifacts(self, run_id: str, folder: Path, artifact_path: str | None = None) -> None:
        self.client.log_artifacts(run_id, str(folder), artifact_path)

    def register(self, run_id: str, name: str, alias: str) -> str:
        """Register the run's model under ``name`` and point ``alias`` at the new version."""
        import mlflow

        self._activate()
        version = mlflow.register_model(f"runs:/{run_id}/model", name)
        self.client.set_registered_model_alias(name, alias, version.version)
        return str(version.version)

    def alias_version(self, name: str, alias: str) -> dict[str, str] | None:
        from mlflow.exceptions import MlflowException

        try:
            version = self.client.get_model_version_by_alias(name, alias)
        except MlflowException:
            return None
        return {"version": str(version.version), "run_id": version.run_id}
