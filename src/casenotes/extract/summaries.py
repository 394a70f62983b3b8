"""Note and case summaries of extracted mentions.

A note's ``risks`` are the categories it states as present: at least one mention that is affirmed,
current and not negated (:attr:`Mention.is_affirmed_current`). The toxic-trio flag follows
DOMAIN.md: such mentions of ``domestic_abuse``, of ``mental_health`` with subject parent and of
``substance_misuse`` with subject parent, all in the same note (note level) or all within
``window_days`` of each other (case level).

A case timeline gives, per category, the first and last date it was stated, the number of notes
stating it and (up to a limit) their ids: ids, dates and counts only, never text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from casenotes.records import Mention, Note, RiskLabel, Subject

RISKS_FIELD = "risks"
TRIO_PARENT_ONLY = frozenset({RiskLabel.MENTAL_HEALTH, RiskLabel.SUBSTANCE_MISUSE})


def counts_towards_trio(mention: Mention) -> bool:
    """True for a mention that counts towards the toxic trio (DOMAIN.md definition)."""
    if not mention.is_affirmed_current:
        return False
    if mention.label is RiskLabel.DOMESTIC_ABUSE:
        return True
    return mention.label in TRIO_PARENT_ONLY and mention.subject is Subject.PARENT


def trio_parts(mentions: Iterable[Mention]) -> frozenset[RiskLabel]:
    """Which of the three toxic-trio parts these mentions state."""
    return frozenset(m.label for m in mentions if counts_towards_trio(m))


@dataclass(frozen=True, slots=True)
class NoteRisks:
    """What one note states: categories present, the toxic-trio flag, and counts per category."""

    categories: tuple[RiskLabel, ...]
    toxic_trio: bool
    counts: dict[str, int]  # every mention, whatever its qualifiers
    present_counts: dict[str, int]  # affirmed, current, not negated

    def to_record(self) -> dict[str, Any]:
        return {
            "categories": [c.value for c in self.categories],
            "toxic_trio": self.toxic_trio,
            "counts": dict(self.counts),
            "present_counts": dict(self.present_counts),
        }


def note_risks(mentions: Iterable[Mention]) -> NoteRisks:
    mentions = list(mentions)
    counts: dict[str, int] = {}
    present: dict[str, int] = {}
    for m in mentions:
        counts[m.label.value] = counts.get(m.label.value, 0) + 1
        if m.is_affirmed_current:
            present[m.label.value] = present.get(m.label.value, 0) + 1
    categories = tuple(label for label in RiskLabel if label.value in present)
    return NoteRisks(
        categories=categories,
        toxic_trio=len(trio_parts(mentions)) == 3,
        counts=counts,
        present_counts=present,
    )


@dataclass(slots=True)
class _Track:
    first: dt.date | None = None
    last: dt.date | None = None
    notes: int = 0
    note_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class CaseTimeline:
    """Accumulates one case's notes; :meth:`to_record` gives its timeline and trio window."""

    case_id: str
    max_ids: int = 50
    notes: int = 0
    undated_notes: int = 0
    tracks: dict[RiskLabel, _Track] = field(default_factory=dict)
    trio_dates: dict[RiskLabel, list[dt.date]] = field(default_factory=dict)
    trio_in_one_note: bool = False

    def add(self, note: Note) -> None:
        self.notes += 1
        mentions = note.mentions or ()
        if note.date is None:
            self.undated_notes += 1
        for label in note_risks(mentions).categories:
            track = self.tracks.setdefault(label, _Track())
            track.notes += 1
            if len(track.note_ids) < self.max_ids:
                track.note_ids.append(note.note_id)
            if note.date is not None:
                track.first = note.date if track.first is None else min(track.first, note.date)
                track.last = note.date if track.last is None else max(track.last, note.date)
        parts = trio_parts(mentions)
        self.trio_in_one_note = self.trio_in_one_note or len(parts) == 3
        if note.date is not None:
            for label in parts:
                self.trio_dates.setdefault(label, []).append(note.date)

    def trio_window(self, window_days: int) -> tuple[dt.date, dt.date] | None:
        """The earliest window of ``window_days`` in which all three parts are recorded."""
        if len(self.trio_dates) < 3:
            return None
        events = sorted((d, label) for label, dates in self.trio_dates.items() for d in dates)
        latest: dict[RiskLabel, dt.date] = {}
        for day, label in events:
            latest[label] = day
            if len(latest) == 3:
                start = min(latest.values())
                if (day - start).days <= window_days:
                    return start, day
        return None

    def to_record(self, window_days: int) -> dict[str, Any]:
        window = self.trio_window(window_days)
        return {
            "case_id": self.case_id,
            "notes": self.notes,
            "undated_notes": self.undated_notes,
            "timeline": {
                label.value: {
                    "first": t.first.isoformat() if t.first else None,
                    "last": t.last.isoformat() if t.last else None,
                    "notes": t.notes,
                    "note_ids": t.note_ids,
                }
                for label, t in sorted(
                    self.tracks.items(), key=lambda kv: list(RiskLabel).index(kv[0])
                )
            },
            "toxic_trio": {
                "window_days": window_days,
                "within_window": window is not None,
                "window_start": window[0].isoformat() if window else None,
                "window_end": window[1].isoformat() if window else None,
                "in_one_note": self.trio_in_one_note,
            },
        }


NO_CASE = "(no case_id)"


def case_summaries(
    notes: Iterable[Note], window_days: int = 90, max_ids: int = 50
) -> Iterable[dict[str, Any]]:
    """One summary per case, in order of first appearance (notes without case_id grouped)."""
    cases: dict[str, CaseTimeline] = {}
    for note in notes:
        key = note.case_id or NO_CASE
        if key not in cases:
            cases[key] = CaseTimeline(key, max_ids=max_ids)
        cases[key].add(note)
    for timeline in cases.values():
        yield timeline.to_record(window_days)
