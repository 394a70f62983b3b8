"""Note-level risks, the toxic-trio flag, and case timelines with the trio window."""

from __future__ import annotations

import datetime as dt

import pytest

from casenotes.extract.summaries import CaseTimeline, case_summaries, note_risks
from casenotes.records import Mention, Note

DA = Mention(0, 2, "domestic_abuse")
MH = Mention(3, 5, "mental_health", subject="parent")
SM = Mention(6, 8, "substance_misuse", subject="parent")


def test_categories_are_affirmed_current_not_negated_mentions():
    risks = note_risks(
        [
            Mention(0, 2, "housing"),
            Mention(3, 5, "neet", negated=True),
            Mention(6, 8, "missing", temporality="historical"),
            Mention(9, 11, "neglect", certainty="possible"),
            Mention(12, 14, "housing", temporality="hypothetical"),
        ]
    )
    assert [c.value for c in risks.categories] == ["housing"]
    assert risks.counts == {"housing": 2, "neet": 1, "missing": 1, "neglect": 1}
    assert risks.present_counts == {"housing": 1}


def test_toxic_trio_needs_all_three():
    assert note_risks([DA, MH, SM]).toxic_trio
    assert not note_risks([DA, MH]).toxic_trio


@pytest.mark.parametrize(
    "changed",
    [
        Mention(3, 5, "mental_health", subject="child"),  # the child's mental health
        Mention(6, 8, "substance_misuse", subject="other"),
        Mention(6, 8, "substance_misuse", negated=True),
        Mention(0, 2, "domestic_abuse", temporality="historical"),
        Mention(0, 2, "domestic_abuse", certainty="possible"),
    ],
)
def test_toxic_trio_needs_parent_subject_and_affirmed_current(changed):
    mentions = {m.label: m for m in (DA, MH, SM)}
    mentions[changed.label] = changed
    assert not note_risks(mentions.values()).toxic_trio


def test_record_shape():
    record = note_risks([DA, MH, SM]).to_record()
    assert record["categories"] == ["domestic_abuse", "mental_health", "substance_misuse"]
    assert record["toxic_trio"] is True


def _note(note_id, day, mentions, case="C1"):
    return Note(note_id=note_id, text="x" * 20, case_id=case, date=day, mentions=tuple(mentions))


def test_case_timeline_first_last_and_counts():
    notes = [
        _note("n1", dt.date(2024, 1, 1), [Mention(0, 2, "housing")]),
        _note("n2", dt.date(2024, 3, 1), []),
        _note("n3", dt.date(2024, 2, 1), [Mention(0, 2, "housing"), Mention(3, 4, "neet")]),
    ]
    [summary] = list(case_summaries(notes))
    housing = summary["timeline"]["housing"]
    assert (housing["first"], housing["last"], housing["notes"]) == ("2024-01-01", "2024-02-01", 2)
    assert housing["note_ids"] == ["n1", "n3"]
    assert summary["notes"] == 3


@pytest.mark.parametrize(("gap_days", "window", "expected"), [(30, 90, True), (120, 90, False)])
def test_toxic_trio_window(gap_days, window, expected):
    start = dt.date(2024, 1, 1)
    timeline = CaseTimeline("C1")
    timeline.add(_note("a", start, [DA]))
    timeline.add(_note("b", start + dt.timedelta(days=10), [MH]))
    timeline.add(_note("c", start + dt.timedelta(days=gap_days), [SM]))
    record = timeline.to_record(window)
    assert record["toxic_trio"]["within_window"] is expected
    assert record["toxic_trio"]["in_one_note"] is False


def test_cases_are_kept_apart():
    notes = [_note("a", None, [DA], case="C1"), _note("b", None, [MH, SM], case="C2")]
    summaries = {s["case_id"]: s for s in case_summaries(notes)}
    assert set(summaries) == {"C1", "C2"}
    assert summaries["C1"]["timeline"]["domestic_abuse"]["first"] is None
    assert summaries["C1"]["undated_notes"] == 1
    assert not summaries["C2"]["toxic_trio"]["within_window"]
