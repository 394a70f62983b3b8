"""What replaces personal data: placeholders, keyed pseudonyms, surrogates and date shifts.

Operators, chosen per label (``configs/deid.toml``) on top of a mode preset:

- ``placeholder`` — ``[PERSON_1]``, numbered by first appearance and consistent within a note and,
  when ``case_id`` is given, within its case (as long as the case's notes pass through the same
  process, which in-order streaming gives).
- ``pseudonym`` — ``PERSON_7KQ2M9XA``: HMAC-SHA256 of the label and the normalised value under a
  secret key, so the same person gets the same token in every note, file and run that uses the
  key, and nobody without the key can reverse or link it. Names are pseudonymised word by word, so
  "Jayden" and "Jayden Smith" share the token for "Jayden".
- ``surrogate`` — a realistic fictional en-GB value (name, address, postcode, phone, NHS number with
  a valid check digit, ...) chosen deterministically from the keyed hash: consistent like a
  pseudonym, but reads like a real note.
- ``redact`` — ``[REDACTED]``; ``keep`` — leave the value (for quasi-identifiers a policy keeps).
- ``shift`` — dates move by a keyed offset per case (±``date_shift_max_days``, never 0), so the
  intervals between a case's events survive; a date that cannot be read becomes a placeholder.
- ``generalise`` — dates of birth become month and year, or the year (``dob_granularity``).

``pseudonym``, ``surrogate`` and ``shift`` need a key; without one the tool refuses to start. The
key is never logged or written anywhere.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import random
import re

from casenotes.config import DeidConfig
from casenotes.deid.allowlist import normalise
from casenotes.errors import ConfigError
from casenotes.parallel import CaseStore
from casenotes.records import QUASI_IDENTIFIERS, PiiLabel

MODES = ("placeholder", "pseudonym", "surrogate", "redact")
KEYED_OPERATORS = frozenset({"pseudonym", "surrogate", "shift"})
REDACTED = "[REDACTED]"


def mode_preset(mode: str) -> dict[str, str]:
    """Operator per label for a mode, before per-label overrides from the config."""
    if mode not in MODES:
        raise ConfigError(f"unknown mode {mode!r}; choose one of: {', '.join(MODES)}")
    preset = {label.value: mode for label in PiiLabel}
    preset[PiiLabel.DATE_OF_BIRTH.value] = "generalise" if mode != "redact" else "redact"
    if mode in ("pseudonym", "surrogate"):
        preset[PiiLabel.DATE.value] = "shift"
        for label in QUASI_IDENTIFIERS - {PiiLabel.DATE}:
            preset[label.value] = "placeholder" if mode == "pseudonym" else mode
    preset[PiiLabel.AGE.value] = "keep" if mode != "redact" else "redact"
    return preset


def operators_for(config: DeidConfig, mode: str | None) -> dict[str, str]:
    operators = mode_preset(mode or _mode_of(config.default_operator))
    operators.update(config.operators)
    return operators


def _mode_of(operator: str) -> str:
    return operator if operator in MODES else "placeholder"


COMPACT_LABELS = frozenset(
    {
        "UK_NHS",
        "UK_NINO",
        "UK_UPN",
        "PHONE_NUMBER",
        "POSTCODE",
        "VEHICLE_REGISTRATION",
        "CASE_REFERENCE",
    }
)


def value_key(label: str, value: str) -> str:
    """What makes two written values the same value: "943 476 5919" is "9434765919"."""
    if label in COMPACT_LABELS:
        compact = re.sub(r"[^0-9a-z]", "", value.lower())
        if label == "PHONE_NUMBER":  # +44 7700 900123 is 07700 900123
            return compact.removeprefix("44").lstrip("0")
        return compact
    return normalise(value)


def keyed_token(key: bytes, label: str, value: str) -> bytes:
    return hmac.new(key, f"{label}|{value}".encode(), hashlib.sha256).digest()


def _b32(digest: bytes, length: int = 8) -> str:
    return base64.b32encode(digest).decode("ascii")[:length]


class CaseMemory:
    """Placeholder numbering per case (or per note without a case), bounded in size."""

    def __init__(self) -> None:
        self._cases: CaseStore[dict[str, dict[str, int]]] = CaseStore(dict)

    def number(self, scope: str, label: str, value: str) -> int:
        values = self._cases.of(scope).setdefault(label, {})
        return values.setdefault(value, len(values) + 1)


class Replacer:
    """Turns one detected value into its replacement, given the note's case and date."""

    def __init__(self, config: DeidConfig, operators: dict[str, str], key: bytes | None) -> None:
        needs_key = sorted({op for op in operators.values() if op in KEYED_OPERATORS})
        if needs_key and key is None:
            raise ConfigError(
                f"operators {', '.join(needs_key)} need a secret key: pass --key-file or set "
                f"{config.key_env}. casenotes refuses to pseudonymise without one."
            )
        self.config = config
        self.operators = operators
        self.key = key
        self.memory = CaseMemory()

    def replace(
        self, label: str, value: str, scope: str, case_id: str | None, note_date: dt.date | None
    ) -> str:
        operator = self.operators.get(label, "placeholder")
        if operator == "keep":
            return value
        if operator == "redact":
            return REDACTED
        if operator == "placeholder":
            return f"[{label}_{self.memory.number(scope, label, value_key(label, value))}]"
        if operator == "pseudonym":
            return self._pseudonym(label, value)
        if operator == "surrogate":
            return self._surrogate(label, value)
        if operator == "shift":
            shifted = self._shift(value, case_id or scope, note_date)
            return shifted if shifted is not None else self._fallback(label, value, scope)
        if operator == "generalise":
            general = generalise_date(value, self.config.dob_granularity, note_date)
            return general if general is not None else self._fallback(label, value, scope)
        raise ConfigError(f"unknown operator {operator!r} for {label}")

    def _fallback(self, label: str, value: str, scope: str) -> str:
        return f"[{label}_{self.memory.number(scope, label, value_key(label, value))}]"

    def _pseudonym(self, label: str, value: str) -> str:
        assert self.key is not None
        if label == PiiLabel.PERSON.value:
            return _wordwise(value, lambda w: f"PERSON_{_b32(keyed_token(self.key, label, w))}")
        return f"{label}_{_b32(keyed_token(self.key, label, value_key(label, value)))}"

    def _surrogate(self, label: str, value: str) -> str:
        assert self.key is not None
        from casenotes.synth import fake_pii as fake

        def rng_for(text: str) -> random.Random:
            return random.Random(keyed_token(self.key, label, text))

        if label == PiiLabel.PERSON.value:
            return _wordwise(value, lambda w: _match_case(w, fake.first_name(rng_for(w))))
        rng = rng_for(value_key(label, value))
        makers = {
            "ADDRESS": lambda: fake.address(rng, with_town=False, with_postcode=False).text,
            "POSTCODE": lambda: fake.postcode(rng),
            "PHONE_NUMBER": lambda: fake.phone_number(rng, drama=True),
            "EMAIL_ADDRESS": lambda: fake.email_address(rng),
            "UK_NHS": lambda: fake.format_nhs(fake.nhs_number(rng), rng),
            "UK_NINO": lambda: fake.nino(rng),
            "UK_UPN": lambda: fake.upn(rng),
            "CASE_REFERENCE": lambda: fake.case_reference(rng),
            "USERNAME": lambda: "@" + fake.social_handle(rng).lstrip("@"),
            "VEHICLE_REGISTRATION": lambda: fake.vehicle_registration(rng),
            "ORGANIZATION": lambda: fake.service_venue(rng),
            "LOCATION": lambda: fake.town(rng),
        }
        maker = makers.get(label)
        return maker() if maker else f"{label}_{_b32(keyed_token(self.key, label, value))}"

    def shift_days(self, scope: str) -> int:
        """The keyed offset for a case: the same for all its notes, never zero."""
        assert self.key is not None
        span = self.config.date_shift_max_days
        raw = int.from_bytes(keyed_token(self.key, "DATE_SHIFT", scope)[:8], "big")
        offset = raw % (2 * span) - span
        return offset if offset < 0 else offset + 1

    def _shift(self, value: str, scope: str, note_date: dt.date | None) -> str | None:
        parsed = parse_date(value, note_date)
        if parsed is None:
            return None
        day, has_day, has_year = parsed
        moved = day + dt.timedelta(days=self.shift_days(scope))
        if not has_day:
            return moved.strftime("%B %Y")
        if not has_year:
            return f"{moved.day} {moved.strftime('%B')}"
        if re.search(r"[A-Za-z]", value):
            return f"{moved.day} {moved.strftime('%B %Y')}"
        return moved.strftime("%d/%m/%Y")


def _wordwise(value: str, replace) -> str:
    return re.sub(r"[^\W\d_][\w'’-]*", lambda m: replace(_strip_possessive(m.group())), value)


def _strip_possessive(word: str) -> str:
    return re.sub(r"['’]s$", "", word).lower()


def _match_case(original: str, surrogate: str) -> str:
    return surrogate.lower() if original.islower() else surrogate


_ORDINAL = re.compile(r"(\d)(st|nd|rd|th)\b", re.IGNORECASE)
_YEAR = re.compile(r"(?:19|20)\d\d|'\d\d|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2}\b")


def parse_date(value: str, note_date: dt.date | None) -> tuple[dt.date, bool, bool] | None:
    """Read a date as written in UK notes (day first): (date, has_day, has_year), or None."""
    from dateutil import parser

    text = _ORDINAL.sub(r"\1", value.strip())
    if re.fullmatch(r"(?:19|20)\d\d", text):
        return dt.date(int(text), 7, 1), False, True
    default = dt.datetime(note_date.year if note_date else 2000, 1, 1)
    try:
        parsed = parser.parse(text, dayfirst=True, default=default, fuzzy=False)
    except (ValueError, OverflowError, parser.ParserError):
        return None
    has_year = bool(_YEAR.search(value))
    has_day = bool(re.search(r"\b\d{1,2}\b(?![/.-]\d{4}$)", _ORDINAL.sub(r"\1", value))) and not (
        re.fullmatch(r"\d{1,2}[/.-](?:19|20)\d\d", text)
    )
    return parsed.date(), has_day, has_year


def generalise_date(value: str, granularity: str, note_date: dt.date | None) -> str | None:
    parsed = parse_date(value, note_date)
    if parsed is None:
        return None
    day, _, has_year = parsed
    if not has_year:
        return None
    return day.strftime("%Y") if granularity == "year" else day.strftime("%B %Y")
