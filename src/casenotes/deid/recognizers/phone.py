"""UK phone numbers: mobiles and landlines, national or +44, with any spacing, hyphens, brackets."""

from __future__ import annotations

import re

import phonenumbers

from casenotes.deid.recognizers._base import Rule, UkRecognizer
from casenotes.records import PiiLabel

# A candidate starts with a trunk 0, "(0", "+44" or "0044" and runs over digits with single
# spaces, hyphens or a bracketed area code; its length is settled in code, not in the regex.
_CANDIDATE = re.compile(
    r"(?<![\w+/.:-])"
    r"(?:(?:\+|00)44[ -]?(?:\(0\)[ -]?)?[1-9]|\(0\d{2,5}\)[ -]?\d|0[1-9])"
    r"(?:[ -]?\d){5,11}"
    r"(?![\w/:-]|[.,]\d)"
)
_SEPARATORS = re.compile(r"[ ()-]")
_NHS_LAYOUT = re.compile(r"\d{3}[ -]\d{3}[ -]\d{4}")
# National significant numbers (after the trunk 0) by their first digit: how many digits.
_LENGTHS = {"1": (9, 10), "2": (10,), "3": (10,), "5": (10,), "7": (10,), "8": (9, 10), "9": (10,)}


def national_digits(value: str) -> str | None:
    """The number as national digits starting with 0, or ``None`` if it is not a UK shape."""
    digits = _SEPARATORS.sub("", value).replace("+", "")
    if digits.startswith("0044"):
        digits = digits[4:]
    elif digits.startswith("44") and value.lstrip().startswith("+"):
        digits = digits[2:]
    digits = digits.removeprefix("(0)").replace("(", "").replace(")", "")
    if digits.startswith("0"):
        digits = digits[1:]
    if not digits.isdigit() or digits[0] not in _LENGTHS:
        return None
    return "0" + digits if len(digits) in _LENGTHS[digits[0]] else None


class UkPhoneNumberRecognizer(UkRecognizer):
    """07700 900123, 07700900123, +44 7700 900123, +44 (0)7700 900123, 0161 496 0123,
    (0113) 496 0123, 020 7946 0123, 0207 946 0123, 01632 960123, 0800 1111, 0300 123 4567.

    Regex first (fast), then the digit count for the number's range; ``phonenumbers`` (region GB)
    then raises the score of numbers in allocated ranges (Ofcom drama numbers are not allocated,
    so they keep the lower score). Numbers written like an NHS number (3-3-4) are left to the NHS
    recognizer; dates, times, amounts and case references do not start with a trunk 0 or +44.
    """

    NAME = "uk_phone"
    ENTITIES = (PiiLabel.PHONE_NUMBER.value,)
    CONTEXT = (
        "tel",
        "tel no",
        "phone",
        "telephone",
        "mobile",
        "mob",
        "contact number",
        "number",
        "call",
        "called",
        "ring",
        "rang",
        "text",
        "texted",
        "whatsapp",
        "landline",
    )
    RULES = (Rule(name="uk_phone", regex=_CANDIDATE, score=0.6, validate=True),)
    PREFILTER = re.compile(r"\d")
    VALID_SCORE = 0.75

    def span(self, text: str, match: re.Match[str], rule: Rule) -> tuple[int, int] | None:
        """The longest prefix of the candidate, cut at a separator, that is a UK number: the
        regex may run on into a following number ("07700 900123 2 children")."""
        start, end = match.span()
        while end > start:
            if self.validate_result(text[start:end]):
                return start, end
            cut = max(text.rfind(" ", start, end), text.rfind("-", start, end))
            if cut <= start:
                return None
            end = cut
        return None

    def validate_result(self, pattern_text: str) -> bool:
        if _NHS_LAYOUT.fullmatch(pattern_text):
            return False
        return national_digits(pattern_text) is not None

    def _result(self, text, match, rule):  # type: ignore[no-untyped-def]
        result = super()._result(text, match, rule)
        if result is None:
            return None
        number = national_digits(text[result.start : result.end])
        try:
            valid = number is not None and phonenumbers.is_valid_number(
                phonenumbers.parse(number, "GB")
            )
        except phonenumbers.NumberParseException:
            valid = False
        if valid and result.score < self.VALID_SCORE:
            result.score = self.VALID_SCORE
            result.analysis_explanation.score = result.score
        return result
