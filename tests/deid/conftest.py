"""Shared fixtures for de-identification tests: one Presidio analyzer per session, offline."""

from __future__ import annotations

import os

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

import pytest


@pytest.fixture(scope="session")
def recognizer_analyzer():
    """An AnalyzerEngine with only our UK recognizers and the pinned spaCy model."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from casenotes.config import DeidConfig
    from casenotes.deid.recognizers import build_recognizers

    config = DeidConfig()
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": config.model}],
            "ner_model_configuration": {
                "model_to_presidio_entity_mapping": {"PERSON": "PERSON"},
                "labels_to_ignore": [],
            },
        }
    )
    registry = RecognizerRegistry(recognizers=build_recognizers(config), supported_languages=["en"])
    return AnalyzerEngine(
        nlp_engine=provider.create_engine(),
        registry=registry,
        supported_languages=["en"],
        default_score_threshold=config.score_threshold,
    )
