"""Settings of ``casenotes tag`` (``configs/tag.toml``, table ``[tag]``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from casenotes.config import StrictModel, load_default_config

DEFAULT_TAG_CONFIG = Path("configs/tag.toml")
CONFIG_SECTION = "tag"


class SummarySettings(StrictModel):
    """What the analysts' summary counts, and how small numbers are protected."""

    group_by: list[str] = Field(
        default_factory=list, description="input columns to break the counts down by"
    )
    min_count: int = Field(
        default=10, ge=1, description="counts below this are suppressed before anything is written"
    )
    suppress_complements: bool = Field(
        default=True,
        description="also suppress a count whose complement (group size minus count) is small",
    )
    max_groups: int = Field(
        default=200, ge=1, description="values kept per grouping column; the rest become 'other'"
    )


class TagConfig(StrictModel):
    """One streaming pass: screen → de-identify → extract (→ classify) → parts + summary."""

    deid_config: Path | None = Field(
        default=None, description="de-identification settings (default: configs/deid.toml)"
    )
    extract_config: Path | None = Field(
        default=None, description="extraction settings (default: configs/extract.toml)"
    )
    mode: str | None = Field(default=None, description="de-identification mode (else deid's)")
    checkpoint_notes: int = Field(
        default=2000, ge=1, description="notes per chunk: the unit of checkpointing and of work"
    )
    output_format: Literal["parquet", "jsonl"] = "parquet"
    max_text_chars: int = Field(
        default=100_000, ge=1, description="longer notes are rejected as absurdly long"
    )
    max_junk_share: float = Field(
        default=0.01,
        ge=0.0,
        le=1.0,
        description="share of control/replacement characters above which text is binary junk",
    )
    experiment: str = "casenotes-tag"
    summary: SummarySettings = Field(default_factory=SummarySettings)


def load_tag_config(path: str | Path | None = None) -> TagConfig:
    """``path``, else configs/tag.toml if present, else the defaults."""
    return load_default_config(path, DEFAULT_TAG_CONFIG, TagConfig, CONFIG_SECTION)
