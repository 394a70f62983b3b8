"""Examples, targets and the split (time + case), and the privacy guards before training."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from casenotes.errors import InputError
from casenotes.modeling import data
from casenotes.modeling.config import SplitSettings, Task, TrainConfig
from casenotes.modeling.privacy import RARE_TOKEN, CaseVocabulary, still_identifying
from casenotes.records import Mention, Note, RiskLabel, Temporality

DAY = dt.date(2022, 1, 1)


def _note(i: int, case: int, day: int, mentions=(), **extra) -> Note:
    return Note(
        note_id=f"N{i}",
        text=f"note {i}",
        case_id=f"C{case}",
        date=DAY + dt.timedelta(days=day),
        mentions=tuple(mentions),
        extra={"sex": "female", "ethnicity": "White British", **extra},
    )


def test_note_targets_count_only_affirmed_current_mentions():
    present = Mention(0, 4, RiskLabel.HOUSING)
    negated = Mention(0, 4, RiskLabel.DOMESTIC_ABUSE, negated=True)
    past = Mention(0, 4, RiskLabel.MENTAL_HEALTH, temporality=Temporality.HISTORICAL)
    note = _note(1, 1, 0, [present, negated, past])
    labels = ("housing", "domestic_abuse", "mental_health")
    assert data.note_targets(note, labels) == (1, 0, 0)


def test_labels_column_wins_over_mentions():
    note = _note(1, 1, 0, [Mention(0, 4, RiskLabel.HOUSING)], labels=["neglect"])
    assert data.note_targets(note, ("housing", "neglect")) == (0, 1)


def test_note_without_gold_is_an_error_naming_it():
    note = Note(note_id="N9", text="x", case_id="C1", date=DAY)
    with pytest.raises(InputError, match="note N9"):
        data.note_targets(note, ("housing",))


def test_case_examples_read_only_notes_before_the_cutoff():
    notes = [
        _note(1, 1, 0, escalated=False),
        _note(2, 1, 50, escalated=False),
        _note(3, 1, 200, escalated=True),  # after the 120-day window: never read
        _note(4, 2, 10, escalated=False),
    ]
    examples = {e.case_id: e for e in data.case_examples(notes, observation_days=120)}
    assert examples["C1"].note_ids == ("N1", "N2")
    assert "note 3" not in examples["C1"].text
    assert examples["C1"].targets == (1,)  # the case's outcome, from any of its notes
    assert examples["C2"].targets == (0,)


def test_case_task_needs_an_outcome():
    with pytest.raises(InputError, match="N1: no `escalated`"):
        data.case_examples([_note(1, 1, 0)], observation_days=120)


def _timeline(n_cases: int = 60, per_case: int = 5) -> list[data.Example]:
    examples = []
    for case in range(n_cases):
        for k in range(per_case):
            examples.append(
                data.Example(
                    unit_id=f"N{case}-{k}",
                    case_id=f"C{case}",
                    date=DAY + dt.timedelta(days=case * 7 + k * 20),
                    text="t",
                    targets=(k % 2,),
                )
            )
    return examples


def test_time_and_case_split_is_later_and_case_disjoint():
    split = data.split_examples(_timeline(), SplitSettings(), seed=1)
    cases = [{e.case_id for e in part} for part in (split.train, split.validation, split.test)]
    assert not cases[0] & cases[1] and not cases[0] & cases[2] and not cases[1] & cases[2]
    assert max(e.date for e in split.train) < min(e.date for e in split.test)
    assert split.dropped_for_case_purity > 0  # cases crossing a boundary lose their early notes


def test_plain_time_split_keeps_every_example_but_may_share_cases():
    split = data.split_examples(_timeline(), SplitSettings(by="time"), seed=1)
    assert len(split.train) + len(split.validation) + len(split.test) == 300
    assert split.dropped_for_case_purity == 0


def test_case_split_is_seeded_and_disjoint():
    a = data.split_examples(_timeline(), SplitSettings(by="case"), seed=1)
    b = data.split_examples(_timeline(), SplitSettings(by="case"), seed=1)
    assert [e.unit_id for e in a.test] == [e.unit_id for e in b.test]
    assert not {e.case_id for e in a.train} & {e.case_id for e in a.test}


def test_too_little_data_is_refused():
    with pytest.raises(InputError, match="need at least"):
        data.split_examples(_timeline(n_cases=4, per_case=2), SplitSettings(), seed=1)


def test_one_class_label_is_refused_naming_it():
    split = data.split_examples(_timeline(), SplitSettings(), seed=1)
    constant = data.Split(
        tuple(e for e in split.train if e.targets == (0,)),
        split.validation,
        split.test,
        0,
        {},
    )
    with pytest.raises(InputError, match="label escalated: the train set has only one class"):
        data.check_both_classes(constant, ("escalated",))


def test_data_digest_changes_with_text_but_holds_none():
    examples = _timeline(n_cases=3, per_case=2)
    digest = data.data_digest(examples)
    changed = [dataclasses.replace(examples[0], text="other"), *examples[1:]]
    assert data.data_digest(changed) != digest
    assert "t" * 3 not in digest and len(digest) == 64


def test_config_rejects_labels_on_the_case_task_and_unknown_labels():
    with pytest.raises(ValueError, match="labels apply to the note_risks task"):
        TrainConfig(task=Task.CASE_ESCALATION, labels=("housing",))
    with pytest.raises(ValueError, match="unknown labels"):
        TrainConfig(labels=("sadness",))


# ------------------------------------------------------------------ the case vocabulary floor
def test_words_from_one_case_become_rare_and_placeholders_survive():
    texts = ["Mum said Zebedee was [PERSON_1] happy"] + ["Mum said she was happy"] * 5
    cases = ["C0", "C1", "C2", "C3", "C4", "C5"]
    vocabulary = CaseVocabulary(min_cases=5).fit(texts, cases)
    scrubbed = vocabulary.scrub(texts[0])
    assert "Zebedee" not in scrubbed and RARE_TOKEN in scrubbed
    assert "[PERSON_1]" in scrubbed and scrubbed.startswith("Mum said")
    assert vocabulary.scrub("Mum 07700900123") == f"Mum {RARE_TOKEN}"


def test_a_word_repeated_within_one_case_is_still_rare():
    texts = ["Zebedee Zebedee"] * 10 + ["common"] * 5
    cases = ["C0"] * 10 + ["C1", "C2", "C3", "C4", "C5"]
    vocabulary = CaseVocabulary(min_cases=5).fit(texts, cases)
    assert "zebedee" not in vocabulary.allowed_
    assert "common" in vocabulary.allowed_


@pytest.mark.parametrize(
    ("value", "label", "identifying"),
    [
        ("12/03/2015", "DATE_OF_BIRTH", True),
        ("12th March 2015", "DATE_OF_BIRTH", True),
        ("March 2015", "DATE_OF_BIRTH", False),  # generalised: what deidentify leaves
        ("2015", "DATE_OF_BIRTH", False),
        ("next Tuesday", "DATE", False),  # a quasi-identifier: policy, not the gate
        ("Jayden", "PERSON", True),
    ],
)
def test_what_counts_as_a_surviving_identifier(value, label, identifying):
    text = f"x {value} y"
    assert still_identifying(text, label, 2, 2 + len(value)) is identifying
