"""MLflow, in one place: the only module of casenotes that imports ``mlflow``.

Everything a run sends to MLflow passes through here, and none of it is note text or a span
value: parameters come from configs, metrics are numbers, tags are versions, hashes and states,
artifacts are report files written by casenotes from figures (and, for synthetic data only,
explanation pages); a tagging model (:class:`TaggingPyfunc`) carries its configs and rule files,
never the secret key. The tracking URI is always explicit: the configured one, else
``$MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db`` in the working directory. MLflow 3 refuses
the old ``./mlruns`` file store, so a local store is a SQLite file with its artifacts in a
``mlartifacts/`` folder beside it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import pickle
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from casenotes.batch.tagger import Tagger, TagSettings

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


# A logged model's input example would be note text: casenotes never gives one, on purpose.
_INPUT_EXAMPLE_WARNING = "An input example was not provided"


@contextlib.contextmanager
def _no_input_example_warning() -> Iterator[None]:
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=f".*{_INPUT_EXAMPLE_WARNING}")
        yield


def pinned_requirements(names: Sequence[str]) -> list[str]:
    """``name==version`` for each installed package (the version without a local ``+tag``)."""
    from importlib import metadata

    lines = []
    for name in names:
        try:
            lines.append(f"{name}=={metadata.version(name).split('+')[0]}")
        except metadata.PackageNotFoundError:
            continue
    return lines


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
        with _no_input_example_warning():
            info = mlflow.pyfunc.log_model(
                name=name,
                python_model=CasenotesPyfunc(),
                artifacts={"bundle": str(bundle)},
                signature=signature,
                pip_requirements=list(requirements),
                code_paths=list(code_paths) or None,
            )
        return info.model_uri

    def log_tagging_pyfunc(
        self, settings_json: Path, requirements: Sequence[str], name: str = "tagger"
    ) -> str:
        """Log the whole tagging pipeline as a pyfunc model (:class:`TaggingPyfunc`).

        ``settings_json`` is written by :func:`write_tagging_settings`: configs only, never the
        key. Rule files the extraction config points to travel with the model. Returns the URI.
        """
        import mlflow

        artifacts = {TAGGING_SETTINGS_ARTIFACT: str(settings_json)}
        artifacts.update(_rule_file_artifacts(Path(settings_json)))
        with _no_input_example_warning():
            info = mlflow.pyfunc.log_model(
                name=name,
                python_model=TaggingPyfunc(),
                artifacts=artifacts,
                signature=tagging_signature(),
                pip_requirements=list(requirements),
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


# ------------------------------------------------------------- the tagging pipeline as a model
TAGGING_SETTINGS_FORMAT = "casenotes.tag_settings.v1"
TAGGING_SETTINGS_ARTIFACT = "tag_settings"
TAGGING_RULE_FIELDS = ("risk_rules", "context_rules", "subject_rules")
TAGGING_INPUTS = ("note_id", "text", "case_id", "date")
TAGGING_REQUIRED_INPUTS = ("note_id", "text")
TAGGING_OUTPUTS = ("note_id", "text", "pii", "mentions", "risks", "toxic_trio", "rejected")
TAGGING_RESULT_TYPE = (
    "struct<note_id:string,text:string,pii:string,mentions:string,risks:string,"
    "toxic_trio:boolean,rejected:string>"
)
MAX_SHARED_TAGGERS = 2

MESSAGE_NO_KEY = (
    "this tagging model de-identifies with keyed operators ({operators}) and needs the secret "
    "key: set the environment variable {env} where the model is loaded (on Spark: on every "
    "executor). The key is never stored with the model."
)
MESSAGE_MISSING_COLUMNS = (
    "tagging model input has no column {missing}; it needs note_id and text (case_id and date, "
    "ISO 8601 strings, are optional)"
)

_shared_taggers: dict[str, Tagger] = {}  # per process: a digest of the settings → its Tagger


def tagging_settings_record(settings: TagSettings) -> dict[str, Any]:
    """The settings a tagging model is rebuilt from: configs only, never the key."""
    return {
        "format": TAGGING_SETTINGS_FORMAT,
        "tag": settings.tag.model_dump(mode="json"),
        "deid": settings.deid.model_dump(mode="json"),
        "extract": settings.extract.model_dump(mode="json"),
    }


def write_tagging_settings(settings: TagSettings, path: Path) -> Path:
    """Write the JSON artifact of :meth:`Tracker.log_tagging_pyfunc`; returns ``path``.

    Neither the key nor an approved classifier (``settings.clearance``) is written: the model
    reads the key from the environment where it is loaded, and a classifier is its own model.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(tagging_settings_record(settings), indent=2, sort_keys=True)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _read_settings_record(path: Path) -> dict[str, Any]:
    from casenotes.errors import ConfigError

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: cannot read tagging settings ({error})") from None
    if not isinstance(data, dict) or data.get("format") != TAGGING_SETTINGS_FORMAT:
        raise ConfigError(
            f"{path}: not a tagging settings file (expected format {TAGGING_SETTINGS_FORMAT!r}); "
            "write it with casenotes.tracking.write_tagging_settings"
        )
    return data


def _rule_file_artifacts(settings_json: Path) -> dict[str, str]:
    """The extraction rule files a settings file points to, as model artifacts."""
    from casenotes.errors import ConfigError

    extract = _read_settings_record(settings_json).get("extract") or {}
    artifacts = {}
    for field in TAGGING_RULE_FIELDS:
        if extract.get(field):
            rule_file = Path(extract[field])
            if not rule_file.is_file():
                raise ConfigError(f"{settings_json}: extract.{field} {rule_file} is not a file")
            artifacts[field] = str(rule_file)
    return artifacts


def tagging_key(settings: TagSettings) -> bytes | None:
    """The key the settings' operators need, read from the deid config's ``key_env``."""
    from casenotes.deid.keys import load_key
    from casenotes.deid.operators import KEYED_OPERATORS, operators_for
    from casenotes.errors import ConfigError

    operators = operators_for(settings.deid, settings.tag.mode).values()
    keyed = sorted({operator for operator in operators if operator in KEYED_OPERATORS})
    if not keyed:
        return None
    key = load_key(None, settings.deid.key_env)
    if key is None:
        raise ConfigError(
            MESSAGE_NO_KEY.format(operators=", ".join(keyed), env=settings.deid.key_env)
        )
    return key


def read_tagging_settings(path: Path, rule_files: Mapping[str, Path] | None = None) -> TagSettings:
    """Rebuild :class:`~casenotes.batch.tagger.TagSettings` from :func:`write_tagging_settings`.

    ``rule_files`` replaces the extraction rule paths (by field name) with the copies logged
    with the model. The key, when the operators need one, comes from the environment.
    """
    import dataclasses

    from casenotes.batch.config import TagConfig
    from casenotes.batch.tagger import TagSettings
    from casenotes.config import DeidConfig, validate_config
    from casenotes.extract.config import ExtractConfig

    data = _read_settings_record(path)
    extract = validate_config(data.get("extract") or {}, ExtractConfig, f"{path} (extract)")
    if rule_files:
        extract = extract.model_copy(update={k: Path(v) for k, v in rule_files.items()})
    settings = TagSettings(
        tag=validate_config(data.get("tag") or {}, TagConfig, f"{path} (tag)"),
        deid=validate_config(data.get("deid") or {}, DeidConfig, f"{path} (deid)"),
        extract=extract,
    )
    return dataclasses.replace(settings, key=tagging_key(settings))


def shared_tagger(settings: TagSettings) -> Tagger:
    """One :class:`~casenotes.batch.tagger.Tagger` per process for the same settings.

    ``spark_udf`` in local mode loads the model again for every task; sharing the tagger keeps
    spaCy and Presidio to one load per Python worker. Sharing is safe: each call starts afresh.
    """
    from casenotes.batch.tagger import Tagger

    digest = hashlib.sha256(pickle.dumps(settings)).hexdigest()
    tagger = _shared_taggers.get(digest)
    if tagger is None:
        tagger = Tagger(settings)
        while len(_shared_taggers) >= MAX_SHARED_TAGGERS:
            _shared_taggers.pop(next(iter(_shared_taggers)))
        _shared_taggers[digest] = tagger
    return tagger


def _present(value: Any) -> Any:
    """None for the ways a frame says "no value" (None, NaN, NA, NaT), else the value."""
    if value is None:
        return None
    try:
        missing = pd.isna(value)
    except (TypeError, ValueError):
        return value
    return None if missing is True else value


def _tagged_row(note: Any) -> dict[str, Any]:
    risks = note.extra.get("risks")
    return {
        "note_id": note.note_id,
        "text": note.text,
        "pii": json.dumps(None if note.pii is None else [s.to_record() for s in note.pii]),
        "mentions": json.dumps(
            None if note.mentions is None else [m.to_record() for m in note.mentions]
        ),
        "risks": json.dumps(risks),
        "toxic_trio": bool(isinstance(risks, Mapping) and risks.get("toxic_trio")),
        "rejected": "",
    }


def _rejected_row(note_id: Any, reason: str) -> dict[str, Any]:
    return {
        "note_id": "" if note_id is None else str(note_id),
        "text": "",  # never the input text: a rejected note was not de-identified
        "pii": "null",
        "mentions": "null",
        "risks": "null",
        "toxic_trio": False,
        "rejected": reason,
    }


def tag_frame(tagger: Any, model_input: pd.DataFrame) -> pd.DataFrame:
    """Tag the notes of a frame in one call of ``tagger``; one output row per input row.

    A row that is not a valid note (no text, a bad date, ...) or that the tagger rejects comes
    back with its reason in ``rejected`` and no text; the rest of the batch is tagged as usual.
    """
    from casenotes.errors import InputError, RecordError
    from casenotes.records import Note

    frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
    missing = [name for name in TAGGING_REQUIRED_INPUTS if name not in frame.columns]
    if missing:
        raise InputError(MESSAGE_MISSING_COLUMNS.format(missing=" or ".join(missing)))
    columns = [name for name in TAGGING_INPUTS if name in frame.columns]
    parsed: list[tuple[Any, Any]] = []
    for values in frame[columns].itertuples(index=False, name=None):
        record = {name: _present(value) for name, value in zip(columns, values, strict=True)}
        record = {name: value for name, value in record.items() if value is not None}
        try:
            parsed.append((record.get("note_id"), Note.from_record(record)))
        except RecordError as error:
            parsed.append((record.get("note_id"), error))
    notes = [item for _, item in parsed if isinstance(item, Note)]
    results = iter(tagger(notes) if notes else ())
    rows = []
    for note_id, item in parsed:
        result = next(results) if isinstance(item, Note) else item
        if isinstance(result, Note):
            rows.append(_tagged_row(result))
        else:
            rows.append(_rejected_row(note_id, str(result)))
    out = pd.DataFrame(rows, columns=list(TAGGING_OUTPUTS))
    return out.astype({"toxic_trio": bool})


class TaggingPyfunc(_python_model_base()):  # type: ignore[misc]
    """Pyfunc wrapper of ``casenotes tag``: raw notes in, de-identified and tagged notes out.

    Input columns ``note_id`` and ``text`` (required), ``case_id`` and ``date`` (optional, ISO
    8601 strings). Output, one row per input row in order: ``note_id``, ``text`` (de-identified),
    ``pii``, ``mentions`` and ``risks`` (JSON strings, as in the tag output files),
    ``toxic_trio`` and ``rejected`` (the reason, empty when the note was tagged). Each
    ``predict`` call is one tagger call: notes of a case share what the de-identifier learns
    (names) only within a call, so on Spark the rows one Arrow batch holds. The secret key, when
    the mode needs one, is read from the environment variable named by the deid config's
    ``key_env``; it is never part of the model.
    """

    def load_context(self, context) -> None:
        artifacts = context.artifacts
        rules = {name: Path(artifacts[name]) for name in TAGGING_RULE_FIELDS if name in artifacts}
        settings = read_tagging_settings(Path(artifacts[TAGGING_SETTINGS_ARTIFACT]), rules)
        self.tagger = shared_tagger(settings)

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        return tag_frame(self.tagger, model_input)


def tagging_signature():
    """Inputs: note_id, text (required), case_id, date (optional); outputs as TAGGING_OUTPUTS."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    inputs = [
        ColSpec("string", name, required=name in TAGGING_REQUIRED_INPUTS) for name in TAGGING_INPUTS
    ]
    outputs = [
        ColSpec("boolean" if name == "toxic_trio" else "string", name) for name in TAGGING_OUTPUTS
    ]
    return ModelSignature(inputs=Schema(inputs), outputs=Schema(outputs))


def tagging_udf(spark: Any, model_uri: str, *, extra_env: Mapping[str, str] | None = None):
    """A Spark UDF of a logged tagging model, returning a struct of :data:`TAGGING_OUTPUTS`.

    Call it on a struct of the input columns, so optional ones may be left out (a date column
    must be cast to a string)::

        tag = tagging_udf(spark, model_uri)
        date = F.col("date").cast("string").alias("date")
        inputs = F.struct("note_id", "text", "case_id", date)
        tagged = notes.withColumn("tagged", tag(inputs)).drop("text")  # tagged.text, .pii, ...

    Each Arrow batch (``spark.sql.execution.arrow.maxRecordsPerBatch`` rows of a partition) is
    one ``predict`` call, so one tagger call.

    The model runs in the executors' own Python (``env_manager="local"``): casenotes and the
    spaCy model must be installed there. ``extra_env`` is set around each task (e.g. the key's
    variable; it then travels inside every task, so encrypt Spark's network traffic).
    """
    import mlflow.pyfunc
    from pyspark.sql.types import BooleanType, StringType, StructField, StructType

    result_type = StructType(
        [
            StructField(name, BooleanType() if name == "toxic_trio" else StringType())
            for name in TAGGING_OUTPUTS
        ]
    )
    return mlflow.pyfunc.spark_udf(
        spark,
        model_uri,
        result_type=result_type,
        env_manager="local",
        extra_env=dict(extra_env) if extra_env else None,
    )


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
