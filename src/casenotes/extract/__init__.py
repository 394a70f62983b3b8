"""Risk-factor extraction with context: spaCy components, summaries, evaluation and rendering.

Public API::

    from casenotes.extract import build_pipeline, doc_mentions, extractor_factory
    nlp = build_pipeline()                      # blank English + risk matcher + context
    mentions = doc_mentions(nlp(text))          # tuple[Mention, ...], offsets into text
    note_risks(mentions).to_record()            # the note-level ``risks`` summary

Factories (``casenotes.extract.factories``, also spaCy entry points):
``casenotes_risk_matcher_v1``, ``casenotes_context_v1``, ``casenotes_spans_to_ents_v1``.
Nothing heavy is imported until a function is called.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "annotate",
    "build_pipeline",
    "case_summaries",
    "doc_mentions",
    "extractor_factory",
    "note_risks",
    "rule_sets",
]

_LOCATIONS = {
    "annotate": "casenotes.extract.pipeline",
    "build_pipeline": "casenotes.extract.pipeline",
    "doc_mentions": "casenotes.extract.pipeline",
    "extractor_factory": "casenotes.extract.pipeline",
    "rule_sets": "casenotes.extract.pipeline",
    "case_summaries": "casenotes.extract.summaries",
    "note_risks": "casenotes.extract.summaries",
}


def __getattr__(name: str) -> Any:
    if name in _LOCATIONS:
        import importlib

        return getattr(importlib.import_module(_LOCATIONS[name]), name)
    raise AttributeError(name)
