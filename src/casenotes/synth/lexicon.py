"""The generator's grammar files (``resources/synth/*.yaml``), validated with pydantic.

A bad file fails on load with a message that names the file, the entry and the key, so editing the
grammar never silently drops phrases. The loaded :class:`Grammar` also indexes which frames and
risk forms fit together, so the generator picks among compatible pairs only.
"""

from __future__ import annotations

import hashlib
import random
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from casenotes.config import format_validation_error
from casenotes.errors import ConfigError
from casenotes.records import Certainty, RiskLabel, Subject, Temporality
from casenotes.synth.grammar import all_expansions, count_expansions, expand_choices, slots_of

RESOURCE_PACKAGE = "casenotes.resources.synth"
FORM_TYPES = ("np", "npa", "ing", "adj", "pp", "pred")
FRAME_TYPES = (*FORM_TYPES, "np_poss")
QUALIFIER_CODES = {
    "c-a": (Temporality.CURRENT, Certainty.AFFIRMED, False),
    "c-p": (Temporality.CURRENT, Certainty.POSSIBLE, False),
    "c-a-n": (Temporality.CURRENT, Certainty.AFFIRMED, True),
    "h-a": (Temporality.HISTORICAL, Certainty.AFFIRMED, False),
    "h-p": (Temporality.HISTORICAL, Certainty.POSSIBLE, False),
    "h-a-n": (Temporality.HISTORICAL, Certainty.AFFIRMED, True),
    "y-a": (Temporality.HYPOTHETICAL, Certainty.AFFIRMED, False),
    "y-p": (Temporality.HYPOTHETICAL, Certainty.POSSIBLE, False),
}
SUBJECT_SLOTS = frozenset({"S", "S_poss", "PRON"})
# Forms that state a risk as an absence ("not in education", "no food in the home") never fill a
# negated frame: "is not not in education" says nothing a reader could annotate.
INHERENTLY_NEGATIVE = ("no ", "not ", "No ", "Not ")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_template(text: str) -> str:
    """Fail on unbalanced ``[ ]``; every alternative is reachable, so one expansion checks it."""
    expand_choices(text, random.Random(0))
    return text


class RiskForm(_Strict):
    text: str
    type: Literal["np", "ing", "adj", "pp", "pred"]
    subjects: tuple[Subject, ...] | None = None

    @field_validator("text")
    @classmethod
    def _trimmed(cls, text: str) -> str:
        for expansion in all_expansions(_check_template(text)):
            if expansion != expansion.strip() or "  " in expansion or not expansion:
                raise ValueError(f"form {text!r} can expand to an untrimmed or empty span")
        return text

    @property
    def grammatical_type(self) -> str:
        """``npa`` for noun phrases that carry their own article ("a PEX", "an FTE")."""
        if self.type == "np" and self.text.split(" ", 1)[0] in {"a", "an"}:
            return "npa"
        return self.type


class Category(_Strict):
    subjects: dict[Subject, float]
    possessive: bool = False
    forms: tuple[RiskForm, ...] = Field(min_length=1)

    @property
    def default_subject(self) -> Subject:
        return max(self.subjects, key=self.subjects.__getitem__)


class RiskFile(_Strict):
    version: int
    categories: dict[RiskLabel, Category]

    @model_validator(mode="after")
    def _all_categories(self) -> RiskFile:
        missing = set(RiskLabel) - set(self.categories)
        if missing:
            raise ValueError(f"no forms for categories: {sorted(missing)}")
        return self


class Frame(_Strict):
    q: Literal["c-a", "c-p", "c-a-n", "h-a", "h-p", "h-a-n", "y-a", "y-p"]
    types: tuple[Literal["np", "npa", "np_poss", "ing", "adj", "pp", "pred"], ...]
    text: str
    categories: tuple[RiskLabel, ...] | None = None

    @field_validator("text")
    @classmethod
    def _balanced(cls, text: str) -> str:
        return _check_template(text)

    @model_validator(mode="after")
    def _one_risk_slot(self) -> Frame:
        if self.text.count("{R}") != 1:
            raise ValueError("a frame must contain exactly one {R} slot")
        if "np_poss" in self.types and "{S_poss}" not in self.text:
            raise ValueError("an np_poss frame must contain {S_poss}")
        return self

    @property
    def names_subject(self) -> bool:
        return bool(slots_of(self.text) & {"S", "S_poss"})


class FrameFile(_Strict):
    version: int
    frames: tuple[Frame, ...]


class Style(_Strict):
    weight: float = Field(gt=0)
    ages: tuple[int, int]
    risks: tuple[int, int]
    fillers: tuple[str, ...]
    abbreviate: float = Field(ge=0, le=1)
    lowercase_names: float = Field(default=0.05, ge=0, le=1)
    header: tuple[str, ...] = ("",)
    open: tuple[str, ...] = Field(min_length=1)
    close: tuple[str, ...] = Field(min_length=1)

    @field_validator("header", "open", "close")
    @classmethod
    def _balanced(cls, texts: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_template(text) for text in texts)


class StyleFile(_Strict):
    version: int
    styles: dict[str, Style]
    fillers: dict[str, tuple[str, ...]]
    abbreviations: tuple[tuple[str, str], ...]

    @model_validator(mode="after")
    def _fillers_exist(self) -> StyleFile:
        for name, style in self.styles.items():
            unknown = set(style.fillers) - set(self.fillers)
            if unknown:
                raise ValueError(f"style {name!r} names unknown filler pools {sorted(unknown)}")
        for pool in self.fillers.values():
            for text in pool:
                _check_template(text)
        return self


def _load_yaml(name: str, model: type[BaseModel]) -> tuple[BaseModel, str]:
    raw = resources.files(RESOURCE_PACKAGE).joinpath(name).read_bytes()
    try:
        return model.model_validate(yaml.safe_load(raw)), hashlib.sha256(raw).hexdigest()[:12]
    except ValidationError as error:
        raise ConfigError(
            format_validation_error(error, model, f"{RESOURCE_PACKAGE}/{name}")
        ) from None


class Grammar:
    """The three grammar files together, with the frame/form compatibility index."""

    def __init__(self, risks: RiskFile, frames: FrameFile, styles: StyleFile, digest: str) -> None:
        self.risks = risks
        self.frames = frames.frames
        self.styles = styles.styles
        self.fillers = styles.fillers
        self.abbreviations = styles.abbreviations
        self.digest = digest
        self._pairs: dict[tuple[RiskLabel, str, Subject, bool], list[tuple[Frame, list[RiskForm]]]]
        self._pairs = {}
        for label, category in risks.categories.items():
            for code in QUALIFIER_CODES:
                for subject in Subject:
                    for named in (False, True):
                        self._pairs[label, code, subject, named] = self._compatible(
                            label, category, code, subject, named
                        )

    def _compatible(
        self, label: RiskLabel, category: Category, code: str, subject: Subject, named: bool
    ) -> list[tuple[Frame, list[RiskForm]]]:
        pairs = []
        for frame in self.frames:
            if frame.q != code or (frame.categories and label not in frame.categories):
                continue
            if named and not frame.names_subject:
                continue
            forms = [
                form
                for form in category.forms
                if (form.subjects is None or subject in form.subjects)
                and not (code.endswith("-n") and form.text.startswith(INHERENTLY_NEGATIVE))
                and (
                    form.grammatical_type in frame.types
                    or (
                        category.possessive
                        and form.grammatical_type == "np"
                        and "np_poss" in frame.types
                    )
                )
            ]
            if forms:
                pairs.append((frame, forms))
        return pairs

    def pairs(
        self, label: RiskLabel, code: str, subject: Subject, named: bool
    ) -> list[tuple[Frame, list[RiskForm]]]:
        """Frames (with the forms that fit them) for a mention of these qualifiers and subject."""
        return self._pairs[label, code, subject, named]

    def surface_form_count(self, label: RiskLabel) -> int:
        return sum(count_expansions(form.text) for form in self.risks.categories[label].forms)


@cache
def load_grammar() -> Grammar:
    """Load and validate the packaged grammar files (once per process)."""
    risks, risk_digest = _load_yaml("risks.yaml", RiskFile)
    frames, frame_digest = _load_yaml("frames.yaml", FrameFile)
    styles, style_digest = _load_yaml("styles.yaml", StyleFile)
    digest = hashlib.sha256(f"{risk_digest}{frame_digest}{style_digest}".encode()).hexdigest()[:12]
    return Grammar(risks, frames, styles, digest)  # type: ignore[arg-type]
