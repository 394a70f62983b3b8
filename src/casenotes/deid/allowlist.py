"""Words that look like personal data to a model but are not, and must never be redacted.

Role words (Mum, Dad, Nan, SW, YP), generic services (CAMHS, the GP, Police, Children's Services),
schemes, systems and brands ("Mind of My Own", Liquidlogic, Calpol, Roblox), legislation
("Children Act 1989", "Section 47"), weekdays, months on their own, and the abbreviations of
practice. spaCy's NER tags many of these as PERSON or ORG; a detection whose whole text is
allow-listed is dropped. Users add local terms in ``configs/deid.toml`` (``allow_list``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ROLE_WORDS = (
    "mum",
    "mummy",
    "mom",
    "mother",
    "dad",
    "daddy",
    "father",
    "nan",
    "nana",
    "nanna",
    "nanny",
    "gran",
    "granny",
    "grandma",
    "grandmother",
    "grandad",
    "granddad",
    "grandfather",
    "grandpa",
    "stepdad",
    "stepmum",
    "step-dad",
    "step-mum",
    "auntie",
    "aunty",
    "aunt",
    "uncle",
    "cousin",
    "sister",
    "brother",
    "sibling",
    "baby",
    "carer",
    "foster carer",
    "partner",
    "boyfriend",
    "girlfriend",
    "yp",
    "sw",
    "hv",
    "dsl",
    "sendco",
    "senco",
    "iro",
    "tm",
    "pa",
    "la",
    "fsw",
    "ehw",
    "m",
    "f",
    "c",
    "mgm",
    "mgf",
    "pgm",
    "pgf",
    "the child",
    "child",
    "young person",
    "social worker",
    "health visitor",
    "midwife",
    "team manager",
    "duty worker",
    "family support worker",
    "youth worker",
    "key worker",
    "teacher",
    "head teacher",
    "headteacher",
    "officer",
    "pc",
    "dc",
    "ds",
    "sgt",
    "manager",
    "advocate",
    "interpreter",
    "idva",
    "isva",
    # family words in the languages of England's communities, written as children say them
    "ammu",  # Bengali: mum
    "ammi",  # Urdu and Punjabi: mum
    "abba",  # Bengali and Urdu: dad
    "abbu",
    "dadi",  # Urdu and Punjabi: father's mother
    "nani",  # mother's mother
    "dada",
    "chacha",
    "chachi",
    "khala",
    "mamu",
    "baba",
    "mama",
    "tata",  # Polish: dad
    "babcia",  # Polish: grandmother
    "dziadek",
    "bunica",  # Romanian: grandmother
    "bunicul",
    "hooyo",  # Somali: mum
    "aabo",  # Somali: dad
    "ayeeyo",  # Somali: grandmother
    "awoowe",
)
SERVICES = (
    "camhs",
    "gp",
    "the gp",
    "police",
    "the police",
    "children's services",
    "childrens services",
    "children's social care",
    "social care",
    "social services",
    "early help",
    "mash",
    "csc",
    "lado",
    "cmht",
    "yot",
    "yjs",
    "youth offending team",
    "youth justice service",
    "nhs",
    "a&e",
    "a & e",
    "cafcass",
    "ofsted",
    "marac",
    "mappa",
    "iso",
    "the council",
    "council",
    "housing",
    "housing options",
    "the school",
    "school",
    "nursery",
    "college",
    "the family hub",
    "family hub",
    "children's centre",
    "health visiting",
    "school nurse",
    "the school nurse",
    "the hospital",
    "hospital",
    "dwp",
    "universal credit",
    "job centre",
    "jobcentre",
    "citizens advice",
    "women's aid",
    "barnardo's",
    "nspcc",
    "the prison",
    "probation",
    "the probation service",
    "sarc",
    "pru",
    "ehcp",
    "sen",
    "send",
    "cin",
    "cp",
    "cla",
    "lac",
    "pep",
    "taf",
    "eha",
    "icpc",
    "rcpc",
    "plo",
    "nfa",
    "rhi",
    "dash",
    "ppn",
    "cse",
    "cce",
    "nrm",
    "dv",
    "da",
    "mh",
    "sm",
    "fte",
    "pex",
    "neet",
    "mfh",
    "ta",
    "b&b",
    "asb",
    "abh",
    "gbh",
    "rui",
    "yro",
    "signs of safety",
    "core group",
    "working together",
    "working together 2023",
    "snapchat",
    "instagram",
    "tiktok",
    "facebook",
    "whatsapp",
    "universal services",
    "tesco",
    "asda",
    "aldi",
    "lidl",
)
ABBREVIATIONS = (  # practitioners' shorthand that NER and name cues mistake for names
    "dob",
    "d.o.b",
    "tel",
    "mob",
    "ref",
    "chn",
    "ptnr",
    "nxt",
    "wk",
    "mtg",
    "appt",
    "t/c",
    "tc",
    "f/u",
    "w/c",
    "aka",
    "re",
    "info",
    "nb",
    "n/a",
    "tbc",
    "asap",
    "eta",
    "ooh",
    "edt",
    "iro",
    "strat",
    "strat disc",
    "ehcp",
    "sdq",
    "asq",
    "bmi",
    "gcse",
    "gcses",
    "btec",
    "pe",
    "rhi",
    "txt",
    "cont",
    "rvw",
    "kids",
)
# Schemes, systems, apps and everyday brands of children's lives that read like names
THINGS = (
    "bookstart",
    "healthy start",
    "citizens advice",
    "border force",
    "mind of my own",
    "clare's law",
    "sarah's law",
    "philomena protocol",
    "moses basket",
    "liquidlogic",
    "mosaic",
    "eclipse",
    "bodycam",
    "teams",
    "microsoft teams",
    "zoom",
    "calpol",
    "roblox",
    "fortnite",
    "minecraft",
    "tiktok",
    "snapchat",
    "instagram",
    "whatsapp",
    "facebook",
    "youtube",
    "xbox",
    "playstation",
    "pokémon",
    "pokemon",
    "peppa pig",
    "zumba",
    "uno",
    # cars, named when a vehicle is described ("a grey Audi", "Vauxhall Corsa PN68 XRT"); makes
    # that are also names (Ford, Mercedes, Kia, Clio) are left out: a name must never be kept
    "audi",
    "bmw",
    "vauxhall",
    "corsa",
    "fiesta",
    "focus",
    "transit",
    "volkswagen",
    "vw",
    "golf",
    "polo",
    "toyota",
    "yaris",
    "nissan",
    "qashqai",
    "micra",
    "honda",
    "civic",
    "peugeot",
    "renault",
    "citroen",
    "hyundai",
    "skoda",
    "octavia",
    "fiat",
    "range rover",
    "land rover",
    "mini cooper",
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
LEGISLATION = re.compile(
    r"^(?:the\s+)?(?:(?:children|children and families|mental health|housing|education|care|"
    r"domestic abuse|adoption and children|crime and disorder|human rights|data protection|"
    r"equality|sexual offences|misuse of drugs|police and criminal evidence|modern slavery|"
    r"children and social work)\s+act(?:\s+(?:19|20)\d\d)?|"
    r"s(?:ection)?\.?\s*\d{1,3}[a-z]?(?:\(\d+\))?(?:\s+of\s+the\s+.+\s+act(?:\s+\d{4})?)?|"
    r"working together(?:\s+to safeguard children)?(?:\s+\d{4})?|pace|"
    r"public law outline|care order|supervision order|child arrangements order)$",
    re.IGNORECASE,
)
_DEFINITION = re.compile(
    r"((?:[A-Z][\w'’&-]*\s+(?:(?:of|and|for|the|&)\s+)*){1,6})\(([A-Z]{2,6})\)"
)
_SMALL_WORDS = frozenset({"of", "and", "for", "the", "&"})
# The last word of a defined service or role ("... Education Service (TES)"), never of a name
_SERVICE_NOUNS = frozenset(
    {"service", "services", "team", "unit", "panel", "conference", "partnership", "hub"}
    | {"centre", "center", "agency", "board", "trust", "project", "programme", "network"}
    | {"forum", "meeting", "order", "plan", "assessment", "officer", "worker", "coordinator"}
    | {"co-ordinator", "lead", "adviser", "advisor", "nurse", "visitor", "practitioner"}
)
_NORMALISE = re.compile(r"[\s\u00a0]+")
_POSSESSIVE = re.compile(r"['’]s$")
_WORD_BREAK = re.compile(r"[\s/&,]+")


def normalise(text: str) -> str:
    """Lower-case, single-spaced, without surrounding punctuation or a trailing possessive."""
    text = _NORMALISE.sub(" ", text).strip(" .,;:!?()[]\"'").lower()
    return _POSSESSIVE.sub("", text)


class AllowList:
    """Decides whether a detected span is a term that must stay."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        terms = {*ROLE_WORDS, *SERVICES, *ABBREVIATIONS, *THINGS, *WEEKDAYS, *MONTHS}
        terms.update(normalise(term) for term in extra)
        self.terms = frozenset(terms)
        # every word of every term: "Family", "Hub", "Health", "Contact", "Help"
        self.words = frozenset(word for term in terms for word in term.split())
        phrases = sorted((term for term in terms if " " in term), key=len, reverse=True)
        self._phrases = re.compile(
            r"(?<!\w)(?:"
            + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases)
            + r")(?!\w)",
            re.IGNORECASE,
        )

    def protected_spans(self, text: str) -> list[tuple[int, int]]:
        """Where a many-word term stands in ``text`` ("Mind of My Own", "Clare's Law"): a
        detection inside one is part of the term, not a name ("My Own", "Clare")."""
        return [match.span() for match in self._phrases.finditer(text)]

    @staticmethod
    def defined_acronyms(text: str) -> frozenset[str]:
        """Acronyms the note defines for a service: "Traveller Education Service (TES)" makes
        every later "TES" the service, not a person. The letters must be the initials of the
        capitalised words before the brackets (small words such as "of" and "and" skipped)."""
        found = set()
        for match in _DEFINITION.finditer(text):
            acronym = match.group(2)
            if match.group(1).split()[-1].lower() not in _SERVICE_NOUNS:
                continue  # "Jo Smith (JS)": a person's initials stay personal data
            initials = "".join(
                word[0] for word in match.group(1).split() if word.lower() not in _SMALL_WORDS
            )
            if initials.endswith(acronym):
                found.add(acronym)
        return frozenset(found)

    def allows(self, text: str) -> bool:
        """True if the whole span is an allow-listed term (so it must not be redacted)."""
        value = normalise(text)
        if not value:
            return True
        if value in self.terms or LEGISLATION.match(value):
            return True
        # "Mum's partner", "the YOT", "Nan (maternal)": every word a role or service word.
        words = [w for w in _WORD_BREAK.split(value) if w and w not in {"the", "and", "of"}]
        return bool(words) and all(normalise(w) in self.terms for w in words)
