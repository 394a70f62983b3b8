"""The tag run's bookkeeping: parts, rejects, the manifest, resuming after a crash at any point.

These tests use the real reader, writers and extraction pipeline with a cheap stand-in for
de-identification (the screened extractor below), so every crash point can be tried in seconds.
The real de-identifier, a real SIGKILL and real resumes are in test_tag_cli.py.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from casenotes.batch.config import TagConfig
from casenotes.batch.runner import (
    ERROR_COMPLETE,
    ERROR_STOPPED,
    MANIFEST_NAME,
    Manifest,
    TagRun,
    local_engine,
)
from casenotes.batch.tagger import REASON_BLANK, REASON_JUNK, REASON_NUL, TagSettings, screen
from casenotes.config import DeidConfig
from casenotes.errors import InputError
from casenotes.extract.config import ExtractConfig
from casenotes.io import REASON_DUPLICATE_ID, read_notes
from casenotes.records import Note


@functools.cache
def _extractor():
    from casenotes.extract.pipeline import make_extractor

    return make_extractor(ExtractConfig())


def _screened_extractor(config: TagConfig):
    extract = _extractor()

    def apply(notes):
        results = [screen(note, config) for note in notes]
        good = [i for i, problem in enumerate(results) if problem is None]
        for i, note in zip(good, extract([notes[i] for i in good]), strict=True):
            results[i] = note
        return results

    return apply


def _settings(**tag) -> TagSettings:
    return TagSettings(tag=TagConfig(**tag), deid=DeidConfig(), extract=ExtractConfig())


def _engine(settings: TagSettings):
    return local_engine(functools.partial(_screened_extractor, settings.tag))


TEXTS = [
    "Mum disclosed DV from her partner last week.",
    "No concerns about alcohol. Dad has depression and is drinking heavily.",
    "Family in temporary accommodation after eviction; rent arrears.",
    "YP was excluded from school and is NEET.",
    "Home visit: the home was dirty and there was no food in the house.",
]


def _write_archive(folder: Path, n: int = 40, *, bad: bool = True) -> tuple[Path, set[str]]:
    """A JSONL archive of ``n`` good notes with every kind of bad record mixed in."""
    folder.mkdir(parents=True, exist_ok=True)
    lines: list[bytes] = []
    good = set()
    for i in range(n):
        record = {
            "note_id": f"N{i:04d}",
            "case_id": f"C{i % 7}",
            "date": f"2024-{1 + i % 12:02d}-15",
            "team": "north" if i % 2 else "south",
            "text": TEXTS[i % len(TEXTS)],
        }
        lines.append(json.dumps(record).encode())
        good.add(record["note_id"])
        if bad and i == 5:
            lines.append(b'{"note_id": "BAD-UTF8", "text": "caf\xe9 \xff"}')
            lines.append(b'{"note_id": "BAD-JSON", "text": "unterminated')
            lines.append(b'["a", "list", "not", "an", "object"]')
            lines.append(json.dumps({"note_id": "NO-TEXT"}).encode())
            lines.append(json.dumps({"note_id": "EMPTY", "text": ""}).encode())
            lines.append(json.dumps({"note_id": "BLANK", "text": "   \n  "}).encode())
        if bad and i == 17:
            lines.append(json.dumps({"note_id": "N0003", "text": "a duplicate id"}).encode())
            lines.append(json.dumps({"note_id": "LONG", "text": "word " * 2000}).encode())
            lines.append(json.dumps({"note_id": "JUNK", "text": "ab\x01\x02\x03" * 50}).encode())
            lines.append(json.dumps({"note_id": "NUL", "text": "text\x00more"}).encode())
            lines.append(json.dumps({"text": "no id at all"}).encode())
    path = folder / "archive.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path, good


EXPECTED_REJECTS = {
    "BAD-UTF8": "UTF-8",
    "BAD-JSON": "malformed JSON",
    None: "",  # the list line and the line without an id: ids unknown
    "NO-TEXT": "missing text",
    "EMPTY": "",
    "BLANK": REASON_BLANK,
    "N0003": REASON_DUPLICATE_ID,
    "LONG": "max_text_chars",
    "JUNK": REASON_JUNK.split("{")[0],
    "NUL": REASON_NUL,
}


def _records(out: Path) -> list[dict]:
    return [item.note.to_record() for item in read_notes(out / "notes")]


def test_every_bad_record_lands_in_rejects_with_its_line_and_reason(tmp_path):
    archive, good = _write_archive(tmp_path / "in")
    settings = _settings(checkpoint_notes=8, max_text_chars=5000)
    result = TagRun(archive, tmp_path / "out", settings).run(_engine(settings))

    rejects = [
        json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()
    ]
    by_id: dict = {}
    for reject in rejects:
        by_id.setdefault(reject["note_id"], []).append(reject)
    assert set(by_id) == set(EXPECTED_REJECTS)
    for note_id, fragment in EXPECTED_REJECTS.items():
        assert all(fragment in r["reason"] for r in by_id[note_id]), (note_id, by_id[note_id])
    assert len(by_id[None]) == 2
    lines = archive.read_bytes().splitlines()
    for reject in rejects:  # the line number points at the record itself
        assert reject["source"] == str(archive)
        if reject["note_id"]:
            assert reject["note_id"].encode() in lines[reject["line"] - 1]
    # Nothing quotes the text.
    assert "word word" not in json.dumps(rejects) and "unterminated" not in json.dumps(rejects)

    counts = result.counts
    assert counts.read == len(good) + len(rejects) == len(lines)
    assert counts.written == len(good) and counts.rejected == len(rejects)
    ids = [r["note_id"] for r in _records(tmp_path / "out")]
    assert sorted(ids) == sorted(good) and len(ids) == len(set(ids))
    assert result.parts == 6  # the reader passes 44 notes (4 are screened out later): 8 per chunk
    manifest = Manifest.load(tmp_path / "out" / MANIFEST_NAME)
    assert manifest.complete and manifest.counts == counts.to_dict()
    assert sum(manifest.rejects_by_reason.values()) == counts.rejected
    assert not (tmp_path / "out" / "rejects").exists()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    overall = summary["tables"]["overall"]["rows"][0]
    assert overall["n"]["count"] == 40
    assert overall["measures"]["any_risk"]["count"] == 40  # every text states a risk
    assert overall["measures"]["domestic_abuse"] == {  # one text in five: 8 notes
        "count": None,
        "rate": None,
        "suppressed": "small count",
    }


def test_parts_read_back_as_one_table_in_input_order(tmp_path):
    archive, good = _write_archive(tmp_path / "in", bad=False)
    settings = _settings(checkpoint_notes=7)
    TagRun(archive, tmp_path / "out", settings).run(_engine(settings))
    table = pq.read_table(tmp_path / "out" / "notes")
    assert table.num_rows == len(good)
    assert table.column("note_id").to_pylist() == sorted(good)
    assert {"risks", "mentions", "team"} <= set(table.column_names)
    schemas = {pq.read_schema(p) for p in sorted((tmp_path / "out" / "notes").iterdir())}
    assert len(schemas) == 1


def test_jsonl_output_and_trailing_rejects_get_their_own_part(tmp_path):
    archive, _good = _write_archive(tmp_path / "in", n=10, bad=False)
    with archive.open("ab") as handle:  # bad records after the last good note
        handle.write(b'{"note_id": "TAIL", "text": ""}\nnot json\n')
    settings = _settings(checkpoint_notes=4, output_format="jsonl")
    result = TagRun(archive, tmp_path / "out", settings).run(_engine(settings))
    assert sorted(p.name for p in (tmp_path / "out" / "notes").iterdir()) == [
        "part-00000.jsonl",
        "part-00001.jsonl",
        "part-00002.jsonl",
    ]
    assert result.parts == 4 and result.counts.rejected == 2
    assert len(_records(tmp_path / "out")) == 10


class _Crash(Exception):
    pass


def _crash_on(monkeypatch, call: int) -> list[int]:
    """Make the ``call``-th rename (of a part, a rejects file or the manifest) fail."""
    real = os.replace
    seen = [0]

    def replace(src, dst):
        seen[0] += 1
        if seen[0] == call:
            raise _Crash(f"simulated crash before rename {call}")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    return seen


@pytest.mark.slow
def test_a_crash_before_any_rename_resumes_to_the_same_output(tmp_path, monkeypatch):
    archive, _good = _write_archive(tmp_path / "in", n=24)
    settings = _settings(checkpoint_notes=5, max_text_chars=5000)
    reference = tmp_path / "reference"
    TagRun(archive, reference, settings).run(_engine(settings))
    want_notes = _records(reference)
    want_rejects = (reference / "rejects.jsonl").read_text()
    want_summary = json.loads((reference / "summary.json").read_text())["tables"]

    renames = _crash_on(monkeypatch, 0)
    TagRun(archive, tmp_path / "count", settings).run(_engine(settings))
    total = renames[0]
    monkeypatch.undo()
    assert total > 10  # parts, part rejects, manifests, final files

    for call in range(1, total + 1):
        out = tmp_path / f"crash{call}"
        _crash_on(monkeypatch, call)
        with pytest.raises(_Crash):
            TagRun(archive, out, settings).run(_engine(settings))
        monkeypatch.undo()
        if not (out / MANIFEST_NAME).exists():
            run = TagRun(archive, out, settings)
        else:
            run = TagRun(archive, out, settings, resume=True)
        run.run(_engine(settings))
        assert _records(out) == want_notes, call
        assert (out / "rejects.jsonl").read_text() == want_rejects, call
        assert json.loads((out / "summary.json").read_text())["tables"] == want_summary, call
        leftovers = [p.name for p in (out / "notes").iterdir() if p.name.startswith(".")]
        assert not leftovers, call


def test_resume_after_a_crash_re_reads_ids_so_duplicates_across_the_break_are_caught(
    tmp_path, monkeypatch
):
    archive, _ = _write_archive(tmp_path / "in", n=30)
    settings = _settings(checkpoint_notes=4, max_text_chars=5000)
    _crash_on(monkeypatch, 12)  # a few parts in, before the duplicate of N0003 is read
    with pytest.raises(_Crash):
        TagRun(archive, tmp_path / "out", settings).run(_engine(settings))
    monkeypatch.undo()
    manifest = Manifest.load(tmp_path / "out" / MANIFEST_NAME)
    duplicate_at = 25  # N0000-N0005, six bad lines, N0006-N0017, then the second N0003
    assert 4 <= manifest.position < duplicate_at and not manifest.complete
    TagRun(archive, tmp_path / "out", settings, resume=True).run(_engine(settings))
    rejects = (tmp_path / "out" / "rejects.jsonl").read_text()
    assert REASON_DUPLICATE_ID in rejects
    ids = [r["note_id"] for r in _records(tmp_path / "out")]
    assert len(ids) == len(set(ids)) == 30


def test_refusals_name_the_folder_and_the_way_out(tmp_path, monkeypatch):
    archive, _ = _write_archive(tmp_path / "in", n=12, bad=False)
    settings = _settings(checkpoint_notes=4)
    out = tmp_path / "out"
    _crash_on(monkeypatch, 5)  # manifest; part 0, its rejects, manifest; then part 1 fails
    with pytest.raises(_Crash):
        TagRun(archive, out, settings).run(_engine(settings))
    monkeypatch.undo()

    with pytest.raises(InputError, match="--resume") as stopped:
        TagRun(archive, out, settings)
    assert str(stopped.value) == ERROR_STOPPED.format(out=out, position=4, parts=1)
    changed = _settings(checkpoint_notes=5)
    with pytest.raises(InputError, match="settings changed") as refused:
        TagRun(archive, out, changed, resume=True)
    assert "--overwrite" in str(refused.value)
    archive.write_text(archive.read_text() + json.dumps({"note_id": "X", "text": "new"}) + "\n")
    with pytest.raises(InputError, match="input files changed"):
        TagRun(archive, out, settings, resume=True)

    TagRun(archive, out, settings, overwrite=True).run(_engine(settings))
    with pytest.raises(InputError, match="already there") as done:
        TagRun(archive, out, settings, resume=True)
    assert str(done.value) == ERROR_COMPLETE.format(out=out, written=13)

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("not ours")
    with pytest.raises(InputError, match="no casenotes manifest"):
        TagRun(archive, foreign, settings)
    assert (foreign / "keep.txt").exists()
    with pytest.raises(InputError, match="nothing to resume"):
        TagRun(archive, tmp_path / "new", settings, resume=True)
    with pytest.raises(InputError, match="inside the input folder"):
        TagRun(archive.parent, archive.parent / "tagged", settings)


def test_resume_may_use_another_engine_and_process_count(tmp_path):
    """Engine and processes are not part of the fingerprint: chunks are the unit of work."""
    archive, _ = _write_archive(tmp_path / "in", n=10, bad=False)
    settings = _settings(checkpoint_notes=4)
    run = TagRun(archive, tmp_path / "out", settings)
    stop_after_one = _StopAfter(1, _engine(settings))
    with pytest.raises(_Crash):
        run.run(stop_after_one)
    resumed = TagRun(archive, tmp_path / "out", settings, resume=True)
    assert resumed.resumed_from == 4
    result = resumed.run(_engine(settings))
    assert result.tagged_now == 6 and result.attempts == 2 and result.resumed_from == 4
    assert len(_records(tmp_path / "out")) == 10


class _StopAfter:
    """An engine that dies after ``n`` chunks, as a killed worker pool would."""

    def __init__(self, n: int, engine) -> None:
        self.n, self.engine = n, engine

    def __call__(self, chunks):
        for done, results in enumerate(self.engine(chunks), start=1):
            yield results
            if done == self.n:
                raise _Crash("engine stopped")


def test_screen_rejects_blank_long_nul_and_junk_but_not_ordinary_text():
    config = TagConfig(max_text_chars=100)

    def reason(text: str) -> str | None:
        problem = screen(Note(note_id="n", text=text), config)
        return None if problem is None else str(problem)

    assert reason("Mum said the flat is damp.\nSW visited.\tOK") is None
    assert reason("Café — naïve résumé “quoted” 😀") is None
    assert reason(" \n\t ") == REASON_BLANK
    assert "100" in reason("x" * 101) and reason("x" * 100) is None
    assert reason("a\x00b") == REASON_NUL
    assert reason("\ufffd" * 3 + "x" * 97) is not None  # 3% replacement characters
    assert reason("\x07" + "x" * 99) is None  # one bell in 100 characters: 1%, kept


def test_a_long_run_of_bad_records_spills_to_disk_and_changes_nothing(tmp_path, monkeypatch):
    from casenotes.batch import runner

    archive, _ = _write_archive(tmp_path / "in", n=20)
    lines = archive.read_bytes().splitlines()
    garbage = [b'{"note_id": "G%03d", "text": ""}' % i for i in range(40)]
    archive.write_bytes(b"\n".join(lines[:9] + garbage + lines[9:]) + b"\n")
    settings = _settings(checkpoint_notes=4, max_text_chars=5000)
    TagRun(archive, tmp_path / "kept", settings).run(_engine(settings))

    monkeypatch.setattr(runner._OrdinalRejects, "SPILL_AT", 3)
    peak = [0]
    real_write = runner._OrdinalRejects.write

    def write(self, reject):
        real_write(self, reject)
        peak[0] = max(peak[0], len(self.held))

    monkeypatch.setattr(runner._OrdinalRejects, "write", write)
    TagRun(archive, tmp_path / "spilled", settings).run(_engine(settings))
    assert peak[0] < 3
    for name in ("rejects.jsonl", "summary.json"):
        assert (tmp_path / "spilled" / name).read_text().count("G0") == (
            tmp_path / "kept" / name
        ).read_text().count("G0")
    want = (tmp_path / "kept" / "rejects.jsonl").read_text()
    assert (tmp_path / "spilled" / "rejects.jsonl").read_text() == want
    assert want.count('"G0') == 40
    assert _records(tmp_path / "spilled") == _records(tmp_path / "kept")
    assert not list((tmp_path / "spilled").glob(".*"))
