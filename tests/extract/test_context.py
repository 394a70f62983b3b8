"""The context component: every qualifier value, pseudo-triggers, terminators and subjects."""

from __future__ import annotations

import pytest

# (text, span, negated, subject, temporality, certainty)
TABLE = [
    # negation
    ("No concerns about alcohol.", "alcohol", True, "parent", "current", "affirmed"),
    ("Mum denies any DV.", "DV", True, "parent", "current", "affirmed"),
    ("DV was denied by both parents.", "DV", True, "parent", "current", "affirmed"),
    ("There is no evidence of drug use.", "drug use", True, "parent", "current", "affirmed"),
    ("Cannabis use - none reported.", "Cannabis use", True, "parent", "current", "affirmed"),
    (
        "No wheezes, rales, cannabis or alcohol.",
        "cannabis or alcohol",
        True,
        "parent",
        "current",
        "affirmed",
    ),
    # near-misses of negation
    ("Police took no further action over the DV.", "DV", False, "parent", "current", "affirmed"),
    ("Not only DV but also alcohol.", "DV", False, "parent", "current", "affirmed"),
    ("No change in mum's drinking.", "drinking", False, "parent", "current", "affirmed"),
    ("Mum has not stopped drinking.", "drinking", False, "parent", "current", "affirmed"),
    (
        "YP is not in education, employment or training.",
        "not in education, employment or training",
        False,
        "child",
        "current",
        "affirmed",
    ),
    # possible
    (
        "There are concerns that mum is drinking.",
        "drinking",
        False,
        "parent",
        "current",
        "possible",
    ),
    ("Dad is alleged to have hit mum.", "hit mum", False, "parent", "current", "possible"),
    ("Mum is believed to be using cocaine.", "cocaine", False, "parent", "current", "possible"),
    ("Mum may be using cannabis.", "cannabis", False, "parent", "current", "possible"),
    (
        "Cannabis use suspected, not confirmed.",
        "Cannabis use",
        False,
        "parent",
        "current",
        "possible",
    ),
    (
        "?cannabis use - discuss in supervision.",
        "cannabis use",
        False,
        "parent",
        "current",
        "possible",
    ),
    # plain reported speech and observation stay affirmed
    ("YP disclosed smoking cannabis.", "smoking cannabis", False, "child", "current", "affirmed"),
    ("Mum told SW she drinks daily.", "drinks daily", False, "parent", "current", "affirmed"),
    # historical
    ("Mum has a history of depression.", "depression", False, "parent", "historical", "affirmed"),
    ("Dad was in prison in 2018.", "in prison", False, "parent", "historical", "affirmed"),
    ("Mum used to drink heavily.", "drink heavily", False, "parent", "historical", "affirmed"),
    ("Mum previously had rent arrears.", "rent arrears", False, "parent", "historical", "affirmed"),
    ("The DV was some years ago.", "DV", False, "parent", "historical", "affirmed"),
    ("Mum has never been homeless.", "homeless", True, "parent", "historical", "affirmed"),
    # near-misses: words of the past that do not date the risk
    (
        "The 14-year-old is smoking cannabis.",
        "smoking cannabis",
        False,
        "child",
        "current",
        "affirmed",
    ),
    (
        "Mum drinks alcohol once or twice a week.",
        "alcohol",
        False,
        "parent",
        "current",
        "affirmed",
    ),
    (
        "Rent arrears remain, as previously noted.",
        "Rent arrears",
        False,
        "parent",
        "current",
        "affirmed",
    ),
    (
        "Mum has a six-month history of self-harm.",
        "self-harm",
        False,
        "parent",
        "current",
        "affirmed",
    ),
    (
        "Dad controls the money and has stopped her seeing friends.",
        "controls the money",
        False,
        "parent",
        "current",
        "affirmed",
    ),
    (
        "Mum was under the influence and the contact was ended early.",
        "under the influence",
        False,
        "parent",
        "current",
        "affirmed",
    ),
    (
        "Intel suggests Kai is being used to deliver drugs.",
        "deliver drugs",
        False,
        "child",
        "current",
        "possible",
    ),
    # a role revealed late in the note holds for all of it; an indefinite someone in an earlier
    # sentence is not who "he" is
    (
        "Ava was seen after her overdose. A plan was agreed with Ava and her dad.",
        "overdose",
        False,
        "child",
        "current",
        "affirmed",
    ),
    (
        "Kyle (15) said he went to see a mate. He smokes cannabis daily.",
        "smokes cannabis",
        False,
        "child",
        "current",
        "affirmed",
    ),
    (
        "Her hair strand test (May 2023) was positive for cocaine.",
        "positive for cocaine",
        False,
        "parent",
        "current",
        "affirmed",
    ),
    ("The rent account is clear of arrears.", "arrears", True, "parent", "current", "affirmed"),
    ("Dad - DV hx, no contact since 2021.", "DV", False, "parent", "historical", "affirmed"),
    ("Her low mood has lifted.", "low mood", False, "parent", "historical", "affirmed"),
    (
        "Kai completed his referral order.",
        "referral order",
        False,
        "child",
        "historical",
        "affirmed",
    ),
    (
        "The family are threatened with eviction.",
        "eviction",
        False,
        "parent",
        "hypothetical",
        "affirmed",
    ),
    (
        "If the rent is not paid this could lead to arrears.",
        "arrears",
        False,
        "parent",
        "hypothetical",
        "affirmed",
    ),
    # hypothetical
    (
        "If mum resumes drinking, SW will convene a meeting.",
        "drinking",
        False,
        "parent",
        "hypothetical",
        "affirmed",
    ),
    (
        "There is a risk of eviction if arrears continue.",
        "eviction",
        False,
        "parent",
        "hypothetical",
        "affirmed",
    ),
    (
        "The family are at risk of becoming homeless.",
        "homeless",
        False,
        "parent",
        "hypothetical",
        "affirmed",
    ),
    ("SW will refer to MARAC.", "MARAC", False, "parent", "hypothetical", "affirmed"),
    (
        "YP may be at risk of exploitation.",
        "exploitation",
        False,
        "child",
        "hypothetical",
        "possible",
    ),
    # subject
    ("Mum's partner has a history of DV.", "DV", False, "parent", "historical", "affirmed"),
    (
        "YP's boyfriend uses coercive control.",
        "coercive control",
        False,
        "child",
        "current",
        "affirmed",
    ),
    ("Stepdad is drinking heavily.", "drinking heavily", False, "parent", "current", "affirmed"),
    # a family history is the relatives', not the child's; a bare history is the child's own
    ("Kai has a family history of theft.", "theft", False, "parent", "historical", "affirmed"),
    ("Kai has a history of offending.", "offending", False, "child", "historical", "affirmed"),
    ("The young person is excluded.", "excluded", False, "child", "current", "affirmed"),
    ("His sister was excluded.", "excluded", False, "child", "current", "affirmed"),
    ("Nan is drinking daily.", "drinking daily", False, "parent", "current", "affirmed"),
    ("A neighbour is using cocaine.", "cocaine", False, "other", "current", "affirmed"),
    ("His friend was arrested.", "arrested", False, "other", "current", "affirmed"),
    ("YP was the victim of a robbery.", "robbery", False, "other", "current", "affirmed"),
    ("YP witnessed DV at home.", "DV", False, "parent", "current", "affirmed"),
    ("Mum left the children home alone.", "home alone", False, "parent", "current", "affirmed"),
    # past by its own time: years ago, when someone was young, resolved or passed since
    ("Mum had depression yrs ago.", "depression", False, "parent", "historical", "affirmed"),
    (
        "His father was violent to his mother when Jordan was young.",
        "violent to his",
        False,
        "parent",
        "historical",
        "affirmed",
    ),
    (
        "Her dad was sectioned when she was 10.",
        "sectioned",
        False,
        "parent",
        "historical",
        "affirmed",
    ),
    (
        "His thoughts of suicide have passed.",
        "thoughts of suicide",
        False,
        "child",
        "historical",
        "affirmed",
    ),
    (
        "The damp and mould, which is now resolved.",
        "damp and mould",
        False,
        "parent",
        "historical",
        "affirmed",
    ),
    # ... not when something else has passed, nor a when-clause about now
    (
        "Aware of the DV, the DSL has passed the referral on.",
        "DV",
        False,
        "parent",
        "current",
        "affirmed",
    ),
    ("When mum is drinking she is not safe.", "drinking", False, "parent", "current", "affirmed"),
    # a negation inside an "if" clause stops at the comma that closes it
    (
        "If the arrears are not cleared, he is at risk of eviction.",
        "eviction",
        False,
        "parent",
        "hypothetical",
        "affirmed",
    ),
    (
        "Dad says there is no DV, drugs or alcohol.",
        "drugs or alcohol",
        True,
        "parent",
        "current",
        "affirmed",
    ),
    # "no longer" and abstinence: absent now (negated, current), not a past episode
    ("YP is no longer NEET.", "NEET", True, "child", "current", "affirmed"),
    ("Mum has been abstinent from alcohol.", "alcohol", True, "parent", "current", "affirmed"),
    ("Checks: DV x, MH ongoing.", "DV", True, "parent", "current", "affirmed"),
    ("Homelessness was avoided.", "Homelessness", True, "parent", "current", "affirmed"),
    # a worry about the future is hypothetical, not a suspicion
    (
        "She is worried she could lose the tenancy.",
        "lose the tenancy",
        False,
        "parent",
        "hypothetical",
        "affirmed",
    ),
    ("Log it as a CCE concern.", "CCE", False, "child", "current", "possible"),
    ("It's looking like county lines.", "county lines", False, "child", "current", "possible"),
    # a day is not the past; a year is
    ("YP was reported MFH on 09/09.", "MFH", False, "child", "current", "affirmed"),
    ("YP was reported MFH in 2019.", "MFH", False, "child", "historical", "affirmed"),
    (
        "Risk of homelessness if a property is not found.",
        "homelessness",
        False,
        "parent",
        "hypothetical",
        "affirmed",
    ),
    ("YP was robbed of a package.", "robbed", False, "other", "current", "affirmed"),
    (
        "The neighbour's son was charged with ABH.",
        "was charged with ABH",
        False,
        "other",
        "current",
        "affirmed",
    ),
    (
        "Kai was arrested on suspicion of burglary.",
        "arrested on suspicion of burglary",
        False,
        "child",
        "current",
        "possible",
    ),
]


@pytest.mark.parametrize(("text", "span", "negated", "subject", "temporality", "certainty"), TABLE)
def test_qualifiers(extract, text, span, negated, subject, temporality, certainty):
    found = {m[0]: m[2:] for m in extract(text)}
    assert span in found, f"no mention {span!r}; found {list(found)}"
    assert found[span] == (negated, subject, temporality, certainty)


def test_every_qualifier_value_is_covered_by_the_table():
    values = {(i, row[i]) for row in TABLE for i in range(2, 6)}
    assert {(2, True), (2, False)} <= values
    assert {(3, "parent"), (3, "child"), (3, "other")} <= values
    assert {(4, "current"), (4, "historical"), (4, "hypothetical")} <= values
    assert {(5, "affirmed"), (5, "possible")} <= values


@pytest.mark.parametrize(
    ("text", "negated_spans", "affirmed_spans"),
    [
        ("No concerns about school, but mum is drinking.", [], ["drinking"]),
        ("No DV; mum is drinking heavily.", ["DV"], ["drinking heavily"]),
        ("Denies cannabis, however reports drinking daily.", ["cannabis"], ["drinking daily"]),
        ("No DV reported.\nMum is drinking.", ["DV"], ["drinking"]),
        ("No DV. Mum is drinking.", ["DV"], ["drinking"]),
        ("No DV and mum is drinking.", ["DV"], ["drinking"]),
    ],
)
def test_scope_stops_at_terminators(extract, text, negated_spans, affirmed_spans):
    found = {m[0]: m[2] for m in extract(text)}
    for span in negated_spans:
        assert found[span] is True
    for span in affirmed_spans:
        assert found[span] is False


def test_scope_is_limited_in_words(extract):
    text = "No concerns raised at the meeting today by the school nurse or the family about DV."
    found = {m[0]: m[2] for m in extract(text)}
    assert found["DV"] is False


@pytest.mark.parametrize(
    ("text", "span", "subject"),
    [
        ("YP was excluded last week. He says he has been self-harming.", "self-harming", "child"),
        ("Mum was tearful. She says she has been self-harming.", "self-harming", "parent"),
        ("Mum (Sarah) said Sarah is drinking.", "drinking", "parent"),
        ("Mum ([PERSON_1]) is well; [PERSON_1] is drinking.", "drinking", "parent"),
        ("Jack's mum is depressed. Jack is excluded.", "excluded", "child"),
        ("Dad is well. [PERSON_2] is drinking.", "drinking", "parent"),
        ("[PERSON_3] (15) was seen. She is smoking cannabis.", "smoking cannabis", "child"),
        ("[PERSON_3] (35) was seen. She is smoking cannabis.", "smoking cannabis", "parent"),
        # "mother" is a person, not a typo of the terminator "other"
        ("Contingency: should Mother relapse, the children move.", "relapse", "parent"),
        # "he" never stands for a group
        ('YP is out. He said "with mates". He is smoking weed.', "smoking weed", "child"),
        # "his mum" makes whoever "his" stands for a child of the case
        ("Kai is back. His mum says he is smoking weed.", "smoking weed", "child"),
        # a clause without a subject of its own continues the one before it
        ("Dad was arrested and is now on bail.", "on bail", "parent"),
        ("YP is currently sofa surfing with a friend.", "sofa surfing", "child"),
        # ... but not past a speaker: "however Mum disclosed" is Mum speaking
        ("The baby is well, however Mum disclosed DV.", "DV", "parent"),
        # an age after a name makes a child; a digit that is no number is no age
        ("Kai (15) has been drinking heavily.", "drinking heavily", "child"),
        ("Kai (² has been drinking heavily.", "drinking heavily", "parent"),
        # someone in a bracket that closed before the mention is not its subject
        ("Dean (father of Mason) is serving a custodial sentence.", "custodial sentence", "parent"),
        (
            "Dean (father of Mason, 7) is serving a custodial sentence.",
            "custodial sentence",
            "parent",
        ),
        # a professional acting on the person named straight after: that person is it
        ("Police arrested the upstairs neighbour in December.", "arrested", "other"),
        ("The man was traced and police have charged him.", "charged", "other"),
        ("Officer noted black mould in the children's bedroom.", "black mould", "parent"),
        # a companion is not the subject ...
        ("YP admits he went out with a friend and drank vodka.", "vodka", "child"),
        ("Talks about drinking most nights with mates.", "drinking most nights", "parent"),
        # ... unless a relative clause makes them one
        ("YP lives with dad, who is drinking heavily.", "drinking heavily", "parent"),
        # a clause that starts with a verb after "but" continues its subject
        ("YP admits drinking with older males but denies drug use.", "drug use", "child"),
        ("YP is doing well but the neighbour is drinking.", "drinking", "other"),
        # self-harm is the young person's unless the note says whose
        ("No further self-harm reported by Mum or school.", "self-harm", "child"),
        ("There is no history of self-harm.", "self-harm", "child"),
        ("Mum disclosed that she has self-harmed.", "self-harmed", "parent"),
    ],
)
def test_pronouns_and_names(extract, text, span, subject):
    found = {m[0]: m[3] for m in extract(text)}
    assert found[span] == subject


@pytest.mark.parametrize(
    "text",
    [
        "Alcohol:\nNo concerns.",
        "Cannabis use: none reported.",
        "POLICE NOTIFICATION - MISSING PERSON\nSeen today.",
    ],
)
def test_section_heading_is_not_a_mention(extract, text):
    assert extract(text) == []


def test_context_rules_survive_to_disk_and_back(tmp_path, nlp):
    import spacy

    nlp.to_disk(tmp_path / "pipe")
    loaded = spacy.load(tmp_path / "pipe")
    doc = loaded("Mum has a history of DV. YP is open to CAMHS.")
    got = [(s.text, s._.temporality, s._.subject) for s in doc.spans["risks"]]
    assert got == [("DV", "historical", "parent"), ("open to CAMHS", "current", "child")]


def test_add_pipe_by_name_works_in_any_pipeline():
    import spacy

    other = spacy.blank("en")
    other.add_pipe("sentencizer")
    other.add_pipe("casenotes_risk_matcher_v1")
    other.add_pipe("casenotes_context_v1")
    doc = other("No concerns about alcohol.")
    assert [(s.text, s._.negated) for s in doc.spans["risks"]] == [("alcohol", True)]


def _case_subjects(nlp, notes, chunk=256):
    from casenotes.extract.pipeline import note_mentions
    from casenotes.records import Note

    records = [Note(note_id=f"n{i}", text=t, case_id=c) for i, (c, t) in enumerate(notes)]
    return [
        [(r.text[m.start : m.end], m.subject.value) for m in found]
        for r, found in zip(records, note_mentions(nlp, records, chunk), strict=True)
    ]


def test_a_role_given_in_one_note_holds_in_later_notes_of_the_case(nlp):
    notes = [
        ("C1", "Home visit. Mum (Chantelle) was seen with the children."),
        ("C1", "Chantelle says she has depression."),
        ("C2", "Chantelle says she has depression."),  # another case: nothing known
    ]
    assert _case_subjects(nlp, notes) == [
        [],
        [("depression", "parent")],
        [("depression", "parent")],  # the label's default
    ]
    notes = [
        ("C1", "Kian (14) seen at school."),
        ("C1", "Kian says he has depression."),
        ("C2", "Kian says he has depression."),
    ]
    assert _case_subjects(nlp, notes) == [
        [],
        [("depression", "child")],
        [("depression", "parent")],
    ]


def test_case_roles_are_forgotten_between_chunks_and_do_not_depend_on_processes(nlp):
    notes = [("C1", "Kian (14) seen at school."), ("C1", "Kian says he has depression.")]
    together = _case_subjects(nlp, notes, chunk=2)
    apart = _case_subjects(nlp, notes[:1]) + _case_subjects(nlp, notes[1:])
    assert together[1] == [("depression", "child")]
    assert apart[1] == [("depression", "parent")]  # a new chunk starts with nothing remembered


def test_texts_without_a_case_share_nothing(nlp):
    from casenotes.extract.pipeline import extract_mentions

    found = list(extract_mentions(nlp, ["Kian (14) seen.", "Kian says he has depression."]))
    assert [m.subject.value for m in found[1]] == ["parent"]


def test_chronology_entries_dated_long_before_the_note_are_historical(nlp):
    import datetime as dt

    from casenotes.extract.pipeline import note_mentions
    from casenotes.records import Note

    text = (
        "CHRONOLOGY\n"
        "14/06/18 - Police attended following a report of domestic abuse.\n"
        "09/01/23 | HV | Mum disclosed low mood.\n"
        "20/06/18 - Plan: if Dad is drinking again, call police."
    )
    dated = Note(note_id="c1", text=text, date=dt.date(2023, 3, 1))
    undated = Note(note_id="c2", text=text)
    got = [
        [(text[m.start : m.end], m.temporality.value) for m in found]
        for found in note_mentions(nlp, [dated, undated])
    ]
    assert got[0] == [
        ("domestic abuse", "historical"),  # more than half a year before the note
        ("low mood", "current"),  # seven weeks before it
        ("drinking", "hypothetical"),  # a trigger still decides
    ]
    assert got[1][0] == ("domestic abuse", "current")  # no note date: nothing to compare


def test_chronology_entries_run_on_in_one_paragraph_are_dated_each(nlp):
    import datetime as dt

    from casenotes.extract.pipeline import note_mentions
    from casenotes.records import Note

    text = (
        "Chronology: 14/06/18 - Police attended following domestic abuse; Dad arrested. "
        "02/01/23 - Mum disclosed low mood. The school reports 1.5 hrs of self-harm work."
    )
    note = Note(note_id="c3", text=text, date=dt.date(2023, 3, 1))
    (found,) = note_mentions(nlp, [note])
    got = {text[m.start : m.end]: m.temporality.value for m in found}
    assert got["domestic abuse"] == "historical"
    assert got["arrested"] == "historical"
    assert got["low mood"] == "current"  # the later entry, eight weeks before the note
