"""The whole de-identification engine on the real spaCy model and Presidio (loaded once)."""

import dataclasses
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casenotes.config import DeidConfig, SynthConfig, validate_config
from casenotes.deid import Deidentifier
from casenotes.deid.engine import PROPAGATION_RECOGNIZER
from casenotes.errors import ConfigError, ExitCode
from casenotes.records import Mention, Note, RiskLabel
from casenotes.synth.generator import generate

KEY = b"k" * 32
NOTE = Note(
    note_id="n1",
    case_id="c1",
    text=(
        "Home visit to Jayden Okafor (DOB 12/03/2015) at 14 Mill Lane, LS6 2AB. "
        "Mum (Summer) said jayden is drinking heavily. NHS no. 943 476 5919. "
        "Call 07700 900123. SW and YP discussed Section 47 on Tuesday with CAMHS."
    ),
)


@pytest.fixture(scope="module")
def placeholder():
    return Deidentifier(DeidConfig(), mode="placeholder")


@pytest.fixture(scope="module")
def pseudonym():
    return Deidentifier(DeidConfig(), mode="pseudonym", key=KEY)


def test_placeholders_replace_identifiers_and_keep_role_words(placeholder):
    (out,) = placeholder([NOTE])
    for value in (
        "Jayden",
        "jayden",
        "Okafor",
        "Summer",
        "Mill Lane",
        "LS6 2AB",
        "943 476 5919",
        "07700 900123",
        "12/03/2015",
    ):
        assert value not in out.text, value
    for kept in ("Mum", "SW", "YP", "Section 47", "Tuesday", "CAMHS", "drinking heavily"):
        assert kept in out.text, kept
    assert "[PERSON_1]" in out.text
    assert "March 2015" in out.text  # dates of birth are generalised, not removed
    labels = {span.label.value for span in out.pii}
    assert {"PERSON", "DATE_OF_BIRTH", "ADDRESS", "POSTCODE", "UK_NHS", "PHONE_NUMBER"} <= labels
    # pii offsets point into the ORIGINAL text; every span has its recognizer
    first = next(span for span in out.pii if span.label.value == "UK_NHS")
    assert NOTE.text[first.start : first.end] == "943 476 5919"
    assert all(span.recognizer for span in out.pii)


def test_mentions_move_with_the_text(placeholder):
    start = NOTE.text.index("drinking heavily")
    note = Note(
        NOTE.note_id,
        NOTE.text,
        NOTE.case_id,
        mentions=(Mention(start, start + 16, RiskLabel.SUBSTANCE_MISUSE),),
    )
    (out,) = placeholder([note])
    (moved,) = out.mentions
    assert out.text[moved.start : moved.end] == "drinking heavily"


def test_pseudonyms_link_across_notes_files_and_runs(pseudonym):
    other = Note("n2", "Spoke to Jayden Okafor at school.", case_id="c2")
    first, second = pseudonym([NOTE, other])
    again = Deidentifier(DeidConfig(), mode="pseudonym", key=KEY)([other])[0]
    tokens = [w for w in first.text.split() if w.startswith("PERSON_")]
    assert tokens and all(t.rstrip(".,") in second.text for t in tokens[:2])
    assert again.text == second.text
    unlinked = Deidentifier(DeidConfig(), mode="pseudonym", key=b"z" * 32)([other])[0]
    assert unlinked.text != second.text


def test_keyed_modes_refuse_without_a_key():
    with pytest.raises(ConfigError, match="secret key"):
        Deidentifier(DeidConfig(), mode="pseudonym", key=None)


def test_local_case_reference_formats_are_added_by_config():
    config = validate_config(
        {
            "local_case_reference_formats": [
                {"name": "early_help_id", "pattern": r"\bEHM-\d{6}\b", "score": 0.85}
            ]
        },
        DeidConfig,
    )
    note = Note("n", "Early Help record EHM-004211 opened.")
    (plain,) = Deidentifier(DeidConfig())([note])
    (local,) = Deidentifier(config)([note])
    assert "EHM-004211" in plain.text
    assert "EHM-004211" not in local.text


def test_no_detected_value_survives_in_synthetic_notes(placeholder):
    notes = list(generate(SynthConfig(notes=60, seed=77)))
    for note, out in zip(notes, placeholder(notes), strict=True):
        for span in out.pii:
            value = note.text[span.start : span.end]
            if span.label.value in {"AGE", "DATE_OF_BIRTH"} or len(value) < 4:
                continue  # ages are kept and DOBs generalised by policy
            assert value not in out.text, (note.note_id, span.label.value)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
def test_arbitrary_unicode_never_crashes(placeholder, text):
    (out,) = placeholder([Note("x", text)])
    assert isinstance(out.text, str)


def test_cli_deidentify_streams_rejects_and_never_logs_values(tmp_path, caplog):
    notes = list(generate(SynthConfig(notes=12, seed=5)))
    source = tmp_path / "in.jsonl"
    lines = [json.dumps(n.to_record()) for n in notes] + ['{"note_id": "bad"}']
    source.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "CASENOTES_KEY": ""}
    with caplog.at_level(logging.DEBUG):
        done = subprocess.run(
            [sys.executable, "-m", "casenotes.cli", "deidentify", str(source), "--out", str(out)],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
    assert done.returncode == 0, done.stderr
    assert "read 13, wrote 12" in done.stderr and "rejected 1" in done.stderr
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["note_id"] for r in written] == [n.note_id for n in notes]
    values = {n.text[p.start : p.end] for n in notes for p in n.pii if p.end - p.start >= 4}
    logs = done.stdout + done.stderr + caplog.text
    assert not [v for v in values if v in logs]

    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "casenotes.cli",
            "deidentify",
            str(source),
            "--out",
            str(tmp_path / "p.jsonl"),
            "--mode",
            "pseudonym",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert refused.returncode == ExitCode.BAD_CONFIG
    assert "refuses to pseudonymise" in refused.stderr


@pytest.mark.parametrize(
    "text, name",
    [("In 03/2019 Mr Shah was seen.", "Shah"), ("Spoke to Mr. Jones today.", "Jones")],
)
def test_titles_and_dates_stay_outside_names(placeholder, text, name):
    (out,) = placeholder([Note("t", text)])
    people = [text[s.start : s.end] for s in out.pii if s.label.value == "PERSON"]
    assert people == [name]
    assert "Mr" in out.text and name not in out.text


@pytest.mark.parametrize(
    "text, expected",
    [
        # a name found in pieces is one name: no comma or space between them is left behind
        ("SW updated HORVATH, Harper at school.", [("PERSON", "HORVATH, Harper")]),
        ("Met Alexandra griffiths today.", [("PERSON", "Alexandra griffiths")]),
        ("Hope Gordon said hi.", [("PERSON", "Hope Gordon")]),
        # an address keeps its town, and stops before the time of the visit
        (
            "Visit to 60 Station Crescent, Wolverhampton on Monday.",
            [("ADDRESS", "60 Station Crescent, Wolverhampton")],
        ),
        ("Seen at 124 New Road, Birmingham today.", [("ADDRESS", "124 New Road, Birmingham")]),
        (
            "Seen at Flat 32, Kestrel Court, Highfield Estate on Tuesday.",
            [("ADDRESS", "Flat 32, Kestrel Court, Highfield Estate")],
        ),
        # a date in brackets after a name is a date of birth; a dated police log is a reference
        (
            "Notification from police regarding Holly Dixon (11 June 2010).",
            [("PERSON", "Holly Dixon"), ("DATE_OF_BIRTH", "11 June 2010")],
        ),
        ("Police notification (8801 27/05/21) received.", [("CASE_REFERENCE", "8801 27/05/21")]),
        ("MASH contact (3255 04/06/20) from school.", [("CASE_REFERENCE", "3255 04/06/20")]),
        ("Called to 153 School Way, London by", [("ADDRESS", "153 School Way, London")]),
        ("Seen 12/03/21 with 3 children.", [("DATE", "12/03/21")]),
        # a UK number in NHS layout after +44 is a phone number, whole
        ("Surgery (+44 114 496 0371).", [("PHONE_NUMBER", "+44 114 496 0371")]),
        # a surname in capitals after Mc; a double-barrelled first name stays whole
        ("Subject: McALLISTER, Kieran was seen.", [("PERSON", "McALLISTER, Kieran")]),
        ("Name: Tyler-Jay Hollis (Year 5).", [("PERSON", "Tyler-Jay Hollis")]),
        # a nickname in brackets passes to the rest of the note; a one-letter one too
        (
            'Mr Desmond Grant ("Des") lives there. Des takes him out.',
            [("PERSON", "Desmond Grant"), ("PERSON", "Des"), ("PERSON", "Des")],
        ),
        (
            "lil t asleep. t has a rash, t/c to GP.",
            [("PERSON", "lil t"), ("PERSON", "t")],
        ),
    ],
)
def test_pieces_are_joined_as_a_reader_would(placeholder, text, expected):
    (out,) = placeholder([Note("t", text)])
    assert [(s.label.value, text[s.start : s.end]) for s in out.pii] == expected


def test_an_acronym_the_note_defines_for_a_service_is_not_a_person(placeholder):
    text = "Referral from Traveller Education Service (TES) re school. TES will visit Mum."
    (out,) = placeholder([Note("t", text)])
    assert "TES" not in {text[s.start : s.end] for s in out.pii}
    # a person's initials after the name are never taken for a service's acronym
    defined = placeholder.analyzer.allow.defined_acronyms
    assert defined("Jo Smith (JS) attended.") == frozenset()
    assert defined("Family Liaison Officer (FLO) and Youth Offending Team (YOT)") == {"FLO", "YOT"}


def test_overlapping_pieces_of_one_label_widen_to_their_union():
    from casenotes.deid.engine import Detection, resolve_overlaps

    pieces = [
        Detection(6, 11, "PERSON", 0.9, "a"),  # Tyler
        Detection(16, 22, "PERSON", 0.9, "b"),  # Hollis
        Detection(6, 22, "PERSON", 0.5, "c"),  # Tyler-Jay Hollis
    ]
    assert [(d.start, d.end) for d in resolve_overlaps(pieces)] == [(6, 22)]
    # no union across labels: the label of higher priority keeps its own span
    mixed = [Detection(0, 5, "PERSON", 0.9, "a"), Detection(3, 9, "ADDRESS", 0.5, "b")]
    assert [(d.start, d.end, d.label) for d in resolve_overlaps(mixed)] == [(3, 9, "ADDRESS")]
    blocked = [*pieces[:2], Detection(12, 14, "DATE", 0.9, "d"), pieces[2]]
    kept = [(d.start, d.end) for d in resolve_overlaps(blocked)]
    assert kept == [(6, 11), (12, 14), (16, 22)]


def test_a_place_or_body_made_of_known_names_is_a_person(placeholder):
    from casenotes.deid.engine import Detection

    analyzer = placeholder.analyzer
    text = "LCS search completed for Hussain Gill and Leeds City Council."
    as_org = Detection(25, 37, "ORGANIZATION", 0.85, "spacy_ner")
    council = Detection(42, 60, "ORGANIZATION", 0.85, "spacy_ner")
    assert analyzer._as_person(text, as_org, {"hussain", "gill"}).label == "PERSON"
    assert analyzer._as_person(text, as_org, {"gill"}).label == "ORGANIZATION"
    assert analyzer._as_person(text, council, {"hussain", "gill"}).label == "ORGANIZATION"


@pytest.mark.slow
def test_cli_deidentify_writes_the_same_with_one_or_two_processes(tmp_path):
    """Chunks are the unit: a case's names carry across its notes within a chunk, whichever
    process handles it, so the process count cannot change the output."""
    notes = list(generate(SynthConfig(notes=120, seed=11)))
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(n.to_record()) + "\n" for n in notes))
    config = tmp_path / "deid.toml"
    config.write_text(
        (Path(__file__).resolve().parents[2] / "configs" / "deid.toml").read_text()
        .replace("chunk_notes = 2000", "chunk_notes = 25")
    )  # fmt: skip
    assert "chunk_notes = 25" in config.read_text()
    outputs = []
    for processes in ("1", "2"):
        out = tmp_path / f"out{processes}.jsonl"
        command = [sys.executable, "-m", "casenotes.cli", "deidentify", str(source)]
        command += ["--out", str(out), "--processes", processes, "--config", str(config)]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]
    # Within a chunk, a case's names still carry from one note to the next.
    assert f'"{PROPAGATION_RECOGNIZER}"' in outputs[0]


def test_initials_closing_a_note_go_but_a_service_closing_it_stays(placeholder):
    placeholder.forget()  # placeholder numbers count on from the case's notes in earlier tests
    note = dataclasses.replace(NOTE, text="Mum is ok, case passed to CSC. SO", note_id="n-so")
    (out,) = placeholder([note])
    assert out.text.startswith("Mum is ok, case passed to CSC.")
    assert out.text.endswith(". [PERSON_1]")
    note = dataclasses.replace(note, text="Mum is ok. CSC")
    (out,) = placeholder([note])
    assert out.text == "Mum is ok. CSC"


def test_numpy_and_blis_matrix_products_find_the_same_pii(placeholder):
    """``matmul`` changes only which library multiplies the NER's matrices, not what it finds."""
    import threadpoolctl

    notes = list(generate(SynthConfig(notes=40, seed=78)))
    blis = Deidentifier(DeidConfig(matmul="blis"), mode="placeholder")
    before = threadpoolctl.threadpool_info()
    assert [out.pii for out in placeholder(notes)] == [out.pii for out in blis(notes)]
    assert threadpoolctl.threadpool_info() == before  # the one-thread limit is lifted afterwards


def test_matmul_must_be_a_known_library():
    with pytest.raises(ValueError, match="matmul"):
        DeidConfig(matmul="mkl")


@pytest.mark.parametrize(
    ("text", "found", "kept"),
    [
        # initials a found name goes by, introduced in brackets or not
        (
            "Present: Olusegun Adeyemi (OA) - Senior Practitioner; Tomasz Kowalski - father.\n"
            "TK has attended three sessions. OA to seek an interpreter.",
            ["OA", "TK"],
            [],
        ),
        ("Siobhan O'Neill (mother) attended. SO'N agreed to the plan.", ["SO'N"], []),
        # ... never a role, nor capitals in a line written in capitals
        ("Sarah Williams visited. SW to call school.", [], ["SW"]),
        ("Olusegun Adeyemi attended.\nOA NOTES FOLLOW BELOW IN FULL\n", [], ["OA"]),
        # a short name straight before a bracket opening with the full name
        ("His brother Paddy (Patrick McDonagh, 16) works with dad.", ["Paddy"], []),
        ("Parents (Leanne and Francis Smith) attended.", [], ["Parents"]),
        ("Admissions (Carol Wood) say the form is in.", [], ["Admissions"]),
        # an initial with its full stop goes with the name; "B&B." is no initial
        ("Referrer: Ms D. Chauhan, Assistant Head.", ["D. Chauhan"], []),
        ("Living in a B&B. James Doyle is under the dietitian.", ["James Doyle"], ["B. James"]),
        # a first name and surname in capitals
        ("STATEMENT OF THOMAS HARRINGTON\nApplicant: the council.", ["THOMAS HARRINGTON"], []),
        ("ASSESSMENT OF CHILD IN NEED\nSeen at home.", [], ["CHILD IN NEED"]),
        # a lower-case word spaCy takes in front of a name stays out of it
        ("Duty rang Sky Hunter on her mobile at 21:50.", ["Sky Hunter"], ["rang"]),
        ("Seen Łukasz Wójcik at home.", ["Łukasz Wójcik"], ["Seen"]),
        # ... nor does the word after a line break ("Review" is no surname: GS are her initials)
        (
            "Personal Adviser: Gemma Shaw\nReview date: 12/03/2024\nGS to make the application.",
            ["Gemma Shaw", "GS"],
            ["Review"],
        ),
        # names in any script, and surnames with a capital inside
        ('He owes a man he calls "Chú Tư" a lot of money.', ["Chú Tư"], []),
        ('His cousin Martin McDonagh ("Mouse", 15) was there.', ["Mouse"], []),
    ],
)
def test_initials_short_names_and_capitals(placeholder, text, found, kept):
    placeholder.forget()
    (out,) = placeholder([Note("t", text)])
    spans = {text[s.start : s.end] for s in out.pii if s.label.value == "PERSON"}
    for value in found:
        assert any(value in span for span in spans), (value, spans)
    for value in kept:
        assert not any(value in span for span in spans), (value, spans)


def test_a_name_that_is_a_word_goes_in_lower_case_only_where_it_is_used_as_a_name(placeholder):
    placeholder.forget()
    text = (
        "Grace (15) seen. i hope she is ok. grace had a row with mum. Her friend grace (Grace "
        "Ali) rang. Bill (Bill Ali, 40) is dad. The electricity bill has been paid."
    )
    (out,) = placeholder([Note("t", text)])
    spans = [(text[s.start : s.end], s.start) for s in out.pii if s.label.value == "PERSON"]
    lower_grace = [start for span, start in spans if span == "grace"]
    assert lower_grace == [text.index("grace had"), text.index("grace (")]
    assert not any(span in ("hope", "bill") for span, _ in spans)


def test_an_outward_code_after_a_street_is_no_section_of_an_act(placeholder):
    placeholder.forget()
    text = "Moving to 11 Skinner Hall Rd S4 next week. S47 enquiry opened; s20 considered."
    (out,) = placeholder([Note("t", text)])
    found = {text[s.start : s.end]: s.label.value for s in out.pii}
    assert found.get("S4") == "POSTCODE"
    assert "S47" not in found and "s20" not in found


def test_spacy_names_lose_lead_words_but_not_a_lower_case_first_name():
    from presidio_analyzer import RecognizerResult

    from casenotes.deid.engine import _without_title

    def trimmed(text):
        result = _without_title(text, RecognizerResult("PERSON", 0, len(text), 0.85))
        return None if result is None else text[result.start : result.end]

    assert trimmed("rang Sky Hunter") == "Sky Hunter"
    assert trimmed("Seen Łukasz Wójcik") == "Łukasz Wójcik"
    assert trimmed("Mr Shah") == "Shah"
    assert trimmed("kai Jones") == "kai Jones"  # a first name typed in lower case stays
    assert trimmed("van Dijk") == "van Dijk"
    assert trimmed("Gemma Shaw\nReview") == "Gemma Shaw"
