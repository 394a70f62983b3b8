"""The privacy floor of training: no identifiable text reaches a model, and no rare word is learnt.

Two guards run before any model sees a note:

1. **The de-identification gate.** With ``deidentify = "run"`` every note is de-identified
   (placeholders) by :mod:`casenotes.deid`. With ``deidentify = "verify"`` the input claims to be
   de-identified already; a seeded sample is run through the PII detector and the run is refused
   when more than ``max_identifiable_share`` of the sampled notes still hold a direct identifier.
   A date of birth already generalised to month and year (what ``casenotes deidentify`` writes) is
   not counted; a full date of birth is.
2. **The case vocabulary floor.** A word reaches a model only if it occurs in at least
   ``min_cases`` different training cases; every other word becomes ``[RARE]``. A name or number
   that de-identification missed belongs to one family and so never enters a vocabulary, a
   weight table, an explanation or a logged artifact. The floor is learnt from training data
   only and travels with the model, so prediction applies the same scrub.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from casenotes.config import DeidConfig
from casenotes.errors import InputError
from casenotes.records import DIRECT_IDENTIFIERS, Note, PiiLabel

RARE_TOKEN = "[RARE]"
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
PLACEHOLDER = re.compile(r"\[[A-Z_]+(?:_\d+)?\]")
MAX_IDS_IN_MESSAGE = 5

# A date of birth with a day in it (``12/03/2015``, ``12th March 2015``, ``March 12, 2015``) is
# identifying; month and year alone is the generalised form de-identification leaves behind.
FULL_DATE = re.compile(
    r"\b\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?[A-Za-z]{3,9}\.?,?\s+\d{2,4}\b"
    r"|\b[A-Za-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}\b"
    r"|\b\d{4}-\d{2}-\d{2}\b"
)

ERR_IDENTIFIABLE = (
    "refusing to train: {flagged} of {sampled} sampled notes ({share:.1%}) still hold direct "
    "identifiers ({labels}); the limit is {limit:.1%}. First notes: {ids}. De-identify the "
    'corpus first (`casenotes deidentify`), or set [train.privacy] deidentify = "run".'
)


@dataclass(frozen=True, slots=True)
class GateReport:
    """What the gate did: never values, only counts, labels and the sample size."""

    mode: str
    notes: int
    sampled: int = 0
    flagged: int = 0
    labels: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "notes": self.notes,
            "sampled": self.sampled,
            "flagged": self.flagged,
            "flagged_share": self.flagged / self.sampled if self.sampled else 0.0,
            "labels_found": list(self.labels),
        }


def still_identifying(text: str, label: str, start: int, end: int) -> bool:
    """True for a detection that counts as a surviving direct identifier."""
    if label not in {item.value for item in DIRECT_IDENTIFIERS}:
        return False
    if label == PiiLabel.DATE_OF_BIRTH.value:
        return FULL_DATE.search(text[start:end]) is not None
    return True


def verify_deidentified(
    notes: Sequence[Note],
    deid_config: DeidConfig,
    *,
    sample: int,
    max_share: float,
    seed: int,
) -> GateReport:
    """Run the PII detector over a seeded sample; raise :class:`InputError` when identifiable."""
    from casenotes.deid.engine import Analyzer

    rng = random.Random(seed)
    chosen = list(notes) if len(notes) <= sample else rng.sample(list(notes), sample)
    analyzer = Analyzer(deid_config)
    flagged_ids: list[str] = []
    labels: set[str] = set()
    for start in range(0, len(chosen), deid_config.batch_size):
        batch = chosen[start : start + deid_config.batch_size]
        for note, found in zip(batch, analyzer.analyze(batch), strict=True):
            hits = [d.label for d in found if still_identifying(note.text, d.label, d.start, d.end)]
            if hits:
                flagged_ids.append(note.note_id)
                labels.update(hits)
    report = GateReport("verify", len(notes), len(chosen), len(flagged_ids), tuple(sorted(labels)))
    if chosen and len(flagged_ids) / len(chosen) > max_share:
        raise InputError(
            ERR_IDENTIFIABLE.format(
                flagged=len(flagged_ids),
                sampled=len(chosen),
                share=len(flagged_ids) / len(chosen),
                labels=", ".join(sorted(labels)),
                limit=max_share,
                ids=", ".join(flagged_ids[:MAX_IDS_IN_MESSAGE]),
            )
        )
    return report


def deidentify_notes(
    notes: Sequence[Note],
    deid_config: DeidConfig,
    *,
    processes: int = 1,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Note], GateReport]:
    """De-identify every note with placeholders; a note that fails is an error naming it."""
    from casenotes.deid import deidentifier_factory
    from casenotes.parallel import map_batches

    done: list[Note] = []
    factory = deidentifier_factory(deid_config, "placeholder", None)
    results = map_batches(
        notes,
        factory,
        note_of=lambda note: note,
        processes=processes,
        batch_size=deid_config.chunk_notes,
    )
    for handled, (note, result) in enumerate(results, start=1):
        if isinstance(result, Exception):
            raise InputError(f"note {note.note_id}: could not be de-identified ({result})")
        done.append(result)
        if progress is not None:
            progress(handled)
    return done, GateReport("run", len(notes))


def _words(text: str) -> Iterable[re.Match[str]]:
    return WORD.finditer(text)


class CaseVocabulary:
    """Words seen in at least ``min_cases`` training cases; everything else becomes [RARE]."""

    def __init__(self, min_cases: int = 5) -> None:
        self.min_cases = min_cases

    def fit(self, texts: Sequence[str], case_ids: Sequence[str]) -> CaseVocabulary:
        if len(texts) != len(case_ids):
            raise ValueError("texts and case_ids must have the same length")
        cases: dict[str, set[str]] = defaultdict(set)
        for text, case_id in zip(texts, case_ids, strict=True):
            for word in {m.group().lower() for m in _words(PLACEHOLDER.sub(" ", text))}:
                cases[word].add(case_id)
        self.allowed_ = frozenset(w for w, seen in cases.items() if len(seen) >= self.min_cases)
        self.n_cases_ = len(set(case_ids))
        self.n_dropped_ = len(cases) - len(self.allowed_)
        return self

    def scrub(self, text: str) -> str:
        """``text`` with every word outside the vocabulary (placeholders kept) as [RARE]."""
        allowed = self.allowed_
        pieces: list[str] = []
        last = 0
        protected = [m.span() for m in PLACEHOLDER.finditer(text)]
        for match in _words(text):
            start, end = match.span()
            if any(a <= start < b for a, b in protected):
                continue
            if match.group().lower() not in allowed:
                pieces.append(text[last:start])
                pieces.append(RARE_TOKEN)
                last = end
        pieces.append(text[last:])
        return "".join(pieces)

    def scrub_all(self, texts: Iterable[str]) -> list[str]:
        return [self.scrub(text) for text in texts]

    def summary(self) -> dict[str, int]:
        return {
            "min_cases": self.min_cases,
            "words_kept": len(self.allowed_),
            "words_dropped": self.n_dropped_,
            "training_cases": self.n_cases_,
        }
