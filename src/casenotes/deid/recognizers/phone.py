"""Phone numbers: UK mobiles and landlines (national or +44, any spacing, hyphens, brackets), and
the foreign numbers a note may quote: international (+33 ..., 001 ...), North American
((202) 555-0143, 202-555-0143), and other national layouts after a phone word ("Tel: 0490 75 40
81")."""

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
    r"(?![\w/:]|-\d|[.,]\d)"  # "07700 900123-Fax" ends at the hyphen
)
# An extension after a foreign number: "x4587", " ext. 12".
_EXTENSION = r"(?:[ ]?(?i:x|ext\.?|extn\.?)[ ]?\d{1,5})?"
_NUMBER_END = r"(?![\w/:]|-\d|[.,]\d)"
# +CC or 00CC (not 44: those are UK numbers above), then groups of digits.
_INTERNATIONAL = re.compile(
    r"(?<![\w+/.:-])(?:\+|00)(?!44)[1-9]\d{0,2}[ .-]?(?:\(0\)[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?"
    rf"\d{{1,4}}(?:[ .-]?\d{{1,4}}){{1,6}}{_EXTENSION}{_NUMBER_END}"
)
# North American: "(202) 555-0143", "(579)888-3058", "202-555-0143", "202.555.0143"; spaced
# 3-3-4 only with +1 or 001 before it (a spaced 3-3-4 is the NHS number's layout).
_NANP = re.compile(
    r"(?<![\w+/.:-])(?:(?:\+1|001)[ .-]?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}"
    r"|\([2-9]\d{2}\)[ ]?\d{3}[ .-]\d{4}|[2-9]\d{2}(?P<sep>[.-])\d{3}(?P=sep)\d{4})"
    rf"{_EXTENSION}{_NUMBER_END}"
)
# Any other layout (Belgian "0490 75 40 81", French "03.93.92.16.85", "(08) 8747 6301") only
# right after a phone word, or right before "office", "fax", "mobile" ...
_NATIONAL = re.compile(
    r"(?<![\w+/.:£$-])(?:\(\d{1,4}\)[ ]?)?\d{1,13}(?:[ .-]\d{1,5}){0,5}"
    rf"{_EXTENSION}{_NUMBER_END}"
)
_PHONE_WORD_BEFORE = re.compile(
    r"(?i:\b(?:phone|tel|telephone|mobile|mob|cell|fax|desk|landline|whatsapp|phone number"
    r"|contact number|(?:call|ring|text|reach)\s+(?:me|him|her|them|us)\s+(?:on|at)"
    r"|(?:answer(?:ing|ed)?|reach(?:ed)?|messages?|texts?|texted|calls?|called|rang|ring"
    r"|phoned?)\s+(?:(?:me|him|her|them|us|mum|dad)\s+)?(?:on|at|to)"
    r"|registered(?:\s+(?:number|mobile|phone))?"
    # a service or person by name between the verb and "on": "ring Family Hub on"
    r"|(?:call|ring|rang|phone|phoned|text|texted|contact|contacted)\s+(?:the\s+)?"
    r"(?-i:[A-Z][\w&'’-]*)(?:\s+(?-i:[A-Z][\w&'’-]*)){0,3}\s+(?:on|at)))"
    r"\s*(?:no\.?|number)?\s*[:.\-]?\s*$"
)
_PHONE_WORD_AFTER = re.compile(
    r"[ \t]*-?[ \t]*\(?(?i:office|fax|mobile|mob|cell|home|work|tel|landline)\b"
)
_DATE_SHAPE = re.compile(
    r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2} \d{1,2} (?:19|20)\d\d"
)
_NHS_BEFORE = re.compile(r"(?i:\bnhs\b)")
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
    RULES = (
        Rule(name="uk_phone", regex=_CANDIDATE, score=0.6, validate=True),
        Rule(name="international_phone", regex=_INTERNATIONAL, score=0.6),
        Rule(name="north_american_phone", regex=_NANP, score=0.6),
        Rule(name="phone_after_phone_word", regex=_NATIONAL, score=0.6),
    )
    PREFILTER = re.compile(r"\d")
    VALID_SCORE = 0.75

    def span(self, text: str, match: re.Match[str], rule: Rule) -> tuple[int, int] | None:
        """The longest prefix of the candidate, cut at a separator, that is a number of the
        rule's kind: the regex may run on into a following number ("07700 900123 2 children")."""
        start, end = match.span()
        check = self.validate_result if rule.name == "uk_phone" else _FOREIGN_CHECKS[rule.name]
        while end > start:
            if check(text[start:end]):
                return start, end
            cut = max(text.rfind(c, start, end) for c in " -.x")
            if cut <= start:
                return None
            end = cut
        return None

    def accept(
        self, text: str, match: re.Match[str], rule: Rule, start: int, end: int
    ) -> str | None:
        if rule.name == "north_american_phone" and _NHS_BEFORE.search(
            text, max(0, start - self.CONTEXT_WINDOW), start
        ):
            return None  # an NHS number with a wrong check digit
        if rule.name == "phone_after_phone_word" and not (
            _PHONE_WORD_BEFORE.search(text, max(0, start - 30), start)
            or _PHONE_WORD_AFTER.match(text, end)
        ):
            return None
        return self.ENTITIES[0]

    def validate_result(self, pattern_text: str) -> bool:
        if _NHS_LAYOUT.fullmatch(pattern_text):
            return False
        return national_digits(pattern_text) is not None

    def _result(self, text, match, rule):  # type: ignore[no-untyped-def]
        result = super()._result(text, match, rule)
        if result is None:
            return None
        extension = _EXTENSION.match(text, result.end)
        if extension:  # a direct line's extension goes with it: "0117 923 0000 ext 4412"
            result.end = extension.end()
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


_EXTENSION = re.compile(
    r"[ \t]*,?[ \t]*\(?(?:ext(?:n|ension)?\.?|x)[ \t]*:?[ \t]*\d{2,6}\)?(?!\d)", re.I
)


def _digits(value: str) -> str:
    value = re.split(r"(?i:x|ext)", value)[0]  # the extension is not part of the number
    return re.sub(r"\D", "", value.replace("(0)", ""))


def _international(value: str) -> bool:
    """A possible number for its country code (length rules only: fictional numbers pass)."""
    digits = _digits(value)
    digits = digits[2:] if value.startswith("00") else digits
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse("+" + digits, None))
    except phonenumbers.NumberParseException:
        return False


def _north_american(value: str) -> bool:
    digits = _digits(value)
    digits = digits[3:] if value.startswith("001") else digits
    digits = digits[1:] if len(digits) == 11 and digits[0] == "1" else digits
    return len(digits) == 10 and digits[0] in "23456789"


def _national(value: str) -> bool:
    """Seven to thirteen digits that are not a date or a UK-shaped NHS number."""
    core = re.split(r"(?i:x|ext)", value)[0].strip()
    if _DATE_SHAPE.fullmatch(core) or _NHS_LAYOUT.fullmatch(core):
        return False
    return 7 <= len(_digits(value)) <= 13


_FOREIGN_CHECKS = {
    "international_phone": _international,
    "north_american_phone": _north_american,
    "phone_after_phone_word": _national,
}
