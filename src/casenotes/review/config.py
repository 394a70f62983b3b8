"""Settings of model cards (``configs/card.toml``, table ``[card]``): what a run cannot know."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from casenotes.config import StrictModel, load_config

DEFAULT_CARD_CONFIG = Path("configs/card.toml")
CONFIG_SECTION = "card"


class Person(StrictModel):
    name: str = Field(min_length=1)
    role: str = Field(min_length=1)


class Panel(StrictModel):
    name: str = Field(min_length=1)
    members: tuple[Person, ...] = ()


class CardSettings(StrictModel):
    """Ownership, use and oversight of a model, as its owner states them."""

    owner_organisation: str = Field(min_length=1)
    accountable_officer: Person
    model_owner: Person | None = None
    contact: str = Field(min_length=1)
    panel: Panel
    use_context: Literal["research", "service_planning", "practice_support"] = "research"
    intended_users: tuple[str, ...] = Field(min_length=1)
    out_of_scope_uses: tuple[str, ...] = ()
    place_in_process: str = Field(min_length=1)
    human_oversight: str = Field(min_length=1)
    output_recipients: tuple[str, ...] = Field(min_length=1)
    individual_level_outputs: bool = False
    challenge_route: str | None = None
    data_source: str = Field(min_length=1)
    deid_method: str = Field(min_length=1)
    deid_report: Path | None = Path("evaluation/results/deid_eval.json")
    threshold_rationale: str = Field(min_length=1)
    review_cadence_months: int = Field(default=6, ge=1, le=12)


def load_card_settings(path: str | Path | None = None) -> CardSettings:
    return load_config(path or DEFAULT_CARD_CONFIG, CardSettings, section=CONFIG_SECTION)
