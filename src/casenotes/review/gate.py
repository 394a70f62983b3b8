"""The gate: a classifier is applied only with a matching, unexpired approval.

:func:`clear_for_use` is called by everything that applies a classifier (``casenotes predict``,
``casenotes register``, archive tagging with a classifier). It refuses, saying which and why:

- **no review** — the run has no recorded decision (its state is ``pending``);
- **rejected** — the panel rejected it;
- **expired** — today is after the approval's expiry date;
- **altered** — the model bundle logged with the run no longer has the SHA-256 the panel approved,
  or the model card changed since the panel read it;
- **inconsistent** — the run's review tags and the record under ``ethics/records/`` disagree.

A research override exists for work that must run an unapproved model (for example, to produce
the evidence a panel asked for). It is loud: it needs a reason, is printed as a warning, and is
recorded on the run as a tag with the time, the reason and the refusal it overrode.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from casenotes.errors import ApprovalError
from casenotes.modeling.bundle import content_hash
from casenotes.review.records import (
    RECORDS_DIR,
    TAG_BUNDLE,
    TAG_OVERRIDE,
    TAG_STATE,
    Decision,
    ReviewRecord,
    card_digest,
    latest_record,
)

BUNDLE_ARTIFACT = "model/artifacts/bundle.joblib"
CARD_ARTIFACT = "card/model_card.json"

ERR_NO_REVIEW = (
    "model run {run}: no ethics review is recorded (state: {state}). A panel must review the "
    "model card and review pack, then record its decision with `casenotes review record {run}`."
)
ERR_NO_RECORD = (
    "model run {run}: the run is tagged {state!r} but no decision record for it exists under "
    "{folder}; the record, not the tag, is the authority. Refusing."
)
ERR_REJECTED = (
    "model run {run}: the ethics panel rejected this model on {decided} (record {record}); "
    "it may not be applied."
)
ERR_EXPIRED = (
    "model run {run}: the approval expired on {expires} (record {record}); the model needs a new "
    "review before it is applied again."
)
ERR_ALTERED = (
    "model run {run}: the model bundle has changed since the panel approved it (approved "
    "sha256 {approved:.12}…, found {found:.12}…). Retrain and review, or restore the approved "
    "model."
)
ERR_CARD_CHANGED = (
    "model run {run}: the model card changed after the panel read it (approved card sha256 "
    "{approved:.12}…, found {found:.12}…). The panel must review the current card."
)
ERR_INCONSISTENT = (
    "model run {run}: the run's review tags disagree with record {record} ({what}); the tags may "
    "have been edited. Refusing."
)
OVERRIDE_WARNING = (
    "RESEARCH OVERRIDE: applying model run {run} WITHOUT a valid ethics approval ({refusal}). "
    "Reason given: {reason}. This is recorded on the run. Outputs are for research only and must "
    "not inform any decision about a child."
)


@dataclass(frozen=True)
class Clearance:
    """Why a model may be applied: its approval, or a recorded research override."""

    run_id: str
    bundle_path: Path
    record: ReviewRecord | None
    override_reason: str | None = None
    refusal: str | None = None

    @property
    def overridden(self) -> bool:
        return self.override_reason is not None


def logged_card_digest(path: Path) -> str:
    """The digest of a downloaded card file (see :func:`~casenotes.review.records.card_digest`)."""
    try:
        card = json.loads(path.read_text())
    except ValueError:
        return hashlib.sha256(path.read_bytes()).hexdigest()  # not JSON: cannot match
    return card_digest(card)


def check(
    run_id: str,
    store,
    workdir: Path,
    *,
    records: Path = RECORDS_DIR,
    today: dt.date | None = None,
) -> Clearance:
    """Raise :class:`ApprovalError` unless ``run_id`` has a matching, unexpired approval."""
    today = today or dt.date.today()
    tags = store.run(run_id)["tags"]
    state = tags.get(TAG_STATE, "none")
    record = latest_record(run_id, records)
    if record is None:
        if state in {d.value for d in Decision if d.permits_use}:
            raise ApprovalError(ERR_NO_RECORD.format(run=run_id, state=state, folder=records))
        raise ApprovalError(ERR_NO_REVIEW.format(run=run_id, state=state))
    if record.decision is Decision.REJECTED:
        raise ApprovalError(
            ERR_REJECTED.format(run=run_id, decided=record.decided, record=record.file_name)
        )
    mismatched = [
        what
        for what, ok in (
            ("decision", state == record.decision.value),
            ("bundle hash", tags.get(TAG_BUNDLE) == record.bundle_sha256),
        )
        if not ok
    ]
    if mismatched:
        raise ApprovalError(
            ERR_INCONSISTENT.format(run=run_id, record=record.file_name, what=", ".join(mismatched))
        )
    if today > record.expires:
        raise ApprovalError(
            ERR_EXPIRED.format(run=run_id, expires=record.expires, record=record.file_name)
        )
    bundle = store.download(run_id, BUNDLE_ARTIFACT, workdir / "bundle")
    found = content_hash(bundle)
    if found != record.bundle_sha256:
        raise ApprovalError(
            ERR_ALTERED.format(run=run_id, approved=record.bundle_sha256, found=found)
        )
    card = store.download(run_id, CARD_ARTIFACT, workdir / "card")
    card_hash = logged_card_digest(card)
    if card_hash != record.card_sha256:
        raise ApprovalError(
            ERR_CARD_CHANGED.format(run=run_id, approved=record.card_sha256, found=card_hash)
        )
    return Clearance(run_id, bundle, record)


def clear_for_use(
    run_id: str,
    store,
    workdir: Path,
    *,
    research_override: str | None = None,
    records: Path = RECORDS_DIR,
    today: dt.date | None = None,
) -> Clearance:
    """:func:`check`, or — with a research override reason — record the override and go on."""
    try:
        return check(run_id, store, workdir, records=records, today=today)
    except ApprovalError as refusal:
        if not research_override or not research_override.strip():
            raise
        now = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        store.set_tags(
            run_id,
            {f"{TAG_OVERRIDE}.{now}": f"{research_override.strip()} | refused: {refusal}"[:5000]},
        )
        bundle = store.download(run_id, BUNDLE_ARTIFACT, workdir / "bundle")
        return Clearance(
            run_id,
            bundle,
            latest_record(run_id, records),
            override_reason=research_override.strip(),
            refusal=str(refusal),
        )
