"""De-identification of case notes on Presidio, for UK identifiers (``casenotes deidentify``).

:class:`Deidentifier` is a batch transform: give it notes, get back notes whose ``text`` is
de-identified and whose ``pii`` lists what was found, as offsets into the ORIGINAL text with label,
score and recognizer — never the value. Gold ``mentions`` in the input are moved to the offsets of
the new text (a mention that overlapped a replaced value is dropped, which the annotation
conventions never produce).
"""

from __future__ import annotations

import functools
import os

# Presidio's e-mail recognizer builds a tldextract extractor when it is imported, and that would
# try to download the public-suffix list. An empty value makes it use its bundled snapshot. This
# is the one import-time action in the package: it must happen before presidio is imported.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
from collections.abc import Sequence

from casenotes.config import DeidConfig
from casenotes.errors import RecordError
from casenotes.records import Mention, Note

__all__ = ["Deidentifier", "deidentifier_factory"]


class Deidentifier:
    """Analyze a batch with :class:`~casenotes.deid.engine.Analyzer`, then replace what it found."""

    def __init__(self, config: DeidConfig, mode: str | None = None, key: bytes | None = None):
        from presidio_anonymizer import AnonymizerEngine

        from casenotes.deid.engine import Analyzer
        from casenotes.deid.operators import Replacer, operators_for

        self.operators = operators_for(config, mode)
        self.replacer = Replacer(config, self.operators, key)  # refuses before loading a model
        self.analyzer = Analyzer(config)
        self.anonymizer = AnonymizerEngine()

    def forget(self) -> None:
        """Drop what earlier notes taught: names remembered per case and placeholder numbering.

        Batch tagging calls this at the start of every chunk, so a chunk's output depends only
        on the chunk (not on which process, Spark task or resumed run handled the one before).
        """
        from casenotes.deid.operators import CaseMemory

        self.analyzer.forget_cases()
        self.replacer.memory = CaseMemory()

    def __call__(self, notes: Sequence[Note]) -> list[Note | RecordError]:
        detections = self.analyzer.analyze(notes)
        results: list[Note | RecordError] = []
        for note, found in zip(notes, detections, strict=True):
            try:
                results.append(self._apply(note, found))
            except RecordError as error:
                results.append(error)
        return results

    def _apply(self, note: Note, found) -> Note:
        from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

        scope = note.case_id or note.note_id
        replace = self.replacer.replace

        def operator(label: str) -> OperatorConfig:
            return OperatorConfig(
                "custom",
                {"lambda": lambda value: replace(label, value, scope, note.case_id, note.date)},
            )

        results = [RecognizerResult(d.label, d.start, d.end, d.score) for d in found]
        if results:
            outcome = self.anonymizer.anonymize(
                text=note.text,
                analyzer_results=results,
                operators={label: operator(label) for label in {d.label for d in found}},
                merge_entities_with_spaces=False,  # keep one item per detection, for offsets
            )
            text = outcome.text
            moves = sorted(
                zip(
                    sorted(found, key=lambda d: d.start),
                    sorted(outcome.items, key=lambda i: i.start),
                    strict=True,
                ),
                key=lambda pair: pair[0].start,
            )
        else:
            text, moves = note.text, []
        mentions = None
        if note.mentions is not None:
            mentions = tuple(m for m in (_moved(m, moves) for m in note.mentions) if m)
        return Note(
            note_id=note.note_id,
            text=text,
            case_id=note.case_id,
            date=note.date,
            pii=tuple(d.to_span() for d in found),
            mentions=mentions,
            extra=note.extra,
        )


def _moved(mention: Mention, moves) -> Mention | None:
    """The mention at its offsets in the new text, or None if a replacement cut into it."""
    shift = 0
    for old, new in moves:
        if old.end <= mention.start:
            shift = new.end - old.end
        elif old.start < mention.end:
            return None
        else:
            break
    return Mention(
        mention.start + shift,
        mention.end + shift,
        mention.label,
        mention.negated,
        mention.subject,
        mention.temporality,
        mention.certainty,
    )


def _build(config: DeidConfig, mode: str | None, key: bytes | None):
    deidentifier = Deidentifier(config, mode, key)

    def chunk(notes: Sequence[Note]) -> list[Note | RecordError]:
        deidentifier.forget()
        return deidentifier(notes)

    return chunk


def deidentifier_factory(config: DeidConfig, mode: str | None, key: bytes | None):
    """A picklable factory for :func:`casenotes.parallel.map_batches` (one engine per process).

    Its transform treats each call as one chunk (give it ``config.chunk_notes`` notes at a
    time): it starts from a clean case memory, so the output does not depend on which process
    handled which chunk, nor on how many processes there were.
    """
    return functools.partial(_build, config, mode, key)
