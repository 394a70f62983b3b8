"""Validators for UK identifiers: tables of known-valid values with near-misses, then properties."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casenotes.identifiers import (
    LA_CODES,
    POSTCODE_AREAS,
    UPN_ALPHABET,
    is_valid_nhs,
    is_valid_nino,
    is_valid_outward_code,
    is_valid_postcode,
    is_valid_upn,
    nhs_check_digit,
    normalise_nhs,
    normalise_nino,
    normalise_outward_code,
    normalise_postcode,
    normalise_upn,
    upn_check_letter,
)

# -------------------------------------------------------------------------------------------------
# NHS number


@pytest.mark.parametrize(
    "value",
    [
        "943 476 5919",  # the NHS Data Dictionary's example
        "9434765919",
        "943-476-5919",
        "  943 476 5919\n",
        # 4,0,1,0,2,3,2,1,3 x 10..2 = 92; 92 % 11 = 4; 11 - 4 = 7
        "401 023 2137",
        # 2 x 10 + 1 x 2 = 22; 22 % 11 = 0; 11 - 0 = 11 -> check digit 0
        "2000000010",
    ],
)
def test_valid_nhs_numbers(value: str) -> None:
    assert is_valid_nhs(value)


@pytest.mark.parametrize(
    "value",
    [
        "943 476 5918",  # check digit off by one
        "943 476 5910",
        "934 476 5919",  # two digits transposed
        "0000000000",  # passes mod 11, never allocated
        "4444444444",  # passes mod 11, never allocated
        "000 000 0000",
        "943 476 591",  # nine digits
        "943 476 59190",  # eleven digits
        "94347659191",
        "943 4765 919",  # wrong grouping
        "943-476 5919",  # mixed separators
        "943  476  5919",  # double spaces
        "943.476.5919",
        "94347659l9",  # letter l for digit 1
        "1000000010",  # 1 x 10 + 1 x 2 = 12 -> remainder 1 -> check would be 10: never valid
        "",
        "\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19",  # full-width digits
    ],
)
def test_invalid_nhs_numbers(value: str) -> None:
    assert not is_valid_nhs(value)


def test_nhs_check_digit_table() -> None:
    assert nhs_check_digit("943476591") == 9
    assert nhs_check_digit("401023213") == 7
    assert nhs_check_digit("200000001") == 0  # 11 maps to 0
    assert nhs_check_digit("100000001") is None  # 10 means no valid number


@pytest.mark.parametrize("bad", ["94347659", "9434765919", "94347659x", "", "٩٤٣٤٧٦٥٩١"])
def test_nhs_check_digit_rejects_wrong_input(bad: str) -> None:
    with pytest.raises(ValueError, match="nine ASCII digits"):
        nhs_check_digit(bad)


def test_normalise_nhs() -> None:
    assert normalise_nhs(" 943-476-5919 ") == "9434765919"
    assert normalise_nhs("943 476 5919") == "9434765919"
    assert normalise_nhs("943 4765919") is None


nine_digits = st.text(alphabet=string.digits, min_size=9, max_size=9)


@settings(max_examples=150, deadline=None, database=None)
@given(nine_digits, st.sampled_from(["{}{}{}", "{} {} {}", "{}-{}-{}"]))
def test_nhs_number_with_its_check_digit_is_valid_in_every_layout(nine: str, layout: str) -> None:
    check = nhs_check_digit(nine)
    digits = nine + str(check)
    formatted = layout.format(digits[:3], digits[3:6], digits[6:])
    expected = check is not None and len(set(digits)) > 1
    assert is_valid_nhs(formatted) is expected


@settings(max_examples=150, deadline=None, database=None)
@given(nine_digits, st.integers(0, 9), st.integers(0, 7))
def test_nhs_check_catches_single_errors_and_adjacent_transpositions(
    nine: str, wrong: int, position: int
) -> None:
    check = nhs_check_digit(nine)
    if check is None:
        return
    if wrong != check:
        assert not is_valid_nhs(nine + str(wrong))
    swapped = nine[:position] + nine[position + 1] + nine[position] + nine[position + 2 :]
    if swapped != nine:
        assert not is_valid_nhs(swapped + str(check))


# -------------------------------------------------------------------------------------------------
# Unique Pupil Number


@pytest.mark.parametrize(
    "value",
    [
        "B801200005001",  # python-stdnum's documented example
        "A950000178301",  # valid examples in the DfE CIN validator's tests (rule 1510)
        "H243278544154",
        "b801200005001",  # lower case
        " B801200005001 ",
        # temporary UPN: 8x2 + 1x4 + 2x5 + 5x10 + A(0)x13 = 80; 80 % 23 = 11 -> M
        "M80120000500A",
        # Z counts 22: 80 + 22x13 = 366; 366 % 23 = 21 -> Y
        "Y80120000500Z",
    ],
)
def test_valid_upns(value: str) -> None:
    assert is_valid_upn(value)


@pytest.mark.parametrize(
    "value",
    [
        "A801200005001",  # wrong check letter
        "C801200005001",
        "R247962919251",  # invalid examples in the CIN validator's tests
        "X428558133462",
        "B801200005010",  # digits swapped
        "B80120000500",  # 12 characters
        "B8012000050011",  # 14 characters
        "B8012000A5001",  # letter in the middle
        "1801200005001",  # no check letter
        "O80120000500A",  # O is never a check letter
        "M80120000500I",  # I, O, S never end a temporary UPN
        "M80120000500O",
        "",
    ],
)
def test_invalid_upns(value: str) -> None:
    assert not is_valid_upn(value)


def test_upn_known_la_option() -> None:
    assert 801 in LA_CODES and 950 not in LA_CODES
    assert is_valid_upn("B801200005001", known_la=True)
    assert is_valid_upn("A950000178301")
    assert not is_valid_upn("A950000178301", known_la=True)


def test_upn_check_letter_table() -> None:
    assert upn_check_letter("801200005001") == "B"
    assert upn_check_letter("950000178301") == "A"
    assert upn_check_letter("80120000500A") == "M"
    assert upn_check_letter("80120000500a") == "M"


@pytest.mark.parametrize("bad", ["80120000500", "8012000050011", "8012000A5001", "80120000500S"])
def test_upn_check_letter_rejects_wrong_input(bad: str) -> None:
    with pytest.raises(ValueError):
        upn_check_letter(bad)


def test_upn_alphabet_is_the_alphabet_without_i_o_s() -> None:
    assert len(UPN_ALPHABET) == 23
    assert set(UPN_ALPHABET) == set(string.ascii_uppercase) - set("IOS")


def test_normalise_upn() -> None:
    assert normalise_upn(" b801200005001") == "B801200005001"
    assert normalise_upn("B80120000500") is None


upn_bodies = st.builds(
    lambda digits, last: digits + last,
    st.text(alphabet=string.digits, min_size=11, max_size=11),
    st.sampled_from(string.digits + UPN_ALPHABET),
)


@settings(max_examples=150, deadline=None, database=None)
@given(upn_bodies, st.sampled_from(UPN_ALPHABET))
def test_upn_is_valid_with_its_check_letter_only(body: str, letter: str) -> None:
    right = upn_check_letter(body)
    assert is_valid_upn(right + body)
    assert is_valid_upn(letter + body) is (letter == right)


@settings(max_examples=150, deadline=None, database=None)
@given(upn_bodies, st.integers(0, 10), st.integers(1, 9))
def test_upn_check_catches_any_single_digit_error(body: str, position: int, delta: int) -> None:
    upn = upn_check_letter(body) + body
    digit = (int(body[position]) + delta) % 10
    changed = upn[: position + 1] + str(digit) + upn[position + 2 :]
    assert not is_valid_upn(changed)


# -------------------------------------------------------------------------------------------------
# National Insurance number


@pytest.mark.parametrize(
    "value",
    [
        "AB 12 34 56 C",
        "AB123456C",
        "ab123456c",
        "AB 123456 C",
        " JG 10 37 59 A ",
        "OA123456D",  # O may come first, not second
        "ZY123456B",  # Z may come first; only ZZ is excluded
        "TA123456A",
    ],
)
def test_valid_ninos(value: str) -> None:
    assert is_valid_nino(value)


@pytest.mark.parametrize(
    "value",
    [
        "QQ 12 34 56 C",  # HMRC's example prefix: Q is never a first letter
        "DA123456A",
        "FA123456A",
        "IA123456A",
        "UA123456A",
        "VA123456A",
        "AD123456A",
        "AF123456A",
        "AI123456A",
        "AO123456A",
        "AQ123456A",
        "AU123456A",
        "AV123456A",
        "BG123456A",
        "GB123456A",
        "KN123456A",
        "NK123456A",
        "NT123456A",
        "TN123456A",
        "ZZ123456A",
        "AB123456E",  # suffix beyond D
        "AB123456",  # no suffix
        "AB12345C",  # five digits
        "AB1234567C",
        "A1123456C",
        "AB-12-34-56-C",
        "",
    ],
)
def test_invalid_ninos(value: str) -> None:
    assert not is_valid_nino(value)


def test_nino_prefix_rules_over_every_pair_of_letters() -> None:
    # The rule as HMRC states it (NIM39110), spelled out independently of the module's constants.
    unallocated = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
    valid_prefixes = 0
    for first in string.ascii_uppercase:
        for second in string.ascii_uppercase:
            expected = (
                first not in "DFIQUV"
                and second not in "DFIOQUV"
                and first + second not in unallocated
            )
            assert is_valid_nino(f"{first}{second}123456A") is expected, first + second
            valid_prefixes += expected
    assert valid_prefixes == 20 * 19 - 7


def test_normalise_nino() -> None:
    assert normalise_nino("ab 12 34 56 c") == "AB123456C"
    assert normalise_nino("AB 12 34 56") is None


# -------------------------------------------------------------------------------------------------
# Postcode


@pytest.mark.parametrize(
    "value",
    [
        "SW1A 1AA",  # AA9A 9AA
        "sw1a1aa",
        "EC1A 1BB",
        "W1A 0AX",  # A9A 9AA
        "M1 1AE",  # A9 9AA
        "B33 8TH",  # A99 9AA
        "CR2 6XH",  # AA9 9AA
        "DN55 1PT",  # AA99 9AA
        "LS6 2AB",
        " M14 5TP ",
        "GIR 0AA",
        "gir0aa",
    ],
)
def test_valid_postcodes(value: str) -> None:
    assert is_valid_postcode(value)


@pytest.mark.parametrize(
    "value",
    [
        "QA1 1AA",  # Q never first
        "XX1 1AA",  # no such area
        "AI1 1AA",
        "SW1A 1AC",  # C never in the unit
        "SW1A 1IA",
        "M14 5TK",
        "E1Z 1AA",  # Z never ends an A9A district
        "SW1Z 1AA",  # Z never ends an AA9A district
        "M14",  # outward code only
        "M14 5T",
        "M14 55T",
        "M14  5TP",  # two spaces
        "SW1A-1AA",
        "SW1A1 1AA",
        "GIR 0AB",
        "",
    ],
)
def test_invalid_postcodes(value: str) -> None:
    assert not is_valid_postcode(value)


@pytest.mark.parametrize("value", ["M14", "SW1A", "B1", "LS6", "ls17", "CR0", "EC1A", "W1A", "E1W"])
def test_valid_outward_codes(value: str) -> None:
    assert is_valid_outward_code(value)


@pytest.mark.parametrize(
    "value", ["GIR", "LS", "1AA", "M144", "Q1", "XX1", "SW1A 1AA", "E1Z", "SW1Z", "", "M 14"]
)
def test_invalid_outward_codes(value: str) -> None:
    assert not is_valid_outward_code(value)


def test_normalise_postcode_and_outward_code() -> None:
    assert normalise_postcode("sw1a1aa") == "SW1A 1AA"
    assert normalise_postcode("gir0aa") == "GIR 0AA"
    assert normalise_postcode("SW1A 1AC") is None
    assert normalise_outward_code(" m14 ") == "M14"
    assert normalise_outward_code("m144") is None


def test_postcode_areas() -> None:
    assert len(POSTCODE_AREAS) == 124
    assert {"M", "LS", "SW", "GY", "JE", "IM"} <= POSTCODE_AREAS
    assert not {"Q", "GIR", "XX"} & POSTCODE_AREAS


# -------------------------------------------------------------------------------------------------
# Robustness: recognizer hooks see arbitrary text; validators answer, never raise.


@settings(max_examples=150, deadline=None, database=None)
@given(st.text(max_size=20))
def test_validators_never_raise(value: str) -> None:
    for validate in (is_valid_nhs, is_valid_upn, is_valid_nino, is_valid_postcode):
        assert validate(value) in (True, False)
    assert is_valid_outward_code(value) in (True, False)


def test_non_ascii_look_alikes_are_rejected() -> None:
    # U+017F (long s) upper-cases to S; it must not turn into a valid postcode.
    assert not is_valid_postcode("\u017fW1A 1AA")
    assert not is_valid_nino("AB123456\u0441")  # Cyrillic es
