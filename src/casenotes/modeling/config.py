"""Settings of training (``configs/train_*.toml``, table ``[train]``)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from casenotes.config import StrictModel, load_config
from casenotes.records import RiskLabel

CONFIG_SECTION = "train"
DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
DEMOGRAPHIC_COLUMNS: tuple[str, ...] = (
    "sex",
    "ethnicity",
    "age_band",
    "disability",
    "deprivation_quintile",
)


class Task(StrEnum):
    """What a training run learns to predict."""

    NOTE_RISKS = "note_risks"  # per note, multi-label: which risk categories it records
    CASE_ESCALATION = "case_escalation"  # per case: escalated, from the notes before a cut-off


class ModelKind(StrEnum):
    """The classifiers behind the one config-driven interface."""

    TFIDF_LOGISTIC = "tfidf_logistic"
    MENTION_LINEAR = "mention_linear"
    TRANSFORMER = "transformer"

    @property
    def learns_vocabulary(self) -> bool:
        """Whether the model stores anything learnt from words (a vocabulary, weights per word
        piece). Those models only ever see text after the case-vocabulary floor; the mention model
        learns one weight per rule-based count and needs no floor."""
        return self is not ModelKind.MENTION_LINEAR


class ModelSpec(StrictModel):
    """One model to train: a name for the run, its kind and the estimator's parameters."""

    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    kind: ModelKind
    params: dict[str, Any] = Field(default_factory=dict)


class DeidGate(StrEnum):
    """How a run makes sure no identifiable text reaches a model."""

    RUN = "run"  # de-identify every note first (placeholders), then train
    VERIFY = "verify"  # input says it is de-identified: check a sample, refuse if identifiable


class PrivacySettings(StrictModel):
    """The de-identification gate and the vocabulary floor."""

    deidentify: DeidGate = DeidGate.RUN
    deid_config: Path | None = None  # None: configs/deid.toml if present, else defaults
    processes: int = Field(default=1, ge=1)
    verify_sample: int = Field(default=500, ge=1)
    max_identifiable_share: float = Field(
        default=0.05,
        ge=0.0,
        le=1.0,
        description="refuse when more than this share of sampled notes still holds an identifier",
    )
    min_cases: int = Field(
        default=5,
        ge=1,
        description="a word must occur in this many training cases to reach a model; rarer "
        "words (a leaked name, a number) are replaced by [RARE] before any model sees the text",
    )


class CaseTaskSettings(StrictModel):
    """Which of a case's notes the escalation model may read."""

    observation_days: int = Field(default=120, ge=1)
    cutoff_date: dt.date | None = None  # if set, one cut-off for every case instead


class SplitSettings(StrictModel):
    """Held-out data: by time (later notes test) and by case (no case on both sides)."""

    by: Literal["time_and_case", "time", "case"] = "time_and_case"
    validation_share: float = Field(default=0.2, gt=0.0, lt=0.5)
    test_share: float = Field(default=0.2, gt=0.0, lt=0.5)


class ThresholdSettings(StrictModel):
    """How the operating threshold is chosen on validation data: give exactly one target."""

    target_recall: float | None = Field(default=0.8, gt=0.0, le=1.0)
    target_precision: float | None = Field(default=None, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _one_target(self) -> ThresholdSettings:
        if (self.target_recall is None) == (self.target_precision is None):
            raise ValueError("give exactly one of target_recall and target_precision")
        return self


class EvaluationSettings(StrictModel):
    n_boot: int = Field(default=1000, ge=50)
    ci: float = Field(default=0.95, gt=0.5, lt=1.0)
    n_bins: int = Field(default=10, ge=2)


class FairnessSettings(StrictModel):
    attributes: tuple[str, ...] = DEMOGRAPHIC_COLUMNS
    intersections: tuple[tuple[str, str], ...] = (("sex", "ethnicity"),)
    labels: tuple[str, ...] = ()  # empty: every label of the task
    min_group: int = Field(default=10, ge=1)
    flag_below: int = Field(default=30, ge=1)
    n_boot: int = Field(default=500, ge=50)


class ExplainSettings(StrictModel):
    top_features: int = Field(default=20, ge=1)
    examples: int = Field(default=5, ge=0)  # per-note HTML pages; only for synthetic data
    deletion_k: int = Field(default=5, ge=1)
    deletion_notes: int = Field(default=200, ge=1)


class TrainConfig(StrictModel):
    """A training run: data, task, privacy gate, split, models, evaluation, tracking."""

    task: Task = Task.NOTE_RISKS
    data: Path | None = None  # the CLI's --data overrides
    synthetic: bool = Field(
        default=False,
        description="the data are synthetic: only then are per-note explanation pages logged",
    )
    labels: tuple[str, ...] = ()  # note task: empty means all ten risk categories
    seed: int = 7
    experiment: str = "casenotes"
    tracking_uri: str | None = None  # None: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db
    out: Path = Path("models")
    privacy: PrivacySettings = PrivacySettings()
    case: CaseTaskSettings = CaseTaskSettings()
    split: SplitSettings = SplitSettings()
    threshold: ThresholdSettings = ThresholdSettings()
    evaluation: EvaluationSettings = EvaluationSettings()
    fairness: FairnessSettings = FairnessSettings()
    explain: ExplainSettings = ExplainSettings()
    models: tuple[ModelSpec, ...] = (
        ModelSpec(name="tfidf_lr", kind=ModelKind.TFIDF_LOGISTIC),
        ModelSpec(name="mentions_lr", kind=ModelKind.MENTION_LINEAR),
    )

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        known = {label.value for label in RiskLabel}
        unknown = sorted(set(self.labels) - known)
        if unknown:
            raise ValueError(f"unknown labels {unknown}; known: {', '.join(sorted(known))}")
        if self.task is Task.CASE_ESCALATION and self.labels:
            raise ValueError("labels apply to the note_risks task; case_escalation has one label")
        names = [spec.name for spec in self.models]
        if len(set(names)) != len(names):
            raise ValueError(f"model names must be unique, got {names}")
        if not self.models:
            raise ValueError("give at least one [[train.models]] entry")
        if self.split.validation_share + self.split.test_share >= 0.8:
            raise ValueError("validation_share + test_share must leave at least 20% to train on")
        return self

    @property
    def label_names(self) -> tuple[str, ...]:
        if self.task is Task.CASE_ESCALATION:
            return ("escalated",)
        return self.labels or tuple(label.value for label in RiskLabel)


def load_train_config(path: str | Path) -> TrainConfig:
    return load_config(path, TrainConfig, section=CONFIG_SECTION)
