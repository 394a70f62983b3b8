"""Build the extraction pipeline and turn its spans into :class:`~casenotes.records.Mention`.

``build_pipeline()`` gives ``spacy.blank("en")`` + ``casenotes_risk_matcher_v1`` +
``casenotes_context_v1`` with the packaged rules (or those named in :class:`ExtractConfig`). No
sentencizer: the context component splits sentences by rule (line breaks, ". " "! " "? ").
``extractor_factory(settings)`` is the picklable factory that :func:`casenotes.io.process_notes`
runs in each worker: it adds ``mentions`` and a ``risks`` summary to every note.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Iterator, Sequence

from spacy.language import Language
from spacy.tokens import Doc

from casenotes.extract.components import CASE_KEY, DATE_KEY
from casenotes.extract.config import ExtractConfig
from casenotes.extract.summaries import RISKS_FIELD, note_risks
from casenotes.parallel import BatchResult, BatchTransform
from casenotes.records import Mention, Note, Subject

# Abbreviations with "&" that the English tokenizer keeps together with a following full stop.
TOKENIZER_SPECIAL_CASES = ("B&B.", "b&b.", "B&B,", "b&b,")


def build_pipeline(settings: ExtractConfig | None = None, *, context: bool = True) -> Language:
    """The extraction pipeline; ``context=False`` leaves out the qualifier (keyword baseline)."""
    import spacy

    from casenotes.extract import factories
    from casenotes.extract.components import rule_subjects
    from casenotes.extract.rules import load_risk_rules

    settings = settings or ExtractConfig()
    nlp = spacy.blank("en")
    for case in TOKENIZER_SPECIAL_CASES:
        nlp.tokenizer.add_special_case(case, [{"ORTH": case[:-1]}, {"ORTH": case[-1]}])
    matcher = nlp.add_pipe(factories.RISK_MATCHER)
    risk_rules = load_risk_rules(settings.risk_rules)
    matcher.set_rules(risk_rules)
    if context:
        qualifier = nlp.add_pipe(factories.CONTEXT)
        qualifier.initialize(
            context_rules_path=settings.context_rules,
            subject_rules_path=settings.subject_rules,
            label_subjects=rule_subjects(risk_rules),
        )
    return nlp


def rule_sets(nlp: Language) -> list[dict[str, str]]:
    """Name, version and digest of every rule set in the pipeline, for run logs."""
    out = []
    for _, component in nlp.pipeline:
        for attr in ("rules", "context_rules", "subject_rules"):
            loaded = getattr(component, attr, None)
            if loaded is not None and hasattr(loaded, "describe"):
                out.append(loaded.describe())
    return out


def describe_rule_sets(settings: ExtractConfig | None = None) -> list[dict[str, str]]:
    """Name, version and digest of the configured rule files, without building a pipeline."""
    from casenotes.extract.rules import load_context_rules, load_risk_rules, load_subject_rules

    settings = settings or ExtractConfig()
    return [
        load_risk_rules(settings.risk_rules).describe(),
        load_context_rules(settings.context_rules).describe(),
        load_subject_rules(settings.subject_rules).describe(),
    ]


def rule_set_tags(described: list[dict[str, str]]) -> dict[str, str]:
    """Version and digest of every rule set (from :func:`describe_rule_sets`), as run tags."""
    tags = {}
    for item in described:
        tags[f"casenotes.rules.{item['name']}.version"] = item["version"]
        tags[f"casenotes.rules.{item['name']}.digest"] = item["digest"]
    return tags


@functools.cache
def _defaults() -> dict[str, Subject]:
    from casenotes.extract.rules import load_subject_rules

    return {k.value: v for k, v in load_subject_rules().data.defaults.items()}


def default_subject(label: str) -> Subject:
    """The packaged default subject of a risk label (used when no context component ran)."""
    return _defaults()[label]


def doc_mentions(doc: Doc, spans_key: str = "risks") -> tuple[Mention, ...]:
    """The mentions of a processed doc, with character offsets into its text."""
    out = []
    for span in doc.spans.get(spans_key, ()):
        subject = span._.subject or default_subject(span.label_)
        out.append(
            Mention(
                start=span.start_char,
                end=span.end_char,
                label=span.label_,
                negated=bool(span._.negated),
                subject=subject,
                temporality=span._.temporality,
                certainty=span._.certainty,
            )
        )
    return tuple(out)


def extract_mentions(
    nlp: Language, texts: Iterable[str], batch_size: int = 256
) -> Iterable[tuple[Mention, ...]]:
    """Mentions of each text, in order (texts without a case: nothing carries between them)."""
    for doc in nlp.pipe(texts, batch_size=batch_size):
        yield doc_mentions(doc)


def forget_cases(nlp: Language) -> None:
    """Start a new chunk: every component that remembers something per case forgets it."""
    for _, component in nlp.pipeline:
        forget = getattr(component, "forget", None)
        if callable(forget):
            forget()


def _case_doc(nlp: Language, note: Note) -> Doc:
    doc = nlp.make_doc(note.text)
    if note.case_id is not None:
        doc.user_data[CASE_KEY] = note.case_id
    if note.date is not None:
        doc.user_data[DATE_KEY] = note.date
    return doc


def note_mentions(
    nlp: Language, notes: Iterable[Note], batch_size: int = 256
) -> Iterator[tuple[Mention, ...]]:
    """Mentions of each note, in order. The notes are one chunk: the roles a note gives names
    ("Mum (Chantelle)") hold in the later notes of its case within the chunk, and nothing from an
    earlier chunk does, so the output depends on the chunking, never on the process count."""
    forget_cases(nlp)
    for doc in nlp.pipe((_case_doc(nlp, note) for note in notes), batch_size=batch_size):
        yield doc_mentions(doc)


def annotate(note: Note, mentions: tuple[Mention, ...]) -> Note:
    """The note with ``mentions`` and its ``risks`` summary (other columns untouched)."""
    extra = dict(note.extra)
    extra[RISKS_FIELD] = note_risks(mentions).to_record()
    return dataclasses.replace(note, mentions=mentions, extra=extra)


def _apply(nlp: Language, batch_size: int, notes: Sequence[Note]) -> list[BatchResult]:
    results: list[BatchResult] = []
    for note, mentions in zip(notes, note_mentions(nlp, notes, batch_size), strict=True):
        results.append(annotate(note, mentions))
    return results


def make_extractor(settings: ExtractConfig) -> BatchTransform:
    """Build the pipeline once and return the batch transform (called once per process)."""
    nlp = build_pipeline(settings)
    return functools.partial(_apply, nlp, settings.batch_size)


def extractor_factory(settings: ExtractConfig | None = None) -> functools.partial:
    """A picklable factory for :func:`casenotes.io.process_notes`."""
    return functools.partial(make_extractor, settings or ExtractConfig())
