"""A trained model as one file: the case-vocabulary floor, the estimator, labels and thresholds.

The bundle is what gets saved, logged to MLflow (inside a pyfunc model) and later applied to
archives. Its SHA-256 content hash is recorded with the run so that an ethics approval names
exactly these bytes; anything that changes them makes the approval stale.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from casenotes.errors import InputError
from casenotes.modeling.privacy import CaseVocabulary

BUNDLE_FILE = "bundle.joblib"
BUNDLE_FORMAT = 1


@dataclass
class ModelBundle:
    """Everything needed to score de-identified text, and nothing about the training data."""

    name: str
    kind: str
    task: str
    labels: tuple[str, ...]
    thresholds: Mapping[str, float]
    vocabulary: CaseVocabulary | None  # None: the model learns no words, so no floor
    estimator: Any
    meta: Mapping[str, Any] = field(default_factory=dict)
    format: int = BUNDLE_FORMAT

    def prepare(self, texts: Sequence[str]) -> list[str]:
        """The text a model sees: the case-vocabulary floor applied (when the model needs it)."""
        if self.vocabulary is None:
            return list(texts)
        return self.vocabulary.scrub_all(texts)

    def predict_scores(self, texts: Sequence[str]) -> np.ndarray:
        """(n, L) calibrated scores for de-identified texts."""
        if not len(texts):
            return np.zeros((0, len(self.labels)))
        return np.asarray(self.estimator.predict_scores(self.prepare(texts)), dtype=float)

    def flags(self, scores: np.ndarray) -> np.ndarray:
        """0/1 at each label's operating threshold."""
        cut = np.array([self.thresholds[label] for label in self.labels])
        return (scores >= cut).astype(int)


def save_bundle(bundle: ModelBundle, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / BUNDLE_FILE
    joblib.dump(bundle, path)
    return path


def load_bundle(path: Path) -> ModelBundle:
    """Load a bundle file (or the bundle inside a folder)."""
    if path.is_dir():
        path = path / BUNDLE_FILE
    if not path.exists():
        raise InputError(f"{path}: no model bundle here")
    bundle = joblib.load(path)
    if not isinstance(bundle, ModelBundle):
        raise InputError(f"{path}: not a casenotes model bundle")
    return bundle


def content_hash(path: Path) -> str:
    """SHA-256 of a file, or of every file under a folder (names and bytes, in sorted order)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
