"""The fine-tuned transformer classifier: contract, learning, pickling and integrated gradients.

Two small models are fine-tuned once per module (64 short texts, max_length 32, one epoch), with
every socket connection refused, so the tests also prove that nothing is downloaded.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from casenotes.modeling.explain import Explanation
from casenotes.modeling.transformer import (
    ERR_LABEL_NAMES,
    ERR_PARAM,
    ERR_UNKNOWN_LABEL,
    ERR_X_STRING,
    ERR_Y_LENGTH,
    ERR_Y_NDIM,
    ERR_Y_ONE_CLASS,
    ERR_Y_VALUES,
    TransformerClassifier,
)

SMALL = {
    "max_length": 32,
    "epochs": 1,
    "batch_size": 8,
    "learning_rate": 3e-4,
    "warmup_ratio": 0.0,
    "ig_steps": 16,
    "importance_sample": 8,
    "importance_min_count": 2,
    "torch_threads": 1,  # one thread: far faster than two on a shared, busy CPU
}
DRINK = ("dad was drinking heavily", "empty cider cans everywhere", "mum was drunk at the visit")
HOUSE = ("rent arrears are growing", "an eviction notice arrived", "the flat is damp and crowded")
NEUTRAL = ("school attendance is good", "the baby was weighed at clinic", "we planned the holiday")
LABELS = ("substance_misuse", "housing")


def _binary_corpus(n: int, offset: int = 0) -> tuple[list[str], np.ndarray]:
    texts, y = [], []
    for i in range(offset, offset + n):
        positive = i % 2 == 1
        phrase = (DRINK if positive else NEUTRAL)[(i // 2) % 3]
        texts.append(f"Visit {i}: {phrase}.")
        y.append(int(positive))
    return texts, np.array(y)


def _multilabel_corpus(n: int) -> tuple[list[str], np.ndarray]:
    texts, y = [], []
    for i in range(n):
        drink, house = i % 2 == 1, (i // 2) % 2 == 1
        parts = [NEUTRAL[i % 3]]
        if drink:
            parts.append(DRINK[(i // 4) % 3])
        if house:
            parts.append(HOUSE[(i // 4) % 3])
        texts.append(f"Note {i}. " + ". ".join(parts) + ".")
        y.append([int(drink), int(house)])
    return texts, np.array(y)


@pytest.fixture(scope="module")
def no_network():
    """Every socket connection fails inside the fixtures that use this."""

    def refuse(*args, **kwargs):
        raise OSError("network access attempted during a transformer test")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "create_connection", refuse)
        yield


@pytest.fixture(scope="module")
def binary_model(no_network) -> TransformerClassifier:
    texts, y = _binary_corpus(64)
    return TransformerClassifier(**SMALL).fit(texts, y)


@pytest.fixture(scope="module")
def multilabel_model(no_network) -> TransformerClassifier:
    texts, y = _multilabel_corpus(64)
    model = TransformerClassifier(LABELS, class_weight="balanced", calibration="sigmoid", **SMALL)
    return model.fit(texts, y)


def test_the_test_environment_is_offline():
    import huggingface_hub.constants

    hint = "run the tests with HF_HUB_OFFLINE=1 set before pytest starts (as `make test` does)"
    assert os.environ.get("HF_HUB_OFFLINE") == "1", hint
    assert huggingface_hub.constants.HF_HUB_OFFLINE, hint


def test_importing_the_module_loads_no_model_and_no_torch():
    code = (
        "import sys, casenotes.modeling.transformer as t; "
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'heavy import'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-500:]


def test_binary_shapes_and_labels(binary_model):
    texts, _ = _binary_corpus(5, offset=100)
    assert binary_model.labels_ == ("positive",)
    assert binary_model.multilabel_ is False
    assert binary_model.decision_function(texts).shape == (5,)
    proba = binary_model.predict_proba(texts)
    assert proba.shape == (5, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert binary_model.predict_scores(texts).shape == (5, 1)
    assert set(binary_model.predict(texts)) <= {0, 1}
    assert binary_model.predict(texts).shape == (5,)


def test_multilabel_shapes_and_labels(multilabel_model):
    texts, _ = _multilabel_corpus(6)
    assert multilabel_model.labels_ == LABELS
    assert multilabel_model.multilabel_ is True
    assert multilabel_model.decision_function(texts).shape == (6, 2)
    assert multilabel_model.predict_proba(texts).shape == (6, 2)
    assert multilabel_model.predict_scores(texts).shape == (6, 2)
    assert multilabel_model.predict(texts).shape == (6, 2)
    assert multilabel_model.pos_weight_.shape == (2,)


def test_learns_a_separable_task_on_unseen_texts(binary_model):
    texts, y = _binary_corpus(12, offset=500)
    scores = binary_model.predict_scores(texts)[:, 0]
    assert scores[y == 1].min() > scores[y == 0].max()


def test_multilabel_ranks_each_label(multilabel_model):
    texts, y = _multilabel_corpus(64)
    logits = multilabel_model.decision_function(texts)
    for column in range(2):
        positives, negatives = logits[y[:, column] == 1, column], logits[y[:, column] == 0, column]
        assert positives.mean() > negatives.mean()


def test_calibration_is_monotone_and_logits_are_raw(multilabel_model):
    texts, _ = _multilabel_corpus(16)
    logits = multilabel_model.decision_function(texts)
    scores = multilabel_model.predict_scores(texts)
    slope, intercept = multilabel_model.calibration_.T
    assert (slope > 0).all()
    np.testing.assert_allclose(scores, 1 / (1 + np.exp(-(slope * logits + intercept))))


def test_joblib_round_trip_gives_identical_scores(binary_model, tmp_path):
    texts, _ = _binary_corpus(6, offset=200)
    path = tmp_path / "model.joblib"
    joblib.dump(binary_model, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.predict_scores(texts), binary_model.predict_scores(texts))
    assert loaded.get_params() == binary_model.get_params()
    assert loaded.labels_ == binary_model.labels_


def test_integrated_gradients_are_complete(multilabel_model):
    texts, _ = _multilabel_corpus(4)
    explanations = multilabel_model.explain(texts)
    assert len(explanations) == 4 * 2
    assert [e.label for e in explanations] == list(LABELS) * 4
    logits = multilabel_model.decision_function(texts).ravel()
    for explanation, logit in zip(explanations, logits, strict=True):
        assert isinstance(explanation, Explanation)
        assert explanation.relative_completeness_error <= 0.05
        assert explanation.output == pytest.approx(logit, abs=1e-4)


def test_the_drinking_words_carry_the_substance_attribution(multilabel_model):
    text = "Note 1. school attendance is good. dad was drinking heavily."
    (explanation,) = multilabel_model.explain([text], label="substance_misuse")
    assert explanation.output > explanation.base
    words = {text[t.start : t.end].lower(): t.weight for t in explanation.tokens}
    assert max(words, key=words.get) in {"drinking", "heavily", "dad"}


def test_attribution_spans_are_valid_offsets_into_the_text(binary_model):
    texts = ["Mum's partner (aged 34) was drinking — heavily — again!", "  Lead  spaces. "]
    for text, explanation in zip(texts, binary_model.explain(texts), strict=True):
        previous_end = 0
        for token in explanation.tokens:
            assert previous_end <= token.start < token.end <= len(text)
            assert text[token.start : token.end].strip() == text[token.start : token.end]
            previous_end = token.end
        assert explanation.tokens


def test_left_truncation_keeps_the_end_of_a_long_text(binary_model):
    text = " ".join(f"word{i}" for i in range(60)) + " dad was drinking heavily."
    (explanation,) = binary_model.explain([text])
    assert explanation.tokens[0].start > 0
    assert explanation.tokens[-1].end == len(text)
    assert explanation.relative_completeness_error <= 0.05


def test_explain_by_label_name_or_index(multilabel_model):
    texts = ["Note 3. an eviction notice arrived."]
    by_name = multilabel_model.explain(texts, label="housing")
    by_index = multilabel_model.explain(texts, label=1)
    assert [e.label for e in by_name] == ["housing"]
    assert by_name == by_index
    with pytest.raises(ValueError, match=re.escape(ERR_UNKNOWN_LABEL.split("{")[0])):
        multilabel_model.explain(texts, label="offending")


def test_global_importance_has_the_linear_models_shape(binary_model, multilabel_model):
    for model in (binary_model, multilabel_model):
        importance = model.global_importance(top_k=3)
        assert set(importance) == set(model.labels_)
        for sides in importance.values():
            assert set(sides) == {"positive", "negative"}
            assert len(sides["positive"]) <= 3 and len(sides["negative"]) <= 3
            assert all(isinstance(w, str) and weight > 0 for w, weight in sides["positive"])
            assert all(weight < 0 for _, weight in sides["negative"])
    assert binary_model.global_importance()["positive"]["positive"]


def test_output_biases_start_at_the_training_log_odds():
    import torch

    from casenotes.modeling.transformer import _start_at_the_prior

    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 2))
    targets = np.array([[1, 0]] * 3 + [[0, 0]] * 6 + [[0, 1]])
    _start_at_the_prior(model, targets, np.array([1.0, 9.0]))
    rate = (targets.sum(axis=0) + 0.5) / (len(targets) + 1)
    expected = np.log(np.array([1.0, 9.0]) * rate / (1 - rate))
    np.testing.assert_allclose(model[1].bias.detach().numpy(), expected, rtol=1e-6)


def test_unfitted_model_raises_not_fitted():
    model = TransformerClassifier()
    for call in (
        lambda: model.predict(["a"]),
        lambda: model.predict_proba(["a"]),
        lambda: model.decision_function(["a"]),
        lambda: model.explain(["a"]),
        lambda: model.global_importance(),
    ):
        with pytest.raises(NotFittedError):
            call()


def _head(message: str) -> str:
    return re.escape(message.split("{")[0])


@pytest.mark.parametrize(
    ("y", "message"),
    [
        ([0, 1, 2, 1], _head(ERR_Y_VALUES)),
        ([0, 1, 1], _head(ERR_Y_LENGTH)),
        (np.zeros((4, 2, 1)), _head(ERR_Y_NDIM)),
        ([1, 1, 1, 1], _head(ERR_Y_ONE_CLASS)),
        (["a", "b", "a", "b"], _head(ERR_Y_VALUES)),
    ],
)
def test_bad_targets_name_the_problem(y, message):
    with pytest.raises(ValueError, match=message):
        TransformerClassifier().fit(["a", "b", "c", "d"], y)


def test_a_constant_label_column_warns_and_the_others_are_still_learned(no_network):
    model = TransformerClassifier(
        ("always", "sometimes"), max_length=8, batch_size=4, importance_sample=0, torch_threads=1
    )
    with pytest.warns(UserWarning, match=re.escape("label 'always' has only one class")):
        model.fit(["a", "b", "c", "d"], [[1, 0], [1, 1], [1, 0], [1, 1]])
    assert model.predict_scores(["a"]).shape == (1, 2)


def test_bad_texts_and_parameters_name_the_problem():
    with pytest.raises(ValueError, match=re.escape(ERR_X_STRING)):
        TransformerClassifier().fit("one long string", [0, 1])
    with pytest.raises(ValueError, match="item 1 is int"):
        TransformerClassifier().fit(["a", 3], [0, 1])
    with pytest.raises(ValueError, match=_head(ERR_LABEL_NAMES)):
        TransformerClassifier(("a", "b", "c")).fit(["a", "b"], [[0, 1], [1, 0]])
    expected = ERR_PARAM.format(name="truncation_side", expected="one of", value="").split(";")[0]
    with pytest.raises(ValueError, match=re.escape(expected)):
        TransformerClassifier(truncation_side="middle").fit(["a", "b"], [0, 1])


def test_parameters_follow_the_sklearn_contract():
    model = TransformerClassifier(("x",), max_length=64, seed=3)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(model, "model_")


@pytest.mark.slow
def test_fine_tuning_is_deterministic_for_a_seed(binary_model, no_network):
    texts, y = _binary_corpus(64)
    again = clone(binary_model).fit(texts, y)
    probe, _ = _binary_corpus(6, offset=300)
    np.testing.assert_array_equal(
        again.decision_function(probe), binary_model.decision_function(probe)
    )
