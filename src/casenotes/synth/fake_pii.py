"""Fictional UK personal data for the synthetic corpus, each value with its gold annotation.

Every generator takes a ``random.Random`` and draws from it alone (never the global ``random``),
so a seed reproduces a corpus exactly, in any process: all pools are tuples with a fixed order,
never sets. Nothing here reads files or does work at import time.

API, in one paragraph: a generator whose whole result is one value of one label returns ``str``
(``nhs_number``, ``postcode``, ``phone_number``, ``first_name`` ...). A generator whose result is
only partly personal data, or holds more than one value, returns a :class:`Fragment`: the text and
its spans as :class:`ValueSpan` tuples ``(start, end, label)``, offsets into ``Fragment.text``.
Compose fragments with ``Fragment.concat``; place one in a note with ``Fragment.shifted(offset)``
or get gold records with ``Fragment.pii_spans(offset)``. Functions that write out a value they are
given take the value first and the generator second (``format_date(d, rng)``,
``age_phrase(14, rng)``, ``format_nhs(number, rng)``, ``nickname(first, rng)``); functions that
draw a new value take the generator first.
``fake(label, rng)`` gives a fragment for any :class:`~casenotes.records.PiiLabel` through one
entry point; its fragment always holds at least one span of that label.

Annotation decisions (they follow the conventions in DOMAIN.md and are what the gold corpus says):

- Spans never overlap or nest. The outermost identifier wins: an e-mail address or a profile URL
  that contains a name is one ``EMAIL_ADDRESS`` or ``USERNAME`` span; a school named after a saint
  ("St Mary's C of E Primary School") is one ``ORGANIZATION``. The one exception is a GP surgery
  known by its doctor ("Dr Shah's surgery"): only the name is marked (``PERSON``), as "surgery"
  on its own says nothing; the title and the possessive stay outside.
- Titles (Mr, Ms, Dr, DC) stay outside ``PERSON`` spans; so do label words before a value:
  "Mosaic ID {1234567}", "snap: {jaybaby07}", "CAD {1234 12/03/24}" mark the value only. The
  date inside a CAD log number is part of the reference, not a ``DATE`` of its own.
- ``AGE``: only the number ("aged {14}", "{14} years old", "{14}yo", "({14})"). For babies the
  number of months is marked the same way ("{8} months old"); the unit words stay outside.
- ``DATE`` / ``DATE_OF_BIRTH``: the date as written, in one of many layouts (:func:`format_date`).
  A weekday is not personal data, so :func:`format_date` never writes one; :func:`date_phrase`
  may put one in front ("Tuesday {12th March}"), outside the span.
- ``ADDRESS`` runs from the flat or house number to the town when there is one
  ("{Flat 3, Brunel House, 12 Station Road, Leeds}"); a postcode after it is its own ``POSTCODE``
  span. An estate named on its own ("the {Kingsmead Estate}") is a ``LOCATION``, with a lower-case
  "the" outside; so are parks, shopping centres and towns ("{Leeds} city centre").
- ``USERNAME``: a handle as written, with its "@" when it has one; a profile URL is marked whole.

Phone numbers: about half come from Ofcom's ranges reserved for drama (07700 900xxx,
01632 960xxx, 020 7946 0xxx, 0161 496 0xxx ...), the rest are random numbers of a valid shape,
so that recognizers are not tuned to the drama ranges. A random number may belong to someone;
it is never linked to anything real, and the corpus says it is synthetic.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, NamedTuple

from casenotes.identifiers import (
    LA_CODES,
    NINO_FIRST_LETTERS,
    NINO_SECOND_LETTERS,
    NINO_SUFFIXES,
    NINO_UNALLOCATED_PREFIXES,
    UPN_ALPHABET,
    nhs_check_digit,
    normalise_nhs,
    normalise_nino,
    upn_check_letter,
)
from casenotes.records import PiiLabel, PiiSpan

Sex = Literal["female", "male"]
SEXES: tuple[Sex, ...] = ("female", "male")

# A fixed "today" so that ages and dates of birth do not depend on when the corpus is built.
REFERENCE_DATE = dt.date(2024, 4, 1)


# --------------------------------------------------------------------------------------------------
# Fragment


class ValueSpan(NamedTuple):
    """Where one value sits in a fragment; unpacks as ``start, end, label``."""

    start: int
    end: int
    label: PiiLabel


@dataclass(frozen=True, slots=True)
class Fragment:
    """A piece of text and the personal data in it: sorted, non-overlapping spans.

    Every span covers a non-empty value with no whitespace at either end. Validation happens here,
    so a generator bug fails where it is made rather than as a shifted offset in a corpus.
    """

    text: str
    spans: tuple[ValueSpan, ...] = ()

    def __post_init__(self) -> None:
        spans = sorted(ValueSpan(start, end, PiiLabel(label)) for start, end, label in self.spans)
        object.__setattr__(self, "spans", tuple(spans))
        previous_end = 0
        for span in self.spans:
            if not 0 <= span.start < span.end <= len(self.text):
                raise ValueError(
                    f"fragment span {span.start}-{span.end} is empty or runs past the text"
                )
            if span.start < previous_end:
                raise ValueError(f"fragment spans overlap at offset {span.start}")
            value = self.text[span.start : span.end]
            if value != value.strip():
                raise ValueError(f"fragment span {span.start}-{span.end} has outer whitespace")
            previous_end = span.end

    @classmethod
    def whole(cls, text: str, label: PiiLabel) -> Fragment:
        """A fragment that is one value from end to end."""
        return cls(text, (ValueSpan(0, len(text), label),))

    @classmethod
    def concat(cls, *parts: str | Fragment) -> Fragment:
        """Join plain text (not personal data) and fragments, shifting the fragments' spans."""
        text: list[str] = []
        spans: list[ValueSpan] = []
        offset = 0
        for part in parts:
            if isinstance(part, Fragment):
                spans.extend(part.shifted(offset))
                part_text = part.text
            else:
                part_text = part
            text.append(part_text)
            offset += len(part_text)
        return cls("".join(text), tuple(spans))

    def shifted(self, offset: int) -> tuple[ValueSpan, ...]:
        """The spans as they fall when this fragment starts at ``offset`` in a longer text."""
        return tuple(ValueSpan(s.start + offset, s.end + offset, s.label) for s in self.spans)

    def pii_spans(self, offset: int = 0) -> tuple[PiiSpan, ...]:
        """The spans as gold :class:`~casenotes.records.PiiSpan` records, shifted by ``offset``."""
        return tuple(PiiSpan(s.start, s.end, s.label) for s in self.shifted(offset))

    @property
    def labels(self) -> tuple[PiiLabel, ...]:
        return tuple(span.label for span in self.spans)


# --------------------------------------------------------------------------------------------------
# Names
#
# Pools by heritage, to reflect the mix of names in English cities: children born in the 2000s and
# 2010s and their parents, born from the 1970s. Names that are also ordinary English words (Hope,
# Mason, Rose, Brooke) appear at about the rate they do in birth registrations; they are listed in
# NAMES_THAT_ARE_WORDS, which tests and evaluation use to measure recall on them separately.

# fmt: off
_WHITE_BRITISH_FEMALE = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Lily", "Isabella", "Rosie", "Sophia", "Freya",
    "Florence", "Emily", "Ella", "Evie", "Elsie", "Charlotte", "Evelyn", "Sienna", "Phoebe",
    "Harper", "Millie", "Matilda", "Isabelle", "Alice", "Sophie", "Erin", "Chloe", "Jessica",
    "Lucy", "Megan", "Ellie", "Lacey", "Courtney", "Chelsea", "Kayleigh", "Demi", "Leah", "Paige",
    "Shannon", "Tia", "Keira", "Kelsey", "Tiffany", "Stacey", "Danielle", "Gemma", "Kerry", "Donna",
    "Tracey", "Michelle", "Lisa", "Claire", "Sarah", "Rebecca", "Laura", "Hannah", "Bethany",
    "Natalie", "Kimberley", "Leanne", "Samantha", "Zoe", "Amy", "Abigail", "Scarlett", "Maisie",
    "Lexi", "Lola", "Mollie", "Kelly", "Nicola", "Joanne", "Emma", "Victoria", "Louise", "Kirsty",
    "Charlene", "Jodie", "Carly", "Sharon", "Karen", "Mandy", "Elizabeth", "Alexandra", "Harriet",
    # names that are also words
    "Grace", "Hope", "Summer", "Faith", "Joy", "Rose", "Brooke", "Sky", "Ruby", "Amber", "Jade",
    "Holly", "Ivy", "Daisy", "Poppy", "Willow", "Autumn", "Harmony", "Honey", "Dawn", "Star",
    "Destiny", "Angel",
)
_WHITE_BRITISH_MALE = (
    "Oliver", "George", "Noah", "Arthur", "Harry", "Leo", "Charlie", "Oscar", "Jacob", "Henry",
    "Thomas", "Freddie", "Alfie", "Theo", "William", "Theodore", "Archie", "Joshua", "Alexander",
    "James", "Isaac", "Edward", "Lucas", "Tommy", "Finley", "Max", "Logan", "Ethan", "Teddy",
    "Benjamin", "Arlo", "Joseph", "Harrison", "Elijah", "Adam", "Daniel", "Samuel", "Louie",
    "Reuben", "Albie", "Rory", "Jaxon", "Hugo", "Luca", "Zachary", "Reggie", "Louis", "Dylan",
    "Jude", "Frankie", "Toby", "Riley", "Ronnie", "Frederick", "Stanley", "Bobby", "Jenson", "Kai",
    "Jayden", "Tyler", "Kyle", "Callum", "Liam", "Bradley", "Jordan", "Ryan", "Kieran", "Brandon",
    "Nathan", "Lewis", "Jamie", "Reece", "Corey", "Shane", "Wayne", "Darren", "Lee", "Dean",
    "Craig", "Gary", "Paul", "Steven", "Jason", "Scott", "Stuart", "Carl", "Kayden", "Bailey",
    "Cody", "Harvey", "Cameron", "Christopher", "Matthew", "Michael", "Anthony", "Robert", "Connor",
    # names that are also words
    "Mason", "Hunter", "Carter", "Bill", "Frank", "Rocky", "Chase", "Miles", "Guy", "Will", "Jack",
    "Mark", "Drew", "Cole", "Ray", "Sonny", "Ace",
)
_SOUTH_ASIAN_FEMALE = (
    "Aisha", "Fatima", "Maryam", "Zainab", "Amina", "Hafsa", "Khadija", "Noor", "Zara", "Inaya",
    "Anaya", "Priya", "Simran", "Harleen", "Jasleen", "Gurpreet", "Manpreet", "Shabana", "Nazia",
    "Sadia", "Rukhsana", "Farzana", "Tasnim", "Sana", "Ayesha", "Hina", "Anjali", "Pooja", "Riya",
    "Kiran", "Nasreen", "Samina", "Parveen",
)
_SOUTH_ASIAN_MALE = (
    "Mohammed", "Muhammad", "Mohammad", "Ahmed", "Ali", "Hassan", "Hussain", "Ibrahim", "Yusuf",
    "Zayn", "Ayaan", "Rayyan", "Hamza", "Bilal", "Imran", "Tariq", "Asif", "Shahid", "Zubair",
    "Arjun", "Rohan", "Aarav", "Harjit", "Gurdeep", "Jaspreet", "Sukhdeep", "Rajesh", "Sanjay",
    "Vikram", "Faisal", "Usman", "Adnan", "Kamran", "Waqas", "Junaid", "Nadeem",
)
_BLACK_FEMALE = (
    "Amara", "Chidinma", "Adaeze", "Ngozi", "Chiamaka", "Favour", "Abena", "Esi", "Adwoa", "Folake",
    "Funmilayo", "Temitope", "Ifeoma", "Nia", "Shanice", "Latoya", "Keisha", "Tanisha", "Shantelle",
    "Marcia", "Imani", "Ayanna", "Hodan", "Sagal", "Hibo", "Ifrah",
    # names that are also words
    "Blessing", "Precious", "Patience", "Mercy", "Comfort",
)
_BLACK_MALE = (
    "Chinedu", "Emeka", "Obinna", "Oluwaseun", "Tobi", "Tunde", "Femi", "Kwame", "Kofi", "Kwabena",
    "Yaw", "Kojo", "Emmanuel", "Godwin", "Marcus", "Tyrone", "Jermaine", "Dwayne", "Leon", "Andre",
    "Delroy", "Winston", "Darnell", "Malachi", "Omari", "Kadeem", "Abdi", "Abdirahman", "Mahad",
    "Liban", "Guled", "Divine",
)
_EASTERN_EUROPEAN_FEMALE = (
    "Zuzanna", "Julia", "Natalia", "Agnieszka", "Katarzyna", "Magdalena", "Oliwia", "Wiktoria",
    "Lena", "Aleksandra", "Ioana", "Andreea", "Elena", "Alina", "Daria", "Anastasia", "Simona",
    "Gabriela", "Klaudia", "Milena",
)
_EASTERN_EUROPEAN_MALE = (
    "Jakub", "Kacper", "Szymon", "Filip", "Mateusz", "Piotr", "Tomasz", "Krzysztof", "Michal",
    "Bartosz", "Marek", "Andrei", "Ionut", "Florin", "Mihai", "Bogdan", "Dmitri", "Oleksandr",
    "Artem", "Lukas", "Tomas", "Dominik", "Patryk",
)
_IRISH_FEMALE = (
    "Aoife", "Niamh", "Siobhan", "Roisin", "Ciara", "Orla", "Saoirse", "Caoimhe", "Sinead",
    "Bridget", "Mairead", "Aisling",
)
_IRISH_MALE = (
    "Sean", "Cian", "Oisin", "Ciaran", "Padraig", "Eoin", "Fionn", "Darragh", "Conor", "Niall",
    "Ronan", "Colm", "Dermot", "Seamus", "Patrick",
)
_ARABIC_FEMALE = (
    "Layla", "Yasmin", "Rania", "Huda", "Salma", "Reem", "Lina", "Dalia", "Hana", "Amira", "Zahra",
    "Marwa", "Asma", "Mariam",
)
_ARABIC_MALE = (
    "Omar", "Karim", "Khalid", "Youssef", "Ahmad", "Mustafa", "Mahmoud", "Abdullah", "Samir",
    "Walid", "Rami", "Jamal", "Nabil", "Idris", "Zakariya",
)
_EAST_ASIAN_FEMALE = (
    "Mei", "Xinyi", "Jing", "Ling", "Wen", "Yan", "Linh", "Ngoc", "Thao", "Trang", "Huong", "Anh",
)
_EAST_ASIAN_MALE = (
    "Wei", "Jun", "Hao", "Ming", "Jian", "Zhi", "Minh", "Duc", "Quang", "Tuan", "Huy", "Nam",
)

_WHITE_BRITISH_SURNAMES = (
    "Smith", "Jones", "Williams", "Taylor", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "Edwards", "Hughes", "Hall", "Lewis",
    "Harris", "Clarke", "Jackson", "Turner", "Martin", "Cooper", "Ward", "Morris", "Moore", "Clark",
    "Lee", "Harrison", "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis", "Parker",
    "Price", "Bennett", "Griffiths", "Mitchell", "Carter", "Richardson", "Bailey", "Collins",
    "Shaw", "Miller", "Cox", "Richards", "Marshall", "Anderson", "Simpson", "Ellis", "Adams",
    "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Matthews", "Owen",
    "Palmer", "Holmes", "Barnes", "Lloyd", "Butler", "Russell", "Fisher", "Stevens", "Jenkins",
    "Dixon", "Fletcher", "Howard", "Armstrong", "Booth", "Pearson", "Nash", "Kemp", "Hewitt",
    "Atkinson", "Greenwood", "Sutcliffe", "Hargreaves", "Ackroyd",
    # surnames that are also words
    "Brown", "White", "Green", "Young", "King", "Baker", "Wood", "Hill", "Bell", "Cook", "Mason",
    "Hunter", "Mills", "Knight", "Stone", "Fox", "Rose", "Hope", "Bird", "Little", "Lamb", "Marsh",
    "Black", "Field", "Frost", "Page",
)
_SOUTH_ASIAN_SURNAMES = (
    "Patel", "Khan", "Ali", "Hussain", "Begum", "Ahmed", "Singh", "Kaur", "Akhtar", "Mahmood",
    "Iqbal", "Shah", "Rahman", "Islam", "Uddin", "Miah", "Chowdhury", "Sharma", "Kumar", "Gill",
    "Sandhu", "Dhillon", "Mistry", "Parmar", "Chauhan", "Bibi", "Butt", "Malik", "Qureshi",
    "Siddiqui", "Sheikh", "Raza", "Mirza", "Anwar", "Bashir", "Javed", "Rashid", "Nawaz",
)
_BLACK_SURNAMES = (
    "Okafor", "Okonkwo", "Adeyemi", "Adebayo", "Okoro", "Eze", "Nwosu", "Obi", "Mensah", "Asante",
    "Boateng", "Owusu", "Osei", "Appiah", "Ogunleye", "Balogun", "Afolabi", "Olawale", "Campbell",
    "Francis", "Grant", "Gordon", "Henry", "Reid", "Stewart", "McKenzie", "Samuels", "Mohamed",
    "Farah", "Abdi", "Warsame", "Jama", "Osman", "Banda", "Phiri",
)
_EASTERN_EUROPEAN_SURNAMES = (
    "Nowak", "Kowalski", "Wisniewski", "Wojcik", "Kowalczyk", "Kaminski", "Lewandowski",
    "Zielinski", "Szymanski", "Wozniak", "Dabrowski", "Kozlowski", "Popescu", "Ionescu", "Popa",
    "Dumitru", "Stoica", "Gheorghe", "Horvath", "Kovacs", "Petrov", "Novak", "Kazlauskas",
    "Berzins", "Shevchenko", "Kovalenko",
)
_IRISH_SURNAMES = (
    "Murphy", "Kelly", "O'Brien", "O'Sullivan", "O'Connor", "Byrne", "Ryan", "Walsh", "McCarthy",
    "Doherty", "Gallagher", "Kennedy", "Lynch", "Quinn", "Brennan", "Flynn", "Reilly", "O'Neill",
    "McDonagh", "Connors", "Doyle", "Keane", "Nolan", "Fitzgerald", "Maughan",
)
_ARABIC_SURNAMES = (
    "Hassan", "Hussein", "Abdullah", "Ibrahim", "Saleh", "Haddad", "Khalil", "Nasser", "Mansour",
    "Al-Amin", "Al-Sayed", "Yousef", "Omar", "Karim", "Aziz", "Farouk", "Mustafa", "Darwish",
    "Hamdan",
)
_EAST_ASIAN_SURNAMES = (
    "Chen", "Wang", "Li", "Zhang", "Liu", "Wong", "Chan", "Lam", "Cheung", "Ng", "Ho", "Leung",
    "Yang", "Huang", "Zhou", "Wu", "Lin", "Tang", "Nguyen", "Tran", "Pham", "Le", "Hoang", "Vu",
    "Dang",
)
# fmt: on


@dataclass(frozen=True, slots=True)
class _Heritage:
    name: str
    weight: float
    female: tuple[str, ...]
    male: tuple[str, ...]
    surnames: tuple[str, ...]


# Weights: a rough mix for the English cities the corpus imitates (Census 2021 ethnic groups of
# children, urban authorities), not the country as a whole.
_HERITAGES: tuple[_Heritage, ...] = (
    _Heritage(
        "white_british", 0.58, _WHITE_BRITISH_FEMALE, _WHITE_BRITISH_MALE, _WHITE_BRITISH_SURNAMES
    ),
    _Heritage("south_asian", 0.14, _SOUTH_ASIAN_FEMALE, _SOUTH_ASIAN_MALE, _SOUTH_ASIAN_SURNAMES),
    _Heritage("black", 0.09, _BLACK_FEMALE, _BLACK_MALE, _BLACK_SURNAMES),
    _Heritage(
        "eastern_european",
        0.07,
        _EASTERN_EUROPEAN_FEMALE,
        _EASTERN_EUROPEAN_MALE,
        _EASTERN_EUROPEAN_SURNAMES,
    ),
    _Heritage("irish", 0.04, _IRISH_FEMALE, _IRISH_MALE, _IRISH_SURNAMES),
    _Heritage("arabic", 0.04, _ARABIC_FEMALE, _ARABIC_MALE, _ARABIC_SURNAMES),
    _Heritage("east_asian", 0.04, _EAST_ASIAN_FEMALE, _EAST_ASIAN_MALE, _EAST_ASIAN_SURNAMES),
)
_HERITAGE_WEIGHTS = tuple(h.weight for h in _HERITAGES)


def _unique(*pools: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for pool in pools for name in pool))


FIRST_NAMES: Mapping[Sex, tuple[str, ...]] = MappingProxyType(
    {
        "female": _unique(*(h.female for h in _HERITAGES)),
        "male": _unique(*(h.male for h in _HERITAGES)),
    }
)
SURNAMES: tuple[str, ...] = _unique(*(h.surnames for h in _HERITAGES))

# fmt: off
NAMES_THAT_ARE_WORDS: frozenset[str] = frozenset(
    {
        # first names
        "Grace", "Hope", "Summer", "Faith", "Joy", "Rose", "Brooke", "Sky", "Ruby", "Amber", "Jade",
        "Holly", "Ivy", "Lily", "Daisy", "Poppy", "Willow", "Autumn", "Harmony", "Honey", "Dawn",
        "Star", "Destiny", "Angel", "Blessing", "Precious", "Patience", "Mercy", "Comfort",
        "Favour", "Divine", "Mason", "Hunter", "Carter", "Bill", "Frank", "Rocky", "Chase", "Miles",
        "Guy", "Will", "Jack", "Mark", "Drew", "Cole", "Ray", "Sonny", "Ace", "Max", "Teddy",
        "Bobby", "Dean", "Lee",
        # surnames
        "Smith", "Brown", "White", "Green", "Young", "King", "Baker", "Wood", "Hill", "Hall",
        "Bell", "Cook", "Mills", "Knight", "Stone", "Fox", "Bird", "Little", "Lamb", "Marsh",
        "Black", "Field", "Frost", "Page", "Cooper", "Ward", "Price", "Butler", "Fisher", "Grant",
        "Gill", "Butt", "Lynch", "Booth", "Turner", "Gray", "Walker", "Wright", "Martin",
    }
)
# fmt: on

# Short forms people are called by in notes. Every key is in FIRST_NAMES.
NICKNAMES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "Jayden": ("Jay", "JJ"),
        "Kayden": ("Kay",),
        "Courtney": ("Court",),
        "Alexander": ("Alex", "Xander"),
        "Alexandra": ("Alex", "Lexi"),
        "Mohammed": ("Mo", "Moe"),
        "Muhammad": ("Mo",),
        "Mohammad": ("Mo",),
        "Christopher": ("Chris",),
        "Joshua": ("Josh",),
        "Jacob": ("Jake",),
        "Samuel": ("Sam", "Sammy"),
        "Samantha": ("Sam", "Sammie"),
        "Daniel": ("Dan", "Danny"),
        "Danielle": ("Dani",),
        "Thomas": ("Tom",),
        "William": ("Will", "Billy"),
        "Benjamin": ("Ben",),
        "James": ("Jim", "Jimmy"),
        "Joseph": ("Joe", "Joey"),
        "Matthew": ("Matt",),
        "Michael": ("Mike", "Mikey"),
        "Nathan": ("Nate",),
        "Anthony": ("Ant", "Tony"),
        "Robert": ("Rob", "Robbie", "Bob"),
        "Frederick": ("Fred", "Freddie"),
        "Theodore": ("Theo", "Teddy"),
        "Edward": ("Ed", "Eddie"),
        "Zachary": ("Zach",),
        "Callum": ("Cal",),
        "Cameron": ("Cam",),
        "Tyler": ("Ty",),
        "Bradley": ("Brad",),
        "Connor": ("Con",),
        "Steven": ("Steve",),
        "Gary": ("Gaz",),
        "Darren": ("Daz",),
        "Elizabeth": ("Liz", "Lizzie", "Beth"),
        "Rebecca": ("Becca", "Becky"),
        "Jessica": ("Jess",),
        "Victoria": ("Vicky", "Tori"),
        "Charlotte": ("Lottie", "Charlie"),
        "Natalie": ("Nat",),
        "Abigail": ("Abbie", "Abi"),
        "Isabella": ("Bella", "Izzy"),
        "Isabelle": ("Izzy",),
        "Olivia": ("Liv", "Livvy"),
        "Kimberley": ("Kim",),
        "Nicola": ("Nicky",),
        "Kelly": ("Kel", "Kelz"),
        "Kelsey": ("Kels",),
        "Shannon": ("Shan",),
        "Sharon": ("Shaz",),
        "Karen": ("Kaz",),
        "Kerry": ("Kez",),
        "Bethany": ("Beth",),
        "Megan": ("Meg",),
        "Matilda": ("Tilly",),
        "Florence": ("Flo",),
        "Siobhan": ("Shiv",),
        "Oluwaseun": ("Seun",),
        "Temitope": ("Temi", "Tope"),
        "Funmilayo": ("Funmi",),
        "Chidinma": ("Dinma",),
        "Obinna": ("Obi",),
        "Emmanuel": ("Manny",),
        "Oleksandr": ("Sasha",),
        "Dmitri": ("Dima",),
        "Katarzyna": ("Kasia",),
        "Aleksandra": ("Ola",),
        "Agnieszka": ("Aga",),
        "Magdalena": ("Magda",),
        "Jakub": ("Kuba",),
        "Tomasz": ("Tomek",),
        "Bartosz": ("Bartek",),
        "Ibrahim": ("Ibby",),
        "Abdirahman": ("Abdi",),
        "Khadija": ("Dija",),
        "Gurpreet": ("Preet",),
        "Rajesh": ("Raj",),
        "Sukhdeep": ("Sukh",),
        "Kamran": ("Kam",),
        "Malachi": ("Kai",),
        "Patrick": ("Paddy", "Pat"),
    }
)

_TITLES: Mapping[Sex, tuple[str, ...]] = MappingProxyType(
    {"female": ("Ms", "Mrs", "Miss", "Dr", "DC", "PC"), "male": ("Mr", "Mr", "Dr", "DC", "PC")}
)


def _sex(rng: random.Random, sex: Sex | None) -> Sex:
    return sex if sex is not None else rng.choice(SEXES)


HERITAGES: tuple[str, ...] = tuple(h.name for h in _HERITAGES)
_HERITAGE_BY_NAME: Mapping[str, _Heritage] = MappingProxyType({h.name: h for h in _HERITAGES})


def _heritage(rng: random.Random, name: str | None = None) -> _Heritage:
    if name is not None:
        return _HERITAGE_BY_NAME[name]
    return rng.choices(_HERITAGES, weights=_HERITAGE_WEIGHTS)[0]


def first_name(rng: random.Random, sex: Sex | None = None, heritage: str | None = None) -> str:
    """A first name from ``heritage`` (one of :data:`HERITAGES`), else one drawn at the
    corpus's population weights."""
    heritage = _heritage(rng, heritage)
    pool = heritage.female if _sex(rng, sex) == "female" else heritage.male
    return rng.choice(pool)


def _maybe_double_barrelled(rng: random.Random, name: str) -> str:
    if rng.random() < 0.05:
        other = rng.choice(_heritage(rng).surnames)
        if other != name and "-" not in name + other:
            return f"{name}-{other}"
    return name


def surname(rng: random.Random, heritage: str | None = None) -> str:
    """A surname (from ``heritage`` if given); about one in twenty is double-barrelled
    ("Smith-Okafor")."""
    return _maybe_double_barrelled(rng, rng.choice(_heritage(rng, heritage).surnames))


def full_name(rng: random.Random, sex: Sex | None = None) -> str:
    """First name and surname, usually of the same heritage, sometimes mixed."""
    sex = _sex(rng, sex)
    heritage = _heritage(rng)
    first = rng.choice(heritage.female if sex == "female" else heritage.male)
    surnames = heritage.surnames if rng.random() < 0.85 else _heritage(rng).surnames
    return f"{first} {_maybe_double_barrelled(rng, rng.choice(surnames))}"


def nickname(first: str, rng: random.Random) -> str | None:
    """A short form of ``first`` ("Jayden" -> "Jay" or "JJ"), or ``None`` if it has none."""
    forms = NICKNAMES.get(first)
    return rng.choice(forms) if forms else None


def titled_name(rng: random.Random, sex: Sex | None = None) -> Fragment:
    """A surname after a title ("Mr Smith", "Ms A Okafor", "DC Patel"); the title stays outside
    the ``PERSON`` span."""
    sex = _sex(rng, sex)
    title = rng.choice(_TITLES[sex])
    name = surname(rng)
    if rng.random() < 0.3:
        name = f"{first_name(rng, sex)[0]} {name}"
    return Fragment.concat(f"{title} ", Fragment.whole(name, PiiLabel.PERSON))


def person(rng: random.Random, sex: Sex | None = None) -> Fragment:
    """A person as a note might name them: full name, first name, nickname or title and surname."""
    roll = rng.random()
    if roll < 0.4:
        return Fragment.whole(full_name(rng, sex), PiiLabel.PERSON)
    if roll < 0.75:
        return Fragment.whole(first_name(rng, sex), PiiLabel.PERSON)
    if roll < 0.85:
        first = first_name(rng, sex)
        return Fragment.whole(nickname(first, rng) or first, PiiLabel.PERSON)
    return titled_name(rng, sex)


# --------------------------------------------------------------------------------------------------
# Dates and ages

# fmt: off
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)
# fmt: on

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAY_SHORT = ("Mon", "Tues", "Weds", "Thurs", "Fri", "Sat", "Sun")


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


# Layouts with a year, then without. English month names are written out here rather than taken
# from strftime, whose names depend on the locale.
_DATE_LAYOUTS: tuple[Callable[[dt.date], str], ...] = (
    lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",  # 12/03/2015
    lambda d: f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}",  # 12/03/15
    lambda d: f"{d.day}/{d.month}/{d.year % 100:02d}",  # 12/3/15
    lambda d: f"{d.day:02d}.{d.month:02d}.{d.year % 100:02d}",  # 12.03.15
    lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}",  # 12-03-2015
    lambda d: f"{_ordinal(d.day)} {MONTHS[d.month - 1]} {d.year}",  # 12th March 2015
    lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",  # 12 March 2015
    lambda d: f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}",  # 12 Mar 2015
    lambda d: f"{MONTHS[d.month - 1]} {_ordinal(d.day)} {d.year}",  # March 12th 2015
    lambda d: d.isoformat(),  # 2015-03-12
)
_DATE_LAYOUTS_NO_YEAR: tuple[Callable[[dt.date], str], ...] = (
    lambda d: f"{_ordinal(d.day)} {MONTHS[d.month - 1]}",  # 12th March
    lambda d: f"{d.day} {MONTHS[d.month - 1][:3]}",  # 12 Mar
    lambda d: f"{d.day:02d}/{d.month:02d}",  # 12/03
    lambda d: f"{d.day}/{d.month}",  # 12/3
)


def format_date(d: dt.date, rng: random.Random, *, with_year: bool = True) -> str:
    """``d`` in one of the layouts practitioners write; never with a weekday (see date_phrase).

    With a year: "12/03/2015", "12/03/15", "12/3/15", "12.03.15", "12-03-2015", "12th March 2015",
    "12 March 2015", "12 Mar 2015", "March 12th 2015", "2015-03-12". Without: "12th March",
    "12 Mar", "12/03", "12/3".
    """
    layouts = _DATE_LAYOUTS if with_year else _DATE_LAYOUTS_NO_YEAR
    return rng.choice(layouts)(d)


def date_phrase(
    d: dt.date,
    rng: random.Random,
    *,
    label: PiiLabel = PiiLabel.DATE,
    weekday: bool | None = None,
    with_year: bool | None = None,
) -> Fragment:
    """A date as written in a note, maybe after its weekday ("Tuesday 12th March").

    Only the date is in the span: a weekday is not personal data. ``None`` for an option decides
    at random: a weekday one time in four; a year nine times in ten, or half the time after a
    weekday. For a date of birth pass ``with_year=True``.
    """
    if weekday is None:
        weekday = rng.random() < 0.25
    if with_year is None:
        with_year = rng.random() < (0.5 if weekday else 0.9)
    value = format_date(d, rng, with_year=with_year)
    if not weekday:
        return Fragment.whole(value, label)
    day_name = rng.choice((WEEKDAYS, _WEEKDAY_SHORT))[d.weekday()]
    separator = rng.choice((" ", " ", ", "))
    return Fragment.concat(f"{day_name}{separator}", Fragment.whole(value, label))


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A day between ``start`` and ``end`` inclusive, uniformly."""
    if end < start:
        raise ValueError("random_date needs start <= end")
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def date_of_birth(
    rng: random.Random,
    *,
    min_age: int = 0,
    max_age: int = 17,
    on: dt.date = REFERENCE_DATE,
) -> dt.date:
    """A birth date for someone aged ``min_age`` to ``max_age`` (whole years) on the date ``on``."""
    if not 0 <= min_age <= max_age:
        raise ValueError("date_of_birth needs 0 <= min_age <= max_age")
    latest = _years_before(on, min_age)
    earliest = _years_before(on, max_age + 1) + dt.timedelta(days=1)
    return random_date(rng, earliest, latest)


def age_on(birth: dt.date, on: dt.date = REFERENCE_DATE) -> int:
    """Age in whole years on the date ``on``."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# fmt: off
_AGE_YEAR_FORMS = (
    "aged {}", "age {}", "{} years old", "{} year old", "{}-year-old", "{}yo", "{} y/o", "{}yrs",
    "({})", "{} yrs old",
)
# fmt: on

_AGE_MONTH_FORMS = ("{} months old", "aged {} months", "{}-month-old", "{} mths")


def age_phrase(age: int, rng: random.Random) -> Fragment:
    """``age`` (whole years) as written in a note; only the number is marked ``AGE``.

    "aged 14", "14 years old", "14yo", "14 y/o", "(14)" ... Age 0 is written in months
    ("8 months old"), the number of months drawn at random.
    """
    if age < 0:
        raise ValueError("age_phrase needs a non-negative age")
    if age == 0:
        number, form = rng.randint(1, 11), rng.choice(_AGE_MONTH_FORMS)
        if number == 1:
            form = form.replace("months", "month")
    else:
        number, form = age, rng.choice(_AGE_YEAR_FORMS)
        if number == 1:
            form = form.replace("years", "year").replace("yrs", "yr")
    before, after = form.split("{}")
    return Fragment.concat(before, Fragment.whole(str(number), PiiLabel.AGE), after)


# --------------------------------------------------------------------------------------------------
# Places, addresses and postcodes

# (town, postcode area, lowest district, highest district). Districts are plausible for the town,
# not a gazetteer: the postcodes made from them are well formed, not necessarily issued.
TOWNS: tuple[tuple[str, str, int, int], ...] = (
    ("Leeds", "LS", 1, 29),
    ("Bradford", "BD", 1, 24),
    ("Manchester", "M", 1, 40),
    ("Salford", "M", 3, 30),
    ("Birmingham", "B", 1, 48),
    ("Liverpool", "L", 1, 38),
    ("Sheffield", "S", 1, 36),
    ("Nottingham", "NG", 1, 16),
    ("Leicester", "LE", 1, 19),
    ("Bristol", "BS", 1, 16),
    ("Coventry", "CV", 1, 7),
    ("Wolverhampton", "WV", 1, 14),
    ("Stoke-on-Trent", "ST", 1, 6),
    ("Derby", "DE", 1, 24),
    ("Hull", "HU", 1, 9),
    ("Newcastle upon Tyne", "NE", 1, 15),
    ("Sunderland", "SR", 1, 6),
    ("Middlesbrough", "TS", 1, 8),
    ("Bolton", "BL", 1, 7),
    ("Oldham", "OL", 1, 9),
    ("Rochdale", "OL", 11, 16),
    ("Wigan", "WN", 1, 6),
    ("Blackburn", "BB", 1, 2),
    ("Burnley", "BB", 10, 12),
    ("Preston", "PR", 1, 5),
    ("Blackpool", "FY", 1, 5),
    ("Huddersfield", "HD", 1, 9),
    ("Halifax", "HX", 1, 7),
    ("Wakefield", "WF", 1, 4),
    ("Doncaster", "DN", 1, 12),
    ("Rotherham", "S", 60, 66),
    ("Barnsley", "S", 70, 75),
    ("York", "YO", 10, 32),
    ("Norwich", "NR", 1, 7),
    ("Ipswich", "IP", 1, 5),
    ("Peterborough", "PE", 1, 7),
    ("Luton", "LU", 1, 4),
    ("Northampton", "NN", 1, 5),
    ("Milton Keynes", "MK", 1, 15),
    ("Reading", "RG", 1, 6),
    ("Slough", "SL", 1, 3),
    ("Southampton", "SO", 14, 19),
    ("Portsmouth", "PO", 1, 6),
    ("Brighton", "BN", 1, 3),
    ("Plymouth", "PL", 1, 9),
    ("Exeter", "EX", 1, 4),
    ("Swindon", "SN", 1, 5),
    ("Gloucester", "GL", 1, 4),
    ("Oxford", "OX", 1, 4),
    ("Cambridge", "CB", 1, 5),
    ("Chelmsford", "CM", 1, 3),
    ("Southend-on-Sea", "SS", 1, 9),
    ("Croydon", "CR", 0, 9),
    ("Walthamstow", "E", 17, 17),
    ("Stratford", "E", 15, 15),
    ("Hackney", "E", 5, 9),
    ("Tottenham", "N", 15, 17),
    ("Lewisham", "SE", 4, 13),
    ("Brixton", "SW", 2, 9),
    ("London", "E", 1, 18),
    ("London", "SE", 1, 28),
    ("London", "N", 1, 22),
    ("London", "NW", 1, 11),
    ("Gateshead", "NE", 8, 11),
    ("Stockport", "SK", 1, 7),
    ("Warrington", "WA", 1, 5),
    ("Telford", "TF", 1, 7),
    ("Lincoln", "LN", 1, 6),
    ("Carlisle", "CA", 1, 3),
    ("Scunthorpe", "DN", 15, 17),
)
TOWN_NAMES: tuple[str, ...] = _unique(tuple(town for town, *_ in TOWNS))

# Inward unit letters: never C, I, K, M, O or V.
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

# fmt: off
_STREET_NAMES = (
    "Station", "Church", "Victoria", "Park", "Queens", "Kings", "Mill", "Albert", "Manor",
    "Grange", "Highfield", "Brunel", "Kingsmead", "Oakfield", "Moorland", "Chapel", "Springfield",
    "Windsor", "New", "High", "Alexandra", "Stanley", "Clarence", "Cromwell", "Beech", "Elm",
    "Willow", "Hawthorn", "Meadow", "Orchard", "Westfield", "Northfield", "Riverside", "Canal",
    "Bridge", "School", "Marlborough", "Gladstone", "Nelson", "Wellington", "Coronation",
    "Jubilee", "Forest", "Lime", "Chestnut", "Sycamore", "Laburnum", "Hazel", "Rowan", "Cedar",
    "Primrose", "Bluebell", "Sandringham", "Balmoral", "Osborne", "Derwent", "Pennine", "Malvern",
    "Cheviot", "Ravenscroft", "Whitworth", "Bramley", "Stockwell", "Hollybush", "Langdale",
    "Farrow", "Kestrel", "Tennyson", "Shakespeare", "Milton",
)
_STREET_SUFFIXES = (
    "Road", "Road", "Street", "Street", "Close", "Avenue", "Way", "Lane", "Crescent", "Drive",
    "Grove", "Terrace", "Gardens", "Walk", "Place", "Court", "Rise", "View", "Mews", "Row",
)
_BUILDING_NAMES = (
    "Brunel", "Nelson", "Victoria", "Kestrel", "Falcon", "Heron", "Mulberry", "Priory", "Trinity",
    "Ashcroft", "Beaumont", "Caxton", "Dalton", "Edison", "Faraday", "Garnet", "Hanover", "Jasmine",
)
_BUILDING_KINDS = ("House", "House", "Court", "Tower", "Point", "Heights", "Lodge")
_PLACE_WORDS = (
    "Kingsmead", "Meadowbank", "Hollybush", "Westgate", "Ravenscroft", "Brookfield", "Riverside",
    "Greenhill", "Thornbury", "Oakfield", "Northgate", "Westfield", "Highfield", "Parkside",
    "Moorside", "Greenacres", "Brookside", "Thornhill", "Ashgrove", "Sandfield", "Hollingworth",
    "Eastbrook", "Fernhill", "Longmoor", "Millbrook", "Beechwood", "Elmhurst", "Hillcrest",
    "Lindley", "Woodside", "Castlefield", "Fairfield", "Springvale", "Broadoak", "Redhill",
)
# fmt: on


def town(rng: random.Random) -> str:
    """An English town or city."""
    return rng.choice(TOWN_NAMES)


def _town_row(rng: random.Random, name: str | None) -> tuple[str, str, int, int]:
    rows = TOWNS if name is None else tuple(row for row in TOWNS if row[0] == name)
    if not rows:
        raise ValueError("unknown town; use one of fake_pii.TOWN_NAMES")
    return rng.choice(rows)


def outward_code(rng: random.Random, town_name: str | None = None) -> str:
    """The first half of a postcode ("M14", "LS6"), plausible for ``town_name`` if given."""
    _, area, low, high = _town_row(rng, town_name)
    return f"{area}{rng.randint(low, high)}"


def postcode(rng: random.Random, town_name: str | None = None) -> str:
    """A full postcode, valid by ``identifiers.is_valid_postcode``; now and then unspaced."""
    inward = f"{rng.randint(0, 9)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
    separator = " " if rng.random() < 0.9 else ""
    return f"{outward_code(rng, town_name)}{separator}{inward}"


def street_address(rng: random.Random) -> str:
    """House number and street: "12 Station Road", "14a Kingsmead Close"."""
    number = str(rng.randint(1, 180))
    if rng.random() < 0.08:
        number += rng.choice("ab")
    return f"{number} {rng.choice(_STREET_NAMES)} {rng.choice(_STREET_SUFFIXES)}"


def _building(rng: random.Random) -> str:
    return f"{rng.choice(_BUILDING_NAMES)} {rng.choice(_BUILDING_KINDS)}"


def address(
    rng: random.Random, *, with_town: bool | None = None, with_postcode: bool | None = None
) -> Fragment:
    """A home address; ``ADDRESS`` from the number to the town, a separate ``POSTCODE`` after it.

    Shapes: "12 Station Road", "Flat 3, Brunel House, 12 Station Road", "Flat 3 Brunel House",
    "Flat 7, 21 Mill Lane", "Flat 12, Kestrel Court, Kingsmead Estate"; then maybe ", Leeds";
    then maybe ", LS6 2AB" or " LS6 2AB". ``None`` for an option decides at random.
    """
    shape = rng.random()
    flat = f"Flat {rng.randint(1, 40)}"
    if shape < 0.55:
        line = street_address(rng)
    elif shape < 0.75:
        line = f"{flat}, {_building(rng)}, {street_address(rng)}"
    elif shape < 0.85:
        line = f"{flat} {_building(rng)}"
    elif shape < 0.95:
        line = f"{flat}, {street_address(rng)}"
    else:
        line = f"{flat}, {_building(rng)}, {rng.choice(_PLACE_WORDS)} Estate"
    if with_town is None:
        with_town = rng.random() < 0.6
    if with_postcode is None:
        with_postcode = rng.random() < 0.5
    row = _town_row(rng, None)
    if with_town:
        line = f"{line}, {row[0]}"
    parts: list[str | Fragment] = [Fragment.whole(line, PiiLabel.ADDRESS)]
    if with_postcode:
        parts += [rng.choice((", ", " ")), Fragment.whole(postcode(rng, row[0]), PiiLabel.POSTCODE)]
    return Fragment.concat(*parts)


def estate(rng: random.Random) -> Fragment:
    """A housing estate named on its own: "the {Kingsmead Estate}" (``LOCATION``)."""
    name = f"{rng.choice(_PLACE_WORDS)} Estate"
    return Fragment.concat("the ", Fragment.whole(name, PiiLabel.LOCATION))


def location(rng: random.Random, town_name: str | None = None) -> Fragment:
    """A place a note mentions: a town, park, shopping centre or estate (``LOCATION``).

    Generic words around the name stay outside: "{Leeds} city centre", "{Leeds} bus station",
    "the {Kingsmead Estate}"; names that include their kind are marked whole: "{Victoria Park}",
    "{Fernhill Retail Park}". Towns are ``town_name`` when given (the family's own town).
    """
    roll = rng.random()
    place = rng.choice(_PLACE_WORDS)
    here = town_name if town_name is not None else town(rng)
    if roll < 0.25:
        return Fragment.whole(here, PiiLabel.LOCATION)
    if roll < 0.4:
        return Fragment.concat(
            Fragment.whole(here, PiiLabel.LOCATION),
            rng.choice((" city centre", " town centre")),
        )
    if roll < 0.6:
        name = rng.choice((place, rng.choice(("Victoria", "Queens", "Peel", "Albert")))) + " Park"
        return Fragment.whole(name, PiiLabel.LOCATION)
    if roll < 0.8:
        kind = rng.choice(("Shopping Centre", "Retail Park", "Leisure Centre", "Precinct"))
        return Fragment.whole(f"{place} {kind}", PiiLabel.LOCATION)
    if roll < 0.9:
        return Fragment.concat(
            Fragment.whole(here, PiiLabel.LOCATION),
            rng.choice((" bus station", " train station", " library")),
        )
    return estate(rng)


# --------------------------------------------------------------------------------------------------
# Phone numbers (Ofcom numbering; drama ranges per Ofcom "Telephone numbers for drama")

_DRAMA_LANDLINES = (
    # (area code, local prefix, digits after the prefix)
    ("020", "7946 0", 3),
    ("0113", "496 0", 3),
    ("0114", "496 0", 3),
    ("0115", "496 0", 3),
    ("0116", "496 0", 3),
    ("0117", "496 0", 3),
    ("0118", "496 0", 3),
    ("0121", "496 0", 3),
    ("0151", "496 0", 3),
    ("0161", "496 0", 3),
    ("0191", "498 0", 3),
    ("01632", "960", 3),
)
_GENERIC_AREA_CODES = (
    ("020", 8),
    ("0113", 7),
    ("0114", 7),
    ("0115", 7),
    ("0116", 7),
    ("0117", 7),
    ("0121", 7),
    ("0151", 7),
    ("0161", 7),
    ("0191", 7),
    ("01274", 6),
    ("01204", 6),
    ("01482", 6),
    ("01902", 6),
    ("01924", 6),
    ("01708", 6),
    ("01752", 6),
    ("01603", 6),
    ("024", 8),
    ("023", 8),
)


def _digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(count))


def _format_mobile(rng: random.Random, national: str) -> str:
    """``national`` is "07" + 9 digits; written in one of the ways people write mobiles."""
    tail = national[1:]
    layouts = (
        f"{national[:5]} {national[5:]}",  # 07700 900123
        national,  # 07700900123
        f"+44 {tail[:4]} {tail[4:]}",  # +44 7700 900123
        f"+44{tail}",  # +447700900123
        f"+44 (0){tail[:4]} {tail[4:]}",  # +44 (0)7700 900123
        f"{national[:5]} {national[5:8]} {national[8:]}",  # 07700 900 123
        f"{national[:4]} {national[4:7]} {national[7:]}",  # 0770 090 0123
        f"{national[:5]}-{national[5:]}",  # 07700-900123
    )
    weights = (6, 4, 2, 1, 1, 2, 1, 1)
    return rng.choices(layouts, weights=weights)[0]


def _format_landline(rng: random.Random, code: str, local: str) -> str:
    """``local`` is the subscriber number without spaces."""
    if len(local) == 8:  # 020, 023, 024: 020 7946 0123
        grouped = f"{local[:4]} {local[4:]}"
    elif len(local) == 7:  # 0161 496 0123
        grouped = f"{local[:3]} {local[3:]}"
    else:  # 01632 960123
        grouped = local
    layouts = (
        f"{code} {grouped}",
        f"{code}{local}",
        f"({code}) {grouped}",
        f"+44 {code[1:]} {grouped}",
    )
    if code == "020":  # the common mis-spacing "0207 946 0123"
        layouts += (f"{code}{local[0]} {local[1:4]} {local[4:]}",)
    return rng.choice(layouts)


def phone_number(
    rng: random.Random, *, mobile: bool | None = None, drama: bool | None = None
) -> str:
    """A UK phone number, mobile or landline, in varied spacing.

    ``mobile=None`` picks a mobile two times in three, else a landline. ``drama=True`` keeps to
    Ofcom's drama ranges, ``False`` gives a random number of a valid shape, ``None`` either with
    equal chance.
    """
    if mobile is None:
        mobile = rng.random() < 0.67
    if drama is None:
        drama = rng.random() < 0.5
    if mobile:
        if drama:
            national = f"07700900{_digits(rng, 3)}"
        else:  # 071-075, 077-079; 076 is for pagers
            national = f"07{rng.choice('12345789')}{_digits(rng, 8)}"
        return _format_mobile(rng, national)
    if drama:
        code, prefix, count = rng.choice(_DRAMA_LANDLINES)
        local = prefix.replace(" ", "") + _digits(rng, count)
    else:
        code, length = rng.choice(_GENERIC_AREA_CODES)
        local = str(rng.randint(2, 8)) + _digits(rng, length - 1)
    return _format_landline(rng, code, local)


# --------------------------------------------------------------------------------------------------
# E-mail addresses and social-media handles

# fmt: off
_EMAIL_PROVIDERS = (
    "gmail.com", "gmail.com", "hotmail.com", "hotmail.co.uk", "hotmail.co.uk", "outlook.com",
    "yahoo.co.uk", "yahoo.com", "icloud.com", "live.co.uk", "btinternet.com", "sky.com",
    "aol.com", "googlemail.com",
)
# Fictional work domains: a council and a school that do not exist.
_WORK_DOMAINS = ("westmarsh.gov.uk", "oakfield-academy.sch.uk", "northvale-nhs.example")
_HANDLE_WORDS = (
    "baby", "boo", "lil", "real", "official", "xo", "x", "og", "2k", "queen", "king", "babe",
    "star", "mufc", "lfc", "bae", "vibes",
)
# fmt: on


def _clean(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def social_handle(rng: random.Random, first: str | None = None) -> str:
    """A handle like "jaybaby07", "kelz.x", "lil_mo11", "xx_chloe_xx"; without the "@"."""
    base = _clean(first if first is not None else first_name(rng))
    if first is not None and rng.random() < 0.3:
        base = _clean(nickname(first, rng) or base)
    word = rng.choice(_HANDLE_WORDS)
    number = rng.choice(("", "", f"{rng.randint(0, 99):02d}", str(rng.randint(1, 12))))
    forms = (
        f"{base}{word}{number}",
        f"{base}.{word}",
        f"{word}_{base}{number}",
        f"xx_{base}_xx",
        f"{base}_{rng.choice('abcdefghjklmnprstw')}{number}",
        f"_{base}.{word}_",
    )
    return rng.choice(forms)


def email_address(rng: random.Random, first: str | None = None, last: str | None = None) -> str:
    """An e-mail address, usually made from the person's name, at a common UK provider."""
    first = _clean(first if first is not None else first_name(rng)) or "contact"
    last = _clean(last if last is not None else surname(rng)) or "family"
    number = f"{rng.randint(1, 99)}"
    locals_ = (
        f"{first}.{last}",
        f"{first}{last}{number}",
        f"{first[0]}{last}",
        f"{first}_{last}{number}",
        social_handle(rng).strip("_.").replace("xx_", "").replace("_xx", ""),
    )
    local = rng.choices(locals_, weights=(4, 3, 2, 1, 2))[0]
    domain = rng.choice(_WORK_DOMAINS) if rng.random() < 0.1 else rng.choice(_EMAIL_PROVIDERS)
    return f"{local}@{domain}"


def username_mention(rng: random.Random, first: str | None = None) -> Fragment:
    """A social-media account as a note records it, marked ``USERNAME``.

    "@jaybaby07" (the "@" inside the span), "snap: jaybaby07" and "Insta - kelz.x" (label words
    outside), "instagram.com/kelz.x", "https://www.tiktok.com/@jaybaby07" (URL marked whole).
    """
    handle = social_handle(rng, first)
    roll = rng.random()
    if roll < 0.25:
        return Fragment.whole(f"@{handle}", PiiLabel.USERNAME)
    if roll < 0.5:
        label = rng.choice(("snap: ", "Snapchat: ", "snap ", "SC: ", "Insta: ", "Insta - ", "IG "))
        return Fragment.concat(label, Fragment.whole(handle, PiiLabel.USERNAME))
    if roll < 0.6:
        return Fragment.concat(
            rng.choice(("TikTok ", "tiktok: ")), Fragment.whole(f"@{handle}", PiiLabel.USERNAME)
        )
    facebook_name = f"{_clean(first or first_name(rng))}.{_clean(surname(rng))}"
    urls = (
        f"instagram.com/{handle}",
        f"https://www.instagram.com/{handle}/",
        f"tiktok.com/@{handle}",
        f"https://www.tiktok.com/@{handle}",
        f"facebook.com/{facebook_name}.{rng.randint(1, 99)}",
        f"snapchat.com/add/{handle}",
    )
    return Fragment.whole(rng.choice(urls), PiiLabel.USERNAME)


# --------------------------------------------------------------------------------------------------
# Vehicle registrations (DVLA formats)

_REG_REGION_LETTERS = "ABCDEFGHKLMNOPRSVWY"  # first letter of a current plate: the region
_REG_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"  # no I, Q or Z in the other letters
_REG_YEAR_LETTERS = "ABCDEFGHJKLMNPRSTVWXY"  # prefix and suffix years: no I, O, Q, U, Z


def vehicle_registration(rng: random.Random) -> str:
    """A UK number plate: mostly current "AB12 CDE", some older prefix "R123 ABC" and suffix
    "ABC 123D" plates; with or without the space."""
    roll = rng.random()
    space = " " if rng.random() < 0.85 else ""
    letters3 = "".join(rng.choice(_REG_LETTERS) for _ in range(3))
    if roll < 0.8:
        year = rng.randint(2002, 2024)
        age_id = year % 100 if rng.random() < 0.5 else year % 100 + 50
        memory_tag = rng.choice(_REG_REGION_LETTERS) + rng.choice(_REG_LETTERS)
        return f"{memory_tag}{age_id:02d}{space}{letters3}"
    number = rng.randint(1, 999)
    if roll < 0.95:
        return f"{rng.choice(_REG_YEAR_LETTERS)}{number}{space}{letters3}"
    return f"{letters3}{space}{number}{rng.choice(_REG_YEAR_LETTERS)}"


# --------------------------------------------------------------------------------------------------
# National identifiers


def nhs_number(rng: random.Random) -> str:
    """An NHS number with a valid mod-11 check digit, as "943 476 5919", "9434765919" or with
    hyphens. The first digit is 4, 6 or 7, as in numbers issued in England and Wales."""
    while True:
        nine = rng.choice("467") + _digits(rng, 8)
        check = nhs_check_digit(nine)
        if check is not None and len(set(nine + str(check))) > 1:
            break
    return format_nhs(nine + str(check), rng)


def format_nhs(number: str, rng: random.Random) -> str:
    """An NHS number (in any layout ``is_valid_nhs`` accepts) laid out as "943 476 5919",
    "9434765919" or "943-476-5919": one child's number, written differently from note to note."""
    digits = normalise_nhs(number)
    if digits is None:
        raise ValueError("format_nhs needs an NHS number of ten digits")
    separator = rng.choices(("", " ", "-"), weights=(3, 6, 1))[0]
    return separator.join((digits[:3], digits[3:6], digits[6:]))


_NINO_FIRST = "".join(sorted(NINO_FIRST_LETTERS))
_NINO_SECOND = "".join(sorted(NINO_SECOND_LETTERS))
_NINO_SUFFIX = "".join(sorted(NINO_SUFFIXES))


def nino(rng: random.Random) -> str:
    """A National Insurance number HMRC could allocate: "AB 12 34 56 C", "AB123456C" or
    "AB 123456 C"."""
    while True:
        prefix = rng.choice(_NINO_FIRST) + rng.choice(_NINO_SECOND)
        if prefix not in NINO_UNALLOCATED_PREFIXES:
            break
    return format_nino(f"{prefix}{_digits(rng, 6)}{rng.choice(_NINO_SUFFIX)}", rng)


def format_nino(number: str, rng: random.Random) -> str:
    """A NINO (spaced or not) laid out as "AB 12 34 56 C", "AB123456C" or "AB 123456 C"."""
    compact = normalise_nino(number)
    if compact is None:
        raise ValueError("format_nino needs two letters, six digits and a letter")
    prefix, digits, suffix = compact[:2], compact[2:8], compact[8]
    roll = rng.random()
    if roll < 0.45:
        return f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"
    if roll < 0.9:
        return f"{prefix}{digits}{suffix}"
    return f"{prefix} {digits} {suffix}"


_LA_CODE_LIST: tuple[int, ...] = tuple(sorted(LA_CODES))
# Establishment-number bands: 1xxx nursery, 2xxx-3xxx primary, 4xxx-5xxx secondary, 7xxx special.
_ESTABLISHMENT_BANDS = ((1000, 1199), (2000, 3699), (4000, 5499), (7000, 7099))


def upn(rng: random.Random) -> str:
    """A Unique Pupil Number with the right check letter; about one in ten is temporary (it ends in
    a letter)."""
    low, high = rng.choice(_ESTABLISHMENT_BANDS)
    body = f"{rng.choice(_LA_CODE_LIST):03d}{rng.randint(low, high):04d}{rng.randint(2, 23):02d}"
    if rng.random() < 0.1:
        body += _digits(rng, 2) + rng.choice(UPN_ALPHABET)
    else:
        body += _digits(rng, 3)
    return upn_check_letter(body) + body


# --------------------------------------------------------------------------------------------------
# Case references: LA recording systems, police, courts. Formats are local-looking, not copies of
# any one council's: what matters is the variety a recognizer must cope with.


_Maker = Callable[[random.Random, dt.date], str]


def _opened(rng: random.Random, on: dt.date) -> int:
    """The year a local-authority record was opened: up to three years before ``on``."""
    return rng.randint(on.year - 3, on.year)


def _cad_number(rng: random.Random, on: dt.date) -> str:
    """A police command-and-control log, numbered per day: "1234 12/03/24" or "1234/12MAR24"."""
    number = rng.randint(1, 9999)
    if rng.random() < 0.5:
        return f"{number} {on.day:02d}/{on.month:02d}/{on.year % 100:02d}"
    return f"{number}/{on.day:02d}{MONTHS[on.month - 1][:3].upper()}{on.year % 100:02d}"


def _cin_style(rng: random.Random, on: dt.date) -> str:
    prefix = rng.choice(("CIN", "CP", "CLA", "EH"))
    return f"{prefix}-{_opened(rng, on)}-{rng.randint(1, 99999):05d}"


def _slashed(rng: random.Random, on: dt.date) -> str:
    prefix = rng.choice(("EH", "LAC", "CP", "MASH"))
    return f"{prefix}/{_opened(rng, on)}/{rng.randint(1, 9999):04d}"


def _court(rng: random.Random, on: dt.date) -> str:
    court = rng.choice(("MA", "LS", "BM", "ZC", "NE", "SH"))
    return f"{court}{_opened(rng, on) % 100:02d}C{rng.randint(0, 99999):05d}"


# (kind, value maker, label words that may precede the value). A maker takes the day the
# reference is written about, so year-bearing references agree with the note's date.
_CASE_REFERENCE_FORMATS: tuple[tuple[str, _Maker, tuple[str, ...]], ...] = (
    (
        "mosaic",
        lambda r, on: str(r.randint(100000, 9999999)),
        ("Mosaic ID", "Mosaic no.", "Person ID", "ID:", "Child ID"),
    ),
    ("lcs", lambda r, on: f"CN{r.randint(100000, 999999)}", ("LCS ref", "LCS no.", "LCS ID")),
    ("eclipse", lambda r, on: f"ECL{r.randint(1000000, 9999999)}", ("Eclipse ID", "Eclipse ref")),
    ("cin", _cin_style, ("ref", "Ref:", "case ref", "CIN ref")),
    ("slashed", _slashed, ("ref", "case no.", "MASH ref")),
    (
        "police_crime",
        lambda r, on: f"{r.randint(1, 60):02d}/{r.randint(10000, 999999)}/{on.year % 100:02d}",
        ("crime ref", "Crime no.", "CRN", "police ref:", "crime reference"),
    ),
    (
        "police_cri",
        lambda r, on: f"CRI-{on.year % 100:02d}-{r.randint(0, 999999):06d}",
        ("crime ref", "police ref", "ref"),
    ),
    ("cad", _cad_number, ("CAD", "CAD no.", "log")),
    ("court", _court, ("case no.", "court ref", "case number")),
)
CASE_REFERENCE_KINDS: tuple[str, ...] = tuple(kind for kind, _, _ in _CASE_REFERENCE_FORMATS)
POLICE_REFERENCE_KINDS: tuple[str, ...] = ("police_crime", "police_cri", "cad")
LA_REFERENCE_KINDS: tuple[str, ...] = ("mosaic", "lcs", "eclipse", "cin", "slashed")


def _case_format(
    rng: random.Random, kind: str | tuple[str, ...] | None
) -> tuple[str, _Maker, tuple[str, ...]]:
    kinds = CASE_REFERENCE_KINDS if kind is None else (kind,) if isinstance(kind, str) else kind
    formats = tuple(f for f in _CASE_REFERENCE_FORMATS if f[0] in kinds)
    if not formats or len(formats) != len(set(kinds)):
        raise ValueError(f"unknown case-reference kind; use one of {CASE_REFERENCE_KINDS}")
    return rng.choice(formats)


def _on(rng: random.Random, on: dt.date | None) -> dt.date:
    return on if on is not None else random_date(rng, dt.date(2019, 1, 1), REFERENCE_DATE)


def case_reference(
    rng: random.Random, kind: str | tuple[str, ...] | None = None, *, on: dt.date | None = None
) -> str:
    """A case reference value, without label words.

    ``kind`` is one of ``CASE_REFERENCE_KINDS`` or a tuple of them (``LA_REFERENCE_KINDS``,
    ``POLICE_REFERENCE_KINDS``); ``None`` draws from all. ``on`` is the day the reference is
    written about (the CAD log's date, the crime's year); ``None`` draws a day.
    """
    _, make, _ = _case_format(rng, kind)
    return make(rng, _on(rng, on))


def police_reference(rng: random.Random, on: dt.date | None = None) -> str:
    """A police crime reference or CAD log number (see :func:`case_reference`)."""
    return case_reference(rng, POLICE_REFERENCE_KINDS, on=on)


def case_reference_mention(
    rng: random.Random, kind: str | tuple[str, ...] | None = None, *, on: dt.date | None = None
) -> Fragment:
    """A case reference after its label words ("Mosaic ID 1234567", "crime ref: 43/12345/24");
    only the value is marked ``CASE_REFERENCE``."""
    _, make, labels = _case_format(rng, kind)
    label = rng.choice(labels)
    separator = " " if label.endswith(":") else rng.choice((" ", ": "))
    value = make(rng, _on(rng, on))
    return Fragment.concat(f"{label}{separator}", Fragment.whole(value, PiiLabel.CASE_REFERENCE))


# --------------------------------------------------------------------------------------------------
# Organisations: schools, GP surgeries, named local services

# fmt: off
_SAINTS = (
    "Mary", "Joseph", "Peter", "Paul", "John", "Anne", "Michael", "Patrick", "Bernadette", "Teresa",
    "Thomas", "Margaret", "Edmund", "Aidan", "Chad", "Wilfrid", "Bede", "Cuthbert", "Matthew",
    "Mark", "Luke", "Andrew", "George", "Francis", "Clare", "Augustine", "Hilda", "Alban", "Oswald",
)
# School kinds by phase, by the age of the pupil.
_SCHOOL_KINDS_BY_PHASE: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "nursery": ("Nursery School", "Nursery School", "Nursery"),
    "primary": (
        "Primary School", "Primary School", "Primary School", "Primary Academy", "Infant School",
        "Junior School", "Church of England Primary School", "C of E Primary School",
    ),
    "secondary": (
        "Academy", "Academy", "High School", "High School", "Community School", "College",
        "School",
    ),
    "sixth_form": ("Sixth Form College", "College", "Academy"),
})
_ALTERNATIVE_PROVISION = ("Pupil Referral Unit", "PRU", "Special School", "Academy")
_SCHOOL_PLACE_WORDS = (
    "Victoria", "Albert", "Manor", "Grange", "Springfield", "Northfield", "Holy Trinity",
    "Christ Church", "Kingsway", "Broadway",
)
_SERVICE_KINDS = (
    "Children's Centre", "Family Hub", "Family Hub", "Youth Centre", "Youth Club",
    "Community Centre", "Contact Centre",
)
# fmt: on


def _phase(age: int) -> str:
    if age < 4:
        return "nursery"
    if age < 11:
        return "primary"
    return "secondary" if age < 16 else "sixth_form"


def school(rng: random.Random, town_name: str | None = None, age: int | None = None) -> str:
    """A school name, marked whole (``ORGANIZATION``): "St Mary's C of E Primary School",
    "Oakfield Academy", "Northgate High School", "Moorside PRU".

    ``age`` picks a school for a pupil of that age (nursery, primary, secondary, sixth form; now
    and then a PRU or special school from 5); ``None`` draws any phase. A secondary school is
    sometimes named after ``town_name`` ("Rotherham College").
    """
    phase = _phase(age) if age is not None else rng.choice(tuple(_SCHOOL_KINDS_BY_PHASE))
    if phase != "nursery" and rng.random() < 0.08:
        return f"{rng.choice(_PLACE_WORDS)} {rng.choice(_ALTERNATIVE_PROVISION)}"
    if phase in ("primary", "secondary") and rng.random() < 0.25:
        if phase == "primary":
            denomination = rng.choice(("C of E ", "CE ", "Catholic ", "RC ", "Catholic ", ""))
            kind = "Primary School"
        else:
            denomination = rng.choice(("Catholic ", "RC ", "C of E ", ""))
            kind = rng.choice(("High School", "Academy", "College"))
        return f"St {rng.choice(_SAINTS)}'s {denomination}{kind}"
    place = rng.choice(_PLACE_WORDS + _SCHOOL_PLACE_WORDS)
    if town_name is not None and phase in ("secondary", "sixth_form") and rng.random() < 0.15:
        place = town_name
    return f"{place} {rng.choice(_SCHOOL_KINDS_BY_PHASE[phase])}"


def service_venue(rng: random.Random, town_name: str | None = None) -> str:
    """A named local service ("Kingsmead Family Hub", "Oakfield Children's Centre"), marked whole
    (``ORGANIZATION``); generic services (CAMHS, "the GP") are not generated here. No foyers or
    food banks: their names alone would say something about a family's needs."""
    kind = rng.choice(_SERVICE_KINDS)
    place = rng.choice(_PLACE_WORDS)
    if town_name is not None and rng.random() < 0.3:
        place = town_name
    return f"{place} {kind}"


def gp_surgery(
    rng: random.Random, town_name: str | None = None, *, named_doctor: bool | None = None
) -> Fragment:
    """A GP practice: "Parkside Medical Centre" (``ORGANIZATION``), or known by its doctor.

    With a doctor: "Dr {Shah}'s surgery" marks only the name (``PERSON``); "Dr {Shah} at
    {Parkside Medical Centre}" marks both, side by side. ``named_doctor=None`` picks at random.
    A practice is now and then named after ``town_name`` ("Oldham Family Practice").
    """
    kind = rng.choice(
        ("Medical Centre", "Surgery", "Medical Practice", "Health Centre", "Family Practice")
    )
    roll = rng.random()
    if town_name is not None and roll < 0.1:
        place = town_name
    elif roll < 0.7:
        place = rng.choice(_PLACE_WORDS)
    else:  # named after its street: "Station Road Surgery"
        place = f"{rng.choice(_STREET_NAMES)} {rng.choice(('Road', 'Lane', 'Street'))}"
    name = Fragment.whole(f"{place} {kind}", PiiLabel.ORGANIZATION)
    if named_doctor is None:
        named_doctor = rng.random() < 0.2
    if not named_doctor:
        return name
    doctor = Fragment.whole(surname(rng), PiiLabel.PERSON)
    if rng.random() < 0.5:
        return Fragment.concat("Dr ", doctor, rng.choice(("'s surgery", "'s practice")))
    return Fragment.concat("Dr ", doctor, " at ", name)


# --------------------------------------------------------------------------------------------------
# One entry point per label


def _whole(
    make: Callable[[random.Random], str], label: PiiLabel
) -> Callable[[random.Random], Fragment]:
    return lambda rng: Fragment.whole(make(rng), label)


def _organization(rng: random.Random) -> Fragment:
    roll = rng.random()
    if roll < 0.5:
        return Fragment.whole(school(rng), PiiLabel.ORGANIZATION)
    if roll < 0.75:
        return gp_surgery(rng, named_doctor=False)
    return Fragment.whole(service_venue(rng, town(rng)), PiiLabel.ORGANIZATION)


GENERATORS: Mapping[PiiLabel, Callable[[random.Random], Fragment]] = MappingProxyType(
    {
        PiiLabel.PERSON: person,
        PiiLabel.DATE_OF_BIRTH: lambda rng: date_phrase(
            date_of_birth(rng), rng, label=PiiLabel.DATE_OF_BIRTH, weekday=False, with_year=True
        ),
        PiiLabel.ADDRESS: address,
        PiiLabel.POSTCODE: _whole(postcode, PiiLabel.POSTCODE),
        PiiLabel.PHONE_NUMBER: _whole(phone_number, PiiLabel.PHONE_NUMBER),
        PiiLabel.EMAIL_ADDRESS: _whole(email_address, PiiLabel.EMAIL_ADDRESS),
        PiiLabel.UK_NHS: _whole(nhs_number, PiiLabel.UK_NHS),
        PiiLabel.UK_NINO: _whole(nino, PiiLabel.UK_NINO),
        PiiLabel.UK_UPN: _whole(upn, PiiLabel.UK_UPN),
        PiiLabel.CASE_REFERENCE: _whole(case_reference, PiiLabel.CASE_REFERENCE),
        PiiLabel.USERNAME: username_mention,
        PiiLabel.VEHICLE_REGISTRATION: _whole(vehicle_registration, PiiLabel.VEHICLE_REGISTRATION),
        PiiLabel.DATE: lambda rng: date_phrase(
            random_date(rng, dt.date(2019, 1, 1), REFERENCE_DATE), rng
        ),
        PiiLabel.AGE: lambda rng: age_phrase(rng.randint(0, 17), rng),
        PiiLabel.LOCATION: location,
        PiiLabel.ORGANIZATION: _organization,
    }
)


def fake(label: PiiLabel | str, rng: random.Random) -> Fragment:
    """A fragment holding at least one value of ``label`` (and possibly others, e.g. a postcode
    after an address)."""
    return GENERATORS[PiiLabel(label)](rng)
