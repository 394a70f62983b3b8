"""Fictional PII for the synthetic corpus: valid identifiers, honest spans, reproducible draws."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import casenotes
from casenotes.identifiers import (
    is_valid_nhs,
    is_valid_nino,
    is_valid_outward_code,
    is_valid_postcode,
    is_valid_upn,
)
from casenotes.records import PiiLabel, PiiSpan
from casenotes.synth import fake_pii as fp

seeds = st.integers(min_value=0, max_value=2**32 - 1)
fast = settings(max_examples=100, deadline=None, database=None)


def values(fragment: fp.Fragment) -> list[tuple[str, PiiLabel]]:
    return [(fragment.text[s.start : s.end], s.label) for s in fragment.spans]


# -------------------------------------------------------------------------------------------------
# Fragment


def test_fragment_concat_shifts_spans() -> None:
    name = fp.Fragment.whole("Jay", PiiLabel.PERSON)
    age = fp.Fragment.concat("aged ", fp.Fragment.whole("14", PiiLabel.AGE))
    joined = fp.Fragment.concat("Seen ", name, ", ", age, ".")
    assert joined.text == "Seen Jay, aged 14."
    assert values(joined) == [("Jay", PiiLabel.PERSON), ("14", PiiLabel.AGE)]
    assert joined.shifted(10) == ((15, 18, PiiLabel.PERSON), (25, 27, PiiLabel.AGE))
    assert joined.pii_spans(10) == (
        PiiSpan(15, 18, PiiLabel.PERSON),
        PiiSpan(25, 27, PiiLabel.AGE),
    )
    # spans unpack as plain (start, end, label) triples
    assert [(start, end, str(label)) for start, end, label in joined.spans] == [
        (5, 8, "PERSON"),
        (15, 17, "AGE"),
    ]


@pytest.mark.parametrize(
    ("text", "spans", "message"),
    [
        ("Jay Smith", ((0, 5, "PERSON"), (4, 9, "PERSON")), "overlap"),
        ("Jay", ((0, 4, "PERSON"),), "past the text"),
        ("Jay", ((1, 1, "PERSON"),), "empty"),
        ("Jay Smith", ((3, 9, "PERSON"),), "whitespace"),
    ],
)
def test_fragment_rejects_bad_spans(text: str, spans: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fp.Fragment(text, tuple(fp.ValueSpan(s, e, PiiLabel(label)) for s, e, label in spans))


# -------------------------------------------------------------------------------------------------
# One entry point per label: spans are honest, values valid, output reproducible


def test_every_label_has_a_generator() -> None:
    assert set(fp.GENERATORS) == set(PiiLabel)


def _assert_honest(fragment: fp.Fragment) -> None:
    previous_end = 0
    for span in fragment.spans:
        value = fragment.text[span.start : span.end]
        assert value, span
        assert value == value.strip(), (value, span)
        assert span.start >= previous_end
        previous_end = span.end


@fast
@given(seeds)
def test_fake_gives_honest_spans_of_the_label_asked_for(seed: int) -> None:
    rng = random.Random(seed)
    for label in PiiLabel:
        fragment = fp.fake(label, rng)
        assert label in fragment.labels, label
        _assert_honest(fragment)


@fast
@given(seeds)
def test_other_fragment_generators_give_honest_spans(seed: int) -> None:
    rng = random.Random(seed)
    day = fp.random_date(rng, dt.date(2010, 1, 1), dt.date(2024, 12, 31))
    fragments = [
        fp.titled_name(rng),
        fp.estate(rng),
        fp.gp_surgery(rng, named_doctor=True),
        fp.case_reference_mention(rng),
        fp.date_phrase(day, rng, weekday=True),
        fp.age_phrase(0, rng),
        fp.address(rng, with_town=True, with_postcode=True),
        fp.username_mention(rng, first="Jayden"),
    ]
    for fragment in fragments:
        assert fragment.spans
        _assert_honest(fragment)


def _digest(seed: int) -> str:
    rng = random.Random(seed)
    texts = [fp.fake(label, rng) for label in PiiLabel for _ in range(5)]
    return hashlib.sha256(repr(texts).encode()).hexdigest()


def test_same_seed_same_output_different_seed_different_output() -> None:
    assert _digest(7) == _digest(7)
    assert _digest(7) != _digest(8)


def test_output_does_not_depend_on_hash_randomisation() -> None:
    # Pools must be ordered tuples: drawing from a set would change with PYTHONHASHSEED.
    src = str(Path(casenotes.__file__).resolve().parents[1])
    code = (
        "import hashlib, random\n"
        "from casenotes.records import PiiLabel\n"
        "from casenotes.synth import fake_pii as fp\n"
        "rng = random.Random(7)\n"
        "texts = [fp.fake(label, rng) for label in PiiLabel for _ in range(5)]\n"
        "print(hashlib.sha256(repr(texts).encode()).hexdigest())\n"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": src}
        result = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        digests.add(result.stdout.strip())
    assert digests == {_digest(7)}


def test_generators_never_touch_the_global_random() -> None:
    state = random.getstate()
    rng = random.Random(3)
    for label in PiiLabel:
        fp.fake(label, rng)
    assert random.getstate() == state


# -------------------------------------------------------------------------------------------------
# Identifiers validate


@fast
@given(seeds)
def test_generated_identifiers_validate(seed: int) -> None:
    rng = random.Random(seed)
    assert is_valid_nhs(fp.nhs_number(rng))
    assert is_valid_nino(fp.nino(rng))
    assert is_valid_upn(fp.upn(rng), known_la=True)
    assert is_valid_postcode(fp.postcode(rng))
    assert is_valid_outward_code(fp.outward_code(rng))


def test_identifier_layouts_vary() -> None:
    rng = random.Random(11)
    nhs = {re.sub(r"\d", "9", fp.nhs_number(rng)) for _ in range(200)}
    assert nhs == {"999 999 9999", "9999999999", "999-999-9999"}
    ninos = {re.sub(r"[A-Z]", "A", re.sub(r"\d", "9", fp.nino(rng))) for _ in range(200)}
    assert ninos == {"AA 99 99 99 A", "AA999999A", "AA 999999 A"}
    upns = [fp.upn(rng) for _ in range(300)]
    assert any(u[-1].isalpha() for u in upns) and any(u[-1].isdigit() for u in upns)


@fast
@given(seeds)
def test_format_nhs_and_nino_keep_the_value(seed: int) -> None:
    rng = random.Random(seed)
    nhs = fp.nhs_number(rng)
    again = fp.format_nhs(nhs, rng)
    assert is_valid_nhs(again) and re.sub(r"\D", "", again) == re.sub(r"\D", "", nhs)
    number = fp.nino(rng)
    again = fp.format_nino(number, rng)
    assert is_valid_nino(again) and again.replace(" ", "") == number.replace(" ", "")


def test_format_nhs_and_nino_reject_malformed_values() -> None:
    rng = random.Random(0)
    with pytest.raises(ValueError, match="ten digits"):
        fp.format_nhs("943 476 591", rng)
    with pytest.raises(ValueError, match="six digits"):
        fp.format_nino("AB 12 34 5 C", rng)


def test_postcodes_fit_their_town() -> None:
    rng = random.Random(5)
    for name in fp.TOWN_NAMES:
        for _ in range(5):
            outward = fp.postcode(rng, name).replace(" ", "")[:-3]
            area = outward.rstrip("0123456789")
            ranges = [(low, high) for town, a, low, high in fp.TOWNS if (town, a) == (name, area)]
            assert ranges, (name, area)
            assert any(low <= int(outward[len(area) :]) <= high for low, high in ranges)
    with pytest.raises(ValueError, match="unknown town"):
        fp.postcode(rng, "Atlantis")


def test_address_town_and_postcode_agree() -> None:
    rng = random.Random(9)
    for _ in range(200):
        fragment = fp.address(rng, with_town=True, with_postcode=True)
        (address, a_label), (code, p_label) = values(fragment)
        assert (a_label, p_label) == (PiiLabel.ADDRESS, PiiLabel.POSTCODE)
        assert re.match(r"(Flat \d+|\d+[ab]? )", address)
        town = address.rsplit(", ", 1)[1]
        areas = {row[1] for row in fp.TOWNS if row[0] == town}
        assert is_valid_postcode(code)
        assert code.replace(" ", "")[:-3].rstrip("0123456789") in areas


def test_address_without_town_or_postcode() -> None:
    rng = random.Random(2)
    for _ in range(100):
        fragment = fp.address(rng, with_town=False, with_postcode=False)
        assert fragment.labels == (PiiLabel.ADDRESS,)
        assert fragment.text.split(", ")[-1].split()[-1] in {
            "Road", "Street", "Close", "Avenue", "Way", "Lane", "Crescent", "Drive", "Grove",
            "Terrace", "Gardens", "Walk", "Place", "Court", "Rise", "View", "Mews", "Row", "House",
            "Tower", "Point", "Heights", "Lodge", "Estate",
        }  # fmt: skip


# -------------------------------------------------------------------------------------------------
# Names


def test_name_pools_are_large_and_diverse() -> None:
    assert len(fp.FIRST_NAMES["female"]) >= 150
    assert len(fp.FIRST_NAMES["male"]) >= 150
    assert len(fp.SURNAMES) >= 200
    assert len(set(fp.SURNAMES)) == len(fp.SURNAMES)
    # a few from each heritage the pools are meant to cover
    assert {"Aoife", "Zainab", "Chidinma", "Zuzanna", "Layla", "Mei", "Kayleigh"} <= set(
        fp.FIRST_NAMES["female"]
    )
    assert {"Mohammed", "Kwame", "Jakub", "Oisin", "Omar", "Minh", "Jayden"} <= set(
        fp.FIRST_NAMES["male"]
    )
    assert {"O'Brien", "Okafor", "Patel", "Nowak", "Al-Amin", "Nguyen", "Smith"} <= set(fp.SURNAMES)


def test_names_that_are_words() -> None:
    in_pools = set(fp.FIRST_NAMES["female"]) | set(fp.FIRST_NAMES["male"]) | set(fp.SURNAMES)
    assert in_pools >= fp.NAMES_THAT_ARE_WORDS
    assert {"Hope", "Grace", "Summer", "Mason", "Faith", "Joy", "Rose", "Bill", "Frank"} <= (
        fp.NAMES_THAT_ARE_WORDS
    )
    assert {"Hunter", "Sky", "Rocky", "Brooke"} <= fp.NAMES_THAT_ARE_WORDS
    rng = random.Random(4)
    draws = [fp.first_name(rng) for _ in range(3000)]
    rate = sum(name in fp.NAMES_THAT_ARE_WORDS for name in draws) / len(draws)
    assert 0.05 <= rate <= 0.25


def test_first_names_follow_the_sex_asked_for() -> None:
    rng = random.Random(1)
    assert all(fp.first_name(rng, "female") in fp.FIRST_NAMES["female"] for _ in range(300))
    assert all(fp.first_name(rng, "male") in fp.FIRST_NAMES["male"] for _ in range(300))


def test_full_names_and_double_barrelled_surnames() -> None:
    rng = random.Random(6)
    surnames = set(fp.SURNAMES)
    doubles = 0
    for _ in range(2000):
        first, last = fp.full_name(rng, "female").split(" ", 1)
        assert first in fp.FIRST_NAMES["female"]
        if last not in surnames:
            left, right = last.split("-", 1)
            assert {left, right} <= surnames and left != right
            doubles += 1
    assert 40 <= doubles <= 200  # about one in twenty


@pytest.mark.parametrize(
    ("first", "allowed"),
    [
        ("Jayden", {"Jay", "JJ"}),
        ("Courtney", {"Court"}),
        ("Alexander", {"Alex", "Xander"}),
        ("Mohammed", {"Mo", "Moe"}),
        ("Muhammad", {"Mo"}),
    ],
)
def test_nickname(first: str, allowed: set[str]) -> None:
    rng = random.Random(0)
    assert {fp.nickname(first, rng) for _ in range(50)} == allowed


def test_nickname_none_without_a_short_form() -> None:
    assert fp.nickname("Aoife", random.Random(0)) is None
    all_first = set(fp.FIRST_NAMES["female"]) | set(fp.FIRST_NAMES["male"])
    assert set(fp.NICKNAMES) <= all_first


def test_titled_name_keeps_title_outside() -> None:
    rng = random.Random(8)
    for _ in range(200):
        fragment = fp.titled_name(rng)
        title, _, rest = fragment.text.partition(" ")
        assert title in {"Mr", "Ms", "Mrs", "Miss", "Dr", "DC", "PC"}
        assert values(fragment) == [(rest, PiiLabel.PERSON)]


# -------------------------------------------------------------------------------------------------
# Dates and ages


def test_format_date_layouts() -> None:
    rng = random.Random(0)
    day = dt.date(2015, 3, 12)
    with_year = {fp.format_date(day, rng) for _ in range(500)}
    assert with_year == {
        "12/03/2015", "12/03/15", "12/3/15", "12.03.15", "12-03-2015", "12th March 2015",
        "12 March 2015", "12 Mar 2015", "March 12th 2015", "2015-03-12",
    }  # fmt: skip
    without = {fp.format_date(day, rng, with_year=False) for _ in range(200)}
    assert without == {"12th March", "12 Mar", "12/03", "12/3"}


@pytest.mark.parametrize(
    "ordinal", ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st"]
)
def test_ordinal_days(ordinal: str) -> None:
    rng = random.Random(0)
    day = dt.date(2015, 1, int(ordinal[:-2]))
    texts = {fp.format_date(day, rng) for _ in range(300)}
    assert f"{ordinal} January 2015" in texts


def test_date_phrase_keeps_weekday_outside() -> None:
    rng = random.Random(3)
    day = dt.date(2024, 3, 12)  # a Tuesday
    for _ in range(100):
        fragment = fp.date_phrase(day, rng, weekday=True)
        assert fragment.text.startswith(("Tuesday", "Tues"))
        ((value, label),) = values(fragment)
        assert label is PiiLabel.DATE
        assert "Tue" not in value and fragment.text.endswith(value)
    plain = fp.date_phrase(day, rng, weekday=False, label=PiiLabel.DATE_OF_BIRTH, with_year=True)
    assert values(plain) == [(plain.text, PiiLabel.DATE_OF_BIRTH)]
    assert "24" in plain.text  # always a year for a date of birth


@fast
@given(seeds, st.integers(0, 17), st.integers(0, 17))
def test_date_of_birth_gives_the_age_asked_for(seed: int, a: int, b: int) -> None:
    low, high = min(a, b), max(a, b)
    rng = random.Random(seed)
    for on in (fp.REFERENCE_DATE, dt.date(2024, 2, 29)):
        birth = fp.date_of_birth(rng, min_age=low, max_age=high, on=on)
        assert low <= fp.age_on(birth, on) <= high


def test_date_of_birth_rejects_bad_range() -> None:
    with pytest.raises(ValueError):
        fp.date_of_birth(random.Random(0), min_age=10, max_age=5)


def test_age_phrase_marks_only_the_number() -> None:
    rng = random.Random(12)
    texts = set()
    for _ in range(300):
        fragment = fp.age_phrase(14, rng)
        assert values(fragment) == [("14", PiiLabel.AGE)]
        texts.add(fragment.text)
    assert {"aged 14", "14 years old", "14yo", "14 y/o", "(14)"} <= texts
    assert "1 year old" in {fp.age_phrase(1, rng).text for _ in range(100)}
    assert "1 years old" not in {fp.age_phrase(1, rng).text for _ in range(100)}
    baby = fp.age_phrase(0, rng)
    ((months, _),) = values(baby)
    assert 1 <= int(months) <= 11 and "m" in baby.text.replace(months, "")


# -------------------------------------------------------------------------------------------------
# Contact details, handles, vehicles


def _national(number: str) -> str:
    digits = re.sub(r"\D", "", number.replace("(0)", ""))
    return "0" + digits[2:] if number.startswith("+44") else digits


@fast
@given(seeds)
def test_phone_numbers_have_uk_shapes(seed: int) -> None:
    rng = random.Random(seed)
    mobile = _national(fp.phone_number(rng, mobile=True))
    assert re.fullmatch(r"07[1-57-9]\d{8}", mobile)
    landline = _national(fp.phone_number(rng, mobile=False))
    assert re.fullmatch(r"0(1\d{8,9}|2\d{9})", landline)
    assert _national(fp.phone_number(rng, mobile=True, drama=True)).startswith("07700900")


def test_drama_and_generic_numbers_both_occur() -> None:
    rng = random.Random(1)
    drama_prefixes = ("07700900", "01632960", "02079460", "01214960", "01614960", "01914980")
    numbers = [_national(fp.phone_number(rng)) for _ in range(400)]
    in_drama = sum(n.startswith(drama_prefixes) or n[4:8] == "4960" for n in numbers)
    assert 0.3 <= in_drama / len(numbers) <= 0.7
    generic = [_national(fp.phone_number(rng, drama=False)) for _ in range(200)]
    assert not any(n.startswith(("07700900", "01632960")) for n in generic)
    layouts = {re.sub(r"\d", "9", fp.phone_number(rng, mobile=True)) for _ in range(400)}
    assert {"99999 999999", "99999999999", "+99 9999 999999", "+99 (9)9999 999999"} <= layouts


@fast
@given(seeds)
def test_email_addresses_look_real(seed: int) -> None:
    rng = random.Random(seed)
    assert re.fullmatch(r"[a-z0-9][a-z0-9._]*@[a-z0-9.-]+\.[a-z]+", fp.email_address(rng))
    named = fp.email_address(rng, "Jayden", "O'Brien")
    assert named.count("@") == 1


def test_username_mentions() -> None:
    rng = random.Random(10)
    seen_at = seen_label = seen_url = False
    for _ in range(300):
        fragment = fp.username_mention(rng)
        ((value, label),) = values(fragment)
        assert label is PiiLabel.USERNAME
        assert " " not in value and not value.endswith(":")  # label words stay outside
        seen_at |= value.startswith("@")
        seen_label |= fragment.text != value
        seen_url |= "/" in value
    assert seen_at and seen_label and seen_url


@fast
@given(seeds)
def test_vehicle_registrations_have_dvla_shapes(seed: int) -> None:
    plate = fp.vehicle_registration(random.Random(seed))
    current = r"[A-Z]{2}(0[2-9]|1\d|2[0-4]|5[1-9]|6\d|7[0-4]) ?[A-HJ-PR-Y]{3}"
    prefix = r"[A-HJ-NPR-TV-Y]\d{1,3} ?[A-HJ-PR-Y]{3}"
    suffix = r"[A-HJ-PR-Y]{3} ?\d{1,3}[A-HJ-NPR-TV-Y]"
    assert re.fullmatch(f"{current}|{prefix}|{suffix}", plate), plate


# -------------------------------------------------------------------------------------------------
# Case references and organisations


@pytest.mark.parametrize("kind", fp.CASE_REFERENCE_KINDS)
def test_case_reference_mentions_mark_only_the_value(kind: str) -> None:
    rng = random.Random(kind.__len__())
    for _ in range(30):
        fragment = fp.case_reference_mention(rng, kind)
        ((value, label),) = values(fragment)
        assert label is PiiLabel.CASE_REFERENCE
        words = fragment.text[: -len(value)]
        assert fragment.text.endswith(value) and words.strip()
        assert any(ch.isdigit() for ch in value)
        assert not any(ch.isdigit() for ch in words)


def test_references_agree_with_the_day_they_are_about() -> None:
    rng = random.Random(3)
    day = dt.date(2021, 6, 9)
    for _ in range(100):
        ref = fp.police_reference(rng, on=day)
        assert re.fullmatch(r"\d\d/\d{5,6}/21|CRI-21-\d{6}|\d{1,4}( 09/06/21|/09JUN21)", ref), ref
        cin = fp.case_reference(rng, "cin", on=day)
        assert 2018 <= int(cin.split("-")[1]) <= 2021
    las = {fp.case_reference(rng, fp.LA_REFERENCE_KINDS) for _ in range(100)}
    assert not any("/" in ref and ref[:2].isdigit() for ref in las)  # no police references
    with pytest.raises(ValueError, match="unknown case-reference kind"):
        fp.case_reference(rng, ("cin", "nope"))


def test_case_reference_formats() -> None:
    rng = random.Random(0)
    patterns = {
        "mosaic": r"\d{6,7}",
        "lcs": r"CN\d{6}",
        "cin": r"(CIN|CP|CLA|EH)-20\d\d-\d{5}",
        "slashed": r"(EH|LAC|CP|MASH)/20\d\d/\d{4}",
        "police_crime": r"\d\d/\d{5,6}/\d\d",
        "police_cri": r"CRI-\d\d-\d{6}",
        "cad": r"\d{1,4}( \d\d/\d\d/\d\d|/\d\d[A-Z]{3}\d\d)",
        "court": r"[A-Z]{2}\d\dC\d{5}",
    }
    for kind, pattern in patterns.items():
        for _ in range(20):
            assert re.fullmatch(pattern, fp.case_reference(rng, kind)), kind
    with pytest.raises(ValueError, match="unknown case-reference kind"):
        fp.case_reference(rng, "nope")


def test_schools_include_saints_and_stay_one_organisation() -> None:
    rng = random.Random(2)
    names = [fp.school(rng) for _ in range(300)]
    assert any(re.fullmatch(r"St [A-Z][a-z]+'s .*(School|Academy)", n) for n in names)
    assert any(n.endswith("Academy") and not n.startswith("St ") for n in names)
    fragment = fp.fake(PiiLabel.ORGANIZATION, rng)
    assert values(fragment) == [(fragment.text, PiiLabel.ORGANIZATION)]


@pytest.mark.parametrize(
    ("age", "allowed"),
    [
        (2, ("Nursery School", "Nursery")),
        (7, ("Primary School", "Primary Academy", "Infant School", "Junior School")),
        (13, ("Academy", "High School", "Community School", "College", "School")),
        (17, ("Sixth Form College", "College", "Academy")),
    ],
)
def test_school_fits_the_pupils_age(age: int, allowed: tuple[str, ...]) -> None:
    rng = random.Random(age)
    alternative = ("Pupil Referral Unit", "PRU", "Special School", "Academy")
    for _ in range(200):
        name = fp.school(rng, "Rotherham", age)
        assert name.endswith(allowed) or (age >= 5 and name.endswith(alternative)), name


def test_service_venues() -> None:
    rng = random.Random(1)
    names = {fp.service_venue(rng, "Leeds") for _ in range(300)}
    assert any(n.startswith("Leeds ") for n in names)
    assert any(n.endswith("Family Hub") for n in names)
    assert all(n.split()[-1] in {"Centre", "Hub", "Club", "Foodbank", "Foyer"} for n in names)


def test_gp_surgery_named_after_its_doctor_marks_only_the_name() -> None:
    rng = random.Random(4)
    seen_possessive = seen_at = False
    for _ in range(100):
        fragment = fp.gp_surgery(rng, named_doctor=True)
        assert fragment.text.startswith("Dr ")
        marked = values(fragment)
        assert marked[0][1] is PiiLabel.PERSON
        assert fragment.text[3:].startswith(marked[0][0])
        if len(marked) == 1:
            assert fragment.text.endswith(("'s surgery", "'s practice"))
            seen_possessive = True
        else:
            assert marked[1][1] is PiiLabel.ORGANIZATION
            seen_at = True
    assert seen_possessive and seen_at
    plain = fp.gp_surgery(rng, named_doctor=False)
    assert values(plain) == [(plain.text, PiiLabel.ORGANIZATION)]


def test_locations_keep_generic_words_outside() -> None:
    rng = random.Random(5)
    for _ in range(300):
        fragment = fp.location(rng)
        ((value, label),) = values(fragment)
        assert label is PiiLabel.LOCATION
        assert not value.startswith("the ")
        assert not value.endswith(("city centre", "town centre", "bus station", "library"))
    towns = {values(fp.location(rng, "Rotherham"))[0][0] for _ in range(300)}
    assert "Rotherham" in towns and not towns & (set(fp.TOWN_NAMES) - {"Rotherham"})
    estate = fp.estate(rng)
    assert estate.text.startswith("the ") and values(estate)[0][0].endswith(" Estate")
