"""Review decisions as records: what the panel decided, about which bytes, until when.

A decision lives in two places that must agree: a JSON file under ``ethics/records/`` (validated
against ``ethics/schema/review_record.schema.json``; kept under version control, append-only) and
tags on the model's MLflow run (so the run shows its state). The gate trusts neither alone.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from casenotes.errors import InputError

RECORDS_DIR = Path("ethics/records")
SCHEMA_DIR = Path("ethics/schema")
REVIEW_SCHEMA = "review_record.schema.json"
CARD_SCHEMA = "model_card.schema.json"
DEFAULT_VALIDITY_DAYS = 365
HEX64 = re.compile(r"^[0-9a-f]{64}$")

TAG_STATE = "casenotes.ethics_review"
TAG_DECIDED = "casenotes.review.decided"
TAG_EXPIRES = "casenotes.review.expires"
TAG_BUNDLE = "casenotes.review.bundle_sha256"
TAG_CARD = "casenotes.review.card_sha256"
TAG_PANEL = "casenotes.review.panel"
TAG_CONDITIONS = "casenotes.review.conditions"
TAG_RECORD = "casenotes.review.record"
TAG_OVERRIDE = "casenotes.research_override"
TAG_MODEL_BUNDLE = "casenotes.model.bundle_sha256"
TAG_CARD_DIGEST = "casenotes.card_sha256"

ERR_PANEL = "--panel must list reviewers as 'Name (role); Name (role)'; could not read {entry!r}"
ERR_CONDITIONS = "a decision of approved-with-conditions needs at least one --conditions entry"
ERR_EXPIRY = "--expires {expires} is not after the decision date {decided}"
ERR_EXPIRY_LONG = (
    "--expires {expires} is more than {days} days after the decision date {decided}; approvals "
    "last at most a year"
)
MAX_VALIDITY_DAYS = 366


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    APPROVED_WITH_CONDITIONS = "approved-with-conditions"

    @property
    def permits_use(self) -> bool:
        return self is not Decision.REJECTED


@dataclass(frozen=True)
class Reviewer:
    name: str
    role: str


@dataclass(frozen=True)
class ReviewRecord:
    """One panel decision about one model run (never any case data)."""

    run_id: str
    model_name: str
    decision: Decision
    panel: tuple[Reviewer, ...]
    decided: dt.date
    expires: dt.date
    bundle_sha256: str
    card_sha256: str
    recorded_by: str
    casenotes_version: str
    conditions: tuple[str, ...] = ()
    notes: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.decision is Decision.APPROVED_WITH_CONDITIONS and not self.conditions:
            raise InputError(ERR_CONDITIONS)
        if self.expires <= self.decided:
            raise InputError(ERR_EXPIRY.format(expires=self.expires, decided=self.decided))
        if (self.expires - self.decided).days > MAX_VALIDITY_DAYS:
            raise InputError(
                ERR_EXPIRY_LONG.format(
                    expires=self.expires, decided=self.decided, days=MAX_VALIDITY_DAYS
                )
            )
        for name in ("bundle_sha256", "card_sha256"):
            if not HEX64.match(getattr(self, name)):
                raise InputError(f"{name} must be 64 lowercase hex characters")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("extra")
        data["decision"] = self.decision.value
        data["panel"] = [asdict(r) for r in self.panel]
        data["conditions"] = list(self.conditions)
        data["decided"] = self.decided.isoformat()
        data["expires"] = self.expires.isoformat()
        if self.notes is None:
            data.pop("notes")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReviewRecord:
        return cls(
            run_id=data["run_id"],
            model_name=data["model_name"],
            decision=Decision(data["decision"]),
            panel=tuple(Reviewer(p["name"], p["role"]) for p in data["panel"]),
            decided=dt.date.fromisoformat(data["decided"]),
            expires=dt.date.fromisoformat(data["expires"]),
            bundle_sha256=data["bundle_sha256"],
            card_sha256=data["card_sha256"],
            recorded_by=data["recorded_by"],
            casenotes_version=data["casenotes_version"],
            conditions=tuple(data.get("conditions") or ()),
            notes=data.get("notes"),
        )

    def tags(self) -> dict[str, str]:
        return {
            TAG_STATE: self.decision.value,
            TAG_DECIDED: self.decided.isoformat(),
            TAG_EXPIRES: self.expires.isoformat(),
            TAG_BUNDLE: self.bundle_sha256,
            TAG_CARD: self.card_sha256,
            TAG_PANEL: "; ".join(f"{r.name} ({r.role})" for r in self.panel),
            TAG_CONDITIONS: " | ".join(self.conditions) or "none",
            TAG_RECORD: self.file_name,
        }

    @property
    def file_name(self) -> str:
        return f"{self.run_id}-{self.decided.isoformat()}.json"


def card_digest(card: dict[str, Any]) -> str:
    """SHA-256 of the card's canonical JSON without ``sign_off`` (which a decision changes)."""
    import hashlib

    body = {key: value for key, value in card.items() if key != "sign_off"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_panel(text: str) -> tuple[Reviewer, ...]:
    """``"A. Khan (chair); B. Jones (DPO)"`` → reviewers; an error naming a bad entry."""
    reviewers = []
    for entry in (part.strip() for part in text.split(";")):
        if not entry:
            continue
        match = re.fullmatch(r"(.+?)\s*\(([^()]+)\)", entry)
        if not match:
            raise InputError(ERR_PANEL.format(entry=entry))
        reviewers.append(Reviewer(match.group(1).strip(), match.group(2).strip()))
    if not reviewers:
        raise InputError(ERR_PANEL.format(entry=text))
    return tuple(reviewers)


def schema(name: str, root: Path = SCHEMA_DIR) -> dict[str, Any]:
    path = root / name
    if not path.exists():
        raise InputError(f"{path}: schema not found; run from the project root")
    return json.loads(path.read_text())


def validate(instance: dict[str, Any], name: str, root: Path = SCHEMA_DIR) -> None:
    """Validate against one of the ethics schemas; the error lists every problem's location."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema(name, root))
    problems = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if problems:
        lines = [
            f"  {'/'.join(str(p) for p in error.absolute_path) or '(top level)'}: {error.message}"
            for error in problems[:20]
        ]
        raise InputError(f"does not conform to {name}:\n" + "\n".join(lines))


def save_record(record: ReviewRecord, folder: Path = RECORDS_DIR, root: Path = SCHEMA_DIR) -> Path:
    """Write the record (validated; never overwriting an earlier one)."""
    data = record.to_dict()
    validate(data, REVIEW_SCHEMA, root)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / record.file_name
    if path.exists():
        raise InputError(f"{path}: a decision for this run on this date is already recorded")
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def load_record(path: Path) -> ReviewRecord:
    try:
        return ReviewRecord.from_dict(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError) as error:
        raise InputError(f"{path}: not a readable review record ({type(error).__name__})") from None


def latest_record(run_id: str, folder: Path = RECORDS_DIR) -> ReviewRecord | None:
    """The most recent decision recorded for ``run_id`` (by decision date), if any."""
    found = sorted(folder.glob(f"{run_id}-*.json")) if folder.exists() else []
    return load_record(found[-1]) if found else None
