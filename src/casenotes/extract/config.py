"""Settings of extraction (``configs/extract.toml``, table ``[extract]``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from casenotes.config import StrictModel, load_default_config

DEFAULT_EXTRACT_CONFIG = Path("configs/extract.toml")
CONFIG_SECTION = "extract"


class ExtractConfig(StrictModel):
    """Rule files (empty: the packaged ones), batching and the case-level summary settings."""

    risk_rules: Path | None = None
    context_rules: Path | None = None
    subject_rules: Path | None = None
    batch_size: int = Field(default=256, ge=1)
    toxic_trio_window_days: int = Field(
        default=90, ge=0, le=3650, description="days within which all three must be recorded"
    )
    timeline_note_ids: int = Field(
        default=50, ge=0, description="at most this many note ids listed per category per case"
    )


def load_extract_config(path: str | Path | None = None) -> ExtractConfig:
    """``path``, else configs/extract.toml if present, else the defaults."""
    return load_default_config(path, DEFAULT_EXTRACT_CONFIG, ExtractConfig, CONFIG_SECTION)
