"""The secret key for pseudonyms, surrogates and date shifts: from a file or the environment.

The key never appears in logs, errors, outputs or MLflow; only whether one was given. A key must
hold at least 16 bytes of secret material (a random 32-byte hex string is a good key:
``python -c "import secrets; print(secrets.token_hex(32))" > .secrets/casenotes.key``).
"""

from __future__ import annotations

import os
from pathlib import Path

from casenotes.errors import ConfigError

MIN_KEY_BYTES = 16


def load_key(key_file: Path | None, env_var: str) -> bytes | None:
    """The key from ``key_file`` if given, else from ``env_var``, else None."""
    if key_file is not None:
        try:
            raw = key_file.read_bytes().strip()
        except OSError as error:
            raise ConfigError(f"cannot read key file {key_file}: {error.strerror}") from None
        source = f"key file {key_file}"
    elif os.environ.get(env_var):
        raw = os.environ[env_var].strip().encode()
        source = f"environment variable {env_var}"
    else:
        return None
    if len(raw) < MIN_KEY_BYTES:
        raise ConfigError(f"the key in {source} is too short: use at least {MIN_KEY_BYTES} bytes")
    return raw
