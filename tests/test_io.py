"""Tests for casenotes.io: formats, rejects, counts, atomic writes and streaming.

Every input is written by hand into ``tmp_path``; the notes are synthetic.
"""

from __future__ import annotations

import csv
import json
import tempfile
import tracemalloc
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casenotes import io as cio
from casenotes.errors import InputError, ReconciliationError, RecordError
from casenotes.records import Note

# --------------------------------------------------------------------------------------------
# Helpers


def _span(text: str, phrase: str) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + len(phrase)


TEXT_1 = 'Kayla said "we\'re fine, honestly", then left.\nDad, on 3 March: rent arrears again.'
TEXT_2 = "Zoë’s café — naïve 😀 visit.\r\nSecond line after CRLF; tab\there."
TEXT_3 = "Plain note with no spans."

# Extra columns are strings so that the untyped CSV round trip gives them back unchanged.
RECORDS: list[dict[str, Any]] = [
    {
        "note_id": "N-001",
        "case_id": "C-9",
        "date": "2024-03-01",
        "text": TEXT_1,
        "team": "Early Help, North",
        "pii": [
            {"start": 0, "end": 5, "label": "PERSON", "score": 0.9, "recognizer": "r1"},
            {
                "start": _span(TEXT_1, "3 March")[0],
                "end": _span(TEXT_1, "3 March")[1],
                "label": "DATE",
                "score": 1.0,
            },
        ],
        "mentions": [
            {
                "start": _span(TEXT_1, "rent arrears")[0],
                "end": _span(TEXT_1, "rent arrears")[1],
                "label": "housing",
                "negated": False,
                "subject": "parent",
                "temporality": "current",
                "certainty": "affirmed",
            }
        ],
    },
    {
        "note_id": "N-002",
        "text": TEXT_2,
        "team": "Équipe “Sud”",
        "pii": [],
        "mentions": [],
    },
    {"note_id": "N-003", "case_id": "C-10", "text": TEXT_3, "team": "Youth"},
]


def normalised(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records as the contract writes them (defaults filled in, key order fixed)."""
    return [Note.from_record(r).to_record() for r in records]


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def write_bytes_lines(path: Path, lines: list[bytes], *, final_newline: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\n".join(lines) + (b"\n" if final_newline else b""))
    return path


def read_records(spec: Any, **kwargs: Any) -> list[dict[str, Any]]:
    return [item.note.to_record() for item in cio.read_notes(spec, **kwargs)]


def jsonl_file_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def notes_of(records: Iterable[dict[str, Any]]) -> list[Note]:
    return [Note.from_record(r) for r in records]


# --------------------------------------------------------------------------------------------
# Round trips


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet", ".jsonl.gz", ".csv.gz"])
def test_round_trip_preserves_records(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"notes{suffix}"
    assert cio.write_notes(path, notes_of(RECORDS)) == len(RECORDS)
    assert read_records(path) == normalised(RECORDS)
    gzip_magic = b"\x1f\x8b"
    assert (path.read_bytes()[:2] == gzip_magic) == suffix.endswith(".gz")


def test_round_trip_jsonl_csv_jsonl_and_parquet_jsonl(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in" / "notes.jsonl", RECORDS)
    for middle in ("mid.csv", "mid.parquet"):
        counts = cio.process_notes(source, tmp_path / middle)
        assert counts.to_dict() == {"read": 3, "written": 3, "rejected": 0}
        back = tmp_path / f"{middle}.back.jsonl"
        cio.process_notes(tmp_path / middle, back)
        assert jsonl_file_records(back) == normalised(RECORDS), middle


def test_csv_cells_hold_nested_fields_as_json(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    cio.write_notes(path, notes_of(RECORDS[:1]))
    header, *_ = path.read_text(encoding="utf-8").splitlines()
    assert header == "note_id,case_id,date,text,team,pii,mentions"
    with path.open(encoding="utf-8", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["text"] == TEXT_1
    assert json.loads(row["mentions"])[0]["label"] == "housing"
    assert json.loads(row["pii"])[0] == RECORDS[0]["pii"][0]


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_typed_extra_columns_round_trip(tmp_path: Path, suffix: str) -> None:
    records = [
        {"note_id": "T1", "text": "a", "age": 7, "score": 1, "flag": True, "tags": ["x", "y"]},
        {"note_id": "T2", "text": "b", "age": 8, "score": 0.5, "flag": False, "meta": {"k": 1}},
        {"note_id": "T3", "text": "c", "age": None, "score": 2.0, "flag": None, "tags": []},
    ]
    path = tmp_path / f"typed{suffix}"
    cio.write_notes(path, notes_of(records))
    got = read_records(path)
    if suffix == ".parquet":  # every row has every column; absent values come back as null
        for record in records:
            for column in ("tags", "meta"):
                record.setdefault(column, None)
        schema = pq.read_schema(path)
        assert schema.field("age").type == pa.int64()
        assert schema.field("score").type == pa.float64()  # widened from the first int
        assert schema.field("tags").metadata == dict(cio.JSON_FIELD_METADATA)
        assert schema.field("pii").type == cio.PII_TYPE
        assert schema.field("date").type == pa.date32()
    assert got == normalised(records)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=4))
def test_any_text_survives_csv_and_jsonl(texts: list[str]) -> None:
    notes = [Note(note_id=f"H{i}", text=text, extra={"x": text}) for i, text in enumerate(texts)]
    with tempfile.TemporaryDirectory() as folder:
        for name in ("h.csv", "h.jsonl"):
            path = Path(folder) / name
            cio.write_notes(path, notes)
            rejects = cio.RejectsList()
            assert read_records(path, rejects=rejects) == [n.to_record() for n in notes]
            assert rejects.items == []


# --------------------------------------------------------------------------------------------
# Broken inputs: every bad record lands in rejects, with its line, and no text

BROKEN_JSONL: list[tuple[bytes, str | None, str | None]] = [
    # (line bytes, expected note_id in the reject, expected reason fragment); None: good or blank
    (b'{"note_id": "G1", "text": "good one"}', None, None),
    (
        b'{"note_id": "B2", "text": "UTF8SECRET \xff\xfe here"}',
        "B2",
        "invalid UTF-8 at byte 39 of line 2",
    ),
    (b'{"note_id": "B3", "text": "MALFORMEDSECRET', "B3", "malformed JSON: Unterminated string"),
    (b'["ARRAYSECRET"]', None, "line holds a JSON array, not an object"),
    (b"", None, None),
    (b'{"note_id": "B6", "worker": "WORKERSECRET"}', "B6", "missing text"),
    (b'{"note_id": "B7", "text": null, "worker": "NULLSECRET"}', "B7", "missing text"),
    (b'{"note_id": "B8", "text": 424242}', "B8", "text must be a string, got int"),
    (b'{"text": "NOIDSECRET"}', None, "missing note_id"),
    (b'{"note_id": "B10", "text": "DATESECRET", "date": "2023-13-45"}', "B10", "ISO 8601 date"),
    (
        b'{"note_id": "B11", "text": "SPANSECRET", '
        b'"mentions": [{"start": 0, "end": 999, "label": "housing"}]}',
        "B11",
        "runs past the end of the text",
    ),
    (
        b'{"note_id": "B12", "text": "LABELSECRET", '
        b'"mentions": [{"start": 0, "end": 3, "label": "Jane Doe of 1 High St"}]}',
        "B12",
        "mentions: mention: label is not one of",
    ),
    (b'{"note_id": "G13", "text": "good two"}', None, None),
    (b"   ", None, None),
    (b'{"note_id": "G1", "text": "DUPSECRET"}', "G1", "duplicate note_id"),
    (b'{"note_id": "G16", "text": "good three, last line has no newline"}', None, None),
]
JSONL_SECRETS = [
    b"SECRET",
    b"Jane Doe",
    b"High St",
    b"2023-13-45",
    b"424242",
    b"good one",
    b"here",
]


def test_broken_jsonl_rejects_each_bad_record(tmp_path: Path) -> None:
    source = write_bytes_lines(
        tmp_path / "broken.jsonl", [line for line, _, _ in BROKEN_JSONL], final_newline=False
    )
    out = tmp_path / "out.jsonl"
    rejects_path = tmp_path / "rejects.jsonl"

    counts = cio.process_notes(source, out, rejects_path=rejects_path)

    assert [r["note_id"] for r in jsonl_file_records(out)] == ["G1", "G13", "G16"]
    rejects = jsonl_file_records(rejects_path)
    expected = [
        (number, note_id, reason)
        for number, (_, note_id, reason) in enumerate(BROKEN_JSONL, start=1)
        if reason is not None
    ]
    assert [(r["line"], r["note_id"]) for r in rejects] == [(n, i) for n, i, _ in expected]
    for reject, (number, _, reason) in zip(rejects, expected, strict=True):
        assert set(reject) == {"source", "line", "note_id", "reason"}
        assert reject["source"] == str(source)
        assert reason in reject["reason"], (number, reject["reason"])
    blank_lines = 2
    assert counts.to_dict() == {
        "read": len(BROKEN_JSONL) - blank_lines,
        "written": 3,
        "rejected": len(expected),
    }
    raw = rejects_path.read_bytes()
    for secret in JSONL_SECRETS:
        assert secret not in raw, secret


BROKEN_CSV = (
    b"note_id,text,worker,pii\n"  # 1
    b"C2,good csv,team,\n"  # 2
    b"C3,TOOMANYSECRET,team,,extra\n"  # 3
    b"C4,TOOFEWSECRET\n"  # 4
    b"C5,,WORKERSECRET,\n"  # 5: empty text
    b'C6,"multi line start\n'  # 6
    b'second, line ""quoted""",team,\n'  # 7
    b"C8,CSVUTF8SECRET \xff,team,\n"  # 8
    b'C9,PIIJSONSECRET,team,"[{bad"\n'  # 9
    b"\n"  # 10: blank
    b'C11,"good, with comma",team,"[{""start"": 0, ""end"": 4, ""label"": ""PERSON""}]"\n'
    b"C2,DUPCSVSECRET,team,\n"  # 12
)


def test_broken_csv_rejects_each_bad_record(tmp_path: Path) -> None:
    source = tmp_path / "broken.csv"
    source.write_bytes(BROKEN_CSV)
    rejects_path = tmp_path / "rejects.jsonl"

    counts = cio.process_notes(source, tmp_path / "out.jsonl", rejects_path=rejects_path)

    good = jsonl_file_records(tmp_path / "out.jsonl")
    assert [r["note_id"] for r in good] == ["C2", "C6", "C11"]
    assert good[1]["text"] == 'multi line start\nsecond, line "quoted"'
    assert good[2]["pii"] == [{"start": 0, "end": 4, "label": "PERSON", "score": 1.0}]
    rejects = jsonl_file_records(rejects_path)
    assert [(r["line"], r["note_id"]) for r in rejects] == [
        (3, None),
        (4, None),
        (5, "C5"),
        (8, "C8"),
        (9, "C9"),
        (12, "C2"),
    ]
    reasons = [r["reason"] for r in rejects]
    assert reasons[0] == "CSV row has 5 fields but the header has 4"
    assert reasons[1] == "CSV row has 2 fields but the header has 4"
    assert reasons[2] == "missing text"
    assert reasons[3] == "invalid UTF-8 at byte 18 of line 8"
    assert reasons[4].startswith("pii cell is not valid JSON")
    assert reasons[5] == "duplicate note_id"
    assert counts.to_dict() == {"read": 9, "written": 3, "rejected": 6}
    assert b"SECRET" not in rejects_path.read_bytes()


def test_csv_header_with_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfnote_id,text\r\nE1,from Excel\r\n")
    assert read_records(path) == [{"note_id": "E1", "text": "from Excel"}]


def test_parquet_row_with_invalid_utf8_is_rejected_by_row_index(tmp_path: Path) -> None:
    raw = pa.array([b"fine", b"PARQUETSECRET \xff"], type=pa.binary())
    text = pa.Array.from_buffers(pa.string(), len(raw), raw.buffers())
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"note_id": ["P0", "P1"], "text": text}), path)
    rejects = cio.RejectsList()
    assert [r["note_id"] for r in read_records(path, rejects=rejects)] == ["P0"]
    assert rejects.items == [
        cio.Reject(str(path), 1, "P1", cio.REASON_INVALID_UTF8_PARQUET),
    ]


def test_overlong_jsonl_line_is_rejected_and_reading_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cio, "MAX_LINE_BYTES", 64)
    path = write_bytes_lines(
        tmp_path / "long.jsonl",
        [
            b'{"note_id": "L1", "text": "' + b"LONGSECRET " * 20 + b'"}',
            b'{"note_id": "L2", "text": "short"}',
        ],
    )
    rejects = cio.RejectsList()
    assert [r["note_id"] for r in read_records(path, rejects=rejects)] == ["L2"]
    assert rejects.items == [cio.Reject(str(path), 1, None, "line longer than 64 bytes")]


def test_transform_record_errors_are_rejected_without_text(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    rejects_path = tmp_path / "r.jsonl"

    def transform(note: Note) -> Note:
        if note.note_id == "N-002":
            raise RecordError(f"cannot handle text {note.text!r}")
        return note

    counts = cio.process_notes(source, tmp_path / "o.jsonl", transform, rejects_path=rejects_path)
    assert counts.to_dict() == {"read": 3, "written": 2, "rejected": 1}
    (reject,) = jsonl_file_records(rejects_path)
    assert reject == {
        "source": str(source),
        "line": 2,
        "note_id": "N-002",
        "reason": "cannot handle text <value>",
    }


def test_note_the_output_cannot_encode_is_rejected(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    rejects = tmp_path / "r.jsonl"

    def broken_surrogate(note: Note) -> Note:
        text = note.text + "\udc80" if note.note_id == "N-003" else note.text
        return Note(note_id=note.note_id, text=text)

    for out in ("o.jsonl", "o.csv", "o.parquet"):
        counts = cio.process_notes(source, tmp_path / out, broken_surrogate, rejects_path=rejects)
        assert counts.to_dict() == {"read": 3, "written": 2, "rejected": 1}, out
        assert jsonl_file_records(rejects)[0]["reason"] == cio.REASON_NOT_UTF8_ENCODABLE


def test_late_columns_and_types_in_parquet_and_csv(tmp_path: Path) -> None:
    records = [
        {"note_id": "A", "text": "t", "a": "x", "b": 1},
        {"note_id": "B", "text": "t", "a": None, "b": 2.5},  # b widens to float in batch 1
        {"note_id": "C", "text": "t", "a": "z", "c": "late"},  # new column after batch 1
        {"note_id": "D", "text": "t", "c": None},  # a null in a late column is fine
        {"note_id": "E", "text": "t", "b": "text now"},  # type changes after batch 1
        {"note_id": "F", "text": "t"},  # missing columns are left empty
    ]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    for out, rejected_ids in (("o.parquet", ["C", "E"]), ("o.csv", ["C"])):
        rejects = tmp_path / f"{out}.rejects.jsonl"
        counts = cio.process_notes(source, tmp_path / out, batch_rows=2, rejects_path=rejects)
        got = jsonl_file_records(rejects)
        assert [r["note_id"] for r in got] == rejected_ids, out
        assert "column(s) c not in the" in got[0]["reason"]
        assert counts.written == 6 - len(rejected_ids)
    parquet_rows = pq.read_table(tmp_path / "o.parquet").to_pylist()
    assert [(r["note_id"], r["a"], r["b"]) for r in parquet_rows] == [
        ("A", "x", 1.0),
        ("B", None, 2.5),
        ("D", None, None),
        ("F", None, None),
    ]
    type_reason = jsonl_file_records(tmp_path / "o.parquet.rejects.jsonl")[1]["reason"]
    assert type_reason.startswith("column b holds string values here but double values")


def test_numpy_scalars_are_written_as_plain_values(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    note = Note(note_id="NP", text="t", extra={"n": np.int64(3), "f": np.float32(0.5)})
    for name in ("np.jsonl", "np.parquet"):
        cio.write_notes(tmp_path / name, [note])
        (record,) = read_records(tmp_path / name)
        assert (record["n"], record["f"]) == (3, 0.5)
        assert (type(record["n"]), type(record["f"])) == (int, float)
    cio.write_notes(tmp_path / "np.csv", [note])
    assert read_records(tmp_path / "np.csv")[0]["n"] == "3"


# --------------------------------------------------------------------------------------------
# Input specs


def _make_tree(root: Path) -> None:
    write_jsonl(root / "a.jsonl", [RECORDS[0]])
    cio.write_notes(root / "c.parquet", notes_of([RECORDS[1]]))
    cio.write_notes(root / "sub" / "b.csv", notes_of([RECORDS[2]]))
    (root / "README.md").write_text("not notes", encoding="utf-8")
    write_jsonl(root / ".hidden.jsonl", [{"note_id": "X", "text": "hidden"}])
    write_jsonl(root / "old.rejects.jsonl", [{"source": "s", "line": 1, "reason": "r"}])


def test_directory_reads_supported_files_sorted_and_recursively(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    _make_tree(root)
    sources = [(item.source, item.note.note_id) for item in cio.read_notes(root)]
    assert sources == [
        (str(root / "a.jsonl"), "N-001"),
        (str(root / "c.parquet"), "N-002"),
        (str(root / "sub" / "b.csv"), "N-003"),
    ]


def test_glob_and_list_specs(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    _make_tree(root)
    assert [r["note_id"] for r in read_records(str(root / "**" / "*.csv"))] == ["N-003"]
    assert [r["note_id"] for r in read_records(str(root / "*.*"))] == ["N-001", "N-002"]
    both = [root / "sub" / "b.csv", root / "a.jsonl", root / "a.jsonl"]
    assert [r["note_id"] for r in read_records(both)] == ["N-003", "N-001"]


def test_format_override_reads_any_extension(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "export.txt", [RECORDS[2]])
    assert read_records(path, fmt="jsonl") == normalised([RECORDS[2]])


@pytest.mark.parametrize(
    ("make", "spec", "message"),
    [
        (None, "missing.jsonl", "no such file or directory"),
        (None, "nothing-*.jsonl", "the pattern matches no files"),
        ("notes.txt", "notes.txt", "cannot tell the format from the extension"),
        ("notes.parquet.gz", "notes.parquet.gz", "gzip-compressed Parquet is not supported"),
        ("docs/README.md", "docs", "the directory holds no files casenotes can read"),
        ("docs/README.md", "docs/*.md", "none has a supported extension"),
    ],
)
def test_input_errors_name_the_path(
    tmp_path: Path, make: str | None, spec: str, message: str
) -> None:
    if make is not None:
        (tmp_path / make).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / make).write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        list(cio.read_notes(str(tmp_path / spec)))
    assert str(tmp_path / spec) in str(caught.value)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("corrupt.parquet", b"PAR1 this is not parquet", "cannot open as Parquet"),
        ("empty.parquet", b"", "cannot open as Parquet"),
        ("corrupt.jsonl.gz", b"not gzip at all", "damaged or truncated"),
        ("utf16.jsonl", '{"note_id": "U", "text": "t"}\n'.encode("utf-16"), "UTF-16, not UTF-8"),
    ],
)
def test_unreadable_files_raise_input_error(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        list(cio.read_notes(path))


def test_unknown_format_and_output_over_input(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    with pytest.raises(InputError, match="unknown format 'xml'"):
        cio.read_notes(source, fmt="xml")
    with pytest.raises(InputError, match="would overwrite an input file"):
        cio.process_notes(source, source)
    with pytest.raises(InputError, match="cannot tell the format"):
        cio.process_notes(source, tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()


# --------------------------------------------------------------------------------------------
# Writers are atomic


@pytest.mark.parametrize("name", ["out.jsonl", "out.csv", "out.parquet", "out.csv.gz"])
def test_writer_leaves_no_output_after_an_exception(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    with pytest.raises(RuntimeError, match="boom"), cio.open_writer(out) as writer:
        for note in notes_of(RECORDS):
            writer.write(note)
        assert not out.exists()
        raise RuntimeError("boom")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_failed_run_keeps_previous_output_and_written_rejects(tmp_path: Path) -> None:
    records = [{"note_id": "X1", "text": None}, *RECORDS]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out.jsonl"
    out.write_text("previous run\n", encoding="utf-8")

    def crash(note: Note) -> Note:
        if note.note_id == "N-002":
            raise ValueError("a bug in the transform")
        return note

    with pytest.raises(ValueError, match="a bug"):
        cio.process_notes(source, out, crash)
    assert out.read_text(encoding="utf-8") == "previous run\n"
    rejects = jsonl_file_records(cio.default_rejects_path(out))
    assert [(r["line"], r["note_id"], r["reason"]) for r in rejects] == [(1, "X1", "missing text")]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "in.jsonl",
        "out.jsonl",
        "out.rejects.jsonl",
    ]


def test_writer_commits_on_close(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "out.jsonl"
    with cio.open_writer(out) as writer:
        writer.write(notes_of(RECORDS)[0])
    assert writer.count == 1
    assert jsonl_file_records(out) == normalised(RECORDS[:1])
    assert [p.name for p in out.parent.iterdir()] == ["out.jsonl"]
    with pytest.raises(ValueError, match="closed"):
        writer.write(notes_of(RECORDS)[0])


def test_empty_outputs_are_valid_files(tmp_path: Path) -> None:
    for name in ("e.jsonl", "e.csv", "e.parquet"):
        assert cio.write_notes(tmp_path / name, []) == 0
        assert read_records(tmp_path / name) == []
    assert pq.read_schema(tmp_path / "e.parquet").names == [
        "note_id",
        "case_id",
        "date",
        "text",
        "pii",
        "mentions",
    ]


# --------------------------------------------------------------------------------------------
# Counts and small helpers


def test_counts_reconcile() -> None:
    assert cio.Counts(read=3, written=2, rejected=1).reconcile().read == 3
    with pytest.raises(ReconciliationError, match="read 3 != written 1 \\+ rejected 1"):
        cio.Counts(read=3, written=1, rejected=1).reconcile()


def test_reader_counts_add_up(tmp_path: Path) -> None:
    source = write_bytes_lines(tmp_path / "b.jsonl", [line for line, _, _ in BROKEN_JSONL])
    reader = cio.read_notes(source)
    good = list(reader)
    assert reader.counts.to_dict() == {"read": 14, "written": len(good), "rejected": 11}


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("date '2019-02-30' is not an ISO 8601 date", "date <value> is not an ISO 8601 date"),
        ('label "Mr O\'Brien" is not one of: A', "label <value> is not one of: A"),
        ("x" * 400, "x" * (cio.MAX_REASON_CHARS - 3) + "..."),
    ],
)
def test_reasons_never_quote_values(message: str, reason: str) -> None:
    assert cio._safe_reason(message) == reason


def test_default_rejects_path(tmp_path: Path) -> None:
    assert (
        cio.default_rejects_path(tmp_path / "x.deid.parquet") == tmp_path / "x.deid.rejects.jsonl"
    )
    assert cio.default_rejects_path(tmp_path / "x.csv.gz") == tmp_path / "x.rejects.jsonl"


# --------------------------------------------------------------------------------------------
# Streaming

STREAM_NOTES = 20_000  # ~1.2 KB each: a 24 MB file; tracemalloc makes each note slow


def test_pipeline_streams_without_accumulating_memory(tmp_path: Path) -> None:
    source = tmp_path / "big.jsonl"
    filler = "Visited the family at home; children seen together and spoken to alone. " * 16
    with source.open("w", encoding="utf-8") as handle:
        for i in range(STREAM_NOTES):
            handle.write(f'{{"note_id":"S{i:06d}","text":"{filler}{i}"}}\n')
    size = source.stat().st_size
    assert size > 20_000_000

    tracemalloc.start()
    try:
        counts = cio.process_notes(source, tmp_path / "big.out.jsonl")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert counts.to_dict() == {"read": STREAM_NOTES, "written": STREAM_NOTES, "rejected": 0}
    # The seen-id set (~90 bytes a note) is the only thing that grows: ~2 MB here.
    assert peak < size / 3, (peak, size)
