"""Apply a batch transform to a stream of notes, in this process or in worker processes.

Every step that runs a model over notes (de-identification, extraction, tagging) has the same shape:
build something expensive once (a spaCy pipeline, a Presidio engine), then apply it to batches of
notes (``nlp.pipe`` is much faster on batches than note by note). :func:`map_batches` does exactly
that:

- ``factory`` is a picklable callable (a module-level function or a ``functools.partial`` of one)
  that returns the batch transform. It is called once per process: in this process when
  ``processes == 1``, otherwise once in each worker, so nothing heavy is pickled or shared.
- A batch transform takes a list of notes and returns, for each note in order, either the new
  :class:`~casenotes.records.Note` or a :class:`~casenotes.errors.RecordError` saying why that one
  note cannot be processed (it goes to the rejects file; the run goes on).
- Results come back in input order. At most ``2 × processes`` batches are in flight, so memory
  stays bounded however long the input is (``Pool.imap`` would read the whole input ahead).

Workers are started with the ``spawn`` method: each builds its own model from scratch, and no state
(threads, open files, model handles) is inherited from the parent by accident.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Generic, TypeVar

from casenotes.errors import RecordError
from casenotes.records import Note

DEFAULT_BATCH_SIZE = 256
IN_FLIGHT_PER_PROCESS = 2

BatchResult = Note | RecordError
BatchTransform = Callable[[Sequence[Note]], Sequence[BatchResult]]
TransformFactory = Callable[[], BatchTransform]
Item = TypeVar("Item")
Value = TypeVar("Value")
MAX_REMEMBERED_CASES = 10_000

_worker_transform: BatchTransform | None = None


class CaseStore(Generic[Value]):
    """What earlier notes taught a stateful transform, per case: a value made by ``factory`` on a
    case's first note, kept for its later notes. At most ``max_cases`` cases are kept (the least
    recently used go first), and ``clear()`` starts a new chunk, so a chunk's output never
    depends on what another chunk saw (see :func:`map_chunks`)."""

    def __init__(self, factory: Callable[[], Value], max_cases: int = MAX_REMEMBERED_CASES) -> None:
        self._factory = factory
        self._max_cases = max_cases
        self._cases: OrderedDict[str, Value] = OrderedDict()

    def of(self, case_id: str) -> Value:
        """The case's value (made now if the case is new), marked as the most recently used."""
        value = self._cases.get(case_id)
        if value is None:
            value = self._cases[case_id] = self._factory()
            while len(self._cases) > self._max_cases:
                self._cases.popitem(last=False)
        else:
            self._cases.move_to_end(case_id)
        return value

    def clear(self) -> None:
        self._cases.clear()


def per_note(transform: Callable[[Note], Note]) -> BatchTransform:
    """Turn a note-by-note transform into a batch transform (its RecordErrors become results)."""

    def apply(notes: Sequence[Note]) -> list[BatchResult]:
        results: list[BatchResult] = []
        for note in notes:
            try:
                results.append(transform(note))
            except RecordError as error:
                results.append(error)
        return results

    return apply


def _init_worker(factory: TransformFactory) -> None:
    global _worker_transform
    _worker_transform = factory()


def _run_in_worker(notes: list[Note]) -> list[BatchResult]:
    assert _worker_transform is not None, "worker used before its initializer ran"
    return _checked(notes, _worker_transform(notes))


def _checked(notes: Sequence[Note], results: Sequence[BatchResult]) -> list[BatchResult]:
    results = list(results)
    if len(results) != len(notes):
        raise RuntimeError(
            f"batch transform returned {len(results)} results for {len(notes)} notes; "
            "this is a bug in the transform"
        )
    return results


def batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def map_chunks(
    chunks: Iterable[list[Note]],
    factory: TransformFactory,
    *,
    processes: int = 1,
) -> Iterator[list[BatchResult]]:
    """Apply the transform to each chunk, in this process or in workers; results in input order.

    Each chunk is one call of the transform in one process: a transform that keeps state between
    notes (the de-identifier remembers names per case) sees a chunk whole.
    """
    if processes < 1:
        raise ValueError(f"processes must be at least 1, got {processes}")
    if processes == 1:
        transform = factory()
        for chunk in chunks:
            yield _checked(chunk, transform(chunk))
        return

    context = multiprocessing.get_context("spawn")
    with context.Pool(processes, initializer=_init_worker, initargs=(factory,)) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(pool.apply_async(_run_in_worker, (chunk,)))
            while len(pending) >= processes * IN_FLIGHT_PER_PROCESS:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def map_batches(
    items: Iterable[Item],
    factory: TransformFactory,
    *,
    note_of: Callable[[Item], Note],
    processes: int = 1,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Iterator[tuple[Item, BatchResult]]:
    """Yield ``(item, result)`` in input order; ``note_of(item)`` is the note to transform."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    held: deque[list[Item]] = deque()

    def chunks() -> Iterator[list[Note]]:
        for batch in batches(items, batch_size):
            held.append(batch)
            yield [note_of(item) for item in batch]

    for results in map_chunks(chunks(), factory, processes=processes):
        yield from zip(held.popleft(), results, strict=True)
