"""The batch transform of ``casenotes tag``: screen → de-identify → extract (→ classify).

A :class:`Tagger` is built once per process (or Spark worker) by :func:`tagger_factory` and called
once per chunk. Each call starts from a clean de-identifier (see :mod:`casenotes.batch`), so the
records it returns depend only on the chunk it was given.

Screening rejects, with a reason that names the problem but never quotes the text: blank text,
text longer than ``max_text_chars`` and binary junk (a NUL character, or more than
``max_junk_share`` of the characters being control characters or U+FFFD replacement characters,
which is what bytes decoded as text look like).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from casenotes.batch.config import TagConfig
from casenotes.config import DeidConfig
from casenotes.errors import RecordError
from casenotes.extract.config import ExtractConfig
from casenotes.parallel import BatchResult
from casenotes.records import Note

REASON_BLANK = "text is blank"
REASON_TOO_LONG = "text has {length:,} characters, more than max_text_chars ({limit:,})"
REASON_NUL = "text holds NUL characters: binary data, not a note"
REASON_JUNK = (
    "text looks like binary data: {share:.1%} of its characters are control or replacement "
    "characters (max_junk_share {limit:.1%})"
)
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")
_REPLACEMENT = "\ufffd"


def junk_share(text: str) -> float:
    """Share of characters that are control characters (bar whitespace) or U+FFFD."""
    if not text:
        return 0.0
    junk = sum(
        1
        for ch in text
        if ch == _REPLACEMENT
        or ((ch < " " or "\x7f" <= ch <= "\x9f") and ch not in _ALLOWED_CONTROLS)
    )
    return junk / len(text)


def screen(note: Note, config: TagConfig) -> RecordError | None:
    """Why a note cannot be tagged, or None if it can."""
    text = note.text
    if not text.strip():
        return RecordError(REASON_BLANK)
    if len(text) > config.max_text_chars:
        return RecordError(REASON_TOO_LONG.format(length=len(text), limit=config.max_text_chars))
    if "\x00" in text:
        return RecordError(REASON_NUL)
    share = junk_share(text)
    if share > config.max_junk_share:
        return RecordError(REASON_JUNK.format(share=share, limit=config.max_junk_share))
    return None


@dataclass(frozen=True)
class TagSettings:
    """Everything a worker needs to build a tagger; picklable (the key stays in memory only)."""

    tag: TagConfig
    deid: DeidConfig
    extract: ExtractConfig
    key: bytes | None = None
    clearance: object | None = None  # casenotes.review.gate.Clearance of an approved classifier


class Tagger:
    """Screen, de-identify, extract and (with a cleared classifier) score one chunk of notes."""

    def __init__(self, settings: TagSettings) -> None:
        from casenotes.deid import Deidentifier
        from casenotes.extract.pipeline import make_extractor

        self.settings = settings
        self.deidentifier = Deidentifier(settings.deid, settings.tag.mode, settings.key)
        self.extractor = make_extractor(settings.extract)
        self.predictor = None
        if settings.clearance is not None:
            from casenotes.review.decisions import Predictor

            self.predictor = Predictor(settings.clearance)

    def __call__(self, notes: Sequence[Note]) -> list[BatchResult]:
        self.deidentifier.forget()
        results: list[BatchResult | None] = [screen(note, self.settings.tag) for note in notes]
        accepted = [i for i, problem in enumerate(results) if problem is None]
        done = self.deidentifier([notes[i] for i in accepted])
        clean = [(i, r) for i, r in zip(accepted, done, strict=True) if isinstance(r, Note)]
        for i, result in zip(accepted, done, strict=True):
            if not isinstance(result, Note):
                results[i] = result
        tagged = list(self.extractor([note for _, note in clean]))
        if self.predictor is not None:
            scorable = [note for note in tagged if isinstance(note, Note)]
            scored = iter(self.predictor(scorable))
            tagged = [next(scored) if isinstance(note, Note) else note for note in tagged]
        for (i, _), result in zip(clean, tagged, strict=True):
            results[i] = result
        assert all(result is not None for result in results)
        return results  # type: ignore[return-value]


def _build(settings: TagSettings) -> Tagger:
    return Tagger(settings)


def tagger_factory(settings: TagSettings) -> functools.partial:
    """A picklable factory: :func:`casenotes.parallel.map_chunks` calls it once per process."""
    return functools.partial(_build, settings)


def tag_settings(
    config: TagConfig,
    *,
    key: bytes | None = None,
    clearance: object | None = None,
) -> TagSettings:
    """Resolve the de-identification and extraction configs a tag config points to."""
    from casenotes.config import load_deid_config
    from casenotes.extract.config import load_extract_config

    return TagSettings(
        tag=config,
        deid=load_deid_config(config.deid_config),
        extract=load_extract_config(config.extract_config),
        key=key,
        clearance=clearance,
    )
