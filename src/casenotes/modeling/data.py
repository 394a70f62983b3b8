"""From annotated notes to what a model learns from: examples, targets, groups and the split.

Two tasks (:class:`~casenotes.modeling.config.Task`):

- ``note_risks`` — one example per note; target per risk category = the note states it as an
  affirmed, current, non-negated mention in its gold ``mentions`` (or, when the corpus has a
  ``labels`` column, the categories listed there).
- ``case_escalation`` — one example per case; its text is the case's notes dated before the case's
  cut-off (``observation_days`` after its first note, or one ``cutoff_date`` for all), joined in
  date order; target = the case was recorded as escalated (any note's ``escalated`` is true).
  Notes after the cut-off are never read.

The split keeps later data for testing and every case on one side only: with ``time_and_case``,
examples dated in the last ``test_share`` of the timeline are the test set, the slice before it is
validation, the rest trains; then any case with an example in a later set is removed from the
earlier sets (how many were removed is reported, never silently).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from casenotes.errors import InputError
from casenotes.extract.summaries import note_risks
from casenotes.modeling.config import DEMOGRAPHIC_COLUMNS, SplitSettings, Task, TrainConfig
from casenotes.records import Note

LABELS_COLUMN = "labels"
OUTCOME_COLUMN = "escalated"
NOTE_SEPARATOR = "\n\n"
UNKNOWN_GROUP = "unknown"

ERR_NO_DATE = "{kind} {id}: no date; the time split needs a date on every note"
ERR_NO_CASE = "note {id}: no case_id; the case split and the case task need one on every note"
ERR_NO_MENTIONS = (
    "note {id}: no gold labels; give a `labels` column or gold `mentions` for the note_risks task"
)
ERR_NO_OUTCOME = "note {id}: no `escalated` value; the case_escalation task needs it"
ERR_TOO_FEW = (
    "the {part} set has {n} examples after the split; need at least {need} "
    "(more data, or smaller validation/test shares)"
)
ERR_ONE_CLASS = (
    "label {label}: the {part} set has only one class ({value}); the model cannot be "
    "fitted or evaluated. Drop the label from `labels` or use more data."
)
MIN_EXAMPLES = 10


@dataclass(frozen=True, slots=True)
class Example:
    """One unit a model scores: a note, or a case's notes before its cut-off."""

    unit_id: str
    case_id: str
    date: dt.date
    text: str
    targets: tuple[int, ...]
    groups: Mapping[str, str] = field(default_factory=dict)
    note_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Split:
    """Train / validation / test examples and what the split had to drop."""

    train: tuple[Example, ...]
    validation: tuple[Example, ...]
    test: tuple[Example, ...]
    dropped_for_case_purity: int
    boundaries: Mapping[str, str]

    def summary(self) -> dict[str, Any]:
        dates = [e.date for part in (self.train, self.validation, self.test) for e in part]
        return {
            "time_span": {"start": min(dates).isoformat(), "end": max(dates).isoformat()},
            "train": len(self.train),
            "validation": len(self.validation),
            "test": len(self.test),
            "dropped_for_case_purity": self.dropped_for_case_purity,
            "boundaries": dict(self.boundaries),
            "cases": {
                part: len({e.case_id for e in examples})
                for part, examples in (
                    ("train", self.train),
                    ("validation", self.validation),
                    ("test", self.test),
                )
            },
        }


def _groups(note: Note) -> dict[str, str]:
    return {
        column: UNKNOWN_GROUP if note.extra.get(column) is None else str(note.extra.get(column))
        for column in DEMOGRAPHIC_COLUMNS
    }


def note_targets(note: Note, labels: Sequence[str]) -> tuple[int, ...]:
    """0/1 per label for one note, from its ``labels`` column or its gold mentions."""
    listed = note.extra.get(LABELS_COLUMN)
    if listed is not None:
        present = {str(label) for label in listed}
    elif note.mentions is not None:
        present = {label.value for label in note_risks(note.mentions).categories}
    else:
        raise InputError(ERR_NO_MENTIONS.format(id=note.note_id))
    return tuple(int(label in present) for label in labels)


def _check_note(note: Note, task: Task) -> None:
    if note.date is None:
        raise InputError(ERR_NO_DATE.format(kind="note", id=note.note_id))
    if note.case_id is None:
        raise InputError(ERR_NO_CASE.format(id=note.note_id))
    if task is Task.CASE_ESCALATION and note.extra.get(OUTCOME_COLUMN) is None:
        raise InputError(ERR_NO_OUTCOME.format(id=note.note_id))


def note_examples(notes: Iterable[Note], labels: Sequence[str]) -> list[Example]:
    examples = []
    for note in notes:
        _check_note(note, Task.NOTE_RISKS)
        examples.append(
            Example(
                unit_id=note.note_id,
                case_id=note.case_id,  # type: ignore[arg-type]
                date=note.date,  # type: ignore[arg-type]
                text=note.text,
                targets=note_targets(note, labels),
                groups=_groups(note),
                note_ids=(note.note_id,),
            )
        )
    return examples


def case_examples(
    notes: Iterable[Note], observation_days: int, cutoff_date: dt.date | None = None
) -> list[Example]:
    """One example per case with at least one note before its cut-off."""
    by_case: dict[str, list[Note]] = defaultdict(list)
    for note in notes:
        _check_note(note, Task.CASE_ESCALATION)
        by_case[note.case_id].append(note)  # type: ignore[index]
    examples = []
    for case_id, case_notes in sorted(by_case.items()):
        case_notes.sort(key=lambda n: (n.date, n.note_id))
        first = case_notes[0].date
        cutoff = cutoff_date or first + dt.timedelta(days=observation_days)  # type: ignore[operator]
        seen = [n for n in case_notes if n.date < cutoff]  # type: ignore[operator]
        if not seen:
            continue
        escalated = any(bool(n.extra.get(OUTCOME_COLUMN)) for n in case_notes)
        examples.append(
            Example(
                unit_id=case_id,
                case_id=case_id,
                date=min(cutoff, seen[-1].date + dt.timedelta(days=1)),  # type: ignore[operator]
                text=NOTE_SEPARATOR.join(n.text for n in seen),
                targets=(int(escalated),),
                groups=_groups(case_notes[0]),
                note_ids=tuple(n.note_id for n in seen),
            )
        )
    return examples


def build_examples(notes: Iterable[Note], config: TrainConfig) -> list[Example]:
    if config.task is Task.CASE_ESCALATION:
        return case_examples(notes, config.case.observation_days, config.case.cutoff_date)
    return note_examples(notes, config.label_names)


def _quantile_date(dates: Sequence[dt.date], share: float) -> dt.date:
    ordinals = np.sort(np.array([d.toordinal() for d in dates]))
    index = min(len(ordinals) - 1, int(np.floor(share * len(ordinals))))
    return dt.date.fromordinal(int(ordinals[index]))


def _case_hash(case_id: str, seed: int) -> float:
    digest = hashlib.sha256(f"{seed}:{case_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_examples(examples: Sequence[Example], settings: SplitSettings, seed: int) -> Split:
    """Later examples test, earlier ones train; a case sits on one side only."""
    if not examples:
        raise InputError("no examples to split: the input holds no usable notes")
    val_share, test_share = settings.validation_share, settings.test_share
    if settings.by == "case":
        position = {e.case_id: _case_hash(e.case_id, seed) for e in examples}

        def part_of(example: Example) -> int:
            value = position[example.case_id]
            return 2 if value >= 1 - test_share else 1 if value >= 1 - test_share - val_share else 0

        boundaries = {"by": "case (seeded hash of case_id)"}
    else:
        dates = [e.date for e in examples]
        test_from = _quantile_date(dates, 1 - test_share)
        val_from = _quantile_date(dates, 1 - test_share - val_share)

        def part_of(example: Example) -> int:
            return 2 if example.date >= test_from else 1 if example.date >= val_from else 0

        boundaries = {"validation_from": val_from.isoformat(), "test_from": test_from.isoformat()}
    parts: list[list[Example]] = [[], [], []]
    for example in examples:
        parts[part_of(example)].append(example)
    dropped = 0
    if settings.by == "time_and_case":
        latest: dict[str, int] = {}
        for index, part in enumerate(parts):
            for example in part:
                latest[example.case_id] = index
        for index in (0, 1):
            kept = [e for e in parts[index] if latest[e.case_id] == index]
            dropped += len(parts[index]) - len(kept)
            parts[index] = kept
    for name, part in zip(("train", "validation", "test"), parts, strict=True):
        if len(part) < MIN_EXAMPLES:
            raise InputError(ERR_TOO_FEW.format(part=name, n=len(part), need=MIN_EXAMPLES))
    return Split(tuple(parts[0]), tuple(parts[1]), tuple(parts[2]), dropped, boundaries)


def targets(examples: Sequence[Example]) -> np.ndarray:
    """The (n, L) 0/1 target matrix."""
    return np.array([e.targets for e in examples], dtype=np.int64).reshape(len(examples), -1)


def check_both_classes(split: Split, labels: Sequence[str]) -> None:
    """Every label needs positives and negatives in every part of the split."""
    for part in ("train", "validation", "test"):
        matrix = targets(getattr(split, part))
        for index, label in enumerate(labels):
            column = matrix[:, index]
            if column.min() == column.max():
                raise InputError(ERR_ONE_CLASS.format(label=label, part=part, value=int(column[0])))


def data_digest(examples: Iterable[Example]) -> str:
    """SHA-256 over ids, dates and texts: identifies the data without revealing any of it."""
    digest = hashlib.sha256()
    for example in sorted(examples, key=lambda e: e.unit_id):
        digest.update(example.unit_id.encode())
        digest.update(example.date.isoformat().encode())
        digest.update(hashlib.sha256(example.text.encode()).digest())
        digest.update(bytes(example.targets))
    return digest.hexdigest()
