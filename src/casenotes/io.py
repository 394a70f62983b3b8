"""Reading and writing case notes: the only module that knows file formats.

Concepts
--------
**Input spec.** What to read: one file, a directory (every supported file under it, recursively,
in sorted path order; hidden files and ``*.rejects.jsonl`` files are skipped) or a glob pattern
(``data/2024-*.csv``, ``archive/**/*.parquet``). :func:`resolve_inputs` turns a spec into a list
of :class:`InputFile`. The format comes from the extension (see :data:`EXTENSIONS`; ``.jsonl.gz``
and ``.csv.gz`` are read and written through gzip) unless ``fmt`` overrides it, in which case every
matched file, whatever its name, is read as that format.

**Streaming.** Nothing holds a whole archive in memory. JSONL and CSV files are opened in binary
and read one physical line at a time; each line is decoded on its own, so one line of invalid
UTF-8 spoils only its own record. Parquet is read in batches of :data:`PARQUET_READ_ROWS` rows
(memory is bounded by about one row group of the file). Writers buffer at most ``batch_rows``
notes. The one thing that grows with the input is the set of note ids seen so far, used to reject
duplicates: about 90 bytes per note in CPython (roughly 90 MB per million notes), or 8 bytes per
note with :class:`CompactSeenIds`, which batch tagging uses.

**Located notes.** Readers yield :class:`Located` items: the :class:`~casenotes.records.Note`
plus where it came from (``source`` path and ``line``). ``line`` is the 1-based physical line on
which the record starts for JSONL and CSV (a CSV record with quoted newlines spans several lines),
and the 0-based row index for Parquet (what ``pandas.read_parquet(path).iloc[line]`` shows).

**Rejects.** A record that breaks the data contract never stops the run. It becomes a
:class:`Reject` (``source``, ``line``, ``note_id`` if one could be read, ``reason``) sent to a
rejects sink, usually a :class:`RejectsFile`: JSONL, one object per reject, appended and flushed
one at a time so a crash keeps what was written. Privacy rule: a reject holds ids, line numbers
and reasons only. Reasons never quote field values: messages from :mod:`casenotes.records` have
every quoted value replaced by ``<value>``, and a ``note_id`` that does not look like an id (longer
than :data:`MAX_REJECT_ID_CHARS`, or with control characters) is dropped. Blank lines in JSONL and
CSV are not records: they are skipped and not counted.

**Counts.** :class:`Counts` keeps ``read``, ``written`` and ``rejected``; ``reconcile()`` raises
:class:`~casenotes.errors.ReconciliationError` unless ``read == written + rejected``. For a reader,
``written`` counts the notes it yielded.

**Pipeline.** :func:`process_notes` streams input → ``transform(note)`` → output, sending the
records that fail to read, fail the transform (it raises :class:`~casenotes.errors.RecordError`)
or cannot be written to the rejects file, and returns reconciled counts. Every CLI command uses it.

**Writers.** :func:`open_writer` picks :class:`JsonlWriter`, :class:`CsvWriter` or
:class:`ParquetWriter` from the output extension. They write ``note.to_record()``: contract fields
first, extra columns passed through. Writers are context managers and atomic: they write to a
hidden temporary file in the output's directory (created with mode 0600, which the output keeps:
it holds personal data until proven otherwise) and ``os.replace`` it onto the output path only
when closed without an error; after an exception the output path is never created.

Format notes and limitations
----------------------------
- JSONL: one object per line, UTF-8, ``ensure_ascii=False``. Dates, times and datetimes in extra
  columns are written as ISO 8601 strings, decimals as strings.
- CSV: first line is the header (a UTF-8 byte-order mark is ignored). ``pii``, ``mentions`` and
  any list or object in an extra column are written as JSON in their cell; the reader parses
  ``pii`` and ``mentions`` back, other cells stay strings (CSV has no types: an extra column of
  numbers comes back as strings, and an empty cell is an empty string, so a null extra value
  comes back as ``""``). An empty ``text`` cell counts as missing text.
- CSV and Parquet need their columns before the first row: the output has the six contract
  columns (``note_id, case_id, date, text, ..., pii, mentions``; empty when unused) plus every
  extra column seen in the first ``batch_rows`` notes. A later note with a value in a column not
  seen by then is rejected (write JSONL to keep every column); a missing column is left empty.
- Parquet: contract columns have a fixed schema (``date`` is ``date32``; ``pii`` and ``mentions``
  are ``list<struct>``). An extra column takes the type of its first non-null value (an integer
  column widens to float while the first batch is buffered; a column that is null throughout the
  first batch becomes a string column); a later value of another type is rejected. Lists and
  objects in extra columns are stored as JSON strings tagged with field metadata
  (:data:`JSON_FIELD_METADATA`) and decoded again on read.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import decimal
import functools
import glob
import gzip
import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import IO, Any, ClassVar, Self

import pyarrow as pa
import pyarrow.parquet as pq

from casenotes.errors import InputError, ReconciliationError, RecordError
from casenotes.parallel import DEFAULT_BATCH_SIZE, TransformFactory, map_batches, per_note
from casenotes.records import RESERVED_FIELDS, Note

__all__ = [
    "EXTENSIONS",
    "REJECTS_SUFFIX",
    "CompactSeenIds",
    "Counts",
    "CsvWriter",
    "Format",
    "InputFile",
    "JsonlWriter",
    "Located",
    "NoteReader",
    "NoteWriter",
    "ParquetWriter",
    "Reject",
    "RejectSink",
    "RejectsFile",
    "RejectsList",
    "SeenIds",
    "default_rejects_path",
    "open_writer",
    "process_notes",
    "read_notes",
    "reject_of",
    "resolve_inputs",
    "write_notes",
]


class Format(StrEnum):
    """File formats casenotes reads and writes."""

    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


EXTENSIONS: Mapping[str, Format] = {
    ".jsonl": Format.JSONL,
    ".jsonlines": Format.JSONL,
    ".ndjson": Format.JSONL,
    ".csv": Format.CSV,
    ".parquet": Format.PARQUET,
}
GZIP_SUFFIX = ".gz"
REJECTS_SUFFIX = ".rejects.jsonl"
TEMP_SUFFIX = ".tmp"
GLOB_CHARS = frozenset("*?[")
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

MAX_LINE_BYTES = 16 * 1024 * 1024  # a longer JSONL line is rejected; a longer CSV line stops
CSV_FIELD_LIMIT = MAX_LINE_BYTES  # raises csv's 128 KiB default so long notes fit in one cell
PARQUET_READ_ROWS = 1024
DEFAULT_BATCH_ROWS = 4096  # notes buffered by CSV and Parquet writers; one Parquet row group
PARQUET_COMPRESSION = "zstd"
MAX_REJECT_ID_CHARS = 128
MAX_REASON_CHARS = 300

JSON_CELL_COLUMNS: tuple[str, ...] = ("pii", "mentions")
CONTRACT_COLUMNS_BEFORE: tuple[str, ...] = ("note_id", "case_id", "date", "text")
CONTRACT_COLUMNS_AFTER: tuple[str, ...] = ("pii", "mentions")
JSON_FIELD_KEY = b"casenotes.encoding"
JSON_FIELD_METADATA: Mapping[bytes, bytes] = {JSON_FIELD_KEY: b"json"}
JSON_COLUMN_TYPE = pa.large_string()  # Parquet storage of list/object extra columns, as JSON text

PII_TYPE = pa.list_(
    pa.struct(
        [
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("label", pa.string()),
            ("score", pa.float64()),
            ("recognizer", pa.string()),
        ]
    )
)
MENTIONS_TYPE = pa.list_(
    pa.struct(
        [
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("label", pa.string()),
            ("negated", pa.bool_()),
            ("subject", pa.string()),
            ("temporality", pa.string()),
            ("certainty", pa.string()),
        ]
    )
)
CONTRACT_TYPES: Mapping[str, pa.DataType] = {
    "note_id": pa.string(),
    "case_id": pa.string(),
    "date": pa.date32(),
    "text": pa.string(),
    "pii": PII_TYPE,
    "mentions": MENTIONS_TYPE,
}
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

# Reasons written to the rejects file. Templates take only counts, positions, types and column
# names, never values.
REASON_DUPLICATE_ID = "duplicate note_id"
REASON_INVALID_UTF8 = "invalid UTF-8 at byte {byte} of line {line}"
REASON_INVALID_UTF8_PARQUET = "invalid UTF-8 in a string column"
REASON_MALFORMED_JSON = "malformed JSON: {msg} (column {col})"
REASON_NOT_OBJECT = "line holds a JSON {kind}, not an object"
REASON_LINE_TOO_LONG = "line longer than {limit} bytes"
REASON_FIELD_COUNT = "CSV row has {got} fields but the header has {want}"
REASON_MALFORMED_CSV = "malformed CSV: {error}"
REASON_BAD_JSON_CELL = "{column} cell is not valid JSON: {msg} (column {col})"
REASON_BAD_JSON_COLUMN = "{column} column does not hold valid JSON"
REASON_RECORD_ERROR = "invalid record ({kind})"
REASON_NEW_COLUMNS = (
    "column(s) {names} not in the {fmt} output, whose columns were fixed by its first {n} notes; "
    "write JSONL to keep every column"
)
REASON_COLUMN_TYPE = (
    "column {name} holds {got} here but {want} in the Parquet output (fixed by its first notes); "
    "write JSONL to keep mixed types"
)
REASON_UNSUPPORTED_TYPE = "column {name} holds a {kind}, which {fmt} output cannot store"
REASON_NOT_UTF8_ENCODABLE = "a field holds a lone surrogate and cannot be encoded as UTF-8"

_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_NOTE_ID_IN_RAW = re.compile(rb'"note_id"\s*:\s*(?:"([^"\\\r\n]{1,128})"|(-?\d{1,20})\b)')

PathSpec = str | os.PathLike[str]
Transform = Callable[[Note], Note]


# --------------------------------------------------------------------------------------------
# Records of the run: where a note came from, what was rejected, how many of each


@dataclass(frozen=True, slots=True)
class Located:
    """A note and where it was read (``line``: 1-based for JSONL/CSV, 0-based row for Parquet)."""

    note: Note
    source: str
    line: int


@dataclass(frozen=True, slots=True)
class Reject:
    """One record that was not passed on. Holds no text and no field value other than note_id."""

    source: str
    line: int
    note_id: str | None
    reason: str

    def to_record(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Counts:
    """Records read, passed on (yielded or written) and rejected; they must always add up."""

    read: int = 0
    written: int = 0
    rejected: int = 0

    def reconcile(self, where: str = "this run") -> Self:
        """Raise :class:`ReconciliationError` unless ``read == written + rejected``."""
        if self.read != self.written + self.rejected:
            raise ReconciliationError(
                f"counts do not add up in {where}: read {self.read} != written {self.written} "
                f"+ rejected {self.rejected}. This is a bug in casenotes: please report it."
            )
        return self

    def to_dict(self) -> dict[str, int]:
        return {"read": self.read, "written": self.written, "rejected": self.rejected}


class RejectSink:
    """Where rejects go. Subclasses implement :meth:`write`."""

    count: int = 0

    def write(self, reject: Reject) -> None:
        raise NotImplementedError


class RejectsList(RejectSink):
    """Keeps rejects in memory, for tests and small jobs; ``items`` holds them in order."""

    def __init__(self) -> None:
        self.items: list[Reject] = []
        self.count = 0

    def write(self, reject: Reject) -> None:
        self.items.append(reject)
        self.count += 1


class RejectsFile(RejectSink):
    """A JSONL rejects file, truncated when opened, one object appended and flushed per reject."""

    def __init__(self, path: PathSpec) -> None:
        self.path = Path(path)
        self.count = 0
        self._file: IO[bytes] | None = None

    def open(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("wb")
        return self

    def write(self, reject: Reject) -> None:
        if self._file is None:
            raise ValueError(f"rejects file {self.path} is not open: use it in a with block")
        line = json.dumps(reject.to_record(), ensure_ascii=False) + "\n"
        self._file.write(line.encode("utf-8", "backslashreplace"))
        self._file.flush()
        self.count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def reject_of(item: Located, error: RecordError) -> Reject:
    """The reject of a read note that a later step refused (the reason quotes no value)."""
    return Reject(item.source, item.line, _reject_id(item.note.note_id), _safe_reason(str(error)))


def default_rejects_path(out: PathSpec) -> Path:
    """``out/notes.parquet`` → ``out/notes.rejects.jsonl`` (such files are never read as input)."""
    path = Path(out)
    name = path.name
    if name.lower().endswith(GZIP_SUFFIX):
        name = name[: -len(GZIP_SUFFIX)]
    stem = name[: -len(Path(name).suffix)] if Path(name).suffix else name
    return path.with_name(stem + REJECTS_SUFFIX)


# --------------------------------------------------------------------------------------------
# Small helpers


def _safe_reason(message: str) -> str:
    """Replace every quoted value in an error message with ``<value>`` and cap its length."""
    reason = _QUOTED.sub("<value>", message)
    if len(reason) > MAX_REASON_CHARS:
        reason = reason[: MAX_REASON_CHARS - 3] + "..."
    return reason


def _reject_id(value: Any) -> str | None:
    """The note_id to put in a reject, or None when it does not look like an id."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or len(value) > MAX_REJECT_ID_CHARS:
        return None
    if not value.isprintable():
        return None
    return value


def _salvage_note_id(raw: bytes) -> str | None:
    """Find the note_id of a line that does not decode or parse, if it is plainly there."""
    match = _NOTE_ID_IN_RAW.search(raw)
    if match is None:
        return None
    try:
        return _reject_id((match.group(1) or match.group(2)).decode("utf-8"))
    except UnicodeDecodeError:
        return None


def _json_kind(value: Any) -> str:
    kinds = {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else kinds.get(type(value), type(value).__name__)


def _json_msg(error: json.JSONDecodeError) -> str:
    """The parser's message (never the content): "Expecting value", "Unterminated string"..."""
    return error.msg.removesuffix(" at").removesuffix(" starting at")


def _plain(value: Any) -> Any:
    """Turn numpy, pandas and pyarrow scalars into plain Python values; leave the rest alone."""
    if isinstance(value, pa.Scalar):
        return value.as_py()
    module = type(value).__module__
    if module.startswith("numpy") and hasattr(value, "item"):
        return value.item() if getattr(value, "ndim", 0) == 0 else value.tolist()
    if module.startswith("pandas") and hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    return value


def _json_default(value: Any) -> Any:
    plain = _plain(value)
    if plain is not value:
        return plain
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(type(value).__name__)


def _dump_json(value: Any) -> str:
    """JSON text of a value for a file; raises RecordError (naming only the type) if impossible."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=_json_default)
    except (TypeError, ValueError) as error:
        raise RecordError(f"a field cannot be written as JSON ({error})") from None
    _check_utf8(text)
    return text


def _check_utf8(text: str) -> None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise RecordError(REASON_NOT_UTF8_ENCODABLE) from None


# --------------------------------------------------------------------------------------------
# Input specs


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file to read: its path, its format and whether it is gzip-compressed."""

    path: Path
    format: Format
    compressed: bool = False


def _supported_list() -> str:
    return ", ".join([*EXTENSIONS, ".jsonl.gz", ".csv.gz"])


def _to_format(fmt: Format | str | None) -> Format | None:
    if fmt is None:
        return None
    try:
        return Format(str(fmt).lower().lstrip("."))
    except ValueError:
        allowed = ", ".join(member.value for member in Format)
        raise InputError(f"unknown format {fmt!r}: use one of {allowed}") from None


def _format_of(path: Path, override: Format | None, *, strict: bool) -> InputFile | None:
    """The InputFile for a path, or None for an unsupported file when ``strict`` is false."""
    name = path.name.lower()
    compressed = name.endswith(GZIP_SUFFIX)
    base = name[: -len(GZIP_SUFFIX)] if compressed else name
    fmt = override or EXTENSIONS.get(Path(base).suffix)
    if fmt is None:
        if not strict:
            return None
        raise InputError(
            f"{path}: cannot tell the format from the extension; supported: {_supported_list()}. "
            "Rename the file or pass the format explicitly (--format jsonl|csv|parquet)."
        )
    if compressed and fmt is Format.PARQUET:
        raise InputError(
            f"{path}: gzip-compressed Parquet is not supported; Parquet compresses itself, so "
            "gunzip the file first."
        )
    return InputFile(path=path, format=fmt, compressed=compressed)


def _skipped(relative: Path) -> bool:
    hidden = any(part.startswith(".") for part in relative.parts)
    return hidden or relative.name.lower().endswith(REJECTS_SUFFIX)


def _resolve_one(spec: PathSpec, override: Format | None) -> list[InputFile]:
    path = Path(spec)
    if path.is_file():
        found = _format_of(path, override, strict=True)
        return [found] if found is not None else []
    if path.is_dir():
        candidates = sorted(
            p for p in path.rglob("*") if p.is_file() and not _skipped(p.relative_to(path))
        )
        files = [f for p in candidates if (f := _format_of(p, override, strict=False))]
        if not files:
            raise InputError(
                f"{path}: the directory holds no files casenotes can read (supported: "
                f"{_supported_list()}); check the path, or pass a glob pattern or a file."
            )
        return files
    if GLOB_CHARS & set(str(spec)):
        matches = sorted(Path(m) for m in glob.glob(str(spec), recursive=True))
        matches = [m for m in matches if m.is_file() and not _skipped(Path(m.name))]
        if not matches:
            raise InputError(
                f"{spec}: the pattern matches no files; check it, and quote it so that the shell "
                "does not expand it first."
            )
        files = [f for m in matches if (f := _format_of(m, override, strict=False))]
        if not files:
            raise InputError(
                f"{spec}: the pattern matches {len(matches)} file(s) but none has a supported "
                f"extension ({_supported_list()}); pass the format explicitly to read them."
            )
        return files
    if path.exists():
        raise InputError(f"{path}: not a regular file or directory; pass a file, folder or glob.")
    raise InputError(f"{path}: no such file or directory; check the path.")


def resolve_inputs(
    spec: PathSpec | Sequence[PathSpec], fmt: Format | str | None = None
) -> list[InputFile]:
    """Expand an input spec (a file, directory, glob, or a list of them) into files to read.

    Raises :class:`InputError` for a missing path, a pattern that matches nothing, a directory
    with no supported files or a file whose format cannot be told from its extension.
    """
    override = _to_format(fmt)
    specs = [spec] if isinstance(spec, str | os.PathLike) else list(spec)
    if not specs:
        raise InputError("no input given: pass a file, a directory or a glob pattern.")
    files: list[InputFile] = []
    seen: set[Path] = set()
    for one in specs:
        for found in _resolve_one(one, override):
            key = found.path.resolve()
            if key not in seen:
                seen.add(key)
                files.append(found)
    return files


# --------------------------------------------------------------------------------------------
# Raw rows: each format's parser yields a parsed mapping or the reason it could not be parsed


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    record: Mapping[str, Any] | None = None
    reason: str | None = None
    note_id: str | None = None


@contextlib.contextmanager
def _open_binary(file: InputFile) -> Iterator[IO[bytes]]:
    try:
        handle: IO[bytes] = (
            gzip.GzipFile(file.path, "rb") if file.compressed else file.path.open("rb")
        )
    except OSError as error:
        raise InputError(f"{file.path}: cannot open ({error.strerror or error}).") from None
    with handle:
        try:
            yield handle
        except (OSError, EOFError, gzip.BadGzipFile) as error:
            raise InputError(
                f"{file.path}: reading stopped ({type(error).__name__}: {error}); the file is "
                "damaged or truncated: copy or export it again."
            ) from None


def _physical_lines(handle: IO[bytes], path: Path) -> Iterator[tuple[int, bytes | None]]:
    """Yield (1-based line number, line bytes); ``None`` for a line over MAX_LINE_BYTES."""
    number = 0
    while True:
        raw = handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while True:  # skip the rest of the overlong line without keeping it
                rest = handle.readline(MAX_LINE_BYTES)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, None
            continue
        if number == 1 and raw.startswith(UTF16_BOMS):
            raise InputError(f"{path}: the file is UTF-16, not UTF-8; re-save it as UTF-8.")
        if number == 1 and raw.startswith(UTF8_BOM):
            raw = raw[len(UTF8_BOM) :]
        yield number, raw


def _jsonl_rows(file: InputFile) -> Iterator[_Row]:
    with _open_binary(file) as handle:
        for number, raw in _physical_lines(handle, file.path):
            if raw is None:
                yield _Row(number, reason=REASON_LINE_TOO_LONG.format(limit=MAX_LINE_BYTES))
                continue
            if not raw.strip():
                continue  # blank lines are not records
            raw = raw.rstrip(b"\r\n")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                reason = REASON_INVALID_UTF8.format(byte=error.start + 1, line=number)
                yield _Row(number, reason=reason, note_id=_salvage_note_id(raw))
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                reason = REASON_MALFORMED_JSON.format(msg=_json_msg(error), col=error.colno)
                yield _Row(number, reason=reason, note_id=_salvage_note_id(raw))
                continue
            if not isinstance(value, dict):
                yield _Row(number, reason=REASON_NOT_OBJECT.format(kind=_json_kind(value)))
                continue
            yield _Row(number, record=value)


def _csv_rows(file: InputFile) -> Iterator[_Row]:
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    bad_lines: dict[int, int] = {}  # line number → 1-based byte of its first invalid byte

    def decoded(handle: IO[bytes]) -> Iterator[str]:
        for number, raw in _physical_lines(handle, file.path):
            if raw is None:
                raise InputError(
                    f"{file.path}: line {number} is longer than {MAX_LINE_BYTES} bytes; check "
                    "that the file really is CSV."
                )
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as error:
                # Keep the line's structure (commas, quotes) so the rest of the file parses.
                bad_lines[number] = error.start + 1
                yield raw.decode("utf-8", "surrogateescape")

    with _open_binary(file) as handle:
        reader = csv.reader(decoded(handle))
        header = _csv_header(file, reader, bad_lines)
        if header is None:
            return
        id_index = header.index("note_id") if "note_id" in header else None
        while True:
            start = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                for number in [n for n in bad_lines if n <= reader.line_num]:
                    del bad_lines[number]
                yield _Row(start, reason=REASON_MALFORMED_CSV.format(error=error))
                continue
            if not fields or (len(fields) == 1 and not fields[0].strip() and len(header) > 1):
                continue  # blank line
            yield _csv_row(header, fields, start, reader.line_num, bad_lines, id_index)


def _csv_header(
    file: InputFile, reader: Iterator[list[str]], bad_lines: Mapping[int, int]
) -> list[str] | None:
    try:
        header: list[str] = []
        while not header:
            header = next(reader)
    except StopIteration:
        return None
    except csv.Error as error:
        raise InputError(f"{file.path}: the CSV header cannot be parsed ({error}).") from None
    if bad_lines:
        raise InputError(f"{file.path}: the CSV header is not valid UTF-8; re-save it as UTF-8.")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise InputError(
            f"{file.path}: the CSV header repeats column(s) {', '.join(repeated)}; rename them."
        )
    return header


def _csv_row(
    header: list[str],
    fields: list[str],
    start: int,
    end: int,
    bad_lines: dict[int, int],
    id_index: int | None,
) -> _Row:
    bad = [n for n in range(start, end + 1) if n in bad_lines] if bad_lines else []
    positions = {n: bad_lines.pop(n) for n in bad}
    if len(fields) != len(header):
        return _Row(start, reason=REASON_FIELD_COUNT.format(got=len(fields), want=len(header)))
    note_id = _reject_id(fields[id_index]) if id_index is not None else None
    if bad:
        if note_id is not None:
            try:
                note_id.encode("utf-8")
            except UnicodeEncodeError:
                note_id = None
        reason = REASON_INVALID_UTF8.format(byte=positions[bad[0]], line=bad[0])
        return _Row(start, reason=reason, note_id=note_id)
    record: dict[str, Any] = dict(zip(header, fields, strict=True))
    if record.get("text") == "":
        record["text"] = None
    for column in JSON_CELL_COLUMNS:
        cell = record.get(column)
        if cell is None:
            continue
        if not cell.strip():
            record[column] = None
            continue
        try:
            record[column] = json.loads(cell)
        except json.JSONDecodeError as error:
            msg = _json_msg(error)
            reason = REASON_BAD_JSON_CELL.format(column=column, msg=msg, col=error.colno)
            return _Row(start, reason=reason, note_id=note_id)
    return _Row(start, record=record, note_id=note_id)


def _parquet_rows(file: InputFile) -> Iterator[_Row]:
    try:
        parquet = pq.ParquetFile(file.path)
        json_columns = [
            f.name
            for f in parquet.schema_arrow
            if (f.metadata or {}).get(JSON_FIELD_KEY) == JSON_FIELD_METADATA[JSON_FIELD_KEY]
        ]
    except (pa.ArrowException, OSError) as error:
        raise InputError(
            f"{file.path}: cannot open as Parquet ({error}); the file is damaged or is not "
            "Parquet: export it again, or pass the right format."
        ) from None
    batches = parquet.iter_batches(batch_size=PARQUET_READ_ROWS)
    index = 0
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError) as error:
            raise InputError(
                f"{file.path}: reading stopped at row {index} ({error}); the file is damaged: "
                "export it again."
            ) from None
        yield from _batch_rows(batch, index, json_columns)
        index += batch.num_rows


def _batch_rows(batch: pa.RecordBatch, first: int, json_columns: list[str]) -> Iterator[_Row]:
    try:
        records: list[dict[str, Any] | None] = batch.to_pylist()
    except UnicodeDecodeError:
        records = []
        for offset in range(batch.num_rows):
            try:
                records.append(batch.slice(offset, 1).to_pylist()[0])
            except UnicodeDecodeError:
                records.append(None)
    for offset, record in enumerate(records):
        index = first + offset
        if record is None:
            yield _Row(index, reason=REASON_INVALID_UTF8_PARQUET, note_id=_row_id(batch, offset))
            continue
        row = _parquet_record(record, json_columns)
        yield _Row(index, record=row) if isinstance(row, dict) else _Row(index, reason=row)


def _row_id(batch: pa.RecordBatch, offset: int) -> str | None:
    if "note_id" not in batch.schema.names:
        return None
    try:
        return _reject_id(batch.column("note_id")[offset].as_py())
    except (UnicodeDecodeError, pa.ArrowException):
        return None


def _parquet_record(record: dict[str, Any], json_columns: list[str]) -> dict[str, Any] | str:
    """Plain-Python record with JSON columns decoded, or the reason it cannot be."""
    for name, value in record.items():
        plain = _plain(value)
        if plain is not value:
            record[name] = plain
    for name in json_columns:
        value = record.get(name)
        if isinstance(value, str):
            try:
                record[name] = json.loads(value)
            except json.JSONDecodeError:
                return REASON_BAD_JSON_COLUMN.format(column=name)
    return record


_PARSERS: Mapping[Format, Callable[[InputFile], Iterator[_Row]]] = {
    Format.JSONL: _jsonl_rows,
    Format.CSV: _csv_rows,
    Format.PARQUET: _parquet_rows,
}


# --------------------------------------------------------------------------------------------
# The reader


class SeenIds:
    """The note ids read so far, as a plain set (exact; about 90 bytes per id)."""

    def __init__(self) -> None:
        self._ids: set[str] = set()

    def add(self, note_id: str) -> bool:
        """Remember ``note_id``; False if it was already there."""
        if note_id in self._ids:
            return False
        self._ids.add(note_id)
        return True


class CompactSeenIds(SeenIds):
    """The note ids read so far as 64-bit BLAKE2b digests: about 8 bytes per id.

    Recent digests sit in a set of at most ``buffer`` entries that is merged, when full, into one
    sorted NumPy array searched by bisection; ten million ids take about 80 MB instead of about
    900 MB. Two different ids share a digest with probability about n²/2⁶⁵ (3 in a million for
    ten million notes); the later one would be rejected as a duplicate, visibly, in the rejects
    file, never dropped silently.
    """

    def __init__(self, buffer: int = 65_536) -> None:
        import numpy as np

        self._np = np
        self._sorted = np.empty(0, dtype=np.uint64)
        self._recent: set[int] = set()
        self._buffer = buffer

    def __len__(self) -> int:
        return int(self._sorted.size) + len(self._recent)

    def add(self, note_id: str) -> bool:
        digest = hashlib.blake2b(note_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        key = int.from_bytes(digest, "little")
        if key in self._recent:
            return False
        if self._sorted.size:
            at = int(self._np.searchsorted(self._sorted, key))
            if at < self._sorted.size and int(self._sorted[at]) == key:
                return False
        self._recent.add(key)
        if len(self._recent) >= self._buffer:
            fresh = self._np.fromiter(self._recent, dtype=self._np.uint64, count=len(self._recent))
            self._sorted = self._np.union1d(self._sorted, fresh)
            self._recent.clear()
        return True


class NoteReader:
    """Iterate over the notes of an input spec, sending bad records to ``rejects``.

    Iterating yields :class:`Located` notes; ``counts`` is updated as it goes and reconciled when
    the input is exhausted. With ``dedupe`` (the default) a note whose note_id was already read in
    this reader is rejected with :data:`REASON_DUPLICATE_ID`; the set of seen ids is the only
    memory that grows with the input. Without a ``rejects`` sink, rejects are only counted.
    Per-file problems raise :class:`InputError` (when the spec is resolved, or when a file turns
    out to be unreadable).
    """

    def __init__(
        self,
        spec: PathSpec | Sequence[PathSpec] | Sequence[InputFile],
        *,
        fmt: Format | str | None = None,
        rejects: RejectSink | None = None,
        dedupe: bool = True,
        seen: SeenIds | None = None,
    ) -> None:
        if isinstance(spec, Sequence) and spec and all(isinstance(s, InputFile) for s in spec):
            self.files: list[InputFile] = list(spec)  # type: ignore[arg-type]
        else:
            self.files = resolve_inputs(spec, fmt)  # type: ignore[arg-type]
        self.rejects = rejects
        self.dedupe = dedupe
        self.counts = Counts()
        self._seen = seen if seen is not None else SeenIds()

    def _reject(self, source: str, line: int, note_id: Any, reason: str) -> None:
        self.counts.rejected += 1
        if self.rejects is not None:
            self.rejects.write(Reject(source, line, _reject_id(note_id), reason))

    def __iter__(self) -> Iterator[Located]:
        for file in self.files:
            source = str(file.path)
            for row in _PARSERS[file.format](file):
                self.counts.read += 1
                located = self._accept(source, row)
                if located is not None:
                    self.counts.written += 1
                    yield located
        self.counts.reconcile(f"reading {len(self.files)} file(s)")

    def _accept(self, source: str, row: _Row) -> Located | None:
        if row.record is None:
            self._reject(source, row.line, row.note_id, row.reason or "unreadable record")
            return None
        note_id = row.note_id if row.note_id is not None else row.record.get("note_id")
        try:
            note = Note.from_record(row.record)
        except RecordError as error:
            self._reject(source, row.line, note_id, _safe_reason(str(error)))
            return None
        except (TypeError, ValueError, AttributeError) as error:
            self._reject(
                source, row.line, note_id, REASON_RECORD_ERROR.format(kind=type(error).__name__)
            )
            return None
        if self.dedupe and not self._seen.add(note.note_id):
            self._reject(source, row.line, note.note_id, REASON_DUPLICATE_ID)
            return None
        return Located(note, source, row.line)


def read_notes(
    spec: PathSpec | Sequence[PathSpec],
    *,
    fmt: Format | str | None = None,
    rejects: RejectSink | None = None,
    dedupe: bool = True,
) -> NoteReader:
    """A :class:`NoteReader` over ``spec``: iterate it for :class:`Located` notes."""
    return NoteReader(spec, fmt=fmt, rejects=rejects, dedupe=dedupe)


# --------------------------------------------------------------------------------------------
# Writers


class NoteWriter:
    """Base class of the atomic writers: a hidden temp file, ``os.replace``-d on a clean close.

    ``write(note)`` either accepts the whole note or raises :class:`RecordError` and writes
    nothing of it; ``count`` is the number of notes accepted. Use as a context manager: an
    exception inside the ``with`` block removes the temp file and leaves the output path alone.
    """

    format: ClassVar[Format]

    def __init__(self, path: PathSpec, *, compressed: bool | None = None) -> None:
        self.path = Path(path)
        self.compressed = (
            self.path.name.lower().endswith(GZIP_SUFFIX) if compressed is None else compressed
        )
        self.count = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temp = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=TEMP_SUFFIX, dir=self.path.parent
        )
        self._temp = Path(temp)
        self._raw: IO[bytes] = os.fdopen(descriptor, "wb")
        self._stream: IO[bytes] = self._raw
        if self.compressed:
            self._stream = gzip.GzipFile(filename="", fileobj=self._raw, mode="wb", mtime=0)  # type: ignore[assignment]
        self._open = True

    def write(self, note: Note) -> None:
        """Write one note; raises RecordError (writing nothing) if the format cannot hold it."""
        if not self._open:
            raise ValueError(f"writer for {self.path} is closed")
        self._write_record(note.to_record())
        self.count += 1

    def close(self) -> None:
        """Finish the file and move it onto the output path."""
        if not self._open:
            return
        try:
            self._finish()
            if self._stream is not self._raw:
                self._stream.close()  # a GzipFile writes its trailer and leaves _raw open
            self._raw.flush()
            os.fsync(self._raw.fileno())
            self._raw.close()
            os.replace(self._temp, self.path)
        except BaseException:
            self.abort()
            raise
        self._open = False

    def abort(self) -> None:
        """Drop everything written so far; the output path is not touched."""
        self._open = False
        with contextlib.suppress(Exception):
            self._abandon()
        for handle in (self._stream, self._raw):
            with contextlib.suppress(Exception):
                handle.close()
        self._temp.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    # Subclass hooks
    def _write_record(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        """Flush buffered rows before the file is closed."""

    def _abandon(self) -> None:
        """Release format-level resources when aborting."""


class JsonlWriter(NoteWriter):
    """One JSON object per line, UTF-8, non-ASCII characters kept as they are."""

    format = Format.JSONL

    def _write_record(self, record: dict[str, Any]) -> None:
        self._stream.write(_dump_json(record).encode("utf-8") + b"\n")


class _ColumnPlan:
    """The columns of a CSV or Parquet output: contract columns plus extras of the first batch."""

    def __init__(self, fmt: Format, batch_rows: int) -> None:
        self.format = fmt
        self.batch_rows = batch_rows
        self.extras: dict[str, None] = {}  # ordered set
        self.fixed = False

    @property
    def columns(self) -> list[str]:
        return [*CONTRACT_COLUMNS_BEFORE, *self.extras, *CONTRACT_COLUMNS_AFTER]

    def new_columns(self, record: Mapping[str, Any]) -> list[str]:
        """Extra columns of this record not yet planned; raises once the columns are fixed."""
        new = [k for k in record if k not in RESERVED_FIELDS and k not in self.extras]
        if new and self.fixed:
            valued = [k for k in new if record[k] is not None]
            if valued:
                raise RecordError(
                    REASON_NEW_COLUMNS.format(
                        names=", ".join(valued), fmt=self.format.value, n=self.batch_rows
                    )
                )
            return []
        return new


def _csv_cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return _dump_json(value)


class CsvWriter(NoteWriter):
    """RFC 4180 CSV with a header; nested values as JSON in their cells.

    The first ``batch_rows`` notes are buffered to find the extra columns (see the module notes).
    """

    format = Format.CSV

    def __init__(
        self,
        path: PathSpec,
        *,
        compressed: bool | None = None,
        batch_rows: int = DEFAULT_BATCH_ROWS,
    ) -> None:
        super().__init__(path, compressed=compressed)
        self._plan = _ColumnPlan(self.format, batch_rows)
        self._pending: list[dict[str, Any]] = []
        self._text = io.StringIO()
        self._csv = csv.writer(self._text)

    def _write_record(self, record: dict[str, Any]) -> None:
        new = self._plan.new_columns(record)
        if not self._plan.fixed:
            cells = {k: _csv_cell(v) for k, v in record.items()}  # fails before any change
            _check_utf8("".join(cells.values()))
            self._plan.extras.update(dict.fromkeys(new))
            self._pending.append(cells)
            if len(self._pending) >= self._plan.batch_rows:
                self._flush_pending()
            return
        self._emit([_csv_cell(record.get(name)) for name in self._plan.columns])

    def _emit(self, cells: list[str]) -> None:
        self._text.seek(0)
        self._text.truncate()
        self._csv.writerow(cells)
        line = self._text.getvalue()
        try:
            data = line.encode("utf-8")
        except UnicodeEncodeError:
            raise RecordError(REASON_NOT_UTF8_ENCODABLE) from None
        self._stream.write(data)

    def _flush_pending(self) -> None:
        self._plan.fixed = True
        columns = self._plan.columns
        self._emit(columns)
        for cells in self._pending:
            self._emit([cells.get(name, "") for name in columns])
        self._pending.clear()

    def _finish(self) -> None:
        if not self._plan.fixed:
            self._flush_pending()


def _type_name(kind: pa.DataType | None) -> str:
    return "a list or an object" if kind == JSON_COLUMN_TYPE else f"{kind} values"


def _parquet_value(name: str, value: Any) -> tuple[Any, pa.DataType | None]:
    """The value to store for an extra column and the Arrow type it needs (None for a null)."""
    if isinstance(value, Mapping | list | tuple):
        return _dump_json(value), JSON_COLUMN_TYPE
    if isinstance(value, str):
        _check_utf8(value)
    return value, _arrow_kind(name, value)


def _arrow_kind(name: str, value: Any) -> pa.DataType | None:
    """The Arrow type a plain scalar needs (None for None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise RecordError(
                REASON_UNSUPPORTED_TYPE.format(
                    name=name, kind="integer beyond 64 bits", fmt="Parquet"
                )
            )
        return pa.int64()
    if isinstance(value, float):
        return pa.float64()
    if isinstance(value, str):
        return pa.string()
    if isinstance(value, dt.datetime | dt.date | dt.time | decimal.Decimal | bytes):
        return pa.scalar(value).type
    kind = type(value).__name__
    raise RecordError(REASON_UNSUPPORTED_TYPE.format(name=name, kind=kind, fmt="Parquet"))


class ParquetWriter(NoteWriter):
    """Parquet written in row groups of ``batch_rows`` notes (see the module notes on types)."""

    format = Format.PARQUET

    def __init__(
        self,
        path: PathSpec,
        *,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        compression: str = PARQUET_COMPRESSION,
        schema: pa.Schema | None = None,
    ) -> None:
        super().__init__(path, compressed=False)
        self._plan = _ColumnPlan(self.format, batch_rows)
        self._types: dict[str, pa.DataType | None] = {}  # extra column → type (None: only nulls)
        self._pending: list[dict[str, Any]] = []
        self._compression = compression
        self._schema: pa.Schema | None = None
        self._writer: pq.ParquetWriter | None = None
        if schema is not None:  # the columns of an earlier part: every part reads as one table
            self._plan.fixed = True
            for field in schema:
                if field.name not in CONTRACT_TYPES:
                    self._plan.extras[field.name] = None
                    self._types[field.name] = field.type
            self._schema = self._build_schema()

    def _write_record(self, record: dict[str, Any]) -> None:
        new = self._plan.new_columns(record)
        row: dict[str, Any] = {}
        kinds: dict[str, pa.DataType | None] = {}
        for name, value in record.items():
            if name in CONTRACT_TYPES:
                row[name] = self._contract_value(name, value)
            elif name in self._types or name in new:
                row[name], kind = _parquet_value(name, _plain(value))
                kinds[name] = self._merged_type(name, kind)
            # else: a null in a column that is not in the output
        # The record is valid: only now change the plan.
        self._plan.extras.update(dict.fromkeys(new))
        for name, kind in kinds.items():
            if kind is not None or name not in self._types:
                self._types[name] = kind
        self._pending.append(row)
        if len(self._pending) >= self._plan.batch_rows:
            self._flush_pending()

    def _contract_value(self, name: str, value: Any) -> Any:
        if name == "date" and isinstance(value, str):
            return dt.date.fromisoformat(value)
        if isinstance(value, str):
            _check_utf8(value)
        return value

    def _merged_type(self, name: str, kind: pa.DataType | None) -> pa.DataType | None:
        current = self._types.get(name)
        if kind is None:
            return current
        if current is None or current == kind:
            return kind
        if current == pa.float64() and kind == pa.int64():
            return current
        if current == pa.int64() and kind == pa.float64() and not self._plan.fixed:
            return kind
        raise RecordError(
            REASON_COLUMN_TYPE.format(name=name, got=_type_name(kind), want=_type_name(current))
        )

    def _build_schema(self) -> pa.Schema:
        fields = []
        for name in self._plan.columns:
            if name in CONTRACT_TYPES:
                fields.append(pa.field(name, CONTRACT_TYPES[name]))
            elif self._types.get(name) == JSON_COLUMN_TYPE:
                fields.append(pa.field(name, JSON_COLUMN_TYPE, metadata=dict(JSON_FIELD_METADATA)))
            else:
                fields.append(pa.field(name, self._types.get(name) or pa.string()))
        return pa.schema(fields)

    def _flush_pending(self) -> None:
        if self._schema is None:
            self._plan.fixed = True
            self._schema = self._build_schema()
            for field in self._schema:
                if field.name not in CONTRACT_TYPES:
                    self._types[field.name] = field.type
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._raw, self._schema, compression=self._compression)
        if not self._pending:
            return
        arrays = [
            pa.array([row.get(f.name) for row in self._pending], type=f.type) for f in self._schema
        ]
        table = pa.Table.from_arrays(arrays, schema=self._schema)
        assert self._writer is not None
        self._writer.write_table(table, row_group_size=len(self._pending))
        self._pending.clear()

    def _finish(self) -> None:
        self._flush_pending()
        assert self._writer is not None
        self._writer.close()

    def _abandon(self) -> None:
        if self._writer is not None:
            self._writer.close()


_WRITERS: Mapping[Format, type[NoteWriter]] = {
    Format.JSONL: JsonlWriter,
    Format.CSV: CsvWriter,
    Format.PARQUET: ParquetWriter,
}


def _output_format(path: Path, fmt: Format | str | None) -> Format:
    found = _format_of(path, _to_format(fmt), strict=True)
    assert found is not None
    return found.format


def open_writer(
    path: PathSpec,
    fmt: Format | str | None = None,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    schema: pa.Schema | None = None,
) -> NoteWriter:
    """An atomic writer for ``path``, chosen by its extension unless ``fmt`` says otherwise.

    ``schema`` (Parquet only) fixes the columns and types to those of an earlier file, so that
    the parts of one output read back as one table.
    """
    target = Path(path)
    chosen = _output_format(target, fmt)
    if chosen is Format.JSONL:
        return JsonlWriter(target)
    if chosen is Format.CSV:
        return CsvWriter(target, batch_rows=batch_rows)
    return ParquetWriter(target, batch_rows=batch_rows, schema=schema)


def write_notes(
    path: PathSpec,
    notes: Iterable[Note],
    fmt: Format | str | None = None,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> int:
    """Write notes to ``path`` atomically and return how many; a RecordError aborts the file."""
    with open_writer(path, fmt, batch_rows=batch_rows) as writer:
        for note in notes:
            writer.write(note)
    return writer.count


# --------------------------------------------------------------------------------------------
# The pipeline every command uses


def _identity(note: Note) -> Note:
    return note


def _note_of(item: Located) -> Note:
    return item.note


def process_notes(
    source: PathSpec | Sequence[PathSpec],
    out: PathSpec,
    transform: Transform | None = None,
    *,
    factory: TransformFactory | None = None,
    processes: int = 1,
    batch_size: int = DEFAULT_BATCH_SIZE,
    rejects_path: PathSpec | None = None,
    input_format: Format | str | None = None,
    output_format: Format | str | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Callable[[int], None] | None = None,
) -> Counts:
    """Stream ``source`` → ``transform`` → ``out`` and return reconciled counts.

    ``progress``, if given, is called with the number of notes handled so far after each one
    (for progress bars).

    Give either a note-by-note ``transform`` (run in this process) or a picklable ``factory`` of a
    batch transform (see :mod:`casenotes.parallel`), which can run in ``processes`` workers on
    batches of ``batch_size`` notes; output order is input order either way.

    A record that cannot be read, whose transform raises :class:`RecordError`, or that the output
    format cannot hold goes to the rejects file (default: :func:`default_rejects_path` of
    ``out``) and the run goes on. Any other exception stops the run: the output path is not
    created (or keeps its previous content) and the rejects file keeps what was written. Counts
    are reconciled before the output is moved into place, so an output never exists without
    counts that add up.
    """
    if transform is not None and factory is not None:
        raise ValueError("give either transform or factory, not both")
    if factory is None:
        if processes != 1:
            raise ValueError("a plain transform runs in one process; pass a factory to use more")
        factory = functools.partial(per_note, transform or _identity)
    files = resolve_inputs(source, input_format)
    out_path = Path(out)
    _output_format(out_path, output_format)  # fail on a bad output name before reading anything
    reject_target = Path(rejects_path) if rejects_path is not None else default_rejects_path(out)
    if reject_target.resolve() == out_path.resolve():
        raise InputError(f"{out_path}: the rejects file and the output must be different files.")
    for target, role in ((out_path, "output"), (reject_target, "rejects file")):
        if any(file.path.resolve() == target.resolve() for file in files):
            raise InputError(
                f"{target}: the {role} would overwrite an input file; choose another path."
            )
    with (
        RejectsFile(reject_target) as rejects,
        open_writer(out_path, output_format, batch_rows=batch_rows) as writer,
    ):
        reader = NoteReader(files, rejects=rejects)
        results = map_batches(
            reader,
            factory,
            note_of=_note_of,
            processes=processes,
            batch_size=batch_size,
        )
        for handled, (item, result) in enumerate(results, start=1):
            if progress is not None:
                progress(handled)
            try:
                if isinstance(result, RecordError):
                    raise result
                if not isinstance(result, Note):
                    raise TypeError(
                        f"the transform returned {type(result).__name__}, not a Note "
                        f"(note_id {item.note.note_id}); this is a bug in the transform"
                    )
                writer.write(result)
            except RecordError as error:
                rejects.write(reject_of(item, error))
        counts = Counts(read=reader.counts.read, written=writer.count, rejected=rejects.count)
        counts.reconcile(f"{out_path}")
    return counts
