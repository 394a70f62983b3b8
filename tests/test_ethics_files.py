"""The ethics folder: schemas that mean what they say, a README that names every command, templates
with their headings. Schema tests need ``jsonschema``; they are skipped, not failed, without it."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

ETHICS = Path(__file__).resolve().parents[1] / "ethics"
CARD_SCHEMA = ETHICS / "schema" / "model_card.schema.json"
RECORD_SCHEMA = ETHICS / "schema" / "review_record.schema.json"
SHA = "a" * 64
CARD_SECTIONS = (
    "identity",
    "ownership",
    "purpose",
    "decision_process",
    "data",
    "evaluation",
    "fairness",
    "explainability",
    "risks",
    "limitations",
    "monitoring",
    "sign_off",
)


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _interval(value: float = 0.5) -> dict[str, Any]:
    return {"value": value, "low": value - 0.1, "high": value + 0.1}


def _metrics() -> dict[str, Any]:
    names = ("auroc", "pr_auc", "precision", "recall", "missed_share", "brier", "ece")
    return {name: _interval() for name in names}


def _audiences(text: str) -> dict[str, str]:
    return {"ethics_panel": text, "children_and_families": text}


@pytest.fixture
def card() -> dict[str, Any]:
    """A minimal valid model card: every required field, few optional ones."""
    return {
        "identity": {
            "name": "tfidf_lr",
            "version": "1",
            "model_kind": "tfidf_logistic",
            "task": "note_risks",
            "labels": ["domestic_abuse"],
            "mlflow_run_id": "0123456789abcdef0123456789abcdef",
            "experiment": "casenotes-note-risks",
            "created": "2026-01-15",
            "casenotes_version": "0.1.0",
            "git_commit": "0" * 40,
            "bundle_sha256": SHA,
            "data_digest": "b" * 64,
        },
        "ownership": {
            "owner_organisation": "Example Council (synthetic)",
            "accountable_officer": {"name": "A. Officer", "role": "Director of Children's"},
            "contact": "casenotes-models@example.invalid",
            "panel": {"name": "Children's Data Ethics Panel"},
        },
        "purpose": {
            "intended_use": "Research on synthetic notes.",
            "use_context": "research",
            "intended_users": ["data scientists"],
            "out_of_scope_uses": ["Any automated decision about a child or family."],
            "automated_decisions_prohibited": True,
        },
        "decision_process": {
            "place_in_process": "None: a research study.",
            "human_oversight": "Researchers read every figure before release.",
            "output_recipients": ["research team: aggregate figures"],
            "individual_level_outputs": False,
        },
        "data": {
            "source": "casenotes synth --notes 2000 --seed 7",
            "synthetic": True,
            "time_span": {"start": "2019-01-01", "end": "2024-12-31"},
            "n_examples": {"train": 1200, "validation": 400, "test": 400},
            "label_definitions": {"domestic_abuse": "Gold annotation, affirmed and current."},
            "deidentification": {
                "method": "casenotes deidentify (placeholders)",
                "gate_mode": "verify",
                "leak_rate": {"value": 0.036, "source": "evaluation/results/deid_eval.json"},
            },
            "case_vocabulary_floor": {"min_cases": 5},
        },
        "evaluation": {
            "test_set": "later notes, no case shared with training",
            "interval_method": "95% percentile bootstrap over cases",
            "labels": {
                "domestic_abuse": {
                    "threshold": {
                        "value": 0.3,
                        "rule": "target_recall = 0.8 on validation",
                        "rationale": "Missing a child costs more than a wrong flag.",
                    },
                    "metrics": _metrics(),
                    "baselines": {"prevalence": _metrics()},
                }
            },
        },
        "fairness": {
            "attributes": ["sex"],
            "min_group": 10,
            "labels": {},
            "suppressed_groups": [],
            "detected_gaps": [],
            "impossibility_statement": "Different fairness criteria cannot all be met at once.",
        },
        "explainability": {
            "global_explanation": {"method": "coefficients", "summary": "Top words per label."},
            "example_explanations": {"available": True, "reason": "synthetic data"},
            "deletion_test": {"performed": False, "by_label": {}},
            "ico_explanation_types": {
                name: _audiences("See the review pack.")
                for name in (
                    "rationale",
                    "responsibility",
                    "data",
                    "fairness",
                    "safety_and_performance",
                    "impact",
                )
            },
        },
        "risks": [
            {
                "risk": "Automation bias",
                "likelihood": "medium",
                "impact": "high",
                "mitigation": "No individual-level outputs.",
            }
        ],
        "limitations": ["Trained on synthetic notes only."],
        "monitoring": {
            "metrics_to_watch": [{"metric": "flag rate", "alert_when": "moves by 5 points"}],
            "review_cadence_months": 6,
            "re_review_triggers": ["retraining"],
        },
        "sign_off": {"state": "pending", "decision_record": None},
    }


@pytest.fixture
def record() -> dict[str, Any]:
    """A minimal valid review record."""
    return {
        "run_id": "0123456789abcdef0123456789abcdef",
        "model_name": "tfidf_lr",
        "decision": "approved-with-conditions",
        "panel": [{"name": "A. Chair", "role": "chair"}],
        "decided": "2026-02-01",
        "expires": "2026-08-01",
        "conditions": ["Synthetic notes only."],
        "bundle_sha256": SHA,
        "card_sha256": "c" * 64,
        "recorded_by": "A. Secretary",
        "casenotes_version": "0.1.0",
    }


@pytest.fixture(scope="module")
def validators():
    jsonschema = pytest.importorskip("jsonschema")
    return {
        "card": jsonschema.Draft202012Validator(_load(CARD_SCHEMA)),
        "record": jsonschema.Draft202012Validator(_load(RECORD_SCHEMA)),
    }


def _errors(validator, instance: dict[str, Any]) -> list[str]:
    return [error.message for error in validator.iter_errors(instance)]


# ------------------------------------------------------------------------------------ schemas
@pytest.mark.parametrize("path", [CARD_SCHEMA, RECORD_SCHEMA], ids=lambda p: p.name)
def test_schema_is_valid_draft_2020_12(path):
    jsonschema = pytest.importorskip("jsonschema")
    schema = _load(path)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_card_schema_requires_every_section_and_forbids_atrs():
    schema = _load(CARD_SCHEMA)
    assert tuple(schema["required"]) == CARD_SECTIONS
    assert schema["additionalProperties"] is False
    assert "atrs" not in schema["properties"]


def test_minimal_card_and_record_are_valid(validators, card, record):
    assert _errors(validators["card"], card) == []
    assert _errors(validators["record"], record) == []


@pytest.mark.parametrize("section", CARD_SECTIONS)
def test_card_missing_a_section_is_invalid(validators, card, section):
    del card[section]
    assert any(section in message for message in _errors(validators["card"], card))


def test_card_allowing_automated_decisions_is_invalid(validators, card):
    card["purpose"]["automated_decisions_prohibited"] = False
    assert _errors(validators["card"], card)


def test_card_with_atrs_section_is_invalid(validators, card):
    card["atrs"] = {"tier": 1}
    assert _errors(validators["card"], card)


def test_card_with_bad_bundle_hash_is_invalid(validators, card):
    card["identity"]["bundle_sha256"] = "A" * 64  # upper case is not the recorded form
    assert _errors(validators["card"], card)


def test_card_interval_outside_zero_one_is_invalid(validators, card):
    card["evaluation"]["labels"]["domestic_abuse"]["metrics"]["precision"]["value"] = 1.2
    assert _errors(validators["card"], card)


def test_card_with_unknown_label_is_invalid(validators, card):
    card["identity"]["labels"] = ["toxic_trio"]
    assert _errors(validators["card"], card)


def test_card_without_fairness_attributes_needs_a_reason(validators, card):
    card["fairness"]["attributes"] = []
    assert _errors(validators["card"], card)
    card["fairness"]["not_assessed_reason"] = "No demographic columns in the extract."
    assert _errors(validators["card"], card) == []


def test_sign_off_record_reference_follows_state(validators, card):
    card["sign_off"] = {"state": "approved", "decision_record": None}
    assert _errors(validators["card"], card)
    card["sign_off"]["decision_record"] = "ethics/records/0123456789abcdef-2026-02-01.json"
    assert _errors(validators["card"], card) == []
    card["sign_off"]["state"] = "pending"
    assert _errors(validators["card"], card)


def test_conditional_approval_without_conditions_is_invalid(validators, record):
    del record["conditions"]
    assert _errors(validators["record"], record)
    record["conditions"] = []
    assert _errors(validators["record"], record)


def test_plain_approval_needs_no_conditions(validators, record):
    record["decision"] = "approved"
    del record["conditions"]
    assert _errors(validators["record"], record) == []


@pytest.mark.parametrize(
    "bad",
    ["a" * 63, "a" * 65, "g" * 64, "A" * 64, "sha256:" + "a" * 57],
    ids=["short", "long", "not-hex", "upper-case", "prefixed"],
)
@pytest.mark.parametrize("field", ["bundle_sha256", "card_sha256"])
def test_record_with_bad_hash_is_invalid(validators, record, field, bad):
    record[field] = bad
    assert _errors(validators["record"], record)


@pytest.mark.parametrize(
    "change",
    [
        {"decision": "approved-pending"},
        {"panel": []},
        {"decided": "01/02/2026"},
        {"expires": "2026-13-01"},
        {"run_id": "../etc/passwd"},
        {"case_text": "anything"},
    ],
    ids=["decision", "empty-panel", "uk-date", "bad-month", "path-in-run-id", "extra-field"],
)
def test_record_rejects_bad_fields(validators, record, change):
    bad = copy.deepcopy(record)
    bad.update(change)
    assert _errors(validators["record"], bad)


def test_record_schema_requires_the_documented_fields():
    required = set(_load(RECORD_SCHEMA)["required"])
    assert required == {
        "run_id",
        "model_name",
        "decision",
        "panel",
        "decided",
        "expires",
        "bundle_sha256",
        "card_sha256",
        "recorded_by",
        "casenotes_version",
    }


# ------------------------------------------------------------------------------------ README
README_COMMANDS = (
    "casenotes card RUN_ID",
    "casenotes review pack RUN_ID",
    "casenotes review record RUN_ID",
    "casenotes register RUN_ID",
    "--decision approved|rejected|approved-with-conditions",
    '--panel "Name (role); Name (role)"',
    "--conditions",
    "--expires YYYY-MM-DD",
    "--research-override",
)


@pytest.mark.parametrize("command", README_COMMANDS)
def test_readme_names_each_command(command):
    assert command in (ETHICS / "README.md").read_text(encoding="utf-8")


def test_readme_keeps_the_standing_rule():
    text = " ".join((ETHICS / "README.md").read_text(encoding="utf-8").split())
    assert "No model trained with it may be used to make or automate a decision" in text
    assert "without a recorded, unexpired approval from an ethics panel" in text


@pytest.mark.parametrize(
    "role",
    [
        "model owner",
        "data protection officer",
        "Caldicott guardian",
        "practitioner",
        "young people",
        "independent member",
        "chair",
    ],
)
def test_readme_names_each_role(role):
    assert role.lower() in (ETHICS / "README.md").read_text(encoding="utf-8").lower()


# ------------------------------------------------------------------------------------ templates
def _headings(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [m.group(1).strip() for m in re.finditer(r"^#{1,4}\s+(.+)$", text, re.MULTILINE)]


TEMPLATE_HEADINGS = {
    "ethics_review.md": (
        "Should this be done at all?",
        "Stakeholders, families and young people",
        "Purpose and place in decision-making",
        "Data",
        "Performance",
        "Fairness and equality",
        "Explainability",
        "Risks",
        "Law and rights",
        "Transparency",
        "Monitoring, expiry and retirement",
        "Decision",
    ),
    "dpia.md": (
        "The need for a DPIA",
        "Nature of the processing",
        "Scope of the processing",
        "Context of the processing",
        "Purposes of the processing",
        "Consultation",
        "Lawful basis",
        "Necessity and proportionality",
        "Risks to individuals",
        "Measures to reduce risk",
        "Sign-off and outcomes",
    ),
    "equality_impact_assessment.md": (
        "What is being assessed",
        "Evidence",
        "Protected characteristics",
        "Other groups to consider",
        "Recorded need and actual need",
        "Model performance by group",
        "Public Sector Equality Duty",
        "Actions",
        "Sign-off",
    ),
}


@pytest.mark.parametrize("name", sorted(TEMPLATE_HEADINGS))
def test_template_has_its_key_headings(name):
    headings = _headings(ETHICS / "templates" / name)
    missing = [
        wanted
        for wanted in TEMPLATE_HEADINGS[name]
        if not any(wanted.lower() in heading.lower() for heading in headings)
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("ethics_review.md", "never automated decisions about a child"),
        ("dpia.md", "Article 9(2)(g)"),
        ("dpia.md", "Schedule 1"),
        ("dpia.md", "typically considered"),
        ("equality_impact_assessment.md", "Equality Act 2010"),
        ("equality_impact_assessment.md", "gender reassignment"),
    ],
)
def test_template_says_what_matters(name, phrase):
    text = " ".join((ETHICS / "templates" / name).read_text(encoding="utf-8").split())
    assert phrase.lower() in text.lower()


def test_example_review_is_marked_synthetic_at_the_top():
    lines = (ETHICS / "examples" / "demo_model_review.md").read_text(encoding="utf-8").splitlines()
    assert any("SYNTHETIC EXAMPLE" in line for line in lines[:3])


def test_records_folder_explains_itself():
    text = (ETHICS / "records" / "README.md").read_text(encoding="utf-8")
    assert "<run_id>-<decided>.json" in text
    assert "append-only" in text.lower()
    assert "never case data" in text.lower()
