"""UK vehicle registrations (DVLA): current, prefix and suffix plates."""

from __future__ import annotations

import re

from casenotes.deid.recognizers._base import Rule, UkRecognizer, containing
from casenotes.records import PiiLabel

_CONTEXT = (
    "reg",
    "reg no",
    "registration",
    "vrm",
    "car",
    "vehicle",
    "van",
    "plate",
    "number plate",
    "drives",
    "driving",
    "drove",
    "driven",
    "motorbike",
    "taxi",
    "anpr",
)


class UkVehicleRegistrationRecognizer(UkRecognizer):
    """``AB12 CDE`` / ``AB12CDE`` (2001-), prefix ``A123 BCD`` (1983-2001), suffix ``ABC 123D``.

    Capitals only. A current plate must carry a real age identifier (02-29 for March, 51-79 for
    September) and the letters DVLA uses (no I, Q or Z in the last three), which keeps postcodes
    out ("LS12 3AB" has a digit where a plate has letters). Prefix and suffix plates look like
    too many other things ("S47 CIN") and count only with vehicle context.
    """

    NAME = "uk_vehicle_registration"
    ENTITIES = (PiiLabel.VEHICLE_REGISTRATION.value,)
    CONTEXT = _CONTEXT
    CONTEXT_WINDOW = 48
    RULES = (
        Rule(
            name="vrm_current",
            regex=re.compile(
                r"(?<![\w/-])[A-HJ-PR-Y][A-HJ-PR-Y](?:0[2-9]|[12]\d|5[1-9]|[67]\d) ?"
                r"[A-HJ-PR-Z]{3}(?![\w/-])"
            ),
            score=0.55,
        ),
        Rule(
            name="vrm_prefix",
            regex=re.compile(r"(?<![\w/-])[A-HJ-NP-TV-Y]\d{1,3} ?[A-HJ-PR-Y]{3}(?![\w/-])"),
            score=0.5,
            require_context=True,
        ),
        # part of a plate, as witnesses give it: "partial reg YR6", "part plate: WX1"
        Rule(
            name="vrm_partial",
            regex=re.compile(
                r"\b(?i:partial|part)[ \t]+(?i:reg(?:istration)?|plate|index|vrm)\.?"
                r"(?:[ \t]+(?i:no\.?|number|of|was|is))?[ \t]*:?[ \t]*"
                r"(?P<value>(?=[A-Z\d ]*[A-Z])(?=[A-Z\d ]*\d)[A-Z\d]{2,4}(?: ?[A-Z\d]{1,3})?)"
                r"(?![\w/-])"
            ),
            score=0.6,
            prefilter=containing("part", "Part", "PART"),
        ),
        Rule(
            name="vrm_suffix",
            regex=re.compile(r"(?<![\w/-])[A-HJ-PR-Y]{3} ?\d{1,3}[A-HJ-NP-TV-Y](?![\w/-])"),
            score=0.5,
            require_context=True,
        ),
    )
