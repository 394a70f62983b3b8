"""Ages: only the number is marked ("aged {14}", "{14} years old", "Jay ({14})")."""

from __future__ import annotations

import re

from casenotes.deid.recognizers._base import Rule, UkRecognizer, containing
from casenotes.deid.recognizers._places import words
from casenotes.records import PiiLabel

_N = r"(?P<value>1[01]\d|120|\d{1,2})"
_END = r"(?![\w/:.,-]\d|[\w])"
# Before "3 years" / "3yrs" these mean a duration, not an age: "for 3 years", "over 2yrs".
_DURATION_BEFORE = re.compile(
    r"\b(?:for|over|past|last|next|in|within|after|before|about|around|almost|nearly|than|spent"
    r"|served|lasted|sentence|sentenced|ago|took)\s+(?:the\s+)?(?:past\s+|last\s+)?$",
    re.IGNORECASE,
)
# Words before "(14)" that are not people: "Section (3)", "Year (10)".
NOT_A_NAME = words(
    """Section Sections Year Years Para Paragraph Step Page Pages Appendix Room Flat Act Part
    Schedule Regulation Rule Article Point Item Question Level Stage Tier Grade Key Note Notes
    Class Group Week Weeks Day Days Chapter Table Figure Option Box Line Form Order Orders
    Sentence Licence Notice Programme Course"""
)


# Subjects of "X is 10." that are no person
_NOT_PEOPLE = words(
    """It This That There What Which Who Score Total Attendance Number Rate Level Amount Year
    Week Day Page Section Room Flat"""
)


class UkAgeRecognizer(UkRecognizer):
    """ "aged 14", "age: 14", "at the age of 14", "14 years old", "14-year-old", "14yo", "14 y/o",
    "14yrs", "14 yrs old", "8 months old", "8-month-old", "8 mths", "turned 15", "will turn 16",
    "when she was 6," and "(14)" straight after a capitalised name. Bare unit forms ("14yrs",
    "8 mths") are dropped after duration words ("for 3yrs"); counts ("3 children"), amounts and
    times never match; a bare "turn" needs "will", "'ll", "to" or "would" before it ("turn 3
    pages" is not an age), and "when he was 2" needs a clause end or "years" after it.
    """

    NAME = "uk_age"
    ENTITIES = (PiiLabel.AGE.value,)
    CONTEXT = ()
    PREFILTER = re.compile(r"\d")
    RULES = (
        Rule(
            name="age_aged",
            regex=re.compile(rf"\b(?i:aged?(?:\s+of)?)\s*[:\-]?\s*{_N}{_END}"),
            score=0.7,
        ),
        Rule(
            name="age_years_old",
            regex=re.compile(
                rf"(?<![\w.,/£$-]){_N}\s?-?\s?(?i:years?|yrs?|months?|mths?|weeks?|wks?|days?)"
                rf"[\s-]+(?i:old)\b"
            ),
            score=0.75,
        ),
        Rule(
            name="age_abbreviated",
            regex=re.compile(rf"(?<![\w.,/£$-]){_N}\s?(?i:yo|y/o|y\.o\.?|yrs?|mths?)(?![\w/])"),
            score=0.6,
        ),
        Rule(
            name="age_turned",
            regex=re.compile(
                rf"(?:\b(?i:turned|turns|turning)|(?i:\bwill|'ll|’ll|\bto|\bwould)\s+turn)\s+{_N}{_END}"
            ),
            score=0.5,
            prefilter=containing("turn", any_case=True),
        ),
        Rule(
            name="age_when_was",  # "when she was 6,", "when Jay was 14."
            regex=re.compile(
                rf"\b(?i:when)\s+(?:(?i:he|she|they|i|you|we)|[A-Z][a-z]+)\s+(?i:was|were)\s+{_N}"
                r"(?=\s*(?:[.,;:!?)]|$)|\s+(?i:and|but|years?|yrs?)\b)"
            ),
            score=0.5,
        ),
        Rule(
            name="age_in_brackets",  # "Jay (14)", "mason (7)", "KOWALCZYK (3)", "Johnny (14
            # months)", "DOB 08/12/2007 (16)", '("Maggie", 12)', "(Alexandru, 9 months)"
            # '"Gurjit (19, lives at home)", "D.O.B. 25.12.2009 (15)", "(Mary-Ellen, about 8
            # months)"
            regex=re.compile(
                rf"(?:\b(?P<name>[A-Za-z][A-Za-z'’-]+)|\d{{2}}([/.-])\d{{2}}\2\d{{2,4}})\s?\("
                rf"(?:[\"“]?[A-Z][\w'’-]*[\"”]?,\s*)?(?:(?i:about|approx\.?|around|aged)\s)?{_N}"
                r"(?:\s?(?i:months?|mths?|weeks?|wks?|days?|yrs?|years?|y|m))?(?:\)|,\s)"
            ),
            score=0.5,
            prefilter=containing("("),
        ),
        Rule(
            # "Rahima Begum, 27, DOB", "Uddin (husband), 33", "Bilal is 23.", "Andrei POPESCU, 15,",
            # "(mum, 29)", "(Reece Atkinson, 19)"
            name="age_after_name",
            regex=re.compile(
                rf"(?:(?<=[A-Za-z)”\"]),\s|\b(?P<subject>[A-Z][a-z'’-]+|(?i:he|she))\s+(?:is|was)\s+)"
                rf"{_N}(?=\s*(?:[,.;]|\n|$)(?!\d)|\))"
            ),
            score=0.5,
        ),
    )

    def accept(
        self, text: str, match: re.Match[str], rule: Rule, start: int, end: int
    ) -> str | None:
        if rule.name == "age_abbreviated" and _DURATION_BEFORE.search(
            text, max(0, start - 30), start
        ):
            return None
        subject = match.groupdict().get("subject")
        if subject and subject.lower() not in {"he", "she"} and subject.title() in _NOT_PEOPLE:
            return None  # "It is 10.", "This was 3."
        name = match.groupdict().get("name")
        if rule.name == "age_in_brackets" and name and name.title() in NOT_A_NAME:
            return None
        return self.ENTITIES[0]
