"""Shared fixtures: one extraction pipeline per test session (blank English, no model)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def nlp():
    from casenotes.extract.pipeline import build_pipeline

    return build_pipeline()


@pytest.fixture(scope="session")
def extract(nlp):
    """text → list of (span text, label, negated, subject, temporality, certainty)."""
    from casenotes.extract.pipeline import doc_mentions

    def run(text: str) -> list[tuple]:
        return [
            (
                text[m.start : m.end],
                m.label.value,
                m.negated,
                m.subject.value,
                m.temporality.value,
                m.certainty.value,
            )
            for m in doc_mentions(nlp(text))
        ]

    return run
