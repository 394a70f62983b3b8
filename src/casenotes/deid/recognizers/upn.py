"""Unique Pupil Number: a check letter, eleven digits, a digit (or a letter if temporary)."""

from __future__ import annotations

import re

from casenotes.deid.recognizers._base import Rule, UkRecognizer
from casenotes.identifiers import is_valid_upn
from casenotes.records import PiiLabel


class UkUpnRecognizer(UkRecognizer):
    """``B801200005001``; the DfE mod-23 check letter must agree (``identifiers.is_valid_upn``)."""

    NAME = "uk_upn"
    ENTITIES = (PiiLabel.UK_UPN.value,)
    CONTEXT = ("upn", "pupil number", "unique pupil number")
    RULES = (
        Rule(
            name="upn_13",
            regex=re.compile(r"\b[A-Z]\d{11}[0-9A-Z]\b", re.IGNORECASE),
            score=0.9,
            validate=True,
        ),
    )

    def validate_result(self, pattern_text: str) -> bool:
        return is_valid_upn(pattern_text)
