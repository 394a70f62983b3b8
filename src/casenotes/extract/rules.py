"""Rule files of the extraction components: loading, validation, version and hash.

Three rule sets drive extraction, all YAML files in ``casenotes/resources/extract/``:

- **risk rules** (``risk_rules.yaml``): each rule has a stable ``id``, a risk ``label`` and either
  literal ``phrases`` or spaCy token ``patterns``. ``kind: exclude`` rules name phrases that are
  never mentions (service names, job titles: "YOT officer"); a risk match inside one is dropped.
- **context rules** (``context_rules.yaml``): ConText-style triggers with a ``category``, a
  ``direction`` and a ``max_scope`` in tokens; ``categories`` maps each category to the qualifier
  it sets (data, not ``if`` chains); ``terminators`` end a trigger's scope inside a sentence.
- **subject rules** (``subject_rules.yaml``): words that name whose risk it is (parent, child,
  other), pronouns resolved to the last compatible person word, and a default subject per label.

Every file is validated with pydantic (unknown keys are errors). A bad file raises
:class:`~casenotes.errors.ConfigError` naming the file, the rule id and the bad key. Each loaded set
exposes ``version`` and ``digest`` (SHA-256 of the file bytes, 12 hex digits) for run logs.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from casenotes.errors import ConfigError
from casenotes.records import Certainty, RiskLabel, Subject, Temporality

RESOURCE_PACKAGE = "casenotes.resources.extract"
RISK_RULES_FILE = "risk_rules.yaml"
CONTEXT_RULES_FILE = "context_rules.yaml"
SUBJECT_RULES_FILE = "subject_rules.yaml"
DIGEST_CHARS = 12
RULE_ID_PATTERN = r"^[a-z][a-z0-9_]*$"

Direction = Literal["forward", "backward", "bidirectional"]
Qualifier = Literal["negated", "subject", "temporality", "certainty"]
SubjectCategory = Literal["parent", "child", "other", "pronoun", "reset"]
Gender = Literal["female", "male"]
TokenPattern = list[dict[str, Any]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Matchable(_Strict):
    """A rule matched by literal phrases (any case unless ``case_sensitive``) or token patterns."""

    id: str = Field(pattern=RULE_ID_PATTERN)
    phrases: tuple[str, ...] = ()
    patterns: tuple[TokenPattern, ...] = ()
    case_sensitive: bool = False

    @model_validator(mode="after")
    def _something_to_match(self) -> _Matchable:
        if not self.phrases and not self.patterns:
            raise ValueError("needs phrases or patterns")
        if any(not phrase.strip() for phrase in self.phrases):
            raise ValueError("phrases must not be empty strings")
        for pattern in self.patterns:
            for token in pattern:
                for value in token.values():
                    listed = value.get("IN", []) if isinstance(value, dict) else []
                    if any(not isinstance(item, str) for item in listed):
                        raise ValueError(
                            "pattern IN lists must hold strings (quote YAML words such as "
                            '"on", "no", "yes")'
                        )
        return self


class RiskRule(_Matchable):
    """Phrases or patterns that state a risk of one category (or, for ``exclude``, never do)."""

    label: RiskLabel
    kind: Literal["mention", "exclude"] = "mention"
    subject: Subject | None = None  # overrides the label's default subject ("CAMHS" is the child)
    note: str = ""


class RiskRuleSet(_Strict):
    """The lexicon, plus how to join coordinated mentions and which typos to recognise."""

    version: str
    description: str = ""
    connectors: tuple[str, ...] = ()  # "drinking and using cannabis" is one mention
    max_connector_gap: int = Field(default=2, ge=0, le=5)
    fuzzy_min_length: int = Field(default=7, ge=4)  # 0 typos below this length
    fuzzy_ignore: tuple[str, ...] = ()  # real words one edit away from a lexicon word
    # abbreviations never matched in lower case, even in notes typed without capitals ("dash")
    lower_case_ignore: tuple[str, ...] = ()
    # a mention written as a proper name and followed by one of these is part of a service's name
    # ("the Substance Misuse Service", "Youth Homelessness team")
    service_nouns: tuple[str, ...] = ()
    rules: tuple[RiskRule, ...]


class QualifierValue(_Strict):
    """What a context category sets on the mentions in its scope."""

    qualifier: Qualifier
    value: bool | str
    # not set when the mention ends up with any of these values: {temporality: hypothetical} keeps
    # "worried she could lose the tenancy" affirmed (a worry about the future is not a suspicion)
    unless: dict[Qualifier, bool | str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _allowed(self) -> QualifierValue:
        allowed: dict[str, set[Any]] = {
            "negated": {True},
            "subject": {s.value for s in Subject},
            "temporality": {t.value for t in Temporality},
            "certainty": {c.value for c in Certainty},
        }
        if self.value not in allowed[self.qualifier]:
            raise ValueError(f"{self.qualifier} cannot be set to {self.value!r}")
        for qualifier, value in self.unless.items():
            if qualifier == self.qualifier or value not in allowed[qualifier] | {False}:
                raise ValueError(f"unless: {qualifier} cannot be {value!r}")
        return self


class ContextRule(_Matchable):
    """A ConText trigger. ``pseudo`` and ``terminate`` categories set nothing."""

    category: str = Field(pattern=r"^[A-Z][A-Z_]*$")
    also: tuple[str, ...] = ()  # further categories the same trigger sets ("never been")
    direction: Direction = "forward"
    max_scope: int = Field(default=8, ge=1, le=60)
    labels: tuple[RiskLabel, ...] = ()  # empty: applies to every label
    inside: bool = False  # also applies to a mention it lies inside ("arrested on suspicion of")
    note: str = ""


class ContextRuleSet(_Strict):
    version: str
    description: str = ""
    categories: dict[str, QualifierValue]
    pseudo_category: str = "PSEUDO"
    terminate_category: str = "TERMINATE"
    fuzzy_ignore: tuple[str, ...] = ()  # real words one edit from a trigger word ("three")
    # a chronology's entry ("14/06/18 - Police attended ...") dated more than this many days
    # before the note's own date is history; 0 turns the rule off
    dated_entry_history_days: int = Field(default=0, ge=0, le=3650)
    rules: tuple[ContextRule, ...]

    @model_validator(mode="after")
    def _known_categories(self) -> ContextRuleSet:
        known = set(self.categories) | {self.pseudo_category, self.terminate_category}
        for rule in self.rules:
            for category in (rule.category, *rule.also):
                if category not in known:
                    raise ValueError(
                        f"rule {rule.id}: category {category} is not one of {sorted(known)}"
                    )
        return self


class SubjectRule(_Matchable):
    """Words naming a person: whose risk it is, or a pronoun resolved to the last person word."""

    category: SubjectCategory
    gender: Gender | None = None
    plural: bool = False  # "parents", "mates": never what "he" or "she" stands for


class SubjectRuleSet(_Strict):
    version: str
    description: str = ""
    defaults: dict[RiskLabel, Subject]
    # risk-rule id -> the default for that rule's mentions when no person word decides
    # ("self-harm" is the young person's unless the note says whose)
    rule_defaults: dict[str, Subject] = Field(default_factory=dict)
    following_window: int = Field(default=4, ge=0, le=20)
    pronoun_default: Subject | None = None
    name_default: Subject | None = None
    not_names: tuple[str, ...] = ()
    speech_verbs: tuple[str, ...] = ()
    ignore: dict[RiskLabel, tuple[Literal["parent", "child", "other"], ...]] = Field(
        default_factory=dict
    )
    rules: tuple[SubjectRule, ...]

    @model_validator(mode="after")
    def _every_label(self) -> SubjectRuleSet:
        missing = set(RiskLabel) - set(self.defaults)
        if missing:
            raise ValueError(f"defaults: no default subject for {sorted(m.value for m in missing)}")
        return self


class LoadedRules(_Strict):
    """A validated rule set with where it came from, its version and its digest."""

    name: str
    source: str
    digest: str
    data: RiskRuleSet | ContextRuleSet | SubjectRuleSet

    @property
    def version(self) -> str:
        return self.data.version

    def describe(self) -> dict[str, str]:
        """What to log with every run: name, version and digest (never rule text)."""
        return {"name": self.name, "version": self.version, "digest": self.digest}


def _rule_id_at(data: Any, location: tuple[Any, ...]) -> str | None:
    """The ``id`` of the rule that ``location`` points into, when it has one."""
    if len(location) >= 2 and location[0] == "rules" and isinstance(location[1], int):
        try:
            rule = data["rules"][location[1]]
        except (KeyError, IndexError, TypeError):
            return None
        if isinstance(rule, dict):
            return str(rule.get("id", f"#{location[1]}"))
        return f"#{location[1]}"
    return None


def format_rule_error(error: ValidationError, data: Any, source: str) -> str:
    """One line per problem: the file, the rule id (if inside a rule) and the bad key."""
    lines = [f"{source}: invalid rule file"]
    for item in error.errors():
        location = tuple(item["loc"])
        rule_id = _rule_id_at(data, location)
        inner = location[2:] if rule_id is not None else location
        key = ".".join(str(part) for part in inner) or "(rule)"
        where = f"rule {rule_id}, key {key}" if rule_id is not None else f"key {key}"
        if item["type"] == "extra_forbidden":
            lines.append(f"  {where}: unknown key")
        else:
            lines.append(f"  {where}: {item['msg']}")
    return "\n".join(lines)


def parse_rules(
    raw: bytes, model: type[RiskRuleSet | ContextRuleSet | SubjectRuleSet], source: str
) -> LoadedRules:
    """Validate the bytes of a YAML rule file; raise :class:`ConfigError` naming what is wrong."""
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: not valid YAML ({error.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a rule file must hold a mapping with version and rules")
    try:
        validated = model.model_validate(data)
    except ValidationError as error:
        raise ConfigError(format_rule_error(error, data, source)) from None
    ids = [rule.id for rule in validated.rules]
    duplicates = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
    if duplicates:
        raise ConfigError(f"{source}: duplicate rule ids: {', '.join(duplicates)}")
    digest = hashlib.sha256(raw).hexdigest()[:DIGEST_CHARS]
    return LoadedRules(name=Path(source).name, source=source, digest=digest, data=validated)


def _read(path: str | Path | None, default_file: str) -> tuple[bytes, str]:
    if path is None:
        resource = resources.files(RESOURCE_PACKAGE) / default_file
        return resource.read_bytes(), f"{RESOURCE_PACKAGE}/{default_file}"
    path = Path(path)
    try:
        return path.read_bytes(), str(path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such rule file") from None


def load_risk_rules(path: str | Path | None = None) -> LoadedRules:
    """The risk lexicon: the packaged file, or ``path``."""
    raw, source = _read(path, RISK_RULES_FILE)
    return parse_rules(raw, RiskRuleSet, source)


def load_context_rules(path: str | Path | None = None) -> LoadedRules:
    """The ConText triggers, terminators and category → qualifier mapping."""
    raw, source = _read(path, CONTEXT_RULES_FILE)
    return parse_rules(raw, ContextRuleSet, source)


def load_subject_rules(path: str | Path | None = None) -> LoadedRules:
    """Person words, pronouns and default subject per risk label."""
    raw, source = _read(path, SUBJECT_RULES_FILE)
    return parse_rules(raw, SubjectRuleSet, source)
