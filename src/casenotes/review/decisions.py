"""Recording a panel's decision, registering an approved model, applying a cleared one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import tempfile
from collections.abc import Sequence
from pathlib import Path

from casenotes import __version__
from casenotes.errors import InputError
from casenotes.modeling.bundle import content_hash, load_bundle
from casenotes.records import Note
from casenotes.review.gate import (
    BUNDLE_ARTIFACT,
    CARD_ARTIFACT,
    Clearance,
    clear_for_use,
    logged_card_digest,
)
from casenotes.review.records import (
    DEFAULT_VALIDITY_DAYS,
    RECORDS_DIR,
    SCHEMA_DIR,
    Decision,
    ReviewRecord,
    parse_panel,
    save_record,
)

APPROVED_ALIAS = "approved"
PREDICTIONS_FIELD = "predictions"
ERR_NO_CARD = (
    "run {run}: no model card is logged (artifact {card}). Generate it with `casenotes card {run}` "
    "and give the panel the card and review pack before recording a decision."
)


def record_decision(
    run_id: str,
    store,
    *,
    decision: Decision,
    panel: str,
    conditions: Sequence[str] = (),
    expires: dt.date | None = None,
    notes: str | None = None,
    recorded_by: str | None = None,
    today: dt.date | None = None,
    records: Path = RECORDS_DIR,
    schemas: Path = SCHEMA_DIR,
) -> tuple[ReviewRecord, Path]:
    """Hash what the panel reviewed, write the record under ``records`` and tag the run."""
    today = today or dt.date.today()
    info = store.run(run_id)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        bundle = store.download(run_id, BUNDLE_ARTIFACT, work / "bundle")
        try:
            card = store.download(run_id, CARD_ARTIFACT, work / "card")
        except InputError:
            raise InputError(ERR_NO_CARD.format(run=run_id, card=CARD_ARTIFACT)) from None
        bundle_hash = content_hash(bundle)
        card_hash = logged_card_digest(card)
    record = ReviewRecord(
        run_id=run_id,
        model_name=info["run_name"] or run_id,
        decision=decision,
        panel=parse_panel(panel),
        decided=today,
        expires=expires or today + dt.timedelta(days=DEFAULT_VALIDITY_DAYS),
        bundle_sha256=bundle_hash,
        card_sha256=card_hash,
        recorded_by=recorded_by or getpass.getuser(),
        casenotes_version=__version__,
        conditions=tuple(
            part.strip() for entry in conditions for part in entry.split(";") if part.strip()
        ),
        notes=notes,
    )
    path = save_record(record, records, schemas)
    store.set_tags(run_id, record.tags())
    return record, path


def register_model(
    run_id: str,
    store,
    *,
    name: str | None = None,
    records: Path = RECORDS_DIR,
    today: dt.date | None = None,
) -> tuple[str, str]:
    """Give the run's model the registry alias ``approved`` — only with a valid approval."""
    with tempfile.TemporaryDirectory() as folder:
        clear_for_use(run_id, store, Path(folder), records=records, today=today)
    info = store.run(run_id)
    model_name = name or f"casenotes-{info['tags'].get('casenotes.task', 'model')}-" + (
        info["run_name"] or "model"
    )
    version = store.register(run_id, model_name, APPROVED_ALIAS)
    return model_name, version


class Predictor:
    """Scores notes with a cleared model; adds ``predictions`` {label: {score, flagged}}."""

    def __init__(self, clearance: Clearance) -> None:
        self.clearance = clearance
        self.bundle = load_bundle(clearance.bundle_path)

    def __call__(self, notes: Sequence[Note]) -> list[Note]:
        scores = self.bundle.predict_scores([note.text for note in notes])
        flags = self.bundle.flags(scores)
        out = []
        for note, row, flagged in zip(notes, scores, flags, strict=True):
            extra = dict(note.extra)
            extra[PREDICTIONS_FIELD] = {
                label: {"score": round(float(score), 6), "flagged": bool(flag)}
                for label, score, flag in zip(self.bundle.labels, row, flagged, strict=True)
            }
            extra["model_run"] = self.clearance.run_id
            out.append(dataclasses.replace(note, extra=extra))
        return out
