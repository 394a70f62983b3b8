"""One config-driven way to build any classifier: ``[[train.models]]`` kind + params → estimator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from casenotes.errors import ConfigError
from casenotes.modeling.config import ModelKind, ModelSpec


def _classes() -> dict[ModelKind, type]:
    # Imported here, not at module level: the transformer pulls in torch, which the linear
    # models never need.
    from casenotes.modeling.linear import MentionLinearClassifier, TfidfLogisticClassifier

    classes: dict[ModelKind, type] = {
        ModelKind.TFIDF_LOGISTIC: TfidfLogisticClassifier,
        ModelKind.MENTION_LINEAR: MentionLinearClassifier,
    }
    return classes


def estimator_class(kind: ModelKind) -> type:
    if kind is ModelKind.TRANSFORMER:
        from casenotes.modeling.transformer import TransformerClassifier

        return TransformerClassifier
    return _classes()[kind]


def build_model(spec: ModelSpec, labels: Sequence[str], seed: int) -> Any:
    """An unfitted estimator for ``spec``; unknown parameters are a config error naming them."""
    cls = estimator_class(spec.kind)
    allowed = set(cls().get_params())
    unknown = sorted(set(spec.params) - allowed)
    if unknown:
        raise ConfigError(
            f"model {spec.name!r} ({spec.kind.value}): unknown params {unknown}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )
    params: dict[str, Any] = {"label_names": tuple(labels)}
    for seed_name in ("random_state", "seed"):
        if seed_name in allowed and seed_name not in spec.params:
            params[seed_name] = seed
    params.update(spec.params)
    return cls(**params)
