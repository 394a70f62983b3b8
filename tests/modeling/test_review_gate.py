"""The ethics gate on a real trained model in a real MLflow store: every refusal path, the
research override, registration, and `predict` through the gate."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from casenotes.errors import ApprovalError, InputError
from casenotes.modeling.bundle import content_hash
from casenotes.review import gate
from casenotes.review.card import generate_card
from casenotes.review.config import load_card_settings
from casenotes.review.decisions import Predictor, record_decision, register_model
from casenotes.review.records import TAG_OVERRIDE, TAG_STATE, Decision, load_record, parse_panel

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "ethics" / "schema"
PANEL = "A. Chair (chair); B. Officer (data protection officer); C. Voice (young people's advocate)"
TODAY = dt.date(2026, 11, 29)


@pytest.fixture(scope="module")
def store(run):
    from casenotes.tracking import RunStore

    return RunStore(run["uri"])


@pytest.fixture(scope="module")
def model_run(run, store, tmp_path_factory):
    """The tf-idf model run, with its card generated (a panel reviews the card)."""
    run_id = next(m.run_id for m in run["result"].models if m.name == "tfidf_lr")
    settings = load_card_settings(ROOT / "configs" / "card.toml")
    generate_card(run_id, store, settings, tmp_path_factory.mktemp("card"), schemas=SCHEMAS)
    yield run_id
    store.set_tags(run_id, {TAG_STATE: "pending"})  # the shared run goes back as it was trained


def _record(model_run, store, records, decision=Decision.APPROVED, **kwargs):
    return record_decision(
        model_run,
        store,
        decision=decision,
        panel=PANEL,
        records=records,
        schemas=SCHEMAS,
        today=kwargs.pop("today", TODAY),
        **kwargs,
    )


def _check(model_run, store, records, tmp_path, today=TODAY):
    return gate.check(model_run, store, tmp_path / "work", records=records, today=today)


def test_no_review_is_refused(model_run, store, tmp_path):
    store.set_tags(model_run, {TAG_STATE: "pending"})
    with pytest.raises(ApprovalError, match="no ethics review is recorded"):
        _check(model_run, store, tmp_path / "records", tmp_path)


def test_approval_clears_the_model_and_names_its_bytes(model_run, store, tmp_path):
    records = tmp_path / "records"
    record, path = _record(model_run, store, records, expires=TODAY + dt.timedelta(days=180))
    assert load_record(path) == record
    assert json.loads(path.read_text())["panel"][1]["role"] == "data protection officer"
    assert store.run(model_run)["tags"][TAG_STATE] == "approved"
    clearance = _check(model_run, store, records, tmp_path)
    assert not clearance.overridden and clearance.record.decision is Decision.APPROVED
    predictor = Predictor(clearance)
    from casenotes.records import Note

    scored = predictor([Note(note_id="n1", text="Mum disclosed DV from her partner.")])
    assert set(scored[0].extra["predictions"]) == set(predictor.bundle.labels)


def test_expired_approval_is_refused(model_run, store, tmp_path):
    records = tmp_path / "records"
    _record(model_run, store, records, expires=TODAY + dt.timedelta(days=30))
    with pytest.raises(ApprovalError, match="expired on"):
        _check(model_run, store, records, tmp_path, today=TODAY + dt.timedelta(days=31))
    _check(model_run, store, records, tmp_path, today=TODAY + dt.timedelta(days=30))  # last day


def test_rejection_is_refused(model_run, store, tmp_path):
    records = tmp_path / "records"
    _record(model_run, store, records, decision=Decision.REJECTED)
    with pytest.raises(ApprovalError, match="rejected this model"):
        _check(model_run, store, records, tmp_path)


def test_altered_model_bytes_are_refused(model_run, store, run, tmp_path):
    records = tmp_path / "records"
    _record(model_run, store, records)
    approved = store.run(model_run)["tags"]["casenotes.model.bundle_sha256"]
    bundle = next(  # where the store keeps the logged model's bytes
        path
        for path in (Path(run["tmp"]) / "mlartifacts").rglob("bundle.joblib")
        if content_hash(path) == approved
    )
    original = tmp_path / "original.joblib"
    shutil.copy(bundle, original)
    try:
        with bundle.open("ab") as handle:
            handle.write(b"\0")
        with pytest.raises(ApprovalError, match="bundle has changed since the panel approved"):
            _check(model_run, store, records, tmp_path)
    finally:
        shutil.copy(original, bundle)
    _check(model_run, store, records, tmp_path)


def test_card_changed_after_review_is_refused(model_run, store, run, tmp_path):
    records = tmp_path / "records"
    _record(model_run, store, records)
    card = next((Path(run["tmp"]) / "mlartifacts").rglob(f"{model_run}/**/card/model_card.json"))
    original = card.read_text()
    try:
        edited = json.loads(original)
        edited["limitations"].append("a sentence added after the panel met")
        card.write_text(json.dumps(edited))
        with pytest.raises(ApprovalError, match="model card changed after the panel read it"):
            _check(model_run, store, records, tmp_path)
        edited = json.loads(original)
        edited["sign_off"] = {"state": "approved", "decision_record": None}  # not in the digest
        card.write_text(json.dumps(edited))
        _check(model_run, store, records, tmp_path)
    finally:
        card.write_text(original)


def test_tags_without_a_record_are_refused(model_run, store, tmp_path):
    store.set_tags(model_run, {TAG_STATE: "approved"})
    with pytest.raises(ApprovalError, match="no decision record for it exists"):
        _check(model_run, store, tmp_path / "empty", tmp_path)


def test_tags_that_disagree_with_the_record_are_refused(model_run, store, tmp_path):
    records = tmp_path / "records"
    _record(model_run, store, records, decision=Decision.REJECTED)
    store.set_tags(model_run, {TAG_STATE: "approved"})  # someone edits the run's tag
    with pytest.raises(ApprovalError, match="rejected"):
        _check(model_run, store, records, tmp_path)
    records2 = tmp_path / "records2"
    _record(model_run, store, records2)
    store.set_tags(model_run, {TAG_STATE: "approved-with-conditions"})
    with pytest.raises(ApprovalError, match="disagree with record"):
        _check(model_run, store, records2, tmp_path)


def test_research_override_is_loud_and_recorded(model_run, store, tmp_path):
    store.set_tags(model_run, {TAG_STATE: "pending"})
    clearance = gate.clear_for_use(
        model_run,
        store,
        tmp_path / "work",
        research_override="reproducing figures for the panel's question 3",
        records=tmp_path / "none",
        today=TODAY,
    )
    assert clearance.overridden and "no ethics review" in clearance.refusal
    tags = store.run(model_run)["tags"]
    overrides = [v for k, v in tags.items() if k.startswith(TAG_OVERRIDE)]
    assert any("panel's question 3" in v for v in overrides)
    with pytest.raises(ApprovalError):
        gate.clear_for_use(
            model_run, store, tmp_path / "w2", research_override="  ", records=tmp_path / "none"
        )


def test_register_needs_an_approval_then_sets_the_alias(model_run, store, tmp_path):
    with pytest.raises(ApprovalError):
        register_model(model_run, store, records=tmp_path / "none", today=TODAY)
    records = tmp_path / "records"
    _record(model_run, store, records)
    name, version = register_model(model_run, store, records=records, today=TODAY)
    assert store.alias_version(name, "approved") == {"version": version, "run_id": model_run}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"decision": Decision.APPROVED_WITH_CONDITIONS}, "needs at least one --conditions"),
        ({"expires": TODAY - dt.timedelta(days=1)}, "is not after the decision date"),
        ({"expires": TODAY + dt.timedelta(days=400)}, "approvals last at most a year"),
    ],
)
def test_bad_decisions_are_refused_before_anything_is_written(
    model_run, store, tmp_path, kwargs, message
):
    records = tmp_path / "records"
    with pytest.raises(InputError, match=message):
        _record(model_run, store, records, **kwargs)
    assert not records.exists()


def test_conditions_split_on_semicolons(model_run, store, tmp_path):
    record, _ = _record(
        model_run,
        store,
        tmp_path / "records",
        decision=Decision.APPROVED_WITH_CONDITIONS,
        conditions=["synthetic data only; re-review in 6 months"],
    )
    assert record.conditions == ("synthetic data only", "re-review in 6 months")


def test_panel_must_name_roles():
    assert parse_panel("A (chair);B (DPO)")[1].role == "DPO"
    with pytest.raises(InputError, match="could not read 'Just A Name'"):
        parse_panel("A (chair); Just A Name")


def test_tag_scores_with_an_approved_classifier_and_refuses_an_unreviewed_one(
    model_run, store, run, raw_corpus, train_labels, tmp_path
):
    import subprocess
    import sys

    from casenotes.batch.config import TagConfig
    from casenotes.batch.runner import TagRun, local_engine
    from casenotes.batch.tagger import tag_settings, tagger_factory
    from casenotes.io import read_notes

    store.set_tags(model_run, {TAG_STATE: "pending"})
    archive = tmp_path / "archive.jsonl"
    archive.write_text("".join(raw_corpus.read_text().splitlines(keepends=True)[:30]))
    command = [sys.executable, "-m", "casenotes.cli", "tag", str(archive)]
    command += ["--out", str(tmp_path / "x"), "--classifier", model_run]
    command += ["--tracking-uri", run["uri"], "--no-mlflow"]
    refused = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 5, refused.stderr
    assert "no ethics review is recorded" in refused.stderr
    assert not (tmp_path / "x").exists()

    records = tmp_path / "records"
    _record(model_run, store, records, expires=TODAY + dt.timedelta(days=90))
    clearance = _check(model_run, store, records, tmp_path)
    settings = tag_settings(TagConfig(checkpoint_notes=10), clearance=clearance)
    TagRun(archive, tmp_path / "tagged", settings).run(local_engine(tagger_factory(settings)))
    notes = [item.note for item in read_notes(tmp_path / "tagged" / "notes")]
    assert len(notes) == 30
    for note in notes:
        predictions = note.extra["predictions"]
        assert note.extra["model_run"] == model_run
        assert set(predictions) == set(train_labels)
        assert all(0.0 <= p["score"] <= 1.0 for p in predictions.values())
    # The classifier scored the de-identified text, as it would in `casenotes predict`.
    predictor = Predictor(clearance)
    again = predictor(notes[:5])
    assert [n.extra["predictions"] for n in again] == [n.extra["predictions"] for n in notes[:5]]
