"""Street addresses: house or flat number, building, street and suffix, and maybe the town."""

from __future__ import annotations

import re

from casenotes.deid.recognizers._base import Rule, UkRecognizer
from casenotes.deid.recognizers._places import (
    BUILDING_KINDS,
    ESTATE_KINDS,
    FLAT_WORDS,
    NAME_WORD,
    NOT_NAME_WORDS,
    STREET_SUFFIXES,
)
from casenotes.records import PiiLabel


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(sorted(set(words), key=len, reverse=True))


_NUM = r"\d{1,4}[A-Za-z]?(?:\s?[-–]\s?\d{1,4}[A-Za-z]?)?"
_NAME = rf"{NAME_WORD}(?:\s+{NAME_WORD}){{0,2}}"
_STREET = rf"{_NUM},?\s+(?P<street>{_NAME})\s+(?:{_alternation(STREET_SUFFIXES)})\b"
_BUILDING = rf"{_NAME}\s+(?:{_alternation(BUILDING_KINDS)})\b"
_ESTATE = rf"{_NAME}\s+(?:{_alternation(ESTATE_KINDS)})\b"
_FLAT = rf"(?:{_alternation(FLAT_WORDS)})\s+\d{{1,4}}[A-Za-z]?"
_SEP = r"\s*,?\s+"
# A town after the street: one or two comma-separated capitalised parts ("Harehills, Leeds",
# "Newcastle upon Tyne", "Stoke-on-Trent"), kept only when the last part ends the sentence or
# clause, or a postcode follows ("12 Station Road, Leeds." / "..., Leeds LS6 2AB").
_TOWN_PART = (
    rf"{NAME_WORD}(?:\s+(?:upon|on|under|in|le|by|the)\s+{NAME_WORD}|\s+{NAME_WORD}){{0,2}}"
)
_TOWN = (
    rf"(?:,\s*(?P<town>{_TOWN_PART}(?:,\s*{_TOWN_PART})?)"
    r"(?=\s*(?:[.,;:)\]\n]|$|\s[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b)))?"
)
# Words before Court that make it a court of law, not a street: "2 Family Court hearings".
_COURTS = re.compile(
    r"(?:Family|Crown|Magistrates|Magistrates'|County|Youth|High|Supreme|Appeal|Civil)\s+Court",
)


class UkAddressRecognizer(UkRecognizer):
    """ "12 Station Road", "14a Kingsmead Close", "Flat 3, Brunel House, 12 Station Road",
    "Flat 3 Brunel House", "Flat 3, Brunel House, Kingsmead Estate", "Flat 2, 5 Mill Lane",
    "Brunel House, 12 Station Road", then an optional ", Town".

    The span runs from the flat or house number to the street suffix, or to the town when one
    follows by the rule in ``_TOWN``; a postcode after it is left to the postcode recognizer. A
    street name is one to three capitalised words; "Court" after Family/Crown/... is a court of
    law. A named estate standing alone is a ``LOCATION`` (see ``location.py``).
    """

    NAME = "uk_address"
    ENTITIES = (PiiLabel.ADDRESS.value,)
    CONTEXT = ("address", "lives at", "living at", "resides at", "moved to", "flat", "home")
    RULES = (
        Rule(
            name="address_flat",
            regex=re.compile(
                rf"\b{_FLAT}(?:{_SEP}(?P<building>{_BUILDING}))?"
                rf"(?:{_SEP}(?:{_STREET}|(?P<estate>{_ESTATE})))?{_TOWN}"
            ),
            score=0.7,
        ),
        Rule(
            name="address_street",
            regex=re.compile(rf"(?<![\w/.:£$-])(?:{_BUILDING}{_SEP})?{_STREET}{_TOWN}"),
            score=0.6,
        ),
    )

    def accept(
        self, text: str, match: re.Match[str], rule: Rule, start: int, end: int
    ) -> str | None:
        value = text[start:end]
        if _COURTS.search(value):
            return None
        groups = match.groupdict()
        if rule.name == "address_flat" and not any(
            groups.get(name) for name in ("building", "street", "estate")
        ):
            return None  # "Flat 3" on its own
        street = groups.get("street")
        if street and all(word in NOT_NAME_WORDS for word in street.split()):
            return None
        return self.ENTITIES[0]

    def span(self, text: str, match: re.Match[str], rule: Rule) -> tuple[int, int] | None:
        start, end = match.span()
        town = match.groupdict().get("town")
        if town and town.split(",")[-1].strip().split()[0] in NOT_NAME_WORDS:
            end = match.start("town") - 1  # ", Mum." is not a town: stop before the comma
            while end > start and text[end - 1] in " ,":
                end -= 1
        return start, end
