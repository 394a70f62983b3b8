"""NHS number: ten digits (3-3-4 spaced, hyphenated or unspaced) with a modulus-11 check digit."""

from __future__ import annotations

import re

from casenotes.deid.recognizers._base import Rule, UkRecognizer
from casenotes.identifiers import is_valid_nhs
from casenotes.records import PiiLabel


class UkNhsNumberRecognizer(UkRecognizer):
    """``943 476 5919``, ``943-476-5919``, ``9434765919``; all-same-digit numbers are rejected.

    Only the value is marked ("NHS no: {943 476 5919}"). A valid check digit alone scores 0.85
    (one random ten-digit number in eleven passes it); "NHS" nearby lifts it to 1.0.
    """

    NAME = "uk_nhs"
    ENTITIES = (PiiLabel.UK_NHS.value,)
    CONTEXT = ("nhs", "nhs no", "nhs number", "health number", "health no", "chi", "nhs#")
    RULES = (
        Rule(
            name="nhs_3_3_4",
            regex=re.compile(
                r"(?<![\w+/.-])(?<!\+44 )(?<!0044 )\d{3}([ -]?)\d{3}\1\d{4}(?![\w/-]|[.,:]\d)"
            ),
            score=0.85,
            validate=True,
        ),
    )

    def validate_result(self, pattern_text: str) -> bool:
        return is_valid_nhs(pattern_text)
