"""Frozen records passed between the steps of the pipeline.

Every step of ``read → deidentify → extract → featurize → fit/predict → evaluate → log`` takes and
returns these types; none of them carries behaviour beyond validating itself and converting to and
from the plain-dict shape of the data contract in ``DOMAIN.md``. Label values are part of the public
contract, so they live here as ``StrEnum`` members that serialise to their exact string values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from casenotes.errors import RecordError


class RiskLabel(StrEnum):
    """Risk-factor categories: the five core ones, then the extended need indicators."""

    DOMESTIC_ABUSE = "domestic_abuse"
    MENTAL_HEALTH = "mental_health"
    SUBSTANCE_MISUSE = "substance_misuse"
    HOUSING = "housing"
    SCHOOL_EXCLUSION = "school_exclusion"
    NEET = "neet"
    OFFENDING = "offending"
    EXPLOITATION = "exploitation"
    MISSING = "missing"
    NEGLECT = "neglect"


CORE_RISKS: tuple[RiskLabel, ...] = (
    RiskLabel.DOMESTIC_ABUSE,
    RiskLabel.MENTAL_HEALTH,
    RiskLabel.SUBSTANCE_MISUSE,
    RiskLabel.HOUSING,
    RiskLabel.SCHOOL_EXCLUSION,
)
TOXIC_TRIO: tuple[RiskLabel, ...] = CORE_RISKS[:3]


class PiiLabel(StrEnum):
    """Personal-data labels: direct identifiers first, then quasi-identifiers."""

    PERSON = "PERSON"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    ADDRESS = "ADDRESS"
    POSTCODE = "POSTCODE"
    PHONE_NUMBER = "PHONE_NUMBER"
    EMAIL_ADDRESS = "EMAIL_ADDRESS"
    UK_NHS = "UK_NHS"
    UK_NINO = "UK_NINO"
    UK_UPN = "UK_UPN"
    CASE_REFERENCE = "CASE_REFERENCE"
    USERNAME = "USERNAME"
    VEHICLE_REGISTRATION = "VEHICLE_REGISTRATION"
    DATE = "DATE"
    AGE = "AGE"
    LOCATION = "LOCATION"
    ORGANIZATION = "ORGANIZATION"


QUASI_IDENTIFIERS: frozenset[PiiLabel] = frozenset(
    {PiiLabel.DATE, PiiLabel.AGE, PiiLabel.LOCATION, PiiLabel.ORGANIZATION}
)
DIRECT_IDENTIFIERS: frozenset[PiiLabel] = frozenset(PiiLabel) - QUASI_IDENTIFIERS


class Subject(StrEnum):
    """Whose risk a mention describes."""

    PARENT = "parent"
    CHILD = "child"
    OTHER = "other"


class Temporality(StrEnum):
    """When the risk holds."""

    CURRENT = "current"
    HISTORICAL = "historical"
    HYPOTHETICAL = "hypothetical"


class Certainty(StrEnum):
    """Whether the risk is stated or suspected."""

    AFFIRMED = "affirmed"
    POSSIBLE = "possible"


def _check_span(start: Any, end: Any, owner: str) -> None:
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool):
        raise RecordError(f"{owner}: start and end must be integers")
    if not 0 <= start < end:
        raise RecordError(f"{owner}: need 0 <= start < end, got start={start} end={end}")


def _enum(enum: type[StrEnum], value: Any, owner: str, name: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise RecordError(f"{owner}: {name} is not one of: {allowed}") from None


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """A piece of personal data: offsets into the original text, never the value itself."""

    start: int
    end: int
    label: PiiLabel
    score: float = 1.0
    recognizer: str | None = None

    def __post_init__(self) -> None:
        _check_span(self.start, self.end, "pii span")
        object.__setattr__(self, "label", _enum(PiiLabel, self.label, "pii span", "label"))
        if not isinstance(self.score, int | float) or not 0.0 <= float(self.score) <= 1.0:
            raise RecordError("pii span: score must be a number in [0, 1]")

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "start": self.start,
            "end": self.end,
            "label": self.label.value,
            "score": float(self.score),
        }
        if self.recognizer is not None:
            record["recognizer"] = self.recognizer
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> PiiSpan:
        _require_mapping(record, "pii span")
        return cls(
            start=record.get("start"),  # type: ignore[arg-type]
            end=record.get("end"),  # type: ignore[arg-type]
            label=record.get("label"),  # type: ignore[arg-type]
            score=record.get("score", 1.0),
            recognizer=record.get("recognizer"),
        )


@dataclass(frozen=True, slots=True)
class Mention:
    """A risk-factor mention with its four context qualifiers."""

    start: int
    end: int
    label: RiskLabel
    negated: bool = False
    subject: Subject = Subject.PARENT
    temporality: Temporality = Temporality.CURRENT
    certainty: Certainty = Certainty.AFFIRMED

    def __post_init__(self) -> None:
        _check_span(self.start, self.end, "mention")
        object.__setattr__(self, "label", _enum(RiskLabel, self.label, "mention", "label"))
        object.__setattr__(self, "subject", _enum(Subject, self.subject, "mention", "subject"))
        object.__setattr__(
            self, "temporality", _enum(Temporality, self.temporality, "mention", "temporality")
        )
        object.__setattr__(
            self, "certainty", _enum(Certainty, self.certainty, "mention", "certainty")
        )
        if not isinstance(self.negated, bool):
            raise RecordError("mention: negated must be true or false")

    @property
    def is_affirmed_current(self) -> bool:
        """True for a mention that counts towards a note's risks: stated, present, not negated."""
        return (
            not self.negated
            and self.temporality is Temporality.CURRENT
            and self.certainty is Certainty.AFFIRMED
        )

    def to_record(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "label": self.label.value,
            "negated": self.negated,
            "subject": self.subject.value,
            "temporality": self.temporality.value,
            "certainty": self.certainty.value,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Mention:
        _require_mapping(record, "mention")
        missing = [k for k in ("start", "end", "label") if k not in record]
        if missing:
            raise RecordError(f"mention: missing {', '.join(missing)}")
        return cls(
            start=record["start"],
            end=record["end"],
            label=record["label"],
            negated=record.get("negated", False),
            subject=record.get("subject", Subject.PARENT),
            temporality=record.get("temporality", Temporality.CURRENT),
            certainty=record.get("certainty", Certainty.AFFIRMED),
        )


def _require_mapping(record: Any, owner: str) -> None:
    if not isinstance(record, Mapping):
        raise RecordError(f"{owner}: expected an object, got {type(record).__name__}")


RESERVED_FIELDS: frozenset[str] = frozenset(
    {"note_id", "text", "case_id", "date", "pii", "mentions"}
)


@dataclass(frozen=True, slots=True)
class Note:
    """One case note. ``extra`` holds every other input column, passed through untouched."""

    note_id: str
    text: str
    case_id: str | None = None
    date: dt.date | None = None
    pii: tuple[PiiSpan, ...] | None = None
    mentions: tuple[Mention, ...] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.note_id, str) or not self.note_id.strip():
            raise RecordError("note_id must be a non-empty string")
        if not isinstance(self.text, str):
            raise RecordError(f"text must be a string, got {type(self.text).__name__}")
        if self.case_id is not None and not isinstance(self.case_id, str):
            raise RecordError(f"case_id must be a string, got {type(self.case_id).__name__}")
        if self.date is not None and not isinstance(self.date, dt.date):
            raise RecordError(f"date must be a date, got {type(self.date).__name__}")
        for name in ("pii", "mentions"):
            spans = getattr(self, name)
            if spans is None:
                continue
            object.__setattr__(self, name, tuple(spans))
            if name == "pii":
                continue  # after de-identification, pii offsets point into the ORIGINAL text
            for span in spans:
                if span.end > len(self.text):
                    raise RecordError(
                        f"{name} span {span.start}-{span.end} runs past the end of the text "
                        f"({len(self.text)} characters)"
                    )
        clash = RESERVED_FIELDS & set(self.extra)
        if clash:
            raise RecordError(f"extra columns clash with record fields: {sorted(clash)}")
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    def __reduce__(self) -> tuple[Any, ...]:
        # ``extra`` is a read-only mapping proxy, which pickle cannot copy: rebuild from a dict, so
        # notes can travel to worker processes.
        fields = (self.note_id, self.text, self.case_id, self.date, self.pii, self.mentions)
        return (type(self), (*fields, dict(self.extra)))

    def to_record(self) -> dict[str, Any]:
        """The plain-dict form written to files: contract fields first, extra columns after."""
        record: dict[str, Any] = {"note_id": self.note_id}
        if self.case_id is not None:
            record["case_id"] = self.case_id
        if self.date is not None:
            record["date"] = self.date.isoformat()
        record["text"] = self.text
        record.update(self.extra)
        if self.pii is not None:
            record["pii"] = [span.to_record() for span in self.pii]
        if self.mentions is not None:
            record["mentions"] = [mention.to_record() for mention in self.mentions]
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Note:
        """Build a note from a parsed input row; raises :class:`RecordError` naming the problem."""
        _require_mapping(record, "record")
        if "text" not in record or record["text"] is None:
            raise RecordError("missing text")
        if "note_id" not in record or record["note_id"] is None or record["note_id"] == "":
            raise RecordError("missing note_id")
        note_id = record["note_id"]
        if isinstance(note_id, int) and not isinstance(note_id, bool):
            note_id = str(note_id)
        case_id = record.get("case_id")
        if isinstance(case_id, int) and not isinstance(case_id, bool):
            case_id = str(case_id)
        if case_id == "":
            case_id = None
        return cls(
            note_id=note_id,
            text=record["text"],
            case_id=case_id,
            date=_parse_date(record.get("date")),
            pii=_parse_spans(record.get("pii"), PiiSpan, "pii"),
            mentions=_parse_spans(record.get("mentions"), Mention, "mentions"),
            extra={k: v for k, v in record.items() if k not in RESERVED_FIELDS},
        )


def _parse_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            raise RecordError("date is not an ISO 8601 date (YYYY-MM-DD)") from None
    raise RecordError(f"date must be an ISO 8601 string, got {type(value).__name__}")


def _parse_spans(value: Any, kind: type, name: str) -> tuple[Any, ...] | None:
    if value is None:
        return None
    # Parquet hands back numpy arrays: anything iterable that is not a string is accepted.
    if isinstance(value, str) or not (isinstance(value, Sequence) or hasattr(value, "__iter__")):
        raise RecordError(f"{name} must be a list of objects, got {type(value).__name__}")
    try:
        return tuple(kind.from_record(item) for item in value)
    except RecordError as error:
        raise RecordError(f"{name}: {error}") from None


@dataclass(frozen=True, slots=True)
class Prediction:
    """A classifier's score for one note (or case) and one label."""

    note_id: str
    label: str
    score: float
    threshold: float | None = None
    model: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= float(self.score) <= 1.0:
            raise RecordError(f"prediction for {self.note_id}: score not in [0, 1]")

    @property
    def flagged(self) -> bool | None:
        return None if self.threshold is None else self.score >= self.threshold

    def to_record(self) -> dict[str, Any]:
        return {
            "note_id": self.note_id,
            "label": self.label,
            "score": float(self.score),
            "threshold": self.threshold,
            "model": self.model,
        }
