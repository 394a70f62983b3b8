"""Street addresses: house or flat number, building, street and suffix, and maybe the town."""

from __future__ import annotations

import re

from casenotes.deid.recognizers._base import Rule, UkRecognizer, containing, finding
from casenotes.deid.recognizers._places import (
    BUILDING_KINDS,
    CAPITALISED_WORD,
    ESTATE_KINDS,
    FLAT_WORDS,
    FOREIGN_STREET_PREFIXES,
    FOREIGN_STREET_SUFFIXES,
    HUNGARIAN_STREET_KINDS,
    NAME_WORD,
    NOT_NAME_WORDS,
    STATE_CODES,
    STREET_SUFFIXES,
    past_leading_not_names,
    words,
)
from casenotes.records import PiiLabel


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


def _ending_in(words: tuple[str, ...], *, any_case: bool = True) -> str:
    """Just after any of ``words``, in any case unless told (one look-behind per word length)."""
    by_length: dict[int, list[str]] = {}
    for word in sorted(set(words)):
        by_length.setdefault(len(word), []).append(re.escape(word))
    flag = "?i:" if any_case else "?:"
    looks = (f"(?<=({flag}{'|'.join(group)}))" for _, group in sorted(by_length.items()))
    return f"(?:{'|'.join(looks)})"


_NUM = r"\d{1,4}[A-Za-z]?(?:\s?[-–]\s?\d{1,4}[A-Za-z]?)?"
_NAME = rf"{NAME_WORD}(?:\s+{NAME_WORD}){{0,2}}"
_STREET = rf"{_NUM},?\s+(?P<street>{_NAME})\s+(?:{_alternation(STREET_SUFFIXES)})\b"
_BUILDING = rf"{_NAME}\s+(?:{_alternation(BUILDING_KINDS)})\b"
_ESTATE = rf"{_NAME}\s+(?:{_alternation(ESTATE_KINDS)})\b"
_FLAT = rf"(?:{_alternation(FLAT_WORDS)})\.?\s+#?\d{{1,4}}[A-Za-z]?"
_SEP = r"\s*,?\s+"
# A town after the street: one or two comma-separated capitalised parts ("Harehills, Leeds",
# "Newcastle upon Tyne", "Stoke-on-Trent"), kept only when the last part ends the sentence or
# clause, or a postcode follows ("12 Station Road, Leeds." / "..., Leeds LS6 2AB").
# (no weekday, month or sentence word: "Wolverhampton {on Monday}" is a town and a time)
_NOT_TOWN_WORD = rf"(?!(?:{'|'.join(sorted(NOT_NAME_WORDS, key=len, reverse=True))})\b)"
_TOWN_WORD = rf"{_NOT_TOWN_WORD}{NAME_WORD}"
_TOWN_PART = (
    rf"{_TOWN_WORD}(?:\s+(?:upon|on|under|in|le|by|the)\s+{_TOWN_WORD}|\s+{_TOWN_WORD}){{0,2}}"
)
_TOWN = (
    rf"(?:,\s*(?P<town>{_TOWN_PART}(?:,\s*{_TOWN_PART})?)"
    r"(?=\s*(?:[.,;:)\]\n]|$|\s[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b)"
    r"|\s+(?:on|at|in|by|for|with|from|to|and|since|until|before|after)\s))?"
)
# An address block ending in a full UK postcode, its street given without a number or its
# building named: "Dial Street, Leeds LS9 7PJ", "The Old Vicarage, Castle Road, Kenilworth CV8
# 1NG", "Merrion House, 110 Merrion Centre, Leeds LS2 8BB", "48 Parkway, New Addington, Croydon
# CR0 0JA". It starts at a numbered piece, a street or building, or "The ..." (never at a person
# or a school before it) and runs over up to two more comma-separated pieces to the postcode,
# which is left to the postcode recognizer.
_POSTCODE_AFTER_BLOCK = r"[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}\b"
_LINE_NAME = rf"{NAME_WORD}(?:[ \t]+{NAME_WORD}){{0,2}}"  # on one line
_PIECE = rf"(?:{_NUM}[ \t]+)?{_LINE_NAME}"
_BEFORE_POSTCODE = (
    rf"(?<![\w/.:£$-])(?:{_NUM},?[ \t]+{_LINE_NAME}|{_LINE_NAME}[ \t]+"
    rf"(?:{_alternation(STREET_SUFFIXES + BUILDING_KINDS)})|The[ \t]+{_LINE_NAME})"
    rf"(?:,[ \t]*{_PIECE}){{0,2}}"
    rf"(?=[ \t]+{_POSTCODE_AFTER_BLOCK})"
)
# "no.7 Elm Close", "number 7 Elm Close": the house number's word goes with it
_HOUSE_WORD = r"(?:[Nn]o\.[ ]?|[Nn]o[ ]|[Nn]umber[ ])"
# A street typed in lower case, as fast notes are: "56 popple st", "flat 3, 41 cowper grove";
# its name words must not be sentence words ("5 times down the road")
_LOWER_SUFFIXES = (
    "road", "rd", "street", "st", "lane", "close", "avenue", "ave", "way", "crescent", "drive",
    "grove", "gardens", "place", "court", "terrace", "walk", "view", "row", "square", "mews",
    "parade", "rise",
)  # fmt: skip
_LOWER_SUFFIX = rf"[a-z] (?:{'|'.join(_LOWER_SUFFIXES)})\b"
_LOWER_STREET = (
    rf"(?<![\w/.:£$-])(?:(?:flat|apartment|room)[ ]\d{{1,4}}[a-z]?,?[ ]+)?(?:{_HOUSE_WORD})?"
    rf"\d{{1,4}}[a-z]?,?[ ]+(?P<lower_street>[a-z]+(?:[ ][a-z]+)?)[ ]"
    rf"(?:{'|'.join(_LOWER_SUFFIXES)})\b(?![\w-])"
)
# Foreign streets. A word of any script ("Søndergade", "Μεγάλη"); capitals are checked in code.
_LETTER = r"[^\W\d_]"
_UWORD = rf"{_LETTER}+(?:['’-]{_LETTER}+)*"
_HOUSE_NO = r"\d{1,5}[A-Za-z]?(?![\w/:-]|[.,]\d)"
_LEAD_NO = r"(?:(?<![\w/.:£$-])\d{1,5}\s+)?"  # "28245 Puruntie 82": a leading number too
# A word ending in a street suffix: the whole word is taken at once and its end looked at
# (the suffixes are letters, and a space follows), rather than trying every suffix at every
# letter of every word; look-behinds are of one width each, so one per suffix length.
_FOREIGN_SUFFIX = (
    rf"(?:{CAPITALISED_WORD}[ \t]+)?(?>{_LETTER}*){_ending_in(FOREIGN_STREET_SUFFIXES)}"
)
_FOREIGN_PREFIX = _alternation(FOREIGN_STREET_PREFIXES)
_FOREIGN = (
    rf"{_LEAD_NO}\b(?:{_FOREIGN_SUFFIX}\s+{_HOUSE_NO}"  # "Hammarvägen 15", "Villacher Strasse 89"
    rf"|(?:{_FOREIGN_PREFIX})\s+(?:{_UWORD}\s+){{1,4}}?{_HOUSE_NO}"  # "Rua do Arenque 1634"
    rf"|(?:{_UWORD}\s+){{1,3}}(?:{_alternation(HUNGARIAN_STREET_KINDS)})\s+\d{{1,4}}\.?"
    r"(?![\w/:-]|[.,]\d))"
)
# Every foreign street holds a street prefix word ("Rua", "Via") or ends a suffix or Hungarian
# kind just before spaces and a number ("...vej 13", "utca 5"). Prose has few numbers: looking
# behind each is far cheaper than trying the street patterns at every word (a necessary test).
_SPACE_DIGIT = re.compile(r"\s+\d")
_HUNGARIAN_KIND_ENDS = _ending_in(HUNGARIAN_STREET_KINDS, any_case=False)
_SUFFIX_OR_KIND_ENDS = re.compile(
    rf"(?:{_ending_in(FOREIGN_STREET_SUFFIXES)}|{_HUNGARIAN_KIND_ENDS})\Z"
)
_LONGEST_ENDING = max(len(w) for w in FOREIGN_STREET_SUFFIXES + HUNGARIAN_STREET_KINDS)


def _could_be_foreign(text: str) -> bool:
    if any(prefix in text for prefix in FOREIGN_STREET_PREFIXES):
        return True
    return any(
        _SUFFIX_OR_KIND_ENDS.search(text, max(0, m.start() - _LONGEST_ENDING), m.start())
        for m in _SPACE_DIGIT.finditer(text)
    )


# Number first: "12 rue de la Paix, Paris", "1812 Rue De La Gare", "137 Avenue Teboulbi".
_NOT_FLAT = rf"(?!(?:{_alternation(FLAT_WORDS)})\b)"
_FOREIGN_NUMBER_FIRST = (
    rf"{_LEAD_NO}(?<![\w/.:£$-])\d{{1,5}}\s+(?:{_FOREIGN_PREFIX}|rue|Avenue|Av\.)"
    rf"(?:[ \t]+{_NOT_FLAT}{_UWORD}){{1,5}}"
    rf"(?=[ \t]*(?:[,;)\n]|[.?!](?:\s|$)|$|(?:{_alternation(FLAT_WORDS)})\b))"
)
# Name then number, as in much of Europe ("Allika 46", "Præstevænget 15"): kept only when the
# block goes on with a flat, town or ZIP (see ``_tail_end``) and no word is a prose noun.
_NAME_NUMBER = (
    rf"{_LEAD_NO}\b(?:{CAPITALISED_WORD}[ \t]+){{1,3}}?\d{{1,5}}[A-Za-z]?(?![\w/:-]|[.,]\d)"
)
_NUMBERED_NOUNS = words(
    """Year Years Yr Section Sections Page Pages Room Flat Unit Suite Apt Apartment Week Weeks
    Day Days Level Stage Class Group Table Bus Route Gate Platform Junction Ward Bed Bay Door
    Number No Chapter Part Article Rule Tier Grade Key Box Act Schedule Para Paragraph Step
    Appendix Item Question Point Line Form Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec
    Age Aged Score Scored Session Sessions Visit Visits Term Terms Reg Ref Case Tel Mob Phone
    Dob DOB NHS UPN PC DC Officer Badge Count Total Minute Minutes Hour Hours Mark Marks"""
)
# Post-office boxes and US forces' mail ("PSC 1437, Box 3833, APO AA 66791").
# A Traveller site by name, a family's home: "Heath Common Site, Wakefield", "Fernhill Drive
# Travellers' Site" (not "building site", "Camp Site"; see _GENERIC_SITES)
_SITE = (
    rf"(?<![\w/.:£$-])(?P<site>{NAME_WORD}(?:\s+{NAME_WORD}){{0,2}})"
    r"(?:\s+(?:Travellers|Traveller|Gypsy|Caravan)['’]?)?\s+[Ss]ite\b" + _TOWN
)
_GENERIC_SITES = frozenset(
    {"Building", "Construction", "Camp", "Web", "Work", "Caravan", "Burial", "Bomb", "Test"}
)
_PO_BOX = r"\b(?:P\.?[ \t]?O\.?[ \t]?Box|Post[ \t]+Office[ \t]+Box)[ \t]+\d{1,6}\b"
_FORCES_MAIL = (
    r"\b(?i:(?:PSC|CMR|Unit)\s+\d{3,4},?\s+Box\s+\d{3,4}"
    rf"|(?:USNS|USNV|USS|USCGC)(?:\s+{NAME_WORD}){{1,2}})"
    r"\s*,?\s*(?i:APO|FPO|DPO)\s+(?i:AA|AE|AP)\s+\d{5}(?:-\d{4})?\b"
)
# After a street, the rest of an address block: flat or suite, town, state, country, ZIP, one
# piece at a time, separated by commas or line breaks ("..., Springfield, IL 62704",
# "\n Suite 282\n Domoszló\n Hungary 34796"). A UK postcode ends it (it is a POSTCODE).
_TAIL_SEP = re.compile(r"[ \t>]*(?:\n[ \t>]*)?(?:,[ \t]*)?(?:\n[ \t>]*)?")
# A piece runs to the next comma or line break, or to a sentence end (". " after a word).
_TAIL_PIECE = re.compile(r"[^,\n]*?(?=[ \t]*(?:[,\n;)]|(?<=\w{2})[.?!:](?:\s|$)|$))")
_UNIT_PIECE = re.compile(
    rf"(?:{_alternation(FLAT_WORDS)})\.?\s+#?\d{{1,5}}[A-Za-z]?|{_PO_BOX}", re.IGNORECASE
)
_ZIP_PIECE = re.compile(r"\d{4,5}(?:-\d{3,4})?|\d{3}[ -]\d{2}")
_PLACE_CONNECTORS = words(
    "de del der den la le les du da do dos das van von am im nad pod upon on in sur y i e u z "
    "the of"
)
MAX_TAIL_PIECES = 6
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
            regex=re.compile(
                rf"(?<![\w/.:£$-])(?:{_BUILDING}{_SEP})?(?:{_HOUSE_WORD})?{_STREET}{_TOWN}"
            ),
            score=0.6,
        ),
        Rule(
            name="address_lower_case_street",
            regex=re.compile(_LOWER_STREET),
            score=0.6,
            prefilter=finding(_LOWER_SUFFIX),
        ),
        Rule(
            name="address_before_postcode",
            regex=re.compile(_BEFORE_POSTCODE),
            score=0.6,
            prefilter=finding(_POSTCODE_AFTER_BLOCK),
        ),
        Rule(
            name="address_foreign_street",
            regex=re.compile(_FOREIGN),
            score=0.6,
            prefilter=_could_be_foreign,
        ),
        Rule(
            name="address_foreign_number_first",
            regex=re.compile(_FOREIGN_NUMBER_FIRST),
            score=0.6,
            prefilter=containing(*FOREIGN_STREET_PREFIXES, "rue", "Avenue", "Av."),
        ),
        Rule(name="address_name_number", regex=re.compile(_NAME_NUMBER), score=0.6),
        Rule(
            name="address_site",
            regex=re.compile(_SITE),
            score=0.6,
            prefilter=containing("Site", "site"),
        ),
        Rule(name="address_po_box", regex=re.compile(_PO_BOX, re.IGNORECASE), score=0.7),
        Rule(name="address_forces_mail", regex=re.compile(_FORCES_MAIL), score=0.85),
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
        lower_street = groups.get("lower_street")
        if lower_street and any(
            word in _LOWER_NOT_STREET or word.title() in NOT_NAME_WORDS
            for word in lower_street.split()
        ):
            return None  # "5 times down the road", "2 more days st"
        street = groups.get("street")
        if street and all(
            word in NOT_NAME_WORDS and word not in _STREET_ADJECTIVES for word in street.split()
        ):
            return None
        if rule.name == "address_site":
            site = [w for w in match.group("site").split() if w not in NOT_NAME_WORDS]
            if not site or all(w in _GENERIC_SITES for w in site):
                return None
        if rule.name == "address_name_number":
            name = [w for w in _words(text[start : match.end()]) if not w[0].isdigit()]
            if any(w in NOT_NAME_WORDS or w in _NUMBERED_NOUNS or not w[0].isupper() for w in name):
                return None
        if rule.name.startswith("address_foreign"):
            name = [w for w in _words(text[start:end]) if not w[0].isdigit()]
            if not name or not any(w[0].isupper() and w not in NOT_NAME_WORDS for w in name):
                return None  # "the 3 of us" / lower-case prose
        return self.ENTITIES[0]

    def span(self, text: str, match: re.Match[str], rule: Rule) -> tuple[int, int] | None:
        found = self._span(text, match, rule)
        if found is None:
            return None
        start, end = found
        # a building or block number before the house number: "{9816 214 Pavlou Drandaki}"; a
        # flat word before a number the street rule began with: "{Flat 32, Kestrel Court}"
        if text[start : start + 1].isdigit() and (
            lead := _LEADING_NUMBER.search(text, 0, start) or _FLAT_BEFORE.search(text, 0, start)
        ):
            start = lead.start()
        # a house's name before its number, after a label or "of"/"at": "of {The Old Forge, 3
        # Church Lane}", "Address: {Ivy Bank, 2 Mill Lane}" (not "visited Mum, 3 Mill Lane")
        if text[start : start + 1].isdigit() and (
            house := _HOUSE_NAME_BEFORE.search(text, max(0, start - 60), start)
        ):
            lead = house.start()
            while lead and text[lead - 1] in " \t":
                lead -= 1
            before = text[max(0, lead - 3) : lead]  # the end of what precedes: "\n", " of"
            words = house.group(1).split()
            if (not lead or before.endswith(_HOUSE_NAME_AFTER)) and not any(
                word in NOT_NAME_WORDS and word not in _STREET_ADJECTIVES and word != "The"
                for word in words
            ):
                start = house.start(1)
        return start, end

    def _span(self, text: str, match: re.Match[str], rule: Rule) -> tuple[int, int] | None:
        start, end = match.span()
        if rule.name.startswith("address_foreign") or rule.name == "address_name_number":
            start = _skip_lower_words(text, start, end)  # "on {Sludevej 13}"
        if rule.name == "address_site":  # "Visited {Heath Common Site}"
            start = past_leading_not_names(text, start, match.group("site"))
        if rule.name == "address_name_number":
            tail = _tail_end(text, end)
            return (start, tail) if tail > end else None
        town = match.groupdict().get("town")
        if town and town.split(",")[-1].strip().split()[0] in NOT_NAME_WORDS:
            end = match.start("town") - 1  # ", Mum." is not a town: stop before the comma
            while end > start and text[end - 1] in " ,":
                end -= 1
            return start, end
        return start, _tail_end(text, end)


# Sentence words that also name streets after a house number: "124 New Road", "3 Old Lane",
# "153 School Way", "2 Home Farm Close"
_STREET_ADJECTIVES = frozenset({"New", "Old", "School", "College", "Home", "Half"})
_LOWER_NOT_STREET = words(
    """the a an of to in on at by for and or up down from into over times time days day weeks
    week months month years year hours hour mins minutes more less other same main high new old
    his her their our my your its this that these those we they he she it is was are were"""
)
_FLAT_BEFORE = re.compile(rf"\b(?:{_alternation(FLAT_WORDS)})\.?[ ]$")
_LEADING_NUMBER = re.compile(r"(?<![\w,.:/-])\d{1,5}[ ]$")
_HOUSE_NAME_BEFORE = re.compile(
    r"((?:The[ \t]+)?[A-Z][a-z'’]+(?:[ \t]+[A-Z][a-z'’]+){0,2}),[ \t]*$"
)
_HOUSE_NAME_AFTER = ("\n", ":", "(", " of", " at", " to")


def _words(value: str) -> list[str]:
    return re.findall(r"[^\s,.;:()]+", value)


def _skip_lower_words(text: str, start: int, end: int) -> int:
    """Past leading words that cannot start a street: lower case or sentence words ("on", "The")."""
    for word in re.finditer(r"\S+", text[start:end]):
        value = word.group(0)
        if value[0].isdigit() or (value[0].isupper() and value not in NOT_NAME_WORDS):
            return start + word.start()
        if value in FOREIGN_STREET_PREFIXES or value in HUNGARIAN_STREET_KINDS:
            return start + word.start()
    return start


def _place_piece(piece: str) -> bool:
    """A town, region, country or state line, maybe with a ZIP: "Domoszló", "Hungary 34796",
    "IL 62704", "Cyprus (Greek) 51034", "Newcastle upon Tyne", "LAPPEENRANTA"."""
    tokens = piece.replace("(", " ").replace(")", " ").split()
    if tokens and _ZIP_PIECE.fullmatch(tokens[-1]):
        tokens = tokens[:-1]
    if not tokens or len(tokens) > 5:
        return False
    for index, token in enumerate(tokens):
        if index and token.lower() in _PLACE_CONNECTORS:
            continue
        if token in NOT_NAME_WORDS or not token[0].isupper():
            return False
        if not all(c.isalpha() or c in "'’-." for c in token):
            return False
    return True


def _tail_end(text: str, end: int) -> int:
    """Where an address block that starts with a street ends: past flat and suite numbers, then
    comma- or line-separated towns, states, countries and ZIP codes, one piece at a time."""
    for _ in range(MAX_TAIL_PIECES):
        separator = _TAIL_SEP.match(text, end)
        start = separator.end()
        if start == end or start >= len(text):
            break
        same_line = "," not in separator.group(0) and "\n" not in separator.group(0)
        unit = _UNIT_PIECE.match(text, start)
        if unit is not None and not text[unit.end() : unit.end() + 1].isalnum():
            end = unit.end()
            continue
        found = _TAIL_PIECE.match(text, start)
        piece = found.group(0).strip() if found else ""
        if not piece or text[found.end() : found.end() + 1] == ":":
            break  # nothing, or a form label: "12 Station Road\nName: Jay"
        if same_line:
            # on the same line with no comma only a US state and ZIP go on: "CO 80903"
            state, _, zip_code = piece.partition(" ")
            if state in STATE_CODES and _ZIP_PIECE.fullmatch(zip_code):
                end = start + len(found.group(0).rstrip())
            break
        if _ZIP_PIECE.fullmatch(piece) or _place_piece(piece):
            end = start + len(found.group(0).rstrip())
            continue
        break
    return end
