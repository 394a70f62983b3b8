import functools
import json

import pytest

from casenotes.errors import RecordError
from casenotes.io import process_notes
from casenotes.parallel import map_batches, per_note
from casenotes.records import Note


def shout(note: Note) -> Note:
    """A stand-in step: upper-cases the text, refuses notes whose text says so."""
    if "refuse" in note.text:
        raise RecordError("refused by the step")
    return Note(note.note_id, note.text.upper(), note.case_id, note.date, extra=note.extra)


SHOUT = functools.partial(per_note, shout)


def _write_input(path, n):
    lines = []
    for i in range(n):
        text = "please refuse" if i % 17 == 5 else f"note number {i}"
        lines.append(json.dumps({"note_id": f"n{i}", "text": text, "k": i}))
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("processes", [1, 2])
def test_process_notes_in_workers_keeps_order_and_reconciles(tmp_path, processes):
    source = tmp_path / "in.jsonl"
    _write_input(source, 300)
    out = tmp_path / "out.jsonl"
    counts = process_notes(source, out, factory=SHOUT, processes=processes, batch_size=16)
    written = [json.loads(line) for line in out.read_text().splitlines()]
    refused = [i for i in range(300) if i % 17 == 5]
    assert [r["note_id"] for r in written] == [f"n{i}" for i in range(300) if i not in refused]
    assert all(r["text"].startswith("NOTE NUMBER") for r in written)
    assert written[0]["k"] == 0  # extra columns survive the trip to a worker and back
    rejects = [
        json.loads(line) for line in (tmp_path / "out.rejects.jsonl").read_text().splitlines()
    ]
    assert [r["note_id"] for r in rejects] == [f"n{i}" for i in refused]
    assert counts.to_dict() == {
        "read": 300,
        "written": 300 - len(refused),
        "rejected": len(refused),
    }


def test_map_batches_rejects_bad_arguments_and_wrong_result_counts():
    notes = [Note(f"n{i}", "x") for i in range(3)]
    with pytest.raises(ValueError, match="processes"):
        list(map_batches(notes, SHOUT, note_of=lambda n: n, processes=0))

    def broken():
        return lambda batch: batch[:-1]

    with pytest.raises(RuntimeError, match="2 results for 3 notes"):
        list(map_batches(notes, broken, note_of=lambda n: n))


def test_plain_transform_cannot_ask_for_processes(tmp_path):
    source = tmp_path / "in.jsonl"
    _write_input(source, 3)
    with pytest.raises(ValueError, match="factory"):
        process_notes(source, tmp_path / "o.jsonl", shout, processes=2)


def test_case_store_keeps_a_value_per_case_drops_the_least_recent_and_clears():
    from casenotes.parallel import CaseStore

    store: CaseStore[set[str]] = CaseStore(set, max_cases=2)
    store.of("a").add("kai")
    store.of("b").add("jade")
    assert store.of("a") == {"kai"}  # "a" is now the most recently used
    store.of("c")
    assert store.of("b") == set()  # "b" was dropped for "c", so it starts again
    assert store.of("a") == set()  # ... and adding "b" back dropped "a"
    store.clear()
    assert store.of("c") == set()
