"""Tag on Spark: :class:`SparkEngine` has the contract of :func:`casenotes.parallel.map_chunks`.

How it works
------------
The driver reads the input with casenotes' own reader and cuts it into chunks, exactly as the
local engine does; only the tagging runs on the cluster. :meth:`SparkEngine.map` groups the chunks
into jobs of ``chunks_per_job`` (default: twice the cluster's cores). For one job:

1. ``sc.parallelize`` of ``(chunk index, [pickled notes])`` pairs with one slice per pair, then a
   ``flatMap`` into rows ``(chunk long, pos long, note binary)``: each partition holds exactly one
   chunk, whole.
2. ``mapInPandas`` over those rows. Spark hands a partition to Python as several Arrow batches (of
   at most ``spark.sql.execution.arrow.maxRecordsPerBatch`` rows), so the partition function first
   joins all the batches of its partition: a chunk is always one call of the transform, the unit
   of determinism (:mod:`casenotes.batch`). It returns ``(chunk, pos, ok, payload)``: a pickled
   :class:`~casenotes.records.Note` when ``ok``, else the UTF-8 reason of the
   :class:`~casenotes.errors.RecordError` that rejects the note.
3. The driver collects the job's rows, checks that every note came back exactly once (a lost row
   is a bug, never skipped), and yields one result list per chunk, in input order.

The transform is built from the pickled ``factory`` at most once per Python worker and cached
there under a digest of the pickle (Spark reuses its Python workers:
``spark.python.worker.reuse=true``), so spaCy and Presidio load once per worker, not per chunk.
The factory must be importable on the workers (a module-level function or a
``functools.partial`` of one, as for the local engine).

Why the driver reads
--------------------
Rejects keep their source line numbers only if one reader sees the input in order; casenotes'
reader already does that, checks duplicates and resumes from the manifest, and the local and
Spark engines then write identical parts. Reading and screening run hundreds of times faster than
de-identification and extraction (≈50 notes/s per core for Presidio on ``en_core_web_sm``), so the
driver only becomes the bottleneck at hundreds of cores. Between jobs the cluster waits for the
driver to read and write one job's worth of chunks; raise ``chunks_per_job`` on a large cluster
so the slowest chunk of a job matters less, within the driver's memory: a job's de-identified
notes are collected there at once (``spark.driver.maxResultSize``).

Privacy
-------
Notes travel to the workers and back only as binary pickles inside rows, so nothing Spark logs
(plans, task errors, warnings) can show their text, and casenotes never logs a record. An
exception raised by the transform on a worker is replaced by one that names its type and where
it was raised, without its message, which could quote a note. Spark's local I/O encryption is on
(``spark.io.encryption.enabled``), so the notes ``parallelize`` hands to the JVM go through a
socket rather than a temporary file. With a keyed mode the secret key travels inside the pickled
factory in every task: on a cluster, turn on ``spark.authenticate`` and
``spark.network.crypto.enabled``.

What a cluster needs
--------------------
casenotes (same version as the driver) and the spaCy model named in the de-identification
config installed on every executor, in a Python 3.11 environment that ``PYSPARK_PYTHON`` points
to (by default the driver's own interpreter path, so give executors the same path or set the
variable). Then ``casenotes tag ... --master spark://host:7077``. Executors run offline like the
CLI: the same environment variables are set on them (:data:`casenotes.cli.OFFLINE_ENVIRONMENT`).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import traceback
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING

from casenotes.errors import RecordError
from casenotes.parallel import BatchResult, BatchTransform, TransformFactory, batches
from casenotes.records import Note

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
DEFAULT_APP_NAME = "casenotes-tag"
CHUNKS_PER_JOB_PER_CORE = 2
ROW_SCHEMA = "chunk long, pos long, note binary"
RESULT_SCHEMA = "chunk long, pos long, ok boolean, payload binary"
PICKLE_PROTOCOL = pickle.HIGHEST_PROTOCOL
MAX_CACHED_TRANSFORMS = 4  # per Python worker: one per distinct factory, oldest dropped first

# Session settings; ``config`` given to SparkEngine overrides any of them.
SESSION_DEFAULTS: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",  # the CLI shows its own progress
    "spark.python.worker.reuse": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.io.encryption.enabled": "true",
    "spark.driver.memory": "2g",
    "spark.sql.shuffle.partitions": "8",  # nothing is shuffled; keep stray plans small
    "spark.log.level": "WARN",
}

MESSAGE_LOST_ROWS = (
    "Spark returned {got} results for chunk {chunk} of {expected} notes; this is a bug in "
    "casenotes.batch.spark, please report it"
)
MESSAGE_TRANSFORM_FAILED = (
    "the batch transform raised {kind} on a Spark worker while tagging chunk {chunk} "
    "(the message is withheld: it could quote a note). Raised at:\n{where}"
)
MESSAGE_WRONG_RESULTS = (
    "the batch transform returned {got} results for {expected} notes of chunk {chunk}; "
    "this is a bug in the transform"
)
MESSAGE_WRONG_TYPE = (
    "the batch transform returned a {kind} for a note of chunk {chunk}: expected a Note or a "
    "RecordError; this is a bug in the transform"
)

_transforms: dict[str, BatchTransform] = {}  # per Python worker: factory digest → transform


# ----------------------------------------------------------------------- on the Python workers
def _worker_transform(factory_pickle: bytes, digest: str) -> BatchTransform:
    """The transform of this factory, built at most once per Python worker."""
    transform = _transforms.get(digest)
    if transform is None:
        transform = pickle.loads(factory_pickle)()
        while len(_transforms) >= MAX_CACHED_TRANSFORMS:
            _transforms.pop(next(iter(_transforms)))
        _transforms[digest] = transform
    return transform


def _chunk_rows(item: tuple[int, list[bytes]]) -> Iterator[tuple[int, int, bytes]]:
    chunk, notes = item
    for pos, note in enumerate(notes):
        yield chunk, pos, note


def _where(error: BaseException) -> str:
    """Where an exception was raised (file, line, function), without its message."""
    frames = traceback.extract_tb(error.__traceback__)[-8:]
    return "\n".join(f"  {frame.filename}:{frame.lineno} in {frame.name}" for frame in frames)


def _tag_chunk(transform: BatchTransform, chunk: int, notes: list[Note]) -> list[BatchResult]:
    try:
        results = list(transform(notes))
    except Exception as error:
        # ``from None``: the original exception, whose message may quote a note, must not be
        # chained into the traceback that Spark logs and sends to the driver.
        raise RuntimeError(
            MESSAGE_TRANSFORM_FAILED.format(
                kind=type(error).__name__, chunk=chunk, where=_where(error)
            )
        ) from None
    if len(results) != len(notes):
        raise RuntimeError(
            MESSAGE_WRONG_RESULTS.format(got=len(results), expected=len(notes), chunk=chunk)
        )
    for result in results:
        if not isinstance(result, Note | RecordError):
            raise TypeError(MESSAGE_WRONG_TYPE.format(kind=type(result).__name__, chunk=chunk))
    return results


def _encode(result: BatchResult) -> tuple[bool, bytes]:
    if isinstance(result, Note):
        return True, pickle.dumps(result, protocol=PICKLE_PROTOCOL)
    return False, str(result).encode("utf-8")


def tag_partition(
    factory_pickle: bytes, digest: str, frames: Iterable[pd.DataFrame]
) -> Iterator[pd.DataFrame]:
    """The ``mapInPandas`` function: every Arrow batch of a partition, then one call per chunk.

    A partition holds one chunk (see the module docstring); should it ever hold several, each is
    still tagged whole by its own call.
    """
    import pandas as pd

    parts = [frame for frame in frames if len(frame)]
    if not parts:
        return
    rows = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    rows = rows.sort_values(["chunk", "pos"], kind="stable")
    transform = _worker_transform(factory_pickle, digest)
    for chunk, group in rows.groupby("chunk", sort=True):
        notes = [pickle.loads(payload) for payload in group["note"]]
        encoded = [_encode(result) for result in _tag_chunk(transform, int(chunk), notes)]
        yield pd.DataFrame(
            {
                "chunk": group["chunk"].to_numpy(),
                "pos": group["pos"].to_numpy(),
                "ok": [ok for ok, _ in encoded],
                "payload": [payload for _, payload in encoded],
            }
        )


# ------------------------------------------------------------------------------- on the driver
def session_config(
    master: str, app_name: str, config: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Every setting the engine's session starts with (``config`` overrides the defaults)."""
    from casenotes.cli import OFFLINE_ENVIRONMENT  # lazily: cli imports the whole command line

    python = os.environ.get("PYSPARK_PYTHON") or sys.executable
    settings = {"spark.master": master, "spark.app.name": app_name, **SESSION_DEFAULTS}
    settings["spark.pyspark.python"] = python
    settings["spark.pyspark.driver.python"] = sys.executable
    for name, value in OFFLINE_ENVIRONMENT.items():
        settings[f"spark.executorEnv.{name}"] = value
    settings.update({key: str(value) for key, value in (config or {}).items()})
    return settings


def start_session(
    master: str = DEFAULT_MASTER,
    *,
    app_name: str = DEFAULT_APP_NAME,
    config: Mapping[str, str] | None = None,
) -> SparkSession:
    """A Spark session with the settings of :func:`session_config` (joined if one is running).

    Use it, not a bare ``SparkSession.builder``, for any session that runs casenotes code: it
    also points ``PYSPARK_PYTHON`` at this interpreter (PySpark reads the workers' interpreter
    from the environment, not from ``spark.pyspark.python``, when it starts from Python).
    """
    from pyspark.sql import SparkSession

    settings = session_config(master, app_name, config)
    os.environ["PYSPARK_PYTHON"] = settings["spark.pyspark.python"]
    os.environ["PYSPARK_DRIVER_PYTHON"] = settings["spark.pyspark.driver.python"]
    builder = SparkSession.builder
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(settings["spark.log.level"])
    return spark


class SparkEngine:
    """Apply a batch transform to chunks of notes on Spark; results in input order.

    ``factory`` is a picklable callable returning the transform (as for
    :func:`~casenotes.parallel.map_chunks`); it is built at most once per Python worker. A
    session is started with ``master`` and ``config`` unless one is already running in this
    process, in which case that one is used (and left running by :meth:`close`).
    """

    def __init__(
        self,
        factory: TransformFactory,
        *,
        master: str = DEFAULT_MASTER,
        chunks_per_job: int | None = None,
        app_name: str = DEFAULT_APP_NAME,
        config: Mapping[str, str] | None = None,
    ) -> None:
        from pyspark import SparkContext

        if chunks_per_job is not None and chunks_per_job < 1:
            raise ValueError(f"chunks_per_job must be at least 1, got {chunks_per_job}")
        self.factory = factory
        # Pickled once here, with the standard pickle, so an unpicklable factory (a lambda, a
        # closure) fails now on the driver, as it would with the local engine.
        self._factory_pickle = pickle.dumps(factory, protocol=PICKLE_PROTOCOL)
        self._digest = hashlib.sha256(self._factory_pickle).hexdigest()
        self._owns_session = SparkContext._active_spark_context is None
        self.spark = start_session(master, app_name=app_name, config=config)
        self.parallelism: int = self.spark.sparkContext.defaultParallelism
        self.chunks_per_job = chunks_per_job or CHUNKS_PER_JOB_PER_CORE * self.parallelism

    def __enter__(self) -> SparkEngine:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the session if this engine started it."""
        if self._owns_session and self.spark is not None:
            self.spark.stop()
        self._owns_session = False

    def map(self, chunks: Iterable[list[Note]]) -> Iterator[list[BatchResult]]:
        """One result list per chunk, in input order (a Note or a RecordError per note)."""
        for job in batches(enumerate(chunks), self.chunks_per_job):
            yield from self._run(job)

    def _run(self, job: list[tuple[int, list[Note]]]) -> list[list[BatchResult]]:
        factory_pickle, digest = self._factory_pickle, self._digest

        def tag(frames: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
            return tag_partition(factory_pickle, digest, frames)

        pickled = [
            (index, [pickle.dumps(note, protocol=PICKLE_PROTOCOL) for note in chunk])
            for index, chunk in job
        ]
        rows = self.spark.sparkContext.parallelize(pickled, numSlices=len(pickled))
        frame = self.spark.createDataFrame(rows.flatMap(_chunk_rows), schema=ROW_SCHEMA)
        table = frame.mapInPandas(tag, schema=RESULT_SCHEMA).toArrow()
        returned: dict[int, list[tuple[int, bool, bytes]]] = {}
        columns = zip(
            table.column("chunk").to_pylist(),
            table.column("pos").to_pylist(),
            table.column("ok").to_pylist(),
            table.column("payload").to_pylist(),
            strict=True,
        )
        for chunk, pos, ok, payload in columns:
            returned.setdefault(chunk, []).append((pos, ok, payload))
        results = [_decode(index, chunk, returned.pop(index, [])) for index, chunk in job]
        if returned:
            raise RuntimeError(
                f"Spark returned results for chunks {sorted(returned)} that were not sent; "
                "this is a bug in casenotes.batch.spark, please report it"
            )
        return results


def _decode(
    index: int, chunk: list[Note], rows: list[tuple[int, bool, bytes]]
) -> list[BatchResult]:
    rows.sort(key=lambda row: row[0])
    if [pos for pos, _, _ in rows] != list(range(len(chunk))):
        raise RuntimeError(
            MESSAGE_LOST_ROWS.format(got=len(rows), chunk=index, expected=len(chunk))
        )
    return [
        pickle.loads(payload) if ok else RecordError(bytes(payload).decode("utf-8"))
        for _, ok, payload in rows
    ]
