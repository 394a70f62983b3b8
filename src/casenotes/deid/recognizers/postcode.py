"""UK postcodes: full postcodes anywhere, outward codes ("M14", "LS6") only with place context;
foreign postal codes ("ZIP: 62704", "zip code 90210-1234", "postal code 1012 AB") only right after
a ZIP or postal-code word (inside an address they are part of the ``ADDRESS``)."""

from __future__ import annotations

import re

from casenotes.deid.recognizers._base import Rule, UkRecognizer
from casenotes.identifiers import is_valid_outward_code, is_valid_postcode
from casenotes.records import PiiLabel

# After an outward code, words that show it is legislation or a meeting, not a place:
# "S47 enquiry", "S17 assessment", "S20 accommodation".
_NOT_A_PLACE_AFTER = re.compile(
    r"\s*(?:enquir|strateg|investigat|meeting|assessment|accommodat|referral|plan|child|order"
    r"|section|icpc|rcpc|cp\b|cin\b|of the)",
    re.IGNORECASE,
)
# A foreign postal code right after its label: US ZIP / ZIP+4, other numeric codes ("394 13",
# "53-320", "75534-030"), Dutch "1012 AB", Canadian "K1A 0B1".
_FOREIGN_CODE = re.compile(
    r"(?i:\b(?:zip|zip\s*code|zipcode|postal\s*code|post\s*code|postcode|plz|cep)\b)"
    r"(?:\s*(?:is|was|:|-|#|no\.?))*\s*"
    r"(?P<value>\d{4}\s?[A-Z]{2}|\d{3,5}(?:[- ]\d{2,4})?|[A-Z]\d[A-Z]\s?\d[A-Z]\d)"
    r"(?![\w/:-]|[.,]\d)"
)
_AREA_AFTER = re.compile(r"\s+(?:area|district|postcode)\b", re.IGNORECASE)
# A street's kind ending an address just before the code: "44 Knowles Lane, BD4", "11 Skinner
# Hall Rd S4" (a section of an Act never follows a street)
_AFTER_STREET = re.compile(
    r"\b(?:road|rd|street|st|lane|ln|avenue|ave|close|crescent|cres|drive|dr|way|grove|gardens"
    r"|gdns|place|pl|court|ct|terrace|walk|hill|view|row|square|sq|mews|parade|green|rise|park"
    r"|estate)\.?,?[ \t]*$",
    re.IGNORECASE,
)
STREET_LOOKBACK = 12


class UkPostcodeRecognizer(UkRecognizer):
    """Full postcodes (``LS6 2AB``, ``ls62ab``) checked against Royal Mail's format rules.

    An outward code on its own is only a postcode near "postcode", "area", "lives in" and the
    like, or right before "area" ("the {M14} area"); it must be written in capitals, so that
    "s17" and "s47" never match, and codes followed by words of legislation or meetings
    ("S47 enquiry") are dropped. "Y10" and "A1" are not outward codes at all (no such areas).
    A bare single-letter "S" district (Sheffield, but also Children Act sections) needs the
    word "postcode" itself, or a street just before it ("11 Skinner Hall Rd S4"), as any
    outward code may have.
    """

    NAME = "uk_postcode"
    ENTITIES = (PiiLabel.POSTCODE.value,)
    CONTEXT = ("postcode", "post code")
    _PLACE_CONTEXT = (
        "area",
        "lives in",
        "living in",
        "live in",
        "moved to",
        "moving to",
        "resides in",
        "residing in",
        "based in",
        "address",
        "district",
        "located in",
        "from the",
    )
    RULES = (
        Rule(
            name="postcode_full",
            regex=re.compile(
                r"(?<![\w/-])[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}(?![\w/-])", re.IGNORECASE
            ),
            score=0.85,
            validate=True,
        ),
        Rule(
            name="postcode_outward",
            regex=re.compile(r"(?<![\w/.-])[A-Z]{1,2}\d[A-Z\d]?(?![\w/-]|[.,]\w)"),
            score=0.5,
            validate=True,
            context=_PLACE_CONTEXT,
        ),
        Rule(name="postal_code_after_label", regex=_FOREIGN_CODE, score=0.6),
    )

    def validate_result(self, pattern_text: str) -> bool:
        if len(pattern_text.replace(" ", "")) >= 5:
            return is_valid_postcode(pattern_text)
        return is_valid_outward_code(pattern_text)

    def accept(
        self, text: str, match: re.Match[str], rule: Rule, start: int, end: int
    ) -> str | None:
        if rule.name != "postcode_outward":
            return self.ENTITIES[0]
        if _NOT_A_PLACE_AFTER.match(text, end):
            return None
        if _AFTER_STREET.search(text, max(0, start - STREET_LOOKBACK), start):
            return self.ENTITIES[0]
        word = self.find_context(text, start, rule)
        area_after = _AREA_AFTER.match(text, end) is not None
        if text[start] == "S" and text[start + 1].isdigit():
            return self.ENTITIES[0] if word in ("postcode", "post code") else None
        return self.ENTITIES[0] if (word is not None or area_after) else None
