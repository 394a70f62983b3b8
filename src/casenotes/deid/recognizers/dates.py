"""Dates and dates of birth, in the many layouts practitioners write them."""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult

from casenotes.deid.recognizers._base import Rule, UkRecognizer, containing, context_regex, finding
from casenotes.records import PiiLabel

_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH_NUM = r"(?:0?[1-9]|1[0-2])"
# "May" and "Mar" only capitalised: "she may attend", "2 mar" are not dates.
_MONTH = (
    r"(?:(?i:january|february|april|june|july|august|september|october|november|december"
    r"|jan|feb|apr|jun|jul|aug|sept|sep|oct|nov|dec|march)|May|MAY|Mar|MAR)(?:\.(?=\s?\d))?"
)
_YEAR = r"(?:19|20)\d{2}"
_ORD = r"(?:st|nd|rd|th)?"
_END = r"(?![\w/:-]|[.,]\d)"
_START = r"(?<![\w/.:£$-])"

# Prepositions and seasons that make a bare year a date: "in {2019}", "since {2018}".
_YEAR_CUES = (
    r"in|since|from|during|until|till|by|of|early|late|mid|summer|spring|autumn|winter"
    r"|christmas|easter|before|after|around|circa|c\.|between|and|to|born|born in"
    r"|the|a|an|this|that|its|her|his|their"  # "the 2021 assessment", "a 1979 film"
)
_ONLY_WITH_CUE = r"on|from|since|until|till|by|w/c|wc|w/b|dated|date|of|before|after|between|and|to"

_DOB_CONTEXT = (
    "dob",
    "d.o.b",
    "d.o.b.",
    "date of birth",
    "born",
    "born on",
    "birthday",
    "birth date",
    "b.",
)
# Legislation: "Children Act 1989", "Education Act 1996", "Care Act 2014 s.42", "Regulations 2010".
_LEGISLATION_BEFORE = re.compile(
    r"(?:\bact|\bacts|\bregulations?|\border|\bbill|\bmeasure|\brules|\bguidance|\bcode)"
    r"(?:\s+of)?,?\s*$",
    re.IGNORECASE,
)
_SCALE_BEFORE = re.compile(
    r"(?:scale|scaled|rated|rating|score|scored|scoring|out of)\D{0,20}$", re.I
)


class UkDateRecognizer(UkRecognizer):
    """``12/03/2015``, ``12.03.15``, ``12-03-2015``, ``12/3/15``, ``2015-03-12``, ``1998/03/03``,
    ``03-Mar-1998``, US ``6/24/1991`` (only when the day cannot be a month),
    ``12th March 2015``, ``12 Mar``, ``12th of March``, ``March 12th 2015``, ``March 2019``,
    ``03/2019``; a bare year only after a cue ("in {2019}", "since {2018}"); a day/month without
    year ("12/03") only zero-padded or after "on", "from", "w/c" ...

    The label is ``DATE_OF_BIRTH`` when a DOB word ("DOB", "d.o.b", "date of birth", "born")
    stands between the previous date and this one, within ``CONTEXT_WINDOW`` characters; else
    ``DATE``. A weekday before the date stays outside the span; times ("14:30", "14.30") and
    years of legislation ("Children Act 1989") are not dates.
    """

    NAME = "uk_date"
    ENTITIES = (PiiLabel.DATE.value, PiiLabel.DATE_OF_BIRTH.value)
    CONTEXT = ()
    CONTEXT_WINDOW = 32
    DOB_SCORE = 0.85
    PREFILTER = re.compile(r"\d")
    RULES = (
        Rule(
            name="date_numeric_dmy",
            regex=re.compile(
                rf"{_START}{_DAY}(?P<sep>[/.-]){_MONTH_NUM}(?P=sep)(?:{_YEAR}|\d{{2}}){_END}"
            ),
            score=0.6,
        ),
        Rule(
            # US order, only when it cannot be day-first: "6/24/1991", "11-22-00"
            name="date_numeric_mdy",
            regex=re.compile(
                rf"{_START}{_MONTH_NUM}(?P<sep>[/.-])(?:1[3-9]|2\d|3[01])(?P=sep)"
                rf"(?:{_YEAR}|\d{{2}}){_END}"
            ),
            score=0.6,
        ),
        Rule(
            name="date_year_first",  # "1998/03/03", "1998.3.3"
            regex=re.compile(
                rf"{_START}{_YEAR}(?P<sep>[/.])(?:0?[1-9]|1[0-2])(?P=sep)(?:0?[1-9]|[12]\d|3[01])"
                rf"{_END}"
            ),
            score=0.6,
        ),
        Rule(
            name="date_day_abbreviated_month",  # "03-Mar-1998", "3/MAR/98"
            regex=re.compile(
                rf"{_START}{_DAY}(?P<sep>[/-])(?i:jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov"
                rf"|dec)(?P=sep)(?:{_YEAR}|\d{{2}}){_END}"
            ),
            score=0.6,
        ),
        Rule(
            name="date_iso",
            regex=re.compile(rf"{_START}{_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]){_END}"),
            score=0.6,
        ),
        Rule(
            name="date_day_month",
            regex=re.compile(
                rf"(?<![\w/.:-]){_DAY}{_ORD}(?:\s+of)?\s+{_MONTH}(?:,?\s+(?:{_YEAR}|'\d{{2}}))?"
                rf"(?![\w/:-])"
            ),
            score=0.6,
        ),
        Rule(
            name="date_month_day",
            regex=re.compile(rf"\b{_MONTH}\s+{_DAY}{_ORD}(?:,?\s+{_YEAR})?(?![\w/:-]|[.,]\d)"),
            score=0.55,
        ),
        Rule(
            name="date_month_year",
            regex=re.compile(rf"\b{_MONTH},?\s+(?:of\s+)?(?:{_YEAR}|'\d{{2}})(?![\w/:-])"),
            score=0.55,
        ),
        Rule(
            name="date_numeric_month_year",
            regex=re.compile(rf"{_START}{_MONTH_NUM}/{_YEAR}{_END}"),
            score=0.5,
        ),
        Rule(
            name="date_day_month_padded",
            regex=re.compile(rf"{_START}(?:0[1-9]|[12]\d|3[01])/(?:0[1-9]|1[0-2]){_END}"),
            score=0.5,
        ),
        Rule(
            name="date_day_month_after_cue",
            regex=re.compile(
                rf"(?i:\b(?:{_ONLY_WITH_CUE}))\s+(?P<value>{_DAY}/{_MONTH_NUM}){_END}"
            ),
            score=0.5,
            prefilter=containing("/"),
        ),
        Rule(
            name="date_bare_year",
            regex=re.compile(rf"(?i:\b(?:{_YEAR_CUES}))\s+(?P<value>{_YEAR})(?![\w/:-]|[.,]\d)"),
            score=0.45,
            prefilter=finding(_YEAR),
        ),
    )

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(supported_language)
        self._dob = context_regex(_DOB_CONTEXT)

    def accept(
        self, text: str, match: re.Match[str], rule: Rule, start: int, end: int
    ) -> str | None:
        before = text[max(0, start - 40) : start]
        if _LEGISLATION_BEFORE.search(before):
            return None
        if rule.name in ("date_day_month_padded", "date_day_month_after_cue") and (
            _SCALE_BEFORE.search(before)
        ):
            return None
        return PiiLabel.DATE.value

    def analyze(self, text, entities=None, nlp_artifacts=None):  # type: ignore[no-untyped-def]
        results = super().analyze(text, None, nlp_artifacts)
        results.sort(key=lambda r: (r.start, -r.end))
        previous_end = 0
        for result in results:
            window_start = max(previous_end, result.start - self.CONTEXT_WINDOW)
            if self._dob.search(text, window_start, result.start):
                result.entity_type = PiiLabel.DATE_OF_BIRTH.value
                result.score = max(result.score, self.DOB_SCORE)
                result.analysis_explanation.set_supportive_context_word("dob")
                result.analysis_explanation.set_improved_score(result.score)
            previous_end = max(previous_end, result.end)
        if entities is not None:
            results = [r for r in results if r.entity_type in entities]
        return results


__all__ = ["RecognizerResult", "UkDateRecognizer"]
