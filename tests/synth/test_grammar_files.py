"""Checks on the synthetic generator's grammar files that the loader does not make.

The loader (casenotes.synth.lexicon) validates shape: slots, brackets, trimmed forms. These tests
guard the *meaning* of the gold data:

- text that is never annotated (style headers, openings, closings, filler sentences) must not state
  a risk, or the corpus would hold risk mentions missing from its gold annotations;
- a frame's qualifier code must agree with the cue words it is written with (a negated frame has a
  negation cue, a possible one a hedge, ...);
- risk forms keep the conventions the frames rely on (article-typed noun phrases, no cue words
  inside a span, no "being ..." -ing forms, no negated predicates).
"""

from __future__ import annotations

import re
from importlib import resources

import pytest
import yaml

from casenotes.synth.grammar import all_expansions
from casenotes.synth.lexicon import load_grammar

PACKAGE = "casenotes.resources.synth"


def _load(name: str) -> dict:
    return yaml.safe_load(resources.files(PACKAGE).joinpath(name).read_text(encoding="utf-8"))


def _plain(template: str) -> str:
    """A template's words with choice markup turned into spaces (every alternative is kept)."""
    return re.sub(r"[\[\]|]", " ", template)


# Words that state (or strongly imply) one of the ten risks. Matched case-insensitively at a word
# start; an entry ending in "\b" must also end a word. Acronyms that are ordinary words in lower
# case ("DA", "SM") are matched case-sensitively in RISK_ACRONYMS.
RISK_WORDS = (
    r"drink",
    r"drunk",
    r"alcohol",
    r"cannabis",
    r"weed\b",
    r"drug",
    r"cocaine",
    r"crack\b",
    r"heroin",
    r"methadone",
    r"spice\b",
    r"ketamine",
    r"intoxicat",
    r"substance",
    r"domestic",
    r"abuse",
    r"abusive",
    r"violen",
    r"assault",
    r"coerc",
    r"controlling",
    r"non-molestation",
    r"refuge",
    r"argu",
    r"fight",
    r"shout",
    r"bruis",
    r"black eye",
    r"depress",
    r"anxi",
    r"suicid",
    r"self-harm",
    r"self harm",
    r"overdose",
    r"psych(?!olog)",
    r"sectioned",
    r"crisis team",
    r"mental health",
    r"low mood",
    r"antidepress",
    r"bipolar",
    r"evict",
    r"arrears",
    r"homeless",
    r"hostel",
    r"sofa surf",
    r"temporary accommodation",
    r"notice to quit",
    r"section 21\b",
    r"overcrowd",
    r"damp\b",
    r"mould",
    r"exclu",
    r"suspen",
    r"reduced timetable",
    r"part-time timetable",
    r"managed move",
    r"alternative provision",
    r"pupil referral",
    r"isolation",
    r"not in education",
    r"dropped out",
    r"arrest",
    r"offend",
    r"bail\b",
    r"custody",
    r"remand",
    r"prison",
    r"convict",
    r"knife",
    r"weapon",
    r"shoplift",
    r"stole",
    r"steal",
    r"theft",
    r"burglar",
    r"robbery",
    r"reparation",
    r"referral order",
    r"trouble",
    r"exploit",
    r"county lines",
    r"groom",
    r"traffick",
    r"cuckoo",
    r"trap house",
    r"burner",
    r"gang",
    r"missing",
    r"abscond",
    r"ran away",
    r"run away",
    r"runaway",
    r"return home interview",
    r"neglect",
    r"lice\b",
    r"unsupervised",
    r"home alone",
    r"hungry",
    r"unwashed",
    r"dirty",
    r"filth",
    r"faeces",
    r"not brought",
)
RISK_ACRONYMS = (
    "DV",
    "DA",
    "DVA",
    "MARAC",
    "IDVA",
    "DASH",
    "SM",
    "MH",
    "PND",
    "PTSD",
    "PRU",
    "PEX",
    "FTE",
    "AP",
    "NEET",
    "EET",
    "RUI",
    "YRO",
    "YOI",
    "CCE",
    "CSE",
    "NRM",
    "MFH",
    "RHI",
    "WNB",
    "in TA",
    "B&B",
)
# Legitimate non-risk uses of a listed word, removed before matching:
ALLOW = (
    # an SEN service, not a mental-health one ("psych" is on the list for psychosis/psychiatric).
    "educational psychologist",
    "Educational Psychology Service",
)
_WORDS = re.compile(r"\b(?:" + "|".join(RISK_WORDS) + ")", re.IGNORECASE)
_ACRONYMS = re.compile(r"(?<![\w&])(?:" + "|".join(map(re.escape, RISK_ACRONYMS)) + r")(?![\w&])")


def risk_words(text: str) -> list[str]:
    for allowed in ALLOW:
        text = re.sub(re.escape(allowed), " ", text, flags=re.IGNORECASE)
    return _WORDS.findall(text) + _ACRONYMS.findall(text)


def _unannotated_templates() -> list[tuple[str, str]]:
    styles = _load("styles.yaml")
    found = []
    for name, style in styles["styles"].items():
        for part in ("header", "open", "close"):
            found += [(f"style {name} {part}", text) for text in style.get(part, ())]
    for pool, texts in styles["fillers"].items():
        found += [(f"filler {pool}", text) for text in texts]
    return found


def test_keyword_list_catches_risk_statements():
    assert risk_words("Mum was drinking and shouting")
    assert risk_words("?DV at the address")
    assert risk_words("YP went missing on Friday")
    assert risk_words("rent arrears of £400")
    assert not risk_words("The home was warm and tidy; Mum has been attending the parenting course")
    assert not risk_words("Apologies from CAMHS and the GP; the educational psychologist attended")
    assert not risk_words("Daisy's TAF meeting")  # acronyms match whole words only


@pytest.mark.parametrize("where, template", _unannotated_templates())
def test_unannotated_text_states_no_risk(where, template):
    assert not risk_words(_plain(template)), f"{where}: {template!r} mentions a risk"


def test_filler_pools_are_large_and_styles_use_known_pools():
    styles = _load("styles.yaml")
    for pool, texts in styles["fillers"].items():
        assert len(texts) >= 15, f"filler pool {pool!r} has only {len(texts)} sentences"
        assert len(set(texts)) == len(texts), f"filler pool {pool!r} repeats a sentence"
    for name, style in styles["styles"].items():
        assert set(style["fillers"]) <= set(styles["fillers"]), name


# ------------------------------------------------------------------------------------- frames
NEGATION = re.compile(r"\b(no|not|never|denies|denied|none|nothing|ruled out|hasn't|NFA)\b", re.I)
HEDGE = re.compile(
    r"\b(concern(s|ed)?|worried|alleg\w*|believ\w*|suspect\w*|query|unclear|unverified|unconfirmed|"
    r"not (?:known|clear|confirmed)|may|might|could|possibl\w*|possibility|perhaps|reportedly|"
    r"rumours|thinks?|wonders|suggests?|suggested|indicators?|signs|potential|cannot rule out|"
    r"could not rule out|thought)\b|\?|\bQ\b",
    re.I,
)
HISTORICAL = re.compile(
    r"\{PAST(_CAP)?\}|\{year\}|\b(history|historic(al)?|previous(ly)?|past|used to|was|were|had|"
    r"stopped|records show|chronology|before|known to services|some years ago|ever|never)\b",
    re.I,
)
HYPOTHETICAL = re.compile(
    r"\{COND(_CAP)?\}|\b(if|should|risk of|could|would|will|in case of|plan (is|for)|prevent|"
    r"what to do|may)\b",
    re.I,
)


def _frames() -> list[dict]:
    return _load("frames.yaml")["frames"]


@pytest.mark.parametrize("frame", _frames(), ids=lambda f: f["text"][:60])
def test_frame_cues_match_qualifier_code(frame):
    code, text = frame["q"], frame["text"]
    # the {R} slot and the subject are not cue words; look at the frame's own words only
    words = text.replace("{R}", " ").replace("{BENIGN_NEG}", " ")
    if code.endswith("-n"):
        assert NEGATION.search(words), f"negated frame without a negation cue: {text}"
    if code in ("c-p", "h-p", "y-p"):
        assert HEDGE.search(words), f"'possible' frame without a hedge: {text}"
    if code.startswith("h-"):
        assert HISTORICAL.search(words), f"historical frame without a past cue: {text}"
    if code.startswith("y-"):
        assert HYPOTHETICAL.search(words), f"hypothetical frame without a conditional cue: {text}"
    if code == "c-a":
        for alternative in all_expansions(text):
            cue = re.search(
                r"\b(if|alleged|suspected|may|might|possibly|at risk of)\b|\?", alternative
            )
            assert not cue, f"affirmed current frame reads as a hedge/hypothetical: {alternative}"


@pytest.mark.parametrize("frame", _frames(), ids=lambda f: f["text"][:60])
def test_optional_parts_never_drop_the_subject(frame):
    """A frame naming {S} is used for mentions about someone other than the default subject, so
    every expansion must still name them."""
    text = frame["text"]
    if "{S}" in text or "{S_poss}" in text:
        for alternative in all_expansions(text):
            assert "{S}" in alternative or "{S_poss}" in alternative, alternative


# -------------------------------------------------------------------------------------- forms
CUE_START = re.compile(
    r"^(no|not|denies|denied|concerns?|may|might|possible|suspected|alleged|at risk of|history of|"
    r"previously|if|query)\b",
    re.I,
)


def _forms():
    grammar = load_grammar()
    for label, category in grammar.risks.categories.items():
        for form in category.forms:
            yield label.value, form


@pytest.mark.parametrize("label, form", list(_forms()), ids=lambda x: getattr(x, "text", x))
def test_risk_forms_keep_the_frame_conventions(label, form):
    for expansion in all_expansions(form.text):
        if form.type == "np":
            has_article = expansion.split(" ", 1)[0] in {"a", "an"}
            assert has_article == (form.grammatical_type == "npa"), (
                f"{label}: {form.text!r} mixes noun phrases with and without an article"
            )
            if expansion.startswith(("no ", "not ")):
                assert form.text.startswith(("no ", "not ")), (
                    f"{label}: {form.text!r} hides a negative start the loader cannot see"
                )
        assert not CUE_START.match(expansion) or expansion.startswith(("no ", "not ")), (
            f"{label}: {expansion!r} starts with a cue word"
        )
        if form.type == "ing":
            assert not expansion.startswith("being "), f"{label}: {expansion!r}"
        if form.type == "pred":
            assert not re.search(r"\b(not|no|never|didn't)\b", expansion), f"{label}: {expansion!r}"


def test_every_category_has_many_surface_forms():
    grammar = load_grammar()
    for label in grammar.risks.categories:
        assert grammar.surface_form_count(label) >= 60, label
