"""Every test runs offline, as the CLI does: the same environment defaults, set before any test
module imports huggingface_hub, presidio or mlflow (they read these when first imported)."""

from __future__ import annotations

import os

from casenotes.cli import OFFLINE_ENVIRONMENT

for _key, _value in OFFLINE_ENVIRONMENT.items():
    os.environ.setdefault(_key, _value)
