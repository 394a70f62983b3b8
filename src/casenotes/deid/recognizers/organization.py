"""Named institutions: schools, nurseries, colleges, PRUs, GP surgeries, hospitals, family hubs."""

from __future__ import annotations

import re

from casenotes.deid.recognizers._base import Rule, UkRecognizer
from casenotes.deid.recognizers._places import NAME_WORD, NOT_NAME_WORDS, words
from casenotes.records import PiiLabel

# Institution kinds, capitalised as in a proper name ("the school" never matches).
_KINDS = (
    "Primary School", "Infant School", "Infants School", "Junior School", "Nursery School",
    "High School", "Secondary School", "Grammar School", "Community School", "Special School",
    "Free School", "Church School", "School", "Primary Academy", "Academy", "Sixth Form College",
    "Sixth Form", "College", "PRU", "Pupil Referral Unit", "Day Nursery", "Nursery", "Pre-School",
    "Preschool", "Medical Centre", "Medical Practice", "Health Centre", "Surgery",
    "Family Practice", "Group Practice", "Hospital", "Infirmary", "Children's Centre",
    "Childrens Centre", "Family Hub", "Family Centre", "Youth Centre", "Youth Club",
    "Community Centre", "Contact Centre", "Children's Home", "Foodbank", "Food Bank", "Foyer",
)  # fmt: skip
_KIND = "|".join(sorted((re.escape(k).replace("'", "['’]") for k in _KINDS), key=len, reverse=True))
# Name words: capitalised words, "St"/"Saint", denominations ("C of E", "CE", "RC"), joined by
# "of", "the", "upon", "on", "in" (not "and": "X High School and Y PRU" are two).
_DENOMINATION = r"C\.? of E\.?|CofE|CE|RC|R\.C\.|C of E"
_WORD = rf"(?:{NAME_WORD}|{_DENOMINATION}|St\.?)"
_NAME = rf"{_WORD}(?:\s+(?:(?:of|the|upon|on|in)\s+)?{_WORD}){{0,5}}"
# Words that are generic: a name made only of these is not a name ("Local Primary School").
_GENERIC = words(
    """Primary Secondary High Junior Infant Infants Nursery Special Community Family Youth
    Contact Health Medical Sixth Form Mainstream Alternative Catholic RC CE C E Church England
    Free Independent Residential Pupil Referral Early Help Services Service Social Care GP
    Police NHS Authority Virtual County City Council Hospital Children's Childrens St Saint
    Holy Comprehensive Grammar Faith Academy Trust Unit Centre Day Pre Main Village Parish
    Local Main Current Previous New Old Second Big Little"""
)
_TITLES = frozenset({"Dr", "Mr", "Mrs", "Ms", "Miss", "Mx", "Prof", "Dr."})


class UkOrganizationRecognizer(UkRecognizer):
    """ "St Mary's C of E Primary School", "Oakfield Academy", "Northgate High School",
    "Kingsmead PRU", "Leeds City College", "Parkside Medical Centre", "Station Road Surgery",
    "Greenfields Family Hub", "St James's University Hospital": capitalised name words and an
    institution kind, marked whole.

    Not flagged: "the school", "the GP", "the surgery", "Children's Services", "CAMHS", "Early
    Help", "the Family Hub", "Police". Leading sentence-start words, roles and weekdays are
    trimmed ("Attended {Oakfield Academy}"); a name led by a title ("Dr Shah's Surgery") is a
    PERSON for the NER, not an organisation.
    """

    NAME = "uk_organization"
    ENTITIES = (PiiLabel.ORGANIZATION.value,)
    CONTEXT = ("school", "attends", "attended", "gp", "registered", "surgery", "nursery")
    RULES = (
        Rule(
            name="named_institution",
            regex=re.compile(rf"(?<![\w'’-])(?P<name>{_NAME})\s+(?:{_KIND})(?![\w'’])"),
            score=0.6,
        ),
    )

    def span(self, text: str, match: re.Match[str], rule: Rule) -> tuple[int, int] | None:
        start, end = match.span()
        name_end = match.end("name")
        words = text[start:name_end].split()
        if words and words[0] in _TITLES:
            return None
        for word in words:  # trim "Attended", "The", "Mum's" ... off the front
            if word not in NOT_NAME_WORDS or word in ("St", "St."):
                break
            start = text.index(word, start) + len(word)
            while start < name_end and not text[start].isalnum():
                start += 1
        name = text[start:name_end].split()
        if not name or all(w in _GENERIC or w in NOT_NAME_WORDS or w.islower() for w in name):
            return None
        if name[0].islower():
            return None
        return start, end
