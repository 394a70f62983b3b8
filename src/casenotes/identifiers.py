"""Validators for UK identifiers: NHS number, pupil number (UPN), NI number, postcode.

These are pure functions with no state and no imports beyond the standard library. Two kinds of
caller share them: the Presidio recognizers (their ``validate_result`` hooks, which decide whether a
pattern match is kept) and the synthetic generator (which must only emit values that validate).

Each ``is_valid_*`` function takes the text as it appears in a note and answers one question: could
this be an allocated identifier of that kind? Layout is checked as the identifier is written in
practice (documented per function); surrounding whitespace is ignored, case is not significant.
Each ``normalise_*`` function returns the compact, upper-case form used for comparison, or ``None``
when the layout is not one the identifier is written in. Neither kind raises on odd input: anything
that is not a plausible identifier is simply not valid. The check-character functions
(:func:`nhs_check_digit`, :func:`upn_check_letter`) take the exact characters they compute over
and raise ``ValueError`` for anything else, since that is a caller's bug. Only ASCII digits count.

Sources:
- NHS number: NHS Data Dictionary, "NHS Number" (modulus 11, weights 10..2 over digits 1-9).
- UPN: DfE, *Unique pupil numbers (UPNs): a guide for schools and local authorities*, v1.2 (2019),
  Annex A "The national UPN formula"; also the UK Government Data Standards Catalogue entry
  "Unique Pupil Number" v2.0. Local-authority numbers: DfE "LA codes" list (2011), plus the
  authorities created since (838, 839 Dorset and BCP 2019; 940, 941 Northamptonshire 2021;
  942, 943 Cumberland and Westmorland & Furness 2023).
- NINO: HMRC National Insurance Manual NIM39110 (prefix and suffix rules).
- Postcode: Royal Mail Programmers' Address File guide, postcode format rules (letters not used in
  each position), and the list of 124 postcode areas in use (incl. the Crown Dependencies GY, JE,
  IM). Special non-geographic codes other than ``GIR 0AA`` (BFPO, overseas territories) are out
  of scope: they never identify a child's home.
"""

from __future__ import annotations

import re

# --------------------------------------------------------------------------------------------------
# NHS number

NHS_WEIGHTS: tuple[int, ...] = (10, 9, 8, 7, 6, 5, 4, 3, 2)

# 3-3-4 groups separated by one space or one hyphen (the same separator twice), or 10 digits.
_NHS_LAYOUT = re.compile(r"(\d{3})([ -]?)(\d{3})\2(\d{4})", re.ASCII)


def normalise_nhs(value: str) -> str | None:
    """The ten digits of an NHS number written ``943 476 5919``, ``943-476-5919`` or ``9434765919``.

    Returns ``None`` for any other layout (wrong length, other groupings, mixed separators).
    """
    match = _NHS_LAYOUT.fullmatch(value.strip())
    if match is None:
        return None
    return match.group(1) + match.group(3) + match.group(4)


def nhs_check_digit(nine_digits: str) -> int | None:
    """The modulus-11 check digit for the first nine digits of an NHS number.

    Each digit is multiplied by its weight (10 for the first down to 2 for the ninth); the check
    digit is 11 minus the remainder of the sum divided by 11, with 11 mapped to 0. A result of 10
    means no valid NHS number starts with these digits: ``None`` is returned.

    >>> nhs_check_digit("943476591")
    9
    """
    if len(nine_digits) != 9 or not nine_digits.isascii() or not nine_digits.isdigit():
        raise ValueError("nhs_check_digit needs exactly nine ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(nine_digits, NHS_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def is_valid_nhs(value: str) -> bool:
    """True for an NHS number in a layout :func:`normalise_nhs` accepts, with the right check digit.

    Numbers made of one repeated digit (``0000000000``, ``4444444444``) pass the modulus-11 check
    but are never allocated; they are placeholders, so they are rejected.
    """
    digits = normalise_nhs(value)
    if digits is None or len(set(digits)) == 1:
        return False
    return nhs_check_digit(digits[:9]) == int(digits[9])


# --------------------------------------------------------------------------------------------------
# Unique Pupil Number (DfE)

# Check letters for remainders 0..22: the alphabet without I, O and S. A temporary UPN ends in one
# of these letters, which counts in the sum as its index here (A=0, B=1, ... Z=22).
UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"

# Local-authority numbers (UPN characters 2-4). Old numbers stay valid: a UPN keeps the number of
# the authority that issued it even after that authority is reorganised.
# fmt: off
LA_CODES: frozenset[int] = frozenset({
    *range(201, 214), *range(301, 321), *range(330, 337), *range(340, 345), *range(350, 360),
    *range(370, 374), *range(380, 385), *range(390, 395), 420,
    800, 801, 802, 803, 805, 806, 807, 808, 810, 811, 812, 813, 815, 816, 821, 822, 823, 825, 826,
    830, 831, 835, 836, 837, 838, 839, 840, 841, 845, 846, 850, 851, 852, 855, 856, 857, 860, 861,
    865, 866, 867, 868, 869, 870, 871, 872, 873, 874, 876, 877, 878, 879, 880, 881, 882, 883, 884,
    885, 886, 887, 888, 889, 890, 891, 892, 893, 894, 895, 896, 908, 909, 916, 919, 921, 925, 926,
    928, 929, 931, 933, 935, 936, 937, 938, 940, 941, 942, 943,
})
# fmt: on

_UPN_LAYOUT = re.compile(r"[A-Z]\d{11}[0-9A-Z]", re.ASCII)


def normalise_upn(value: str) -> str | None:
    """The 13 characters of a UPN, upper-cased, spaces removed; ``None`` if the shape is wrong.

    Shape: a letter, eleven digits, then a digit (permanent UPN) or a letter (temporary UPN).
    """
    if not value.isascii():
        return None
    compact = re.sub(r"\s+", "", value).upper()
    if _UPN_LAYOUT.fullmatch(compact) is None:
        return None
    return compact


def upn_check_letter(twelve_chars: str) -> str:
    """The check letter (character 1) for UPN characters 2-13.

    DfE national UPN formula: multiply character *n* (n = 2..13) by weight *n*, sum, take the
    remainder modulo 23 and map it to ``UPN_ALPHABET`` (0 = A ... 22 = Z, skipping I, O and S).
    Characters 2-12 are digits; character 13 is a digit, or a letter for a temporary UPN, which
    counts as its index in ``UPN_ALPHABET``.

    >>> upn_check_letter("801200005001")
    'B'
    """
    chars = twelve_chars.upper()
    if len(chars) != 12 or not chars.isascii() or not chars[:11].isdigit():
        raise ValueError("upn_check_letter needs eleven digits then a digit or a letter")
    last = chars[11]
    if not last.isdigit() and last not in UPN_ALPHABET:
        raise ValueError("the last character of a temporary UPN is a letter other than I, O or S")
    total = 0
    for weight, char in enumerate(chars, start=2):
        total += weight * (int(char) if char.isdigit() else UPN_ALPHABET.index(char))
    return UPN_ALPHABET[total % 23]


def is_valid_upn(value: str, *, known_la: bool = False) -> bool:
    """True for a UPN (permanent or temporary) whose check letter is right.

    With ``known_la=True`` characters 2-4 must also be a local-authority number in ``LA_CODES``,
    which makes false positives on arbitrary 13-character tokens much rarer.
    """
    upn = normalise_upn(value)
    if upn is None or upn[0] not in UPN_ALPHABET or upn[12] in "IOS":
        return False
    if known_la and int(upn[1:4]) not in LA_CODES:
        return False
    return upn_check_letter(upn[1:]) == upn[0]


# --------------------------------------------------------------------------------------------------
# National Insurance number (HMRC)

NINO_FIRST_LETTERS = frozenset("ABCEGHJKLMNOPRSTWXYZ")  # not D, F, I, Q, U, V
NINO_SECOND_LETTERS = frozenset("ABCEGHJKLMNPRSTWXYZ")  # not D, F, I, O, Q, U, V
NINO_UNALLOCATED_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
NINO_SUFFIXES = frozenset("ABCD")

_NINO_LAYOUT = re.compile(r"[A-Z]{2}\d{6}[A-Z]", re.ASCII)


def normalise_nino(value: str) -> str | None:
    """The nine characters of a NINO, upper-cased, spaces removed; ``None`` if the shape is wrong.

    Spaces may appear anywhere (``QQ 12 34 56 C``, ``QQ123456 C``, ``QQ123456C``).
    """
    if not value.isascii():
        return None
    compact = re.sub(r"\s+", "", value).upper()
    if _NINO_LAYOUT.fullmatch(compact) is None:
        return None
    return compact


def is_valid_nino(value: str) -> bool:
    """True for a National Insurance number HMRC could have allocated.

    Two prefix letters (first not D, F, I, Q, U or V; second not D, F, I, O, Q, U or V; never
    BG, GB, KN, NK, NT, TN or ZZ), six digits, suffix A-D.

    The ``QQ`` prefix of HMRC's guidance examples (``QQ 12 34 56 C``) is *not* valid: Q is never
    used as a first letter, which is exactly why HMRC uses it in examples. In a case note it marks
    a form template, not a person.
    """
    nino = normalise_nino(value)
    if nino is None:
        return False
    return (
        nino[0] in NINO_FIRST_LETTERS
        and nino[1] in NINO_SECOND_LETTERS
        and nino[:2] not in NINO_UNALLOCATED_PREFIXES
        and nino[8] in NINO_SUFFIXES
    )


# --------------------------------------------------------------------------------------------------
# Postcode (Royal Mail)

# fmt: off
POSTCODE_AREAS: frozenset[str] = frozenset({
    "AB", "AL", "B", "BA", "BB", "BD", "BH", "BL", "BN", "BR", "BS", "BT", "CA", "CB", "CF", "CH",
    "CM", "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DG", "DH", "DL", "DN", "DT", "DY", "E",
    "EC", "EH", "EN", "EX", "FK", "FY", "G", "GL", "GU", "GY", "HA", "HD", "HG", "HP", "HR", "HS",
    "HU", "HX", "IG", "IM", "IP", "IV", "JE", "KA", "KT", "KW", "KY", "L", "LA", "LD", "LE", "LL",
    "LN", "LS", "LU", "M", "ME", "MK", "ML", "N", "NE", "NG", "NN", "NP", "NR", "NW", "OL", "OX",
    "PA", "PE", "PH", "PL", "PO", "PR", "RG", "RH", "RM", "S", "SA", "SE", "SG", "SK", "SL", "SM",
    "SN", "SO", "SP", "SR", "SS", "ST", "SW", "SY", "TA", "TD", "TF", "TN", "TQ", "TR", "TS", "TW",
    "UB", "W", "WA", "WC", "WD", "WF", "WN", "WR", "WS", "WV", "YO", "ZE",
})
# fmt: on

# Outward code: area letters, then a district of one or two digits or a digit and a letter. The
# trailing letter comes from a restricted set that depends on the length of the area.
_OUTWARD = re.compile(r"(?P<area>[A-Z]{1,2})(?P<district>\d{1,2}|\d[A-Z])", re.ASCII)
_DISTRICT_LETTERS_AFTER_ONE = frozenset("ABCDEFGHJKPSTUW")  # A9A: E1W, N1C, W1A
_DISTRICT_LETTERS_AFTER_TWO = frozenset("ABEHMNPRVWXY")  # AA9A: SW1A, EC1M, WC2H
# Inward code: sector digit then a unit of two letters, never C, I, K, M, O or V.
_INWARD = re.compile(r"\d[ABD-HJLNP-UW-Z]{2}", re.ASCII)
_FULL = re.compile(r"(?P<outward>[A-Z0-9]{2,4}) ?(?P<inward>[0-9][A-Z]{2})", re.ASCII)

GIROBANK_POSTCODE = "GIR 0AA"


def normalise_outward_code(value: str) -> str | None:
    """The outward code, upper-cased; ``None`` unless it is a valid outward code."""
    outward = value.strip().upper()
    return outward if value.isascii() and _outward_ok(outward) else None


def is_valid_outward_code(value: str) -> bool:
    """True for the outward half of a postcode on its own (``M14``, ``SW1A``, ``LS6``, ``B1``).

    The area letters must be one of the 124 postcode areas in use; ``GIR`` on its own is not
    accepted (it only exists as part of ``GIR 0AA``).
    """
    return normalise_outward_code(value) is not None


def normalise_postcode(value: str) -> str | None:
    """The postcode upper-cased with one space before the inward code, or ``None`` if invalid.

    >>> normalise_postcode("sw1a1aa")
    'SW1A 1AA'
    """
    match = _FULL.fullmatch(value.strip().upper()) if value.isascii() else None
    if match is None:
        return None
    outward, inward = match.group("outward"), match.group("inward")
    if f"{outward} {inward}" == GIROBANK_POSTCODE:
        return GIROBANK_POSTCODE
    if not _outward_ok(outward) or _INWARD.fullmatch(inward) is None:
        return None
    return f"{outward} {inward}"


def is_valid_postcode(value: str) -> bool:
    """True for a full UK postcode, with or without the space, in any case; ``GIR 0AA`` included.

    Checks the format rules (which letters may stand in which position) and that the area is one
    in use. It does not check that the district or unit exists: that needs the Postcode Address
    File, and a plausible but unissued postcode in a note is still personal data.
    """
    return normalise_postcode(value) is not None


def _outward_ok(outward: str) -> bool:
    match = _OUTWARD.fullmatch(outward)
    if match is None:
        return False
    area, district = match.group("area"), match.group("district")
    if area not in POSTCODE_AREAS:
        return False
    if district[-1].isalpha():
        allowed = _DISTRICT_LETTERS_AFTER_ONE if len(area) == 1 else _DISTRICT_LETTERS_AFTER_TWO
        return district[-1] in allowed
    return True
