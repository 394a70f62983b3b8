"""``casenotes card RUN_ID``: a model card built from what the run logged, checked by the schema.

Everything measurable comes from the run itself — its tags (versions, hashes, review state), the
training configuration on its parent run, and the evaluation, fairness and explanation figures in
``reports/evaluation.json``. What a run cannot know (who owns the model, who uses its outputs, how
people oversee it) comes from ``configs/card.toml``. The card is validated against
``ethics/schema/model_card.schema.json`` before anything is written, then saved as JSON, Markdown
and HTML beside ATRS tier 1 and tier 2 records, and logged back to the run under ``card/``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casenotes.errors import InputError
from casenotes.modeling.fairness import IMPOSSIBILITY_NOTE
from casenotes.records import RiskLabel
from casenotes.reports import render
from casenotes.review.config import CardSettings
from casenotes.review.records import (
    CARD_SCHEMA,
    RECORDS_DIR,
    SCHEMA_DIR,
    TAG_CARD_DIGEST,
    TAG_EXPIRES,
    TAG_MODEL_BUNDLE,
    TAG_RECORD,
    TAG_STATE,
    card_digest,
    validate,
)

EVALUATION_ARTIFACT = "reports/evaluation.json"
CARD_DIR = "card"
CARD_JSON = "model_card.json"
METRIC_KEYS = {
    "auroc": "auroc",
    "pr_auc": "pr_auc",
    "precision": "precision",
    "recall": "recall",
    "missed_share": "fnr",
    "brier": "brier",
    "ece": "ece",
    "prevalence": "prevalence",
    "flag_rate": "flag_rate",
}
FAIRNESS_METRICS = {
    "fnr": "missed_share",
    "fpr": "false_positive_rate",
    "precision": "precision",
    "selection_rate": "selection_rate",
    "auroc": "auroc",
    "brier": "brier",
    "observed_minus_predicted": "observed_minus_predicted",
}
NEVER_AUTOMATED = "making or automating any decision about an individual child or family"
LABEL_DEFINITIONS = {
    "note_risks": (
        "The note states {label} as an affirmed, current, non-negated mention (gold annotation "
        "following the casenotes annotation conventions)."
    ),
    "case_escalation": (
        "The case was recorded as escalated (a child protection plan), read from the notes written "
        "before the case's cut-off; notes after it are never seen."
    ),
}
ERR_NOT_A_MODEL_RUN = (
    "run {run}: not a model run (no {artifact}); give the id of a nested model run, listed by "
    "`casenotes train` and in the MLflow UI under the training run."
)


@dataclass
class RunEvidence:
    """What the run logged: figures, hashes and settings, never text."""

    run: dict[str, Any]
    parent: dict[str, Any] | None
    report: dict[str, Any]


def gather(run_id: str, store, workdir: Path) -> RunEvidence:
    run = store.run(run_id)
    try:
        path = store.download(run_id, EVALUATION_ARTIFACT, workdir / "evaluation")
    except InputError:
        raise InputError(
            ERR_NOT_A_MODEL_RUN.format(run=run_id, artifact=EVALUATION_ARTIFACT)
        ) from None
    report = json.loads(path.read_text())
    parent_id = run["tags"].get("mlflow.parentRunId")
    parent = store.run(parent_id) if parent_id else None
    return RunEvidence(run, parent, report)


def _interval(entry: dict[str, Any] | None) -> dict[str, Any]:
    entry = entry or {}
    out = {key: entry.get(key) for key in ("value", "low", "high")}
    for extra in ("n_valid", "reason"):
        if entry.get(extra) is not None:
            out[extra] = entry[extra]
    return out


def _metric_set(report: dict[str, Any]) -> dict[str, Any]:
    return {card_key: _interval(report.get(key)) for card_key, key in METRIC_KEYS.items()}


def _leak_rate(settings: CardSettings) -> dict[str, Any]:
    path = settings.deid_report
    if path is None or not path.exists():
        return {"value": None, "source": "not measured: no de-identification evaluation found"}
    data = json.loads(path.read_text())
    corpus = data.get("corpora", {}).get("synthetic_held_out", {})
    value = corpus.get("systems", {}).get("casenotes", {}).get("leak_rate")
    seed = data.get("held_out_seed")
    return {
        "value": value,
        "source": f"{path}, held-out synthetic notes (seed {seed}); a rate measured on synthetic "
        "notes does not show the rate on real notes",
    }


def _evaluation(report: dict[str, Any], params: dict[str, str], rationale: str) -> dict[str, Any]:
    labels = {}
    for label, entry in report["evaluation"]["labels"].items():
        threshold = entry["threshold"]
        labels[label] = {
            "threshold": {
                "value": threshold["threshold"],
                "rule": threshold["rule"],
                "rationale": rationale
                + ("" if threshold.get("met", True) else " The target was not met on validation."),
            },
            "metrics": _metric_set(entry["test"]),
            "baselines": {
                name: _metric_set(evaluation["labels"][label]["test"])
                for name, evaluation in report["baselines"].items()
            },
        }
    n_boot = params.get("evaluation.n_boot", "1000")
    return {
        "test_set": "the latest notes in time, from cases that appear in neither training nor "
        "validation",
        "interval_method": f"95% percentile bootstrap, {n_boot} resamples of whole cases",
        "labels": labels,
    }


def _fairness(report: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
    fairness = report["fairness"]
    first = next(iter(fairness.values()), None)
    settings = first["settings"] if first else {}
    out: dict[str, Any] = {
        "attributes": [],
        "min_group": int(settings.get("min_group", params.get("fairness.min_group", 10))),
        "flag_below": int(settings.get("flag_below", params.get("fairness.flag_below", 30))),
        "labels": {},
        "suppressed_groups": [],
        "detected_gaps": [],
        "impossibility_statement": IMPOSSIBILITY_NOTE,
    }
    if first:
        out["attributes"] = sorted(
            {column for info in first["attributes"].values() for column in info["columns"]}
        )
        out["intersections"] = [
            info["columns"] for info in first["attributes"].values() if len(info["columns"]) > 1
        ]
    if not out["attributes"]:
        out["not_assessed_reason"] = "no demographic columns were available in the training data"
    for label, entry in fairness.items():
        tables = []
        for key, info in entry["attributes"].items():
            fnr_gaps = [
                gap
                for gap in entry["gaps"].get(key, [])
                if gap["metric"] == "fnr" and gap["difference"].get("value") is not None
            ]
            widest = max(fnr_gaps, key=lambda g: abs(g["difference"]["value"]), default=None)
            tables.append(
                {
                    "attribute": info["label"],
                    "reference_group": info["reference"] or "none",
                    "groups_shown": sum(not r["suppressed"] for r in entry["by_group"][key]),
                    "groups_suppressed": len(info["suppressed"]),
                    "widest_missed_share_gap": None
                    if widest is None
                    else {"group": widest["group"], "difference": _interval(widest["difference"])},
                }
            )
            for group in info["suppressed"]:
                out["suppressed_groups"].append(
                    {
                        "label": label,
                        "attribute": info["label"],
                        "group": group,
                        "reason": f"fewer than {out['min_group']} examples in the test set",
                    }
                )
            for gap in entry["gaps"].get(key, []):
                if gap["excludes_zero"] and not gap["unreliable"]:
                    out["detected_gaps"].append(
                        {
                            "label": label,
                            "attribute": info["label"],
                            "group": gap["group"],
                            "reference_group": gap["reference"],
                            "metric": FAIRNESS_METRICS[gap["metric"]],
                            "difference": _interval(gap["difference"]),
                            "reading": _gap_reading(gap, info["label"]),
                        }
                    )
        out["labels"][label] = {
            "threshold": entry["threshold"],
            "tables": tables,
            "report": "reports/fairness.json",
        }
    return out


def _gap_reading(gap: dict[str, Any], attribute: str) -> str:
    diff = gap["difference"]
    name = FAIRNESS_METRICS[gap["metric"]].replace("_", " ")
    return (
        f"By {attribute}: the {name} for {gap['group']} differs from {gap['reference']} by "
        f"{diff['value']:+.3f} (95% interval {diff['low']:+.3f} to {diff['high']:+.3f}); an "
        "interval this far from zero is unlikely to be chance alone."
    )


def _feature(name: str) -> str:
    """``word__drinking`` → ``drinking``; ``char__ s`` → ``…s (characters)``."""
    if name.startswith("word__"):
        return name[len("word__") :]
    if name.startswith("char__"):
        return f"{name[len('char__') :].strip()} (characters)"
    return name


def _explainability(report: dict[str, Any], synthetic: bool) -> dict[str, Any]:
    explanations = report["explanations"]
    kind = report["kind"]
    method = {
        "tfidf_logistic": "exact linear contributions (weight × TF-IDF value per word and "
        "character n-gram, summing to the decision value)",
        "mention_linear": "the whole model: one weight per risk-mention count, readable as a table",
        "transformer": "integrated gradients on the word embeddings (completeness measured per "
        "note)",
    }[kind]
    top = []
    for label, entry in explanations["global"].items():
        positive = ", ".join(
            f"'{_feature(str(name))}'" for name, _ in entry.get("positive", [])[:5]
        )
        top.append(f"{label}: {positive}")
    by_label = {}
    deletion_k = None
    for label, entry in explanations["labels"].items():
        deletion = entry["deletion"]
        deletion_k = deletion.get("k")
        by_label[label] = {
            "top_minus_random": _interval(deletion["difference"]),
            "max_completeness_error": entry.get("max_completeness_error"),
            "reading": deletion["reading"],
        }
    return {
        "global_explanation": {
            "method": method,
            "summary": "Strongest positive evidence per label — " + "; ".join(top),
            "artifact": "reports/explanations.json",
        },
        "example_explanations": {
            "available": synthetic,
            "reason": "per-note pages show note text, so they are produced for synthetic data only"
            + ("" if synthetic else "; this model was trained on real data"),
            **({"artifact": "reports/examples/"} if synthetic else {}),
        },
        "deletion_test": {
            "performed": bool(by_label),
            **({"k": deletion_k} if deletion_k else {}),
            "notes": max((e["notes"] for e in explanations["labels"].values()), default=0),
            "by_label": by_label,
        },
        "ico_explanation_types": {
            "rationale": {
                "ethics_panel": "global weights and example explanations in the review pack",
                "analysts": "per-note token contributions (synthetic or de-identified notes only)",
            },
            "responsibility": {
                "ethics_panel": "ownership section of this card and the review record",
                "public": "the ATRS record names the owner and the contact",
            },
            "data": {
                "ethics_panel": "data section: source, time span, de-identification and leak rate",
                "children_and_families": "the council's privacy notice, in plain language",
            },
            "fairness": {
                "ethics_panel": "fairness section and the per-group tables in the review pack",
                "public": "the ATRS tier 2 record summarises the fairness checks",
            },
            "safety_and_performance": {
                "ethics_panel": "evaluation with intervals against baselines; monitoring plan",
                "analysts": "the evaluation report logged with the run",
            },
            "impact": {
                "ethics_panel": "risks and limitations; the model never decides about a child",
                "children_and_families": "no decision about them is made or prompted by the model",
            },
        },
    }


def _risks(report: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "risk": "Automation bias: people defer to a score instead of their own judgement.",
            "likelihood": "medium",
            "impact": "high",
            "mitigation": "No individual scores reach practitioners; outputs are aggregate and "
            "reviewed by analysts who can discard them.",
            "residual": "low",
        },
        {
            "risk": "Stigmatising families: flags read as labels about a family.",
            "likelihood": "low",
            "impact": "high",
            "mitigation": "Outputs are counts by month and group with suppression below 10; no "
            "flag is attached to a child's record.",
            "residual": "low",
        },
        {
            "risk": "Feedback loops: the model learns what was recorded, not what happened, and "
            "groups whose needs are under-recorded are missed more.",
            "likelihood": "high",
            "impact": "medium",
            "mitigation": "Missed share is reported per group with intervals; under-recording is "
            "tested with the generator's bias switches; monitoring compares groups quarterly.",
            "residual": "medium",
        },
        {
            "risk": "Function creep: a research model is used for screening or triage.",
            "likelihood": "medium",
            "impact": "high",
            "mitigation": "The gate refuses any use without a matching approval; a new use needs "
            "a new review; overrides are recorded on the run.",
            "residual": "low",
        },
        {
            "risk": "Re-identification from logged artefacts.",
            "likelihood": "low",
            "impact": "high",
            "mitigation": "Training text is de-identified and checked; words used in fewer than "
            "the vocabulary floor of cases never reach a model; tests search the tracking store "
            "for every synthetic identifier.",
            "residual": "low",
        },
    ]


def _limitations(report: dict[str, Any], leak: dict[str, Any]) -> list[str]:
    items = []
    if report.get("synthetic"):
        items.append(
            "Trained and evaluated on synthetic notes only: the figures are upper bounds until "
            "confirmed on independently written notes."
        )
    missed = [
        label
        for label, entry in report["evaluation"]["labels"].items()
        if not entry["threshold"].get("met", True)
    ]
    if missed:
        items.append("The validation target was not met for: " + ", ".join(missed) + ".")
    rules = report["baselines"].get("rules_only")
    if rules:
        ours = report["evaluation"].get("summary", {}).get("auroc")
        theirs = rules.get("summary", {}).get("auroc")
        if ours is not None and theirs is not None and ours < theirs:
            items.append(
                f"The rules-only baseline ranks better than this model (macro AUROC {theirs:.3f} "
                f"against {ours:.3f}); the model adds no evidence the extractor does not."
            )
    if leak.get("value") is not None:
        items.append(
            f"De-identification leaves about {leak['value']:.1%} of identifier characters in "
            "place on synthetic notes; the case-vocabulary floor and the verify gate reduce what "
            "a model can learn from them but do not remove them from the text."
        )
    items.append(
        "Fairness figures describe the recorded outcome, which may itself be biased; a group with "
        "no detected gap is not shown to be treated equally."
    )
    return items


def _sign_off(tags: dict[str, str], today: dt.date) -> dict[str, Any]:
    state = tags.get(TAG_STATE, "pending")
    expires = tags.get(TAG_EXPIRES)
    if state != "pending" and expires and dt.date.fromisoformat(expires) < today:
        state = "expired"
    record = tags.get(TAG_RECORD)
    return {
        "state": state,
        "decision_record": f"{RECORDS_DIR}/{record}" if record and state != "pending" else None,
        "expires": expires if state != "pending" else None,
    }


def build_card(
    evidence: RunEvidence, settings: CardSettings, *, today: dt.date | None = None
) -> dict[str, Any]:
    """The model card as a dict that conforms to the schema (not yet validated)."""
    today = today or dt.date.today()
    run, report = evidence.run, evidence.report
    tags = run["tags"]
    params = evidence.parent["params"] if evidence.parent else {}
    created = dt.datetime.fromtimestamp(run["start_time"] / 1000, dt.UTC).date().isoformat()
    leak = _leak_rate(settings)
    task = report["task"]
    split = report["split"]
    accountable = settings.accountable_officer.model_dump()
    if settings.model_owner:
        accountable["model_owner"] = settings.model_owner.model_dump()
    out_of_scope = [NEVER_AUTOMATED, *settings.out_of_scope_uses]
    definitions = {
        label: LABEL_DEFINITIONS[task].format(label=label.replace("_", " "))
        for label in report["labels"]
    }
    card = {
        "identity": {
            "name": run["run_name"],
            "version": f"run-{run['run_id'][:8]}",
            "model_kind": report["kind"],
            "task": task,
            "labels": list(report["labels"]),
            "mlflow_run_id": run["run_id"],
            "experiment": run["experiment"],
            "created": created,
            "casenotes_version": tags.get("casenotes.version", "unknown"),
            "git_commit": tags.get("casenotes.git_commit", "unknown"),
            "bundle_sha256": tags.get(TAG_MODEL_BUNDLE, report["bundle_hash"]),
            "data_digest": tags.get("casenotes.data_digest", report["data_digest"]),
        },
        "ownership": {
            "owner_organisation": settings.owner_organisation,
            "accountable_officer": accountable,
            "contact": settings.contact,
            "panel": settings.panel.model_dump(),
        },
        "purpose": {
            "intended_use": report["intended_use"],
            "use_context": settings.use_context,
            "intended_users": list(settings.intended_users),
            "out_of_scope_uses": out_of_scope,
            "automated_decisions_prohibited": True,
        },
        "decision_process": {
            "place_in_process": settings.place_in_process,
            "human_oversight": settings.human_oversight,
            "output_recipients": list(settings.output_recipients),
            "individual_level_outputs": settings.individual_level_outputs,
            **({"challenge_route": settings.challenge_route} if settings.challenge_route else {}),
        },
        "data": {
            "source": settings.data_source,
            "synthetic": bool(report.get("synthetic")),
            "time_span": split["time_span"],
            "n_examples": {part: split[part] for part in ("train", "validation", "test")},
            "split": f"by time and case: {split['boundaries']}; "
            f"{split['dropped_for_case_purity']} examples dropped so no case is on two sides",
            "label_definitions": definitions,
            "deidentification": {
                "method": settings.deid_method,
                "gate_mode": report["gate"]["mode"],
                "leak_rate": leak,
                **(
                    {
                        "gate_sample": {
                            "sampled": report["gate"]["sampled"],
                            "identifiable_share": report["gate"]["flagged_share"],
                        }
                    }
                    if report["gate"]["mode"] == "verify"
                    else {}
                ),
            },
            "case_vocabulary_floor": {
                "min_cases": report["vocabulary"].get("min_cases") or 1,
                **(
                    {"vocabulary_size": report["vocabulary"]["words_kept"]}
                    if report["vocabulary"].get("words_kept") is not None
                    else {}
                ),
            },
            "sensitive_attributes_source": "demographic columns of the input (sex, ethnicity, "
            "age band, disability, deprivation quintile), as recorded",
        },
        "evaluation": _evaluation(report, params, settings.threshold_rationale),
        "fairness": _fairness(report, params),
        "explainability": _explainability(report, bool(report.get("synthetic"))),
        "risks": _risks(report),
        "limitations": _limitations(report, leak),
        "monitoring": {
            "metrics_to_watch": [
                {
                    "metric": "flag rate per label per month",
                    "alert_when": "outside the test-set interval for two months running",
                },
                {
                    "metric": "missed share per group on a quarterly hand-checked sample",
                    "alert_when": "a gap against the reference group whose interval excludes 0",
                },
                {
                    "metric": "share of notes with identifiers found by the verify gate",
                    "alert_when": "above the training run's limit",
                },
            ],
            "review_cadence_months": settings.review_cadence_months,
            "re_review_triggers": [
                "retraining or any change to the model bundle",
                "a threshold change",
                "a new data source or use context",
                "expiry of the approval",
                "a monitoring alert or a complaint",
            ],
        },
        "sign_off": _sign_off(tags, today),
    }
    if definitions and task == "note_risks":
        unknown = set(definitions) - {label.value for label in RiskLabel}
        if unknown:
            raise InputError(f"card: unknown labels {sorted(unknown)}")
    return json.loads(json.dumps(card))  # plain JSON types (tuples become lists)


# ------------------------------------------------------------------------------- ATRS records
def atrs_records(card: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """ATRS tier 1 (a short public summary) and tier 2 (the fuller record), from the card."""
    identity, purpose, data = card["identity"], card["purpose"], card["data"]
    evaluation = card["evaluation"]["labels"]
    tier1 = {
        "standard": "Algorithmic Transparency Recording Standard, tier 1",
        "name": identity["name"],
        "description": purpose["intended_use"],
        "organisation": card["ownership"]["owner_organisation"],
        "contact": card["ownership"]["contact"],
        "phase": "pre-deployment" if card["sign_off"]["state"] == "pending" else "in review",
        "how_it_is_used": card["decision_process"]["place_in_process"],
        "why_it_is_used": "To measure how risk factors are recorded across case notes without "
        "anyone reading every note; never to make or prompt a decision about a child.",
        "human_oversight": card["decision_process"]["human_oversight"],
    }
    tier2 = {
        "standard": "Algorithmic Transparency Recording Standard, tier 2",
        "owner_and_responsibility": {
            "organisation": card["ownership"]["owner_organisation"],
            "senior_responsible_owner": card["ownership"]["accountable_officer"],
            "contact": card["ownership"]["contact"],
            "external_supplier": "none: built with the open-source casenotes toolkit",
        },
        "description_and_rationale": {
            "scope": purpose["intended_use"],
            "use_context": purpose["use_context"],
            "out_of_scope": purpose["out_of_scope_uses"],
            "benefits": "Counts of recorded need across an archive, with uncertainty.",
            "alternatives_considered": "Rules-only counts from the risk extractor, reported "
            "beside the model.",
        },
        "decision_making_process": card["decision_process"],
        "tool_specification": {
            "model_kind": identity["model_kind"],
            "task": identity["task"],
            "labels": identity["labels"],
            "version": identity["version"],
            "bundle_sha256": identity["bundle_sha256"],
            "performance": {
                label: {
                    key: entry["metrics"][key]
                    for key in ("auroc", "precision", "recall", "missed_share")
                }
                for label, entry in evaluation.items()
            },
        },
        "data": {
            "source": data["source"],
            "synthetic": data["synthetic"],
            "time_span": data["time_span"],
            "deidentification": data["deidentification"],
            "sensitive_attributes": card["fairness"]["attributes"],
        },
        "risks": {
            "impact_assessments": "ethics review, DPIA and equality impact assessment "
            "(ethics/templates/)",
            "risks_and_mitigations": card["risks"],
            "fairness": {
                "detected_gaps": len(card["fairness"]["detected_gaps"]),
                "statement": card["fairness"]["impossibility_statement"],
            },
        },
    }
    return tier1, tier2


# ------------------------------------------------------------------------------- writing
@dataclass(frozen=True)
class CardFiles:
    folder: Path
    digest: str
    state: str


def write_card(card: dict[str, Any], folder: Path, *, schemas: Path = SCHEMA_DIR) -> CardFiles:
    """Validate, then write the card (JSON, Markdown, HTML) and the ATRS records."""
    validate(card, CARD_SCHEMA, schemas)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CARD_JSON).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    (folder / "model_card.md").write_text(render("model_card.md.j2", card=card))
    (folder / "model_card.html").write_text(render("model_card.html.j2", card=card))
    tier1, tier2 = atrs_records(card)
    (folder / "atrs_tier1.json").write_text(json.dumps(tier1, indent=2) + "\n")
    (folder / "atrs_tier2.json").write_text(json.dumps(tier2, indent=2) + "\n")
    (folder / "atrs.md").write_text(render("atrs.md.j2", tier1=tier1, tier2=tier2))
    return CardFiles(folder, card_digest(card), card["sign_off"]["state"])


def generate_card(
    run_id: str,
    store,
    settings: CardSettings,
    out: Path,
    *,
    log: bool = True,
    today: dt.date | None = None,
    schemas: Path = SCHEMA_DIR,
) -> CardFiles:
    """Build, validate and write the card of ``run_id``; log it back to the run."""
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        evidence = gather(run_id, store, Path(work))
    card = build_card(evidence, settings, today=today)
    files = write_card(card, out, schemas=schemas)
    if log:
        store.log_artifacts(run_id, out, CARD_DIR)
        store.set_tags(run_id, {TAG_CARD_DIGEST: files.digest})
    return files
