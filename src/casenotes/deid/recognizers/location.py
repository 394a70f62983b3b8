"""Named local places NER misses: estates, parks, shopping centres ("the {Kingsmead Estate}")."""

from __future__ import annotations

import re

from casenotes.deid.recognizers._base import Rule, UkRecognizer
from casenotes.deid.recognizers._places import NAME_WORD, NOT_NAME_WORDS, past_leading_not_names
from casenotes.records import PiiLabel

_KINDS = (
    r"Estate|Park|Shopping Centre|Retail Park|Leisure Centre|Precinct|Recreation Ground|Rec"
    r"|Playing Fields|Skate Park|Bus Station|Train Station|Interchange|Market"
)
# Names made only of these are generic: "Car Park", "Business Park", "Industrial Estate".
_GENERIC = frozenset(
    {"Car", "Business", "Industrial", "Trading", "Retail", "Theme", "Skate", "Country", "National",
     "Housing", "Council", "Local", "Play", "Water", "Leisure", "Science", "Holiday", "Caravan",
     "Shopping", "Bus", "Train", "Railway", "Coach", "Indoor", "Outdoor", "Sports", "Sport"}
)  # fmt: skip


class UkLocationRecognizer(UkRecognizer):
    """A capitalised name plus a place kind: "Kingsmead Estate", "Victoria Park", "Fernhill Retail
    Park", "Meadowbank Shopping Centre". A lower-case "the" and leading roles, weekdays and
    sentence-start words stay outside; generic names ("Car Park") are not places. Inside a flat
    address an estate is part of the ``ADDRESS`` (the engine prefers the longer span).
    """

    NAME = "uk_location"
    ENTITIES = (PiiLabel.LOCATION.value,)
    CONTEXT = ()
    RULES = (
        Rule(
            name="named_place",
            regex=re.compile(rf"\b(?P<name>{NAME_WORD}(?:\s+{NAME_WORD}){{0,2}})\s+(?:{_KINDS})\b"),
            score=0.6,
        ),
    )

    def span(self, text: str, match: re.Match[str], rule: Rule) -> tuple[int, int] | None:
        start, end = match.span()
        start = past_leading_not_names(text, start, match.group("name"))  # "Attended", "The"
        name = text[start : match.end("name")].split()
        if not name or all(w in _GENERIC or w in NOT_NAME_WORDS for w in name):
            return None
        return start, end
