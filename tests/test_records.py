import datetime as dt

import pytest

from casenotes.errors import RecordError
from casenotes.records import (
    Certainty,
    Mention,
    Note,
    PiiLabel,
    PiiSpan,
    RiskLabel,
    Subject,
    Temporality,
)


def test_note_round_trips_through_its_record():
    note = Note(
        note_id="n1",
        text="Mum denies drinking. Call 07700 900123.",
        case_id="c1",
        date=dt.date(2024, 3, 1),
        pii=(PiiSpan(26, 39, PiiLabel.PHONE_NUMBER, 0.9, "uk_phone"),),
        mentions=(Mention(11, 19, RiskLabel.SUBSTANCE_MISUSE, negated=True),),
        extra={"team": "north", "score": 3},
    )
    record = note.to_record()
    assert record["mentions"][0]["subject"] == "parent"
    assert list(record)[:4] == ["note_id", "case_id", "date", "text"]
    assert Note.from_record(record) == note


def test_labels_and_qualifiers_are_the_public_strings():
    mention = Mention.from_record(
        {
            "start": 0,
            "end": 2,
            "label": "domestic_abuse",
            "subject": "child",
            "temporality": "historical",
            "certainty": "possible",
        }
    )
    assert mention.label is RiskLabel.DOMESTIC_ABUSE
    assert mention.subject is Subject.CHILD
    assert mention.temporality is Temporality.HISTORICAL
    assert mention.certainty is Certainty.POSSIBLE
    assert not mention.is_affirmed_current


@pytest.mark.parametrize(
    "record, fragment",
    [
        ({"note_id": "a"}, "missing text"),
        ({"note_id": "a", "text": None}, "missing text"),
        ({"text": "x"}, "missing note_id"),
        ({"note_id": "a", "text": 5}, "text must be a string"),
        ({"note_id": "a", "text": "x", "date": "03/02/2024"}, "ISO 8601"),
        (
            {
                "note_id": "a",
                "text": "abc",
                "mentions": [{"start": 1, "end": 9, "label": "housing"}],
            },
            "runs past the end",
        ),
        (
            {
                "note_id": "a",
                "text": "abc",
                "mentions": [{"start": 0, "end": 2, "label": "poverty"}],
            },
            "not one of",
        ),
        (
            {"note_id": "a", "text": "abc", "pii": [{"start": 2, "end": 1, "label": "PERSON"}]},
            "start < end",
        ),
        ({"note_id": "a", "text": "abc", "pii": "PERSON"}, "must be a list"),
    ],
)
def test_bad_records_say_what_is_wrong(record, fragment):
    with pytest.raises(RecordError, match=fragment):
        Note.from_record(record)


def test_records_are_frozen():
    span = PiiSpan(0, 3, PiiLabel.PERSON)
    with pytest.raises(AttributeError):
        span.start = 1  # type: ignore[misc]
    note = Note(note_id="n", text="abc", extra={"k": 1})
    with pytest.raises(TypeError):
        note.extra["k"] = 2  # type: ignore[index]
