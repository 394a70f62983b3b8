"""Finding people that spaCy's NER misses: titles, role cues, lower-case names, and propagation.

spaCy's small English model finds most capitalised names in well-formed sentences. Case notes also
have names it cannot see: "spoke to jayden", "Mum (Summer)", "Ms Okafor", "mum's partner Dean",
"SW Jane Cole", nicknames, and names that are ordinary words (Hope, Grace, Mason). This module adds:

- :class:`PersonCueRecognizer`, a Presidio recognizer working on the spaCy tokens (no extra model):
  a title followed by a name (the title stays outside the span); a role word followed by a name in
  brackets or in apposition; form labels and the lists after them; a name before a bracketed role
  or a comma and a job title; verbs of contact, speech and people ("Obi wrote"); names joined to
  names; and first names from a lexicon (:func:`first_names`: the US census lists of the MIT
  ``names`` package and Faker's lists for many countries) when capitalised away from a sentence
  start, or in any case when a cue says a person is meant. A word the model knows as English, in
  any inflection, or a typing slip of one ("scool", "Nexxt") is not taken for a name on its own.
- :func:`propagate_names`: once a name is found in a note (or earlier in the same case), its other
  occurrences go too, whatever their case; names that are also common words, and surnames that
  are words, are propagated only where they are capitalised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib import resources

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from casenotes.deid.recognizers.age import NOT_A_NAME

ENTITY = "PERSON"
NAME = "person_cues"
TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "dc", "pc", "ds", "di", "sgt", "cllr", "prof", "rev"}
)
ROLE_CUES = frozenset(
    {
        "mum",
        "mother",
        "dad",
        "father",
        "nan",
        "nana",
        "nanna",
        "gran",
        "grandma",
        "grandad",
        "partner",
        "boyfriend",
        "girlfriend",
        "brother",
        "sister",
        "sibling",
        "son",
        "daughter",
        "friend",
        "cousin",
        "uncle",
        "aunt",
        "auntie",
        "stepdad",
        "stepmum",
        "sw",
        "dsl",
        "hv",
        "yp",
        "child",
        "baby",
        "officer",
        "worker",
        "manager",
        "teacher",
        "senco",
        "iro",
        "midwife",
        "nurse",
        "advocate",
        "carer",
        "neighbour",
    }
)
CONTACT_CUES = frozenset(
    {
        "spoke",
        "speak",
        "spoken",
        "talked",
        "chatted",
        "met",
        "saw",
        "seen",
        "visited",
        "called",
        "phoned",
        "rang",
        "texted",
        "told",
        "asked",
        "emailed",
        "collected",
        "contacted",
    }
)
CONTACT_LINKS = frozenset({"to", "with", "by"})
SPEECH_CUES = frozenset(
    {
        "said",
        "says",
        "told",
        "stated",
        "disclosed",
        "reported",
        "explained",
        "shared",
        "asked",
        "attended",
        "agreed",
        "wants",
        "presented",
        "denied",
        "denies",
        "admitted",
        "confirmed",
    }
)
# Finite verbs that follow the subject of a sentence: "Poppy gave consent", "kwame is sending".
FINITE_CUES = SPEECH_CUES | frozenset(
    {
        "is",
        "was",
        "has",
        "had",
        "have",
        "would",
        "will",
        "can",
        "could",
        "may",
        "might",
        "should",
        "did",
        "does",
        "gave",
        "took",
        "takes",
        "went",
        "goes",
        "came",
        "comes",
        "chose",
        "made",
        "needs",
        "likes",
        "loves",
        "enjoys",
        "seemed",
        "seems",
        "appeared",
        "appears",
        "remains",
        "continues",
        "played",
        "returned",
        "left",
        "arrived",
        "answered",
        "attends",
        "attending",
        "lives",
        "lived",
        "receives",
        "feels",
        "felt",
        "described",
        "showed",
        "became",
        "spent",
        "wanted",
        "would've",
    }
)
_SUFFIXES = ("'s", "s", "es", "ed", "d", "ing", "er", "ers", "ly", "ies", "ied")
_PREFIXES = ("hyper", "over", "under", "non", "pre", "re", "un", "mis", "co", "self")
BRACKET_ROLES = frozenset(
    {
        "sw",
        "dsl",
        "hv",
        "police",
        "health",
        "tm",
        "iro",
        "fsw",
        "senco",
        "gp",
        "yot",
        "ehw",
        "mum",
        "dad",
        "nan",
        "chair",
        "minutes",
        "advocate",
        "teacher",
        "midwife",
        "interpreter",
        "housing",
        "school",
        "nursery",
        "camhs",
        "probation",
        "education",
        "manager",
    }
)
ROLES_AND_TITLES = ROLE_CUES | TITLES
# Titles that also come in lower case before a lower-case surname ("mrs green", "mr patel")
LOWERCASE_TITLES = frozenset({"mr", "mrs", "ms", "mx", "dr"})
# Contact verbs that also take an infinitive: "asked to carry", "told to leave"
INFINITIVE_CUES = frozenset({"asked", "told"})
# A nickname announced: 'calling him "Big A"', 'known as "Kez"', 'aka "Tiny"'
# 'someone called "Skinny"', 'a male named "Tiny"', and a quoted name after a role: 'mum's
# partner "J"', 'her boyfriend "Deano"'
NICKNAME_CUE = re.compile(
    r"(?:call(?:ing|s|ed)\s+(?:him|her|them)(?:self|selves)?|known\s+as|nicknamed|goes\s+by"
    r"|a\.?k\.?a\.?|(?P<loose>(?:someone|somebody|male|man|boy|lad|guy|girl|woman|female"
    r"|person)\s+(?:called|named)|partner|boyfriend|girlfriend|friend|cousin|uncle|brother"
    r"|sister|neighbour))\s+[\"“'‘](?P<value>[^\"“”'‘’\n]{1,24})[\"”'’]",
    re.IGNORECASE,
)
QUOTE_AFTER_SPACE = re.compile(r"\s[\"“'‘]")  # needed by every NICKNAME_CUE match
# A bracketed age after a name: "mason (7)", "Aryan (7 yrs)", "Dilan (12)"
AGE_IN_BRACKETS = re.compile(
    r"\s?\(\s*(?:aged\s+)?(?:1?\d|2[0-5])\s*(?:y|yo|yr|yrs|years|m|mths|months)?\s*\)"
)
# A nickname in brackets straight after a name: 'Mr Desmond Grant ("Des")', "Kieran (Kez)",
# 'Martin McDonagh ("Mouse", 15)'
NICKNAME_IN_BRACKETS = re.compile(
    r"\(\s*([\"“'‘]?)([A-Za-z][A-Za-z'’-]*(?: [A-Za-z][A-Za-z'’-]*)?)\1"
    r"(?:\s*,\s*(?:aged\s+)?\d{1,2})?\s*\)"
)
# Two words in capitals, every such pair (they overlap: "AND IBRAHIM RAHMAN")
CAPITAL_PAIR = re.compile(r"(?<![\w'’-])(?=([A-Z][A-Z'’-]+)[ ]([A-Z][A-Z'’-]+)(?![\w'’-]))")
CAPITALS = re.compile(r"[A-Z]{2,}[ ][A-Z]{2,}")  # needed by every CAPITAL_PAIR match
# A one-letter nickname: "lil t", "Big A"
LETTER_NICKNAME = re.compile(r"^(?:lil|big|little)\s+([A-Za-z])$", re.IGNORECASE)
# The author's initials closing a note: "... no role for statutory services. (AB)"
SIGN_OFF_INITIALS = re.compile(r"\(([A-Z]{2,3})\)\s*$")
# ... or standing alone after the last sentence or on the last line: "... on 5 August. SO",
# "... ring me b4 they go. cw", "Plan agreed.\nRM"
SIGN_OFF_ALONE = re.compile(r"(?:(?<=[.!?)\]])[ \t]+|\n[ \t]*)([A-Z]{2,3}|[a-z]{2,3})[ \t]*$")
# Capitals that close a note and are no initials
NOT_SIGN_OFFS = frozenset({"ok", "no", "yes", "end", "all", "etc", "tbc", "nfa", "ta", "thx", "xx"})
INITIALS_NAME = re.compile(r"^[A-Z]J$")  # AJ, CJ, JJ, TJ: nicknames from initials
SEASONS_AND_MONTHS = frozenset(
    {"summer", "autumn", "spring", "winter", "april", "may", "june", "august"}
)
# Nouns after which a word that is also a name is a modifier: "foster carers", "foster placement"
NOT_AFTER_NAME = frozenset({"carer", "carers", "care", "placement", "placements", "parent"})
# A make or model straight before a registration is no name: "Toyota Prius WU67 KHN", "Audi A3,
# reg NX19 BKV"
BEFORE_REGISTRATION = re.compile(
    r"(?:[ \t]+[A-Z]\w{0,3})?,?[ \t]+(?:(?i:reg(?:istration)?\.?(?: no\.?)?:?)[ \t]*)?"
    r"[A-Z]{2}\d{2}[ ]?[A-Z]{3}\b"
)
# Words after which a lower-case first name is a person: "for george", "w/ harry", "that amy"
PERSON_BEFORE = frozenset(
    {"for", "with", "w/", "to", "from", "regarding", "re", "about", "and", "&", "that", "see"}
    | {"saw", "seen", "visited", "called", "by", "between", "plus", "including", ","}
)
# Verbs whose subject is a person: "Obi wrote", "Summer chose", "Yaw said"
# (not "agreed", "shared", "reported": "Plan agreed", "Information shared")
PERSON_VERBS = frozenset(
    {"said", "says", "told", "stated", "disclosed", "explained", "denied", "denies", "admitted"}
    | {"wrote", "chose", "wants", "enjoys", "loves", "likes", "feels", "felt", "played", "smiled"}
    | {"cried", "laughed", "attends", "asked", "wanted", "walked", "slept"}
)
# Negated verbs as typed in a hurry, whose subject is a person: "summer didnt go to nursery"
INFORMAL_NEGATIONS = frozenset(
    {"didnt", "doesnt", "dont", "isnt", "wasnt", "hasnt", "hadnt", "cant", "wont", "wouldnt"}
    | {"couldnt", "shouldnt", "aint"}
)
# What a person has, after a possessive: "summer's dad", "jades new number", "paddys school"
POSSESSED = frozenset(
    {"mum", "mam", "mom", "mummy", "dad", "daddy", "nan", "nana", "nanna", "gran", "grandad"}
    | {"grandma", "brother", "sister", "siblings", "baby", "boyfriend", "girlfriend", "partner"}
    | {"ex", "friend", "friends", "mate", "mates", "bestie", "school", "nursery", "college"}
    | {"teacher", "attendance", "behaviour", "room", "bedroom", "cot", "phone", "number"}
    | {"birthday", "house", "flat", "medication", "appointment", "dads", "mums"}
)
POSSESSED_ADJECTIVES = frozenset(
    {"new", "old", "little", "big", "older", "younger", "best", "own", "baby", "birth", "step"}
)
# Nouns for groups that say and do things as people do
COLLECTIVES = frozenset(
    {"staff", "team", "class", "everyone", "both", "parents", "teachers", "officers", "agencies"}
    | {"neighbours", "professionals", "services", "management", "panel", "conference", "court"}
    | {"school", "nursery", "college", "academy", "hospital", "police", "council", "network"}
    | {"supervisor", "education", "caller", "referrer", "someone", "nobody", "anyone"}
)
DETERMINERS = frozenset({"the", "a", "an", "this", "that", "his", "her", "their", "our", "my"})
# Capitalised words that start sentences and are first names too, but here mostly are not.
SENTENCE_NOUNS = frozenset(
    {"court", "school", "home", "case", "visit", "note", "time", "day", "park", "page", "price"}
    | {"early", "general", "major", "long", "young", "new", "next", "last", "close", "will"}
    | SEASONS_AND_MONTHS
)
# Labels in headers and forms after which the next capitalised words are a name:
# "Author: Rayyan Gallagher", "Recorded by KING, Rocky", "Attendees: Jo Bell (SW)".
LABEL_CUES = frozenset(
    {
        "author",
        "name",
        "client",
        "subject",
        "referrer",
        "recorded",
        "entered",
        "updated",
        "attendees",
        "present",
        "minutes",
        "apologies",
        "signed",
        "approved",
        "completed",
        "authorised",
        "authorized",
        "caller",
        "notified",
        "chair",
        "chaired",
        "household",
        "composition",
        "professional",
        "keyworker",
        "coordinator",
    }
)
# An e-mail's header lines: "From: ...", "Sent: ...", "To: ..."
EMAIL_HEADER = re.compile(
    r"(?mi)^[ \t]*(?:from|sent|to|cc)[ \t]*:.*\n(?:.*\n)?[ \t]*(?:sent|to|cc|subject)[ \t]*:"
)
# Labels of lists of people: a comma there separates people, not "SURNAME, Forename"
LIST_LABELS = frozenset({"household", "composition", "present", "attendees", "apologies"})
# Job titles written after a name and a comma: "Dawn, Team Manager", "- Lee, IRO"
TITLES_AFTER_COMMA = re.compile(
    r",[ ]?(?i:team manager|social worker|practice supervisor|service manager|head ?teacher"
    r"|deputy head|iro|sw|dsl|fsw|senco|chair|health visitor|school nurse|family support worker"
    r"|personal adviser|key ?worker|lead professional|advanced practitioner|duty sw"
    r"|early help worker|youth worker|police officer|pc|ds|dc)\b"
)
# Role words after which a lower-case word is often a verb, not a name ("Mum confirming").
VERB_PRONE_ROLES = frozenset({"mum", "mother", "dad", "father", "child", "baby", "yp", "sw", "hv"})
NOT_NAMES = frozenset(
    [
        "english",
        "french",
        "german",
        "polish",
        "spanish",
        "italian",
        "romanian",
        "lithuanian",
        "latvian",
        "portuguese",
        "turkish",
        "kurdish",
        "arabic",
        "urdu",
        "punjabi",
        "bengali",
        "somali",
        "tigrinya",
        "amharic",
        "sorani",
        "kurmanji",
        "pashto",
        "dari",
        "farsi",
        "sylheti",
        "gujarati",
        "lingala",
        "tamil",
        "chinese",
        "mandarin",
        "cantonese",
        "british",
        "irish",
        "scottish",
        "welsh",
        "african",
        "caribbean",
        "asian",
        "european",
        "muslim",
        "christian",
        "hindu",
        "sikh",
        "jewish",
        "catholic",
        "christmas",
        "easter",
        "eid",
        "diwali",
        "vaisakhi",
        "hanukkah",
        "ramadan",
        "navratri",
        "holi",
        "passover",
        "halloween",
    ]
)
# Words that are also first names in the census lists but are far more often plain English in
# case notes; as names they need a capital letter away from a sentence start, or a cue.
COMMON_WORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "all",
        "also",
        "an",
        "and",
        "any",
        "april",
        "are",
        "as",
        "at",
        "august",
        "autumn",
        "be",
        "been",
        "before",
        "bill",
        "but",
        "by",
        "can",
        "case",
        "child",
        "christian",
        "close",
        "court",
        "dawn",
        "day",
        "dean",
        "did",
        "do",
        "does",
        "early",
        "else",
        "ever",
        "faith",
        "for",
        "frank",
        "from",
        "gay",
        "general",
        "glen",
        "grace",
        "guy",
        "had",
        "has",
        "have",
        "he",
        "her",
        "here",
        "him",
        "his",
        "home",
        "hope",
        "hunter",
        "i",
        "if",
        "in",
        "is",
        "it",
        "ivy",
        "joy",
        "june",
        "just",
        "king",
        "last",
        "lee",
        "long",
        "lot",
        "major",
        "mark",
        "marsh",
        "may",
        "me",
        "might",
        "miles",
        "more",
        "much",
        "must",
        "my",
        "new",
        "next",
        "no",
        "not",
        "note",
        "now",
        "of",
        "on",
        "one",
        "or",
        "our",
        "over",
        "page",
        "park",
        "pat",
        "per",
        "price",
        "ray",
        "contact",
        "chase",
        "drew",
        "sue",
        "art",
        "van",
        "lance",
        "cliff",
        "chance",
        "bud",
        "carol",
        "buck",
        "dusty",
        "rusty",
        "robin",
        "amber",
        "rich",
        "rose",
        "same",
        "school",
        "see",
        "she",
        "should",
        "so",
        "some",
        "soon",
        "still",
        "summer",
        "spring",
        "winter",
        "sun",
        "sunny",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "they",
        "this",
        "those",
        "time",
        "to",
        "too",
        "under",
        "up",
        "us",
        "very",
        "victor",
        "virgin",
        "visit",
        "wade",
        "was",
        "we",
        "well",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "yet",
        "you",
        "young",
        "dee",
        "del",
        "don",
        "ed",
        "eric",
        "fay",
        "fern",
        "hazel",
        "holly",
        "iris",
        "jade",
        "jean",
        "jewel",
        "lana",
        "lane",
        "lou",
        "maria",
        "marie",
        "mason",
        "max",
        "misty",
        "paris",
        "penny",
        "paddy",
        "pearl",
        "rocky",
        "ruby",
        "sandy",
        "scott",
        "sky",
        "sterling",
        "storm",
    ]
)
NEVER_NAMES = ROLES_AND_TITLES | COMMON_WORDS | NOT_NAMES
# Unions the token loop tests often, built once
_ROLES_TITLES_NOT_NAMES = ROLES_AND_TITLES | NOT_NAMES
_ROLE_OR_BRACKET_ROLE = ROLE_CUES | BRACKET_ROLES
_VERBS_AFTER_SUBJECT = FINITE_CUES | PERSON_VERBS
_SENTENCE_NOUNS_NOT_NAMES = SENTENCE_NOUNS | NOT_NAMES
_NOT_BEFORE_NAME = DETERMINERS | NOT_AFTER_NAME
_TITLES_AND_ROLES = TITLES | ROLE_CUES
_WORD = re.compile(r"^[^\W\d_](?:[^\W\d_]|['’-])*$")  # letters of any script: "Tư", "Zoë"


@cache
def first_names() -> frozenset[str]:
    """Lower-cased first names (read once): the ``names`` package's US census lists, the
    many-country list in ``resources/deid/first_names.txt`` (see scripts/build_first_names.py)
    and a hand-written supplement of names common in English families that those lack."""
    found: set[str] = set()
    for filename in ("dist.female.first", "dist.male.first"):
        text = resources.files("names").joinpath(filename).read_text(encoding="utf-8")
        found.update(line.split()[0].lower() for line in text.splitlines() if line.strip())
    for filename in ("first_names.txt", "first_names_supplement.txt"):
        text = resources.files("casenotes.resources.deid").joinpath(filename).read_text("utf-8")
        found.update(line for line in text.splitlines() if line and not line.startswith("#"))
    return frozenset(found)


SURNAME_MAX_RANK = 20_000  # beyond this the census surnames are mostly ordinary words


@cache
def last_names() -> frozenset[str]:
    """Lower-cased common surnames (census rank <= SURNAME_MAX_RANK) from the ``names`` package."""
    text = resources.files("names").joinpath("dist.all.last").read_text(encoding="utf-8")
    found = set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4 and int(parts[3]) <= SURNAME_MAX_RANK:
            found.add(parts[0].lower())
    return frozenset(found)


def plausible_name(word: str, known_words: frozenset[str]) -> bool:
    """A word that could be a name: a known first name or surname, or no English word."""
    lower = word.lower()
    if lower in NOT_NAMES or lower in ROLE_CUES or lower in TITLES:
        return False
    if lower in first_names() or lower in last_names():
        return True
    return lower not in COMMON_WORDS and bool(known_words) and lower not in known_words


def _is_name_word(text: str) -> bool:
    return bool(_WORD.match(text)) and len(text) > 1


def _title_like(token) -> bool:
    """Written as a name is: "Martin", and "McDonagh", "MacLeod", "DeShawn" (which str.istitle
    refuses for the capital inside)."""
    text = token.text
    return token.is_title or (text[:1].isupper() and text[1:2].islower())


def _past_second_barrel(doc, end: int) -> int:
    """``end``, or past the hyphen and second name of a double-barrelled name the tokenizer split
    ("Lee - Smith", "Tyler - Jay"), whatever the second name is ("Watson-Marsh")."""
    if (
        end + 1 < len(doc)
        and doc[end].text in {"-", "‐"}
        and not doc[end].whitespace_
        and not doc[end - 1].whitespace_
        and _is_name_word(doc[end + 1].text)
    ):
        return end + 2
    return end


def _initial_before_name(doc, index: int) -> bool:
    """An initial, with or without its full stop, before a capitalised name: "K Arkwright"."""
    token = doc[index]
    if len(token.text) != 1 or not token.text.isupper():
        return False
    after = index + 1 + (index + 1 < len(doc) and doc[index + 1].text == ".")
    return after < len(doc) and doc[after].is_title and _is_name_word(doc[after].text)


def _char_span(tokens, start: int, end: int) -> tuple[int, int]:
    """The characters of tokens ``start`` to ``end`` (exclusive), as a spaCy span has them."""
    last = tokens[end - 1]
    return tokens[start].idx, last.idx + len(last.text)


def _sentence_start(doc, index: int) -> bool:
    if index == 0:
        return True
    previous = doc[index - 1].text
    return previous in {".", "!", "?", ":", ";", "-", "–", "—", "|"} or "\n" in previous


@cache
def stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


@cache
def _label_stop_words() -> frozenset[str]:
    """Words that end a name after a form label: roles, titles and stop words."""
    return ROLES_AND_TITLES | stop_words()


def english_words(nlp) -> frozenset[str]:
    """English words known to the spaCy model's rule lemmatizer tables (about 90,000 lemmas).

    A lower-case word after a cue ("spoke to jayden") is taken for a name when it is not an
    English word; read before the lemmatizer is removed from the fast pipeline.
    """
    if "lemmatizer" not in nlp.pipe_names:
        return frozenset()
    lookups = nlp.get_pipe("lemmatizer").lookups
    words: set[str] = set()
    if lookups.has_table("lemma_index"):
        for entries in lookups.get_table("lemma_index").values():
            words.update(entries)
    if lookups.has_table("lemma_exc"):
        for table in lookups.get_table("lemma_exc").values():
            for form, lemmas in table.items():
                words.add(form)
                words.update(lemmas)
    return frozenset(word for word in words if word.isalpha()) | stop_words()


class PersonCueRecognizer(EntityRecognizer):
    """PERSON spans from titles, role cues, contact verbs and a first-name lexicon."""

    def __init__(
        self, known_words: frozenset[str] = frozenset(), service_words: frozenset[str] = frozenset()
    ) -> None:
        self.known_words = known_words | stop_words()
        # words of allow-listed terms and collective nouns: "School said", "Staff agreed"
        self.not_subjects = service_words | COLLECTIVES | stop_words() | ROLES_AND_TITLES
        self._never_names_or_stop_words = NEVER_NAMES | stop_words()
        super().__init__(supported_entities=[ENTITY], name=NAME, supported_language="en")

    def _unknown(self, lower: str, slips: bool = False, missing: bool = False) -> bool:
        """Not an English word the model knows, in any common inflection or compound; with
        ``slips``, nor one typing slip away from one ("Casse", "Nexxt", "ifnormation"; with
        ``missing`` also "scool") unless it is a known first name."""
        if not self.known_words or lower in COMMON_WORDS or self._word_form(lower):
            return False
        return not (slips and lower not in first_names() and self._slip_of_word(lower, missing))

    def _word_form(self, lower: str) -> bool:
        """A known word, an inflection of one ("denies", "agencies"), a prefixed one
        ("hypervigilance") or a compound written as one word ("timescale", not "jay|den")."""
        known = self.known_words
        if self._inflected(lower):
            return True
        for prefix in _PREFIXES:
            if (
                lower.startswith(prefix)
                and len(lower) - len(prefix) >= 4
                and lower[len(prefix) :] in known
            ):
                return True
        return len(lower) >= 8 and any(
            lower[:i] in known and lower[i:] in known for i in range(3, len(lower) - 2)
        )

    def _inflected(self, lower: str) -> bool:
        """A known word or a common inflection of one."""
        known = self.known_words
        if lower in known:
            return True
        for suffix in _SUFFIXES:
            if lower.endswith(suffix) and len(lower) >= len(suffix) + 3:
                base = lower[: -len(suffix)]
                if (
                    base in known
                    or base + "e" in known
                    or (suffix in {"ies", "ied"} and base + "y" in known)  # denies, carried
                    or (len(base) > 2 and base[-1] == base[-2] and base[:-1] in known)
                ):
                    return True
        return False

    def _slip_of_word(self, lower: str, missing: bool = False) -> bool:
        """A typing slip away from a word (or an inflection of one): a letter doubled
        ("Nexxt"), two neighbours swapped ("wree", "ifnormation"), in long words a letter too
        many ("agenciees"), and with ``missing`` a letter left out ("scool", "momet"). Short
        names are often that close to a word ("Folake"/"flake", "Mikey"/"mickey"), so the
        looser tests wait for longer words or lower case."""
        if missing and len(lower) >= 3:  # a letter left out: "scool", "tey", "overcrowdng"
            for i in range(1, len(lower) + 1):
                for letter in "abcdefghijklmnopqrstuvwxyz":
                    longer = lower[:i] + letter + lower[i:]
                    if longer in self.known_words or (len(lower) >= 6 and self._inflected(longer)):
                        return True
        if len(lower) < 4:
            return False
        for i in range(len(lower)):
            shorter = lower[:i] + lower[i + 1 :]
            doubled = i + 1 < len(lower) and lower[i] == lower[i + 1]
            if (doubled or len(lower) >= 7) and len(shorter) >= 4 and self._inflected(shorter):
                return True
        for i in range(len(lower) - 1):
            swapped = lower[:i] + lower[i + 1] + lower[i] + lower[i + 2 :]
            if self._inflected(swapped):
                return True
        return False

    def _person_like(self, token) -> bool:
        """A capitalised word before a verb of people that names no group, service or role
        and is no plural: "Obi wrote", "Summer chose" (not "Staff agreed", "Parents said")."""
        lower = token.lower_
        return (
            _is_name_word(token.text)
            and lower not in self.not_subjects
            and lower not in NOT_NAMES
            and not (lower.endswith("s") and self._inflected(lower[:-1]))
        )

    def _english(self, word: str) -> bool:
        lower = word.lower()
        return lower in self.known_words and lower not in first_names()

    def load(self) -> None:
        first_names()

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if ENTITY not in entities or nlp_artifacts is None or nlp_artifacts.tokens is None:
            return []
        # The tokens as a list: indexing a Doc builds a new Token object each time.
        doc = list(nlp_artifacts.tokens)
        lexicon = first_names()
        results: list[RecognizerResult] = self._announced(text)
        # in an e-mail's header "Subject:" heads its subject line, not a person
        labels = LABEL_CUES - {"subject"} if EMAIL_HEADER.search(text) else LABEL_CUES
        n = len(doc)
        i = 0
        while i < n:
            token = doc[i]
            lower = token.lower_
            found: tuple[int, int, float, str] | None = None
            resume = 0  # past a list already taken whole
            nxt = i + 1
            if token.text == "(" and i > 0:
                nickname = self._nickname_in_brackets(doc, text, i, results, lexicon)
                if nickname is not None:
                    results.append(self._result(*nickname, 0.7, "nickname"))
            # Title + name: "Ms Okafor", "DC Lee-Smith", "Mr. J Cole"; in lower case "mrs green"
            if lower.rstrip(".") in TITLES and nxt < n:
                j = nxt + (1 if doc[nxt].text == "." else 0)
                lowercase = (
                    token.is_lower
                    and lower.rstrip(".") in LOWERCASE_TITLES
                    and j < n
                    and doc[j].is_lower
                    and doc[j].lower_ not in stop_words()
                    and doc[j].lower_ not in ROLES_AND_TITLES
                )
                end = self._name_run(doc, j, capitalised=not lowercase)
                if end > j:
                    found = (j, end, 0.85, "title")
            # "lil t", "Lil Jay": a nickname
            elif (
                lower == "lil"
                and nxt < n
                and doc[nxt].text.isalpha()
                and doc[nxt].lower_ not in stop_words()
                and doc[nxt].lower_ not in ROLES_AND_TITLES
            ):
                found = (i, nxt + 1, 0.6, "nickname")
            # Role + bracketed name: "Mum (Summer)", "brother (kai)", "at nans (jean)"
            elif (
                (lower in ROLE_CUES or (lower[-1:] == "s" and lower[:-1] in ROLE_CUES))
                and nxt + 2 < n
                and doc[nxt].text == "("
            ):
                end = nxt + 1
                while end < min(n, nxt + 4) and _is_name_word(doc[end].text):
                    end += 1
                words = {t.lower_ for t in doc[nxt + 1 : end]}
                first = nxt + 1 + (doc[nxt + 1].lower_.rstrip(".") in TITLES)  # "(Mr Jones)"
                if (
                    first < end < n
                    and doc[end].text == ")"
                    and not words & _ROLE_OR_BRACKET_ROLE  # "Team Manager (chair)"
                    and not words & stop_words()  # "(on file)", "(DOB on file)"
                    and not (len(words) > 1 and all(map(self._english, words)))  # "(school age)"
                ):
                    found = (first, end, 0.85, "role_bracket")
            # Role + name in apposition: "mum's partner Dean", "SW Jane Cole", "friend jayden"
            elif lower in ROLE_CUES and nxt < n and self._apposition_start(doc, i, lexicon):
                j = nxt + (doc[nxt].text == ",")
                end = self._name_run(doc, j, capitalised=doc[j].is_title)
                found = (j, max(end, j + 1), 0.7, "role_apposition")
            # Header and form labels: "Author: Rayyan Gallagher", "Recorded by KING, Rocky",
            # "Name: rami ibrahim", "Child: mills, alexander" (the label is trusted: any case)
            elif nxt < n and (
                lower in labels
                or (  # "Mum: Sarah Jones", not "Contact with mum: monthly, supervised"
                    lower in ROLE_CUES
                    and doc[nxt].text == ":"
                    and nxt + 1 < n
                    and self._apposed_name(doc[nxt + 1], lexicon)
                )
            ):
                j = nxt
                while j < n and doc[j].text in {":", "by", "-", "–"} and j - nxt < 2:
                    j += 1
                end = self._label_run(doc, j)
                if (
                    end < n - 1
                    and doc[end].text == ","
                    and end > j
                    and (lower not in LIST_LABELS or doc[j].is_upper)
                ):  # "KING, Rocky"; but "Household: Magda, Kai" is two people
                    after = self._label_run(doc, end + 1, limit=2)
                    if after > end + 1 and end - j == 1 and doc[end].whitespace_:
                        end = after
                if end > j and j > nxt:
                    found = (j, end, 0.7, "form_label")
                    # the rest of a list after the label: "Household: Magda, ace",
                    # "Present: Willow, Jude, SW" (each name its own span)
                    while end + 1 < n and doc[end].text in {",", "&", "and"}:
                        after = self._label_run(doc, end + 1, limit=3)
                        if after == end + 1 or not self._apposed_name(doc[end + 1], lexicon):
                            break  # "Recorded by Tyler Baker, duty SW"
                        results.append(
                            self._result(*_char_span(doc, end + 1, after), 0.7, "form_label")
                        )
                        end = resume = after
            # A name before a comma and a job title: "Dawn, Team Manager", "Lee, IRO"
            elif (
                TITLES_AFTER_COMMA.match(text, token.idx + len(token.text))  # rare: test first
                and _is_name_word(token.text)
                and lower not in ROLES_AND_TITLES
                and lower not in stop_words()
                and lower not in self.not_subjects
                and (
                    lower in lexicon
                    or ((token.is_title or token.is_upper) and self._unknown(lower))
                )
            ):
                # with the name words before it, written the same way: "ADAEZE NWOSU, SOCIAL
                # WORKER", "Dawn Ellis, Team Manager"
                start = i
                while (
                    start > max(0, i - 2)
                    and _is_name_word(doc[start - 1].text)
                    and (doc[start - 1].is_upper if token.is_upper else doc[start - 1].is_title)
                    and doc[start - 1].lower_ not in self._never_names_or_stop_words
                    and doc[start - 1].lower_ not in self.not_subjects
                ):
                    start -= 1
                found = (start, nxt, 0.7, "name_before_title")
            # A name before a bracketed role: "Holly Gill (SW)", "holly gill (DSL)"
            elif self._role_in_brackets_after(doc, text, i):
                end = self._label_run(doc, i, limit=3)
                found = (i, end, 0.7, "name_before_role")
            # A name before a bracketed age: "mason (7)", "Aryan (7 yrs)"
            elif AGE_IN_BRACKETS.match(text, token.idx + len(token.text)) and self._aged_name(
                doc, i, lexicon
            ):
                found = (i, nxt, 0.7, "name_before_age")
            # Contact verb + name: "spoke to jayden", "met with Kai"
            elif lower in CONTACT_CUES:
                j = nxt + (1 if nxt < n and doc[nxt].lower_ in CONTACT_LINKS else 0)
                infinitive = lower in INFINITIVE_CUES and j > nxt and doc[nxt].lower_ == "to"
                if (
                    j < n
                    and not (infinitive and doc[j].is_lower)
                    and self._looks_like_name(doc[j], lexicon, cue=True)
                ):
                    end = self._name_run(doc, j, capitalised=doc[j].is_title)
                    found = (j, max(end, j + 1), 0.6, "contact_verb")
            # A name before a speech verb: "jayden said", "Grace told SW" (a first name, even
            # one that is a word, or a lower-case word that is not English)
            elif (
                nxt < n
                and doc[nxt].lower_ in SPEECH_CUES
                and _is_name_word(token.text)
                and lower not in ROLE_CUES
                and (
                    (token.is_title and lower in lexicon)
                    or (
                        token.is_lower
                        and (lower in lexicon or self._unknown(lower, True, missing=True))
                        and lower not in stop_words()
                    )
                )
            ):
                found = (i, nxt, 0.55, "speech_verb")
            # A first name opening a sentence before its verb: "Poppy gave consent", "Sky took
            # Harry to the GP", "Mahad attending nursery" (not "Court has adjourned")
            elif (
                token.is_title
                and nxt < n
                and _sentence_start(doc, i)
                and doc[nxt].lower_ in _VERBS_AFTER_SUBJECT
                and (
                    (lower in lexicon and lower not in _SENTENCE_NOUNS_NOT_NAMES)
                    or self._unknown(lower, slips=True)
                    or (doc[nxt].lower_ in PERSON_VERBS and self._person_like(token))
                )
                and lower not in stop_words()
                and lower not in ROLES_AND_TITLES
            ):
                rule = "person_verb" if doc[nxt].lower_ in PERSON_VERBS else "subject_name"
                found = (i, nxt, 0.55, rule)
            # A lower-case name that is no English word before its verb: "that kwame is
            # sending", "but aarav is exploited"
            elif (
                token.is_lower
                and nxt < n
                and doc[nxt].lower_ in FINITE_CUES
                and _is_name_word(token.text)
                and lower not in NEVER_NAMES
                and lower not in stop_words()
                and self._unknown(lower, slips=True, missing=True)
            ):
                found = (i, nxt, 0.5, "subject_name")
            # A lower-case first name, even one that is a word, opening a clause before a verb
            # typed without its apostrophe: "summer didnt go to nursery" (not "i hope")
            elif (
                token.is_lower
                and nxt + 1 < n
                and doc[nxt + 1].lower_ == "nt"  # spaCy splits "didnt" into "did" + "nt"
                and doc[nxt].lower_ + "nt" in INFORMAL_NEGATIONS
                and lower in lexicon
                and lower not in _ROLES_TITLES_NOT_NAMES
                and lower not in stop_words()
                and (_sentence_start(doc, i) or doc[i - 1].lower_ in _CLAUSE_OPENERS)
            ):
                found = (i, nxt, 0.5, "subject_before_informal_verb")
            # A lower-case first name, even one that is a word, that owns a person or a thing
            # of a person's: "summer's dad", "jades new number" (not "the kids school")
            elif token.is_lower and (owner := self._possessive_name(doc, i, lexicon)):
                results.append(self._result(token.idx, token.idx + owner, 0.5, "possessive_name"))
                i += 1
                continue
            # A name joined to a name: "Mr Sandhu and jaspreet", "Alfie & ruby", "Wiktoria
            # and Hao" (a first name, even one that is a word, or no English word)
            elif (
                i >= 2
                and doc[i - 1].lower_ in {"and", "&", "+"}
                and _is_name_word(token.text)
                and lower not in _ROLES_TITLES_NOT_NAMES
                and lower not in stop_words()
                and self._name_before(doc, i - 2, lexicon)
                and (
                    (lower in lexicon and (token.is_lower or lower not in COMMON_WORDS))
                    or self._unknown(lower, slips=True)
                )
            ):
                end = self._name_run(doc, i, capitalised=token.is_title)
                found = (i, max(end, i + 1), 0.55, "coordinated_name")
            # A lower-case full name: "DSL ibrahim hughes", "kelly hunter", "summer balogun"
            elif (
                token.is_lower
                and nxt < n
                and doc[nxt].is_lower
                and lower in lexicon
                and lower not in ROLES_AND_TITLES
                and lower not in stop_words()
                and _is_name_word(doc[nxt].text)
                and doc[nxt].lower_ not in self._never_names_or_stop_words
                and (
                    self._unknown(doc[nxt].lower_)
                    or (
                        doc[nxt].lower_ in last_names()
                        and lower not in COMMON_WORDS
                        and (lower not in self.known_words or not self._word_form(doc[nxt].lower_))
                    )
                )
            ):
                found = (i, nxt + 1, 0.5, "lowercase_full_name")
            # A lower-case first name that is also a word, where a person is meant: "review for
            # george", "w/ harry", "that bradley has" (not "to chase the referral")
            elif (
                token.is_lower
                and lower in lexicon
                and lower not in _ROLES_TITLES_NOT_NAMES
                and lower not in stop_words()
                and len(lower) >= 3
                and i > 0
                and doc[i - 1].lower_ in PERSON_BEFORE
                and not (nxt < n and doc[nxt].lower_ in _NOT_BEFORE_NAME)
                and (
                    (
                        lower not in COMMON_WORDS
                        and not (doc[i - 1].lower_ == "to" and lower in self.known_words)
                    )
                    # "hv to jade.", "w/ mason," (a word that is a name, closing its phrase;
                    # not "asked to carry anything")
                    or (
                        lower not in SEASONS_AND_MONTHS
                        and (nxt == n or doc[nxt].text in {".", ",", ";", "!", "?"})
                    )
                )
            ):
                found = (i, i + 1, 0.45, "lowercase_name")
            # A lower-case first name that is no English word: "review for bailey", "kamran"
            elif (
                token.is_lower
                and len(lower) >= 3
                and lower in lexicon
                and lower not in NEVER_NAMES
                and lower not in stop_words()
                and not self._word_form(lower)
                and not (nxt < n and doc[nxt].lower_ in NOT_AFTER_NAME)
            ):
                found = (i, i + 1, 0.5, "lowercase_name")
            # A lexicon first name, capitalised, not at a sentence start, not a common word
            elif (
                token.is_title
                and lower in lexicon
                and lower not in NOT_NAMES
                and (
                    (not _sentence_start(doc, i) and self._not_a_season(doc, i))
                    or (nxt < n and doc[nxt].text in {"'s", "’s"})
                )
            ):
                end = self._name_run(doc, i, capitalised=True)
                found = (i, max(end, i + 1), 0.5, "first_name_lexicon")
            # A capitalised word that is no English word the model knows: "Oliwia", "Chinedu"
            elif (
                token.is_title
                and len(token.text) >= 3
                and token.text.isalpha()
                and lower not in NOT_NAMES
                and not (nxt < n and doc[nxt].text in {"-", "‐"} and not token.whitespace_)
                and not BEFORE_REGISTRATION.match(text, token.idx + len(token.text))
                and self._unknown(lower, slips=True)
            ):
                end = self._name_run(doc, i, capitalised=True)
                found = (i, max(end, i + 1), 0.45, "unknown_capitalised")
            # Initials used as a name: "JJ left at 11:10", "TJ said" (a letter and J)
            elif INITIALS_NAME.match(token.text) and lower not in ROLES_AND_TITLES:
                found = (i, i + 1, 0.6, "initials")
            if found is None:
                i += 1
                continue
            start, end, score, rule = found
            results.append(self._result(*_char_span(doc, start, end), score, rule))
            i = max(end, i + 1, resume)
        results += self._capitals(text)  # after the token loop, which reads results[-1]
        return sorted(results, key=lambda result: result.start)

    def _announced(self, text: str) -> list[RecognizerResult]:
        """Nicknames announced as such ('calling him "Big A"') and the author's initials that
        close a note ("(AB)")."""
        found = []
        # every announced nickname opens a quote after a space: without one, no search (the
        # cue's case-insensitive alternatives are slow to try at every character)
        quoted = QUOTE_AFTER_SPACE.search(text) is not None
        for match in NICKNAME_CUE.finditer(text) if quoted else ():
            words = match.group("value").split()
            if match.group("loose") and not (words and words[0][:1].isupper()):
                continue  # 'her friend "said" no': only a capitalised name after those cues
            if words and words[0].lower() not in stop_words() and len(words) <= 3:
                start, end = match.span("value")
                found.append(self._result(start, end, 0.7, "nickname"))
        sign_off = SIGN_OFF_INITIALS.search(text)
        if sign_off and sign_off.group(1).lower() not in self.not_subjects:
            found.append(self._result(sign_off.start(1), sign_off.end(1), 0.6, "sign_off"))
        elif (alone := SIGN_OFF_ALONE.search(text)) is not None:
            initials = alone.group(1)
            lower = initials.lower()
            if (
                lower not in NOT_SIGN_OFFS
                and lower not in ROLES_AND_TITLES  # "... to the MASH.\nSW"
                and (
                    # capitals: any initials ("SO", "AM") but a service's ("CSC")
                    (initials.isupper() and lower not in self.not_subjects - stop_words())
                    or (  # lower case: "cw", "kp" (two letters), never a word ("end", "bye")
                        lower not in stop_words()
                        and (len(lower) == 2 or lower not in self.known_words)
                    )
                )
            ):
                found.append(self._result(alone.start(1), alone.end(1), 0.6, "sign_off"))
        return found

    def _capitals(self, text: str) -> list[RecognizerResult]:
        """A first name and a surname in capitals, as headings and court papers write them
        ("STATEMENT OF THOMAS HARRINGTON", "AND IBRAHIM RAHMAN (DOB ...)"): both words on the
        name lists, neither a word of the allow-list, a role or a common word."""
        found = []
        for match in CAPITAL_PAIR.finditer(text) if CAPITALS.search(text) else ():
            first, last = match.group(1).lower(), match.group(2).lower()
            if (
                first in first_names()
                and last in last_names()
                and first not in NEVER_NAMES
                and last not in NEVER_NAMES
                and first not in self.not_subjects
                and last not in self.not_subjects
            ):
                found.append(self._result(match.start(1), match.end(2), 0.6, "capitals"))
        return found

    def _nickname_in_brackets(
        self, doc, text: str, i: int, results: list[RecognizerResult], lexicon: frozenset[str]
    ) -> tuple[int, int] | None:
        """The span of a nickname in brackets straight after a name: 'Mr Desmond Grant
        ("Des")', "Kieran McAllister (Kez)"; not a role, service or acronym ("(SW)", "(TES)")."""
        match = NICKNAME_IN_BRACKETS.match(text, doc[i].idx)
        if match is None:
            return None
        quoted, value = bool(match.group(1)), match.group(2)
        words = value.lower().split()
        if any(w in self.not_subjects or w in BRACKET_ROLES or w in NOT_NAMES for w in words):
            return None
        if not quoted and (value.isupper() or not value[0].isupper()):
            return None
        before = doc[i - 1]
        after_name = bool(results) and results[-1].end == before.idx + len(before.text)
        if not after_name and not (_title_like(before) and self._name_before(doc, i - 1, lexicon)):
            return None
        return match.start(2), match.end(2)

    def _aged_name(self, doc, i: int, lexicon: frozenset[str]) -> bool:
        """The word at ``i`` can be a name before a bracketed age: "Aryan (7)", "mason (7)",
        not "Year (7)", "children (3)" or "Section (47)"."""
        token = doc[i]
        lower = token.lower_
        if not _is_name_word(token.text) or lower in self.not_subjects or lower in NOT_NAMES:
            return False
        if token.text.title() in NOT_A_NAME:  # "Section (47)", "Year (7)"
            return False
        if token.is_title:
            return not (
                _sentence_start(doc, i) and lower not in lexicon and not self._unknown(lower)
            )
        return token.is_lower and (
            lower in lexicon or self._unknown(lower, slips=True, missing=True)
        )

    def _possessive_name(self, doc, i: int, lexicon: frozenset[str]) -> int:
        """The length of the name at ``i`` when it owns what follows ("summer's dad", "jades
        new number", "paddys school"), else 0. Without its apostrophe ("jades") the name must
        be a first name that is no other word, or one of the names that are words."""
        lower = doc[i].lower_
        j = i + 1
        if i > 0 and doc[i - 1].lower_ in DETERMINERS:  # "the bills", "her mates"
            return 0
        if j < len(doc) and doc[j].text in {"'s", "’s"}:
            name, j = lower, j + 1
        elif lower.endswith("s") and len(lower) >= 4:
            name = lower[:-1]  # not "class teacher", "parents house"; but "jades", "paddys"
            if name not in COMMON_WORDS and (self._english(name) or self._english(lower)):
                return 0
        else:
            return 0
        if j < len(doc) and doc[j].lower_ in POSSESSED_ADJECTIVES:
            j += 1
        if (
            j >= len(doc)
            or doc[j].lower_ not in POSSESSED
            or len(name) < 3
            or name not in lexicon
            or name in _ROLES_TITLES_NOT_NAMES
            or name in stop_words()
        ):
            return 0
        return len(name)

    def _name_before(self, doc, j: int, lexicon: frozenset[str]) -> bool:
        """The token at ``j`` ends a name: a capitalised name-like word or a first name."""
        token = doc[j]
        lower = token.lower_
        if not _is_name_word(token.text) or lower in NEVER_NAMES or lower in stop_words():
            return False
        return lower in lexicon or (_title_like(token) and self._unknown(lower))

    @staticmethod
    def _label_run(doc, start: int, limit: int = 3) -> int:
        """Name words after a trusted label, in any case, until punctuation or a role word."""
        end = words = start
        while end < len(doc) and words - start < limit:
            lower = doc[end].lower_
            if not _is_name_word(doc[end].text) or lower in _label_stop_words():
                break
            end = _past_second_barrel(doc, end + 1)
            words += 1
        return end

    def _role_in_brackets_after(self, doc, text: str, i: int) -> bool:
        start = doc[i].idx
        if text.find("(", start, start + 60) < 0:
            return False
        if not _is_name_word(doc[i].text) or doc[i].lower_ in _label_stop_words():
            return False
        end = self._label_run(doc, i, limit=3)
        return (
            end + 2 < len(doc)
            and doc[end].text == "("
            and doc[end + 1].lower_ in BRACKET_ROLES
            and doc[end + 2].text == ")"
        )

    @staticmethod
    def _not_a_season(doc, i: int) -> bool:
        """ "over the Summer", "in May": a month or season, not a name."""
        if doc[i].lower_ not in SEASONS_AND_MONTHS:
            return doc[i].lower_ not in COMMON_WORDS or doc[i - 1].lower_ not in {"the", "a"}
        return doc[i - 1].lower_ not in {
            "the",
            "this",
            "last",
            "next",
            "over",
            "during",
            "in",
            "of",
            "by",
            "since",
            "until",
            "from",
            "early",
            "late",
        }

    def _apposition_start(self, doc, i: int, lexicon: frozenset[str]) -> bool:
        """A name follows the role word at ``i``, directly or after a comma ("a friend, erin")."""
        j = i + 1
        if doc[j].text == "," and j + 1 < len(doc):
            j += 1
        token = doc[j]
        if token.is_lower and doc[i].lower_ in VERB_PRONE_ROLES:
            return False
        return _initial_before_name(doc, j) or self._apposed_name(token, lexicon)

    def _apposed_name(self, token, lexicon: frozenset[str]) -> bool:
        """A name right after a role word: "partner Dean", "Nan Rose", "friend aaliyah"."""
        lower = token.lower_
        if not _is_name_word(token.text) or lower in ROLE_CUES or lower in TITLES:
            return False
        if token.is_title:
            return lower in lexicon or self._unknown(lower)
        return lower not in COMMON_WORDS and (
            lower in lexicon or self._unknown(lower, slips=True, missing=True)
        )

    def _looks_like_name(self, token, lexicon: frozenset[str], cue: bool) -> bool:
        lower = token.lower_
        if not _is_name_word(token.text) or lower in NEVER_NAMES:
            return False
        if lower in lexicon:
            return True
        # After a cue: a name if capitalised ("spoke to Kayden") or not an English word ("kayden")
        return cue and (token.is_title or self._unknown(lower))

    def _name_run(self, doc, start: int, capitalised: bool, limit: int = 3) -> int:
        """End of a run of up to ``limit`` name-like tokens from ``start``: capitalised words,
        or (lower case) words that are first names or not English words."""
        end = start
        while end < len(doc) and end - start < limit:
            token = doc[end]
            lower = token.lower_
            if capitalised and _initial_before_name(doc, end):  # "K Arkwright", "J. Cole"
                end += 1 + (doc[end + 1].text == ".")
                continue
            if not _is_name_word(token.text) or lower in ROLE_CUES or lower in TITLES:
                break
            if lower in COMMON_WORDS and not (capitalised and token.is_title):
                break
            if capitalised and not (token.is_upper or _title_like(token)):
                break
            if (
                not capitalised
                and end > start
                and not (
                    lower in first_names()
                    or (lower in last_names() and lower not in stop_words())
                    or self._unknown(lower)
                )
            ):
                break
            end = _past_second_barrel(doc, end + 1)
        return end

    def _result(self, start: int, end: int, score: float, rule: str) -> RecognizerResult:
        explanation = AnalysisExplanation(
            recognizer=NAME, original_score=score, pattern_name=rule, pattern=None
        )
        return RecognizerResult(
            ENTITY,
            start,
            end,
            score,
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: NAME,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                "pattern_name": rule,
            },
        )


_SPLIT = re.compile(r"[\s,]+")
_POSSESSIVE = re.compile(r"['’]s$")


def name_tokens(value: str) -> list[str]:
    """The words of a found name worth propagating ("Jayden-Lee Smith's" -> Jayden-Lee, Smith)."""
    words = []
    for word in _SPLIT.split(value):
        word = _POSSESSIVE.sub("", word.strip(".()[]\"'"))
        if len(word) >= 2 and _is_name_word(word) and word.lower() not in _TITLES_AND_ROLES:
            words.append(word)
    return words


def propagatable_words(
    value: str,
    trusted: bool,
    known_words: frozenset[str] = frozenset(),
    service_words: frozenset[str] = frozenset(),
) -> list[str]:
    """The words of a found name to look for elsewhere in the note and case.

    A name from a trusted cue gives all its words. Otherwise a word must look like a name on
    its own ("Sandhu", "Poppy"), or stand capitalised beside one in a full name: "Faisal
    Sandhu" gives "Faisal" too, though "faisal" is in the model's word list (WordNet has King
    Faisal), so that "Faisal has a sensory plan" is caught later in the note. Words of the
    allow-list's terms (``service_words``: "Family", "Hub", "Contact") are never taken that way.
    """
    words = name_tokens(value)
    if trusted:
        letter = LETTER_NICKNAME.match(value)  # "lil t": "t" on its own is the child too
        return [*words, letter.group(1)] if letter else words
    plausible = [word for word in words if plausible_name(word, known_words)]
    if not plausible or len(words) < 2:
        return plausible
    return [
        word
        for word in words
        if word in plausible
        or (
            word[:1].isupper()
            and word.lower() not in NEVER_NAMES
            and word.lower() not in service_words
        )
    ]


MAX_CACHED_NAME_PATTERNS = 4096


@lru_cache(maxsize=MAX_CACHED_NAME_PATTERNS)
def _name_pattern(name: str, common: bool, bare_s: bool) -> re.Pattern[str]:
    """Where ``name`` stands in a text (see :func:`propagate_names`); compiled once per name,
    as the names of many cases would crowd other patterns out of ``re``'s own small cache."""
    if len(name) == 1:  # a one-letter nickname, as written, never "t/c" or "T."
        return re.compile(rf"(?<![\w'’./-]){re.escape(name)}(?![\w'’./-])")
    if common:  # the word as found, and capitalised ("rami" found -> "Rami" too)
        forms = {name, name[:1].upper() + name[1:]}
        alternatives = "|".join(re.escape(form) for form in sorted(forms))
        return re.compile(rf"(?<![\w'’-])(?:{alternatives})(?![\w-])")
    after = r"(?![\w-])|s(?![\w'’-])" if bare_s else r"(?![\w-])"
    return re.compile(rf"(?<![\w'’-]){re.escape(name)}(?={after})", re.IGNORECASE)


def _joins_words(char: str, extra: str) -> bool:
    return char.isalnum() or char == "_" or char in extra


def name_occurrences(
    text: str, lowered: str, name: str, common: bool, bare_s: bool
) -> list[tuple[int, int]]:
    """Where ``name`` stands in ``text`` (``lowered`` is ``text.lower()``): the spans
    :func:`_name_pattern` finds, found with ``str.find``, as compiling a pattern for each new
    name cost more than the search (most names of an archive occur in one case only)."""
    if len(lowered) != len(text):  # a letter whose lower case is longer ("İ"): the pattern
        return [m.span() for m in _name_pattern(name, common, bare_s).finditer(text)]
    if len(name) == 1:  # a one-letter nickname, as written, never "t/c" or "T."
        haystacks, stops_before, stops_after = [(text, name)], "'’./-", "'’./-"
    elif common:  # the word as found, and capitalised ("rami" found -> "Rami" too)
        forms = {name, name[:1].upper() + name[1:]}
        haystacks, stops_before, stops_after = [(text, f) for f in forms], "'’-", "-"
    else:
        haystacks, stops_before, stops_after = [(lowered, name.lower())], "'’-", "-"
    found = []
    size = len(name)
    bare_s = bare_s and not common and size > 1  # as in the pattern: plain names only
    for haystack, needle in haystacks:
        start = haystack.find(needle)
        while start >= 0:
            end = start + size
            after = text[end : end + 1]
            if not (start and _joins_words(text[start - 1], stops_before)) and (
                not (after and _joins_words(after, stops_after))
                or (
                    bare_s
                    and after in "sS"
                    and not _joins_words(text[end + 1 : end + 2] or " ", "'’-")
                )
            ):
                found.append((start, end))
                start = haystack.find(needle, end)
            else:
                start = haystack.find(needle, start + 1)
    return sorted(found)


# Where a lower-case word that is also a found name ("hope", "grace", "bill") is the name: it
# starts a clause and a verb follows ("grace had a row", "hope texted me"), or its own full
# name follows in brackets ("sky (Sky Hunter)"), or it owns something ("grace's mum").
_CLAUSE_OPENERS = frozenset(
    {"and", "&", "that", "but", "when", "because", "as", "says", "said", "then", "so", "-"}
    | {"say", "tell", "tells", "told", "think", "thinks", "thought", "hope", "hopes", "hoped"}
    | {"know", "knows", "knew", "feel", "feels", "felt", "believes", "reckons", "worried"}
)
# ... or a person is named beside it and the phrase closes: "at home with t and summer.",
# "tell grace and summer", "re paddy,"
_PERSON_BEFORE_WORD = PERSON_BEFORE | CONTACT_CUES | {"w", "tell", "+"}
_VERBS_AFTER_NAME = (
    FINITE_CUES
    | PERSON_VERBS
    | INFORMAL_NEGATIONS
    | frozenset(
        {"texted", "rang", "messaged", "posted", "blocked", "sent", "met", "called", "phoned"}
    )
)
_WORD_BEFORE = re.compile(r"([\w&'’-]+|[.!?,;:(\"“-])\s*$")
_WORD_AFTER = re.compile(r"\s*([a-z']+)")
_CLOSER_AFTER = re.compile(r"\s*(?:[.,;!?):&+]|and\b|$)")
_POSSESSION_AFTER = re.compile(
    rf"\s+(?:(?:{'|'.join(sorted(POSSESSED_ADJECTIVES))})\s+)?"
    rf"(?:{'|'.join(sorted(POSSESSED))})\b"
)


def _common_name_elsewhere(
    text: str, lowered: str, name: str, taken: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Occurrences of a name that is also a word ("Hope", "Bill") in other letter cases, kept
    only where the text uses it as a name (see ``_CLAUSE_OPENERS``)."""
    found: list[tuple[int, int]] = []
    title = name[:1].upper() + name[1:].lower()
    forms = text.count(name) + (text.count(title) if title != name else 0)
    if lowered.count(name.lower()) <= forms:
        return found  # every occurrence is in a capitalised form, matched as before (fast path)
    # the word, or the word with an "s" owning something: "jades new number"
    pattern = re.compile(rf"(?<![\w'’-]){re.escape(name)}(?=s?(?![\w-]))", re.IGNORECASE)
    for match in pattern.finditer(text):
        start, end = match.span()
        if match.group() in (name, title) or any(s < end and start < e for s, e in taken):
            continue  # the capitalised forms are matched as before
        rest = text[end : end + 80]
        if rest[:1] in ("s", "S"):
            if _POSSESSION_AFTER.match(text, end + 1):
                found.append((start, end))
            continue
        if rest.lstrip().startswith("(" + title) or rest[:2] in ("'s", "’s"):
            found.append((start, end))
            continue
        before = _WORD_BEFORE.search(text, 0, start)
        word_before = "" if before is None else before.group(1).lower()
        opener = before is None or word_before in _CLAUSE_OPENERS or not word_before[:1].isalnum()
        after = _WORD_AFTER.match(text, end)
        closer = _CLOSER_AFTER.match(text, end)
        if (opener and after is not None and after.group(1) in _VERBS_AFTER_NAME) or (
            word_before in _PERSON_BEFORE_WORD and closer is not None
        ):
            found.append((start, end))
    return found


def name_initials(value: str) -> set[str]:
    """The initials a found name of two or more words may go by: "Joanne Bailey-Kerr" gives "JB"
    and "JBK", "Siobhan O'Neill" gives "SO", "SON" and "SO'N"."""
    words = [word for word in name_tokens(value) if word[:1].isalpha()]
    if len(words) < 2:
        return set()
    variants = [""]
    for word in words:
        parts = [part for part in word.split("-") if part]
        forms = {word[0].upper()}
        if len(parts) > 1:
            forms.add("".join(part[0].upper() for part in parts))
        apostrophe = re.match(r"^([A-Za-z])['’]([A-Za-z])", word)
        if apostrophe:
            first, second = apostrophe.group(1).upper(), apostrophe.group(2).upper()
            forms |= {first + second, f"{first}'{second}", f"{first}’{second}"}
        variants = [v + form for v in variants for form in forms]
    return {v for v in variants if sum(c.isalpha() for c in v) >= 2}


def propagate_names(
    text: str,
    names: Iterable[str],
    taken: list[tuple[int, int]],
    known_words: frozenset[str] = frozenset(),
) -> list[tuple[int, int]]:
    """Other occurrences of ``names`` in ``text`` that no found span already covers.

    A name that is a common word ("Hope", "Will") or a surname that is a word ("Little",
    "Green") is matched only where capitalised; any other name in any case ("jayden", "JAYDEN",
    and first names the word list knows from elsewhere: "elijah", "poppy").
    """
    found: list[tuple[int, int]] = []
    lowered = text.lower()
    for name in sorted(set(names), key=len, reverse=True):
        lower = name.lower()
        common = lower in COMMON_WORDS or (lower in known_words and lower not in first_names())
        if common and len(lower) > 1:
            found += _common_name_elsewhere(text, lowered, name, taken + found)
        # a possessive without its apostrophe too ("at kais mates flat"), when the name with an
        # "s" is no word or other name ("Ros" stays out of "Ross")
        plural = lower + "s"
        bare_s = (
            not common
            and len(lower) >= 3
            and plural not in known_words
            and plural not in first_names()
        )
        for start, end in name_occurrences(text, lowered, name, common, bare_s):
            if any(s < end and start < e for s, e in taken + found):
                continue
            found.append((start, end))
    return found
