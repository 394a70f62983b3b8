"""SparkEngine on a local Spark: the local engine's records, one call per chunk, no leaked text."""

from __future__ import annotations

import dataclasses
import functools
import os
import pickle
import uuid
from pathlib import Path

import pytest

from casenotes.batch.config import TagConfig
from casenotes.batch.tagger import REASON_BLANK, REASON_NUL, tag_settings, tagger_factory
from casenotes.config import SynthConfig
from casenotes.errors import RecordError
from casenotes.parallel import batches, map_chunks
from casenotes.records import Note

pytestmark = [pytest.mark.spark, pytest.mark.slow]

CHUNK_NOTES = 7
MAX_RECORDS_PER_BATCH = 5  # smaller than a chunk: Spark hands each chunk over in several batches
SECRET_TEXT = "Jolene Featherstonehaugh-Marchbanks lives at 14 Quince Row"


# Test transforms: module-level, so that Spark's Python workers can import them (the session
# below puts this folder on their PYTHONPATH, as a cluster needs casenotes installed).
def build_stamp() -> object:
    built = uuid.uuid4().hex

    def stamp(notes: list[Note]) -> list[Note]:
        call = uuid.uuid4().hex
        seen = {"size": len(notes), "call": call, "built": built, "pid": os.getpid()}
        return [dataclasses.replace(note, extra={**note.extra, **seen}) for note in notes]

    return stamp


def build_failing() -> object:
    def fail(notes: list[Note]) -> list[Note]:
        raise ValueError(f"cannot tag {notes[0].text}")

    return fail


@pytest.fixture(scope="module")
def spark():
    from casenotes.batch.spark import start_session

    config = {
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(MAX_RECORDS_PER_BATCH),
        "spark.executorEnv.PYTHONPATH": str(Path(__file__).parent),
    }
    session = start_session("local[2]", app_name="casenotes-test-spark", config=config)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def factory():
    return tagger_factory(tag_settings(TagConfig()))


@pytest.fixture(scope="module")
def engine(spark, factory):
    from casenotes.batch.spark import SparkEngine

    with SparkEngine(factory, master="local[2]") as engine:
        yield engine


@pytest.fixture(scope="module")
def notes() -> list[Note]:
    from casenotes.synth.generator import generate

    notes = list(generate(SynthConfig(notes=30, seed=23)))
    notes.insert(4, Note(note_id="blank-1", text="   ", case_id=notes[4].case_id))
    notes.insert(20, Note(note_id="nul-1", text="Seen at home.\x00\x00 Mum well."))
    return notes


def plain(results: list) -> list:
    """Records and reject reasons, every field included (the recognizer credited with each PII
    span too: the de-identifier asks its recognizers in a fixed order)."""
    out = []
    for result in results:
        if isinstance(result, RecordError):
            out.append(("reject", str(result)))
            continue
        record = result.to_record()
        out.append(("note", record))
    return out


def test_spark_writes_what_the_local_engine_writes(engine, factory, notes):
    chunks = list(batches(notes, CHUNK_NOTES))
    assert engine.parallelism == 2 and engine.chunks_per_job == 4  # so 5 chunks take 2 jobs

    on_spark = list(engine.map(chunks))
    local = list(map_chunks(chunks, factory, processes=1))

    assert [len(results) for results in on_spark] == [len(chunk) for chunk in chunks]
    assert [plain(results) for results in on_spark] == [plain(results) for results in local]
    rejected = {
        chunk[i].note_id: str(result)
        for chunk, results in zip(chunks, on_spark, strict=True)
        for i, result in enumerate(results)
        if isinstance(result, RecordError)
    }
    assert rejected == {"blank-1": REASON_BLANK, "nul-1": REASON_NUL}
    tagged = [result for results in on_spark for result in results if isinstance(result, Note)]
    assert len(tagged) == 30 and all(note.pii is not None for note in tagged)


def test_a_chunk_is_one_call_however_spark_batches_it(spark):
    from casenotes.batch.spark import SparkEngine

    sizes = [12, 0, 3, 7, 11, 1, 6]
    counter = iter(range(100))
    chunks = [[Note(note_id=f"n{next(counter)}", text="x") for _ in range(n)] for n in sizes]
    with SparkEngine(build_stamp, master="local[2]", chunks_per_job=3) as stamping:
        runs = [list(stamping.map(iter(chunks))) for _ in range(2)]
        assert list(stamping.map([[], []])) == [[], []]  # a job with no notes at all
    spark.range(1).count()  # closing an engine that joined a session leaves the session running

    builds: dict[int, set[str]] = {}
    calls = []
    for results in runs:
        for chunk, stamped in zip(chunks, results, strict=True):
            assert [note.note_id for note in stamped] == [note.note_id for note in chunk]
            assert all(note.extra["size"] == len(chunk) for note in stamped)
            call_ids = {note.extra["call"] for note in stamped}
            assert len(call_ids) == (1 if chunk else 0)
            calls += call_ids
            for note in stamped:
                builds.setdefault(note.extra["pid"], set()).add(note.extra["built"])
    nonempty = sum(1 for size in sizes if size)
    assert len(calls) == len(set(calls)) == 2 * nonempty  # one call per chunk, never split
    assert all(len(built) == 1 for built in builds.values())  # one transform per worker


def test_a_failing_transform_does_not_leak_the_note(spark):
    from pyspark.errors import PythonException

    from casenotes.batch.spark import SparkEngine

    chunks = [[Note(note_id="n1", text=SECRET_TEXT)]]
    with (
        SparkEngine(build_failing, master="local[2]") as failing,
        pytest.raises(PythonException) as raised,
    ):
        list(failing.map(chunks))
    message = str(raised.value)
    assert "raised ValueError" in message and " in fail" in message
    assert "Featherstonehaugh" not in message and "Quince" not in message


def test_bad_arguments_fail_on_the_driver(spark):
    from casenotes.batch.spark import SparkEngine

    with pytest.raises(ValueError, match="chunks_per_job"):
        SparkEngine(build_stamp, chunks_per_job=0)
    with pytest.raises((pickle.PicklingError, AttributeError)):
        SparkEngine(functools.partial(lambda: build_stamp()), master="local[2]")
