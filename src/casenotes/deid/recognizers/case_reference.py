"""Case references: local system ids and police references, formats configured in ``DeidConfig``."""

from __future__ import annotations

import re

from casenotes.config import CaseReferenceFormat, DeidConfig
from casenotes.deid.recognizers._base import Rule, UkRecognizer
from casenotes.records import PiiLabel


def format_rule(case_format: CaseReferenceFormat) -> Rule:
    """A recognizer rule for one configured format; its name is the format's name.

    A format's ``pattern`` marks the value; if it needs to match label words, it puts the value
    in a ``(?P<value>...)`` group. A format scoring below the engine's threshold is only kept
    when one of its ``context`` words (lower case; phrases allowed) comes just before it.
    """
    return Rule(
        name=case_format.name,
        regex=re.compile(case_format.pattern),
        score=case_format.score,
        context=tuple(word.lower() for word in case_format.context),
    )


class UkCaseReferenceRecognizer(UkRecognizer):
    """Mosaic / LCS / Eclipse ids, ``CIN-2024-00412``, ``EH/2023/1187``, police crime references
    (``43/12345/24``, ``CRI-24-018273``), CAD logs (``CAD {1234 12/03/24}``), court case numbers:
    whatever ``config.all_case_reference_formats`` lists. Only the value is marked, never its label.
    """

    NAME = "uk_case_reference"
    ENTITIES = (PiiLabel.CASE_REFERENCE.value,)
    CONTEXT = ()
    CONTEXT_WINDOW = 32

    def __init__(self, config: DeidConfig | None = None, supported_language: str = "en") -> None:
        self._formats = (config or DeidConfig()).all_case_reference_formats
        super().__init__(supported_language)

    def rules(self) -> tuple[Rule, ...]:
        return tuple(format_rule(f) for f in self._formats)
