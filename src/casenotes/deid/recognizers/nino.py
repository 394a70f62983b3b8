"""National Insurance number: HMRC prefix rules, six digits, suffix A-D (or none, with context)."""

from __future__ import annotations

import re

from casenotes.deid.recognizers._base import Rule, UkRecognizer
from casenotes.identifiers import is_valid_nino
from casenotes.records import PiiLabel

_PREFIX = r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
_DIGITS = r"\d{2} ?\d{2} ?\d{2}"


class UkNinoRecognizer(UkRecognizer):
    """``AB 12 34 56 C``, ``AB123456C``, ``AB 123456 C`` (any case).

    Without its suffix letter ("AB123456") a NINO looks like other references (an LCS id
    ``CN123456`` has a valid NINO prefix), so that form is kept only after NI context words.
    """

    NAME = "uk_nino"
    ENTITIES = (PiiLabel.UK_NINO.value,)
    CONTEXT = ("nino", "ni no", "ni number", "national insurance", "nat ins", "ni")
    RULES = (
        Rule(
            name="nino_with_suffix",
            regex=re.compile(rf"\b{_PREFIX} ?{_DIGITS} ?[A-D]\b", re.IGNORECASE),
            score=0.85,
            validate=True,
        ),
        Rule(
            name="nino_no_suffix",
            regex=re.compile(rf"\b{_PREFIX} ?{_DIGITS}\b(?! ?[A-Z]\b)", re.IGNORECASE),
            score=0.5,
            validate=True,
            require_context=True,
        ),
    )

    def validate_result(self, pattern_text: str) -> bool:
        compact = pattern_text.replace(" ", "")
        if len(compact) == 8:  # no suffix: check the prefix and digits with a neutral one
            compact += "A"
        return is_valid_nino(compact)
