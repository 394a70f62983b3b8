"""Two linear classifiers with exact explanations: TF-IDF + logistic regression, and a glass box.

The idea
--------
A linear model's raw output for a text is ``intercept + Σ coefficient × feature value``. Each term
of that sum belongs to one feature, and each feature was produced by some pieces of the text, so the
output can be split over the text *without approximation*: a feature's contribution is shared out
over the character spans that produced it, and ``intercept + Σ span weights`` equals the output
(up to floating-point rounding, far below 1e-9). :meth:`explain` returns that split as
:class:`~casenotes.modeling.explain.Explanation` records.

Both classifiers follow the project's common classifier interface (the transformer classifier does
too): ``fit(texts, y)`` with ``y`` 1-D 0/1 (binary) or a 2-D 0/1 indicator matrix (multi-label, one
column per label named by ``label_names``); ``decision_function`` (the raw margin that
:meth:`explain` splits), ``predict_proba`` and ``predict_scores`` (calibrated probabilities),
``predict`` (0/1 at 0.5), ``explain``, ``global_importance``.

Calibration: one logistic regression per label is fitted on all the data, and a monotone calibrator
(Platt sigmoid or isotonic) is learned from *cross-validated* decision values of the same
specification — the ``CalibratedClassifierCV(ensemble=False)`` idea. The margin being explained is
therefore exactly the one whose probability is reported, and the ranking of texts never changes.

:class:`TfidfLogisticClassifier`
    Word n-grams and character n-grams (``char_wb``: n-grams inside space-padded words) of one
    tokenisation, TF-IDF weighted, each block L2-normalised. A word n-gram's contribution is split
    equally over its occurrences, and within an occurrence equally over its tokens; a character
    n-gram's contribution is split over the token occurrences that contain it (by how many times
    each contains it). Spans are the tokens of :data:`TOKEN_PATTERN`.

:class:`MentionLinearClassifier` (the glass box)
    Features are counts of the risk extractor's mentions per category × qualifier (six per
    category, :data:`QUALIFIERS`); the whole model is one table (:meth:`model_table`). Each
    mention's feature contribution lands on the mention's span.

Why not ``TfidfVectorizer`` + ``LogisticRegression``? Two reasons, both measured. Agreement: the
vectorisation here tokenises once, with offsets, so the spans of an explanation are by construction
the tokens the features came from (the tests check that each block equals ``TfidfVectorizer``'s on
the same tokens). Speed: on 50,000 notes the character block alone has ~46 million non-zeros, and
``LogisticRegression`` took 18-150 s *per label and fit* on the explicit matrix (liblinear, lbfgs,
saga), against the 40 fits that ten calibrated labels need. Character n-gram counts are
``tokens @ M`` (documents × token types, times token types × n-grams), so training multiplies by
those two small float32 factors instead, and a plain L-BFGS with a backtracking line search
(:func:`fit_logistic`) minimises scikit-learn's own objective on them; the tests check the
coefficients against ``LogisticRegression`` on the explicit matrix. Predictions and explanations
use the explicit float64 rows. Figures in ``evaluation/results/bench_linear.md``.
"""

from __future__ import annotations

import logging
import math
import re
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from casenotes.modeling.base import ScoresClassifierMixin
from casenotes.modeling.explain import Explanation, TokenAttribution
from casenotes.records import Certainty, Mention, RiskLabel, Temporality

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# Error messages (tests import them; none of them ever contains note text)

ERR_SINGLE_STRING = "X must be a sequence of texts, not a single string: wrap it in a list ([text])"
ERR_NOT_SEQUENCE = "X is a {kind}, not a sequence of texts: pass a list of strings"
ERR_NOT_TEXT = "X[{index}] is a {kind}, not a string: every item of X must be a text"
ERR_X_SHAPE = "X must be a 1-D sequence of texts, got an array of shape {shape}"
ERR_EMPTY = "X holds no texts: fit needs at least one text per class"
ERR_Y_LENGTH = "y has {n_y} rows but X has {n_x} texts: they must be the same length"
ERR_Y_NONE = "this classifier requires y to be passed, but the target y is None"
ERR_Y_VALUES = (
    "Unknown label type: y must hold only 0/1 values (1-D for one label, a 2-D indicator matrix "
    "for several), found {values}"
)
ERR_Y_MULTICLASS = (
    "Only binary classification is supported, one 0/1 column per label: y holds the classes "
    "{values}; give each class its own 0/1 column (a multi-label indicator matrix)"
)
ERR_Y_SHAPE = "y must be 1-D (one label) or 2-D (one column per label), got shape {shape}"
ERR_SINGLE_CLASS = (
    "label {label!r} has only one class in y (every value is {value}): a classifier needs "
    "positive and negative examples; drop that column or add examples"
)
ERR_TOO_FEW_FOR_CV = (
    "label {label!r} has {count} {kind} example(s), fewer than cv={cv}: lower cv, add examples "
    "or use calibration='none'"
)
ERR_LABEL_NAMES = "label_names has {given} names but y has {needed} column(s)"
ERR_UNKNOWN_LABEL = "unknown label {label!r}: this model's labels are {labels}"
ERR_PARAM = "{name}={value!r} is not valid: {expected}"

# --------------------------------------------------------------------------------------------
# Tokens: one tokenisation for both feature blocks and for the spans of explanations

TOKEN_PATTERN = r"\[[A-Z][A-Z0-9_]*_\d+\]|\w+(?:['’]\w+)*"
"""A de-identification placeholder (``[PERSON_3]``) or a word with inner apostrophes (``mum's``)."""

_TOKEN_RE = re.compile(TOKEN_PATTERN)
CALIBRATIONS = ("sigmoid", "isotonic", "none")
INTERCEPT = "(intercept)"
_PREDICT_CHUNK = 2048  # texts per block when predicting: bounds the memory of char n-grams
_CHAR_CACHE_SIZE = 500_000  # tokens whose char columns are remembered between transforms
_FEATURE_DTYPE = np.float32  # training factors only; predictions and explanations use float64


def normalise_token(raw: str) -> str:
    """The feature form of a matched token: lower case; ``[PERSON_3]`` becomes ``[person]``."""
    if raw.startswith("["):
        return "[" + raw[1 : raw.rindex("_")].lower() + "]"
    return raw.lower()


def token_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, feature form)`` of every token of ``text``, offsets into ``text``."""
    return [(m.start(), m.end(), normalise_token(m.group())) for m in _TOKEN_RE.finditer(text)]


def _tokens(text: str) -> list[str]:
    # Same matches as token_spans (findall and finditer scan identically), without offsets.
    return [
        raw.lower() if raw[0] != "[" else normalise_token(raw) for raw in _TOKEN_RE.findall(text)
    ]


def char_wb_ngrams(token: str, low: int, high: int) -> list[str]:
    """Character n-grams of `` token `` exactly as scikit-learn's ``analyzer="char_wb"``."""
    padded = f" {token} "
    size = len(padded)
    grams = []
    for n in range(low, high + 1):
        offset = 0
        grams.append(padded[0:n])
        while offset + n < size:
            offset += 1
            grams.append(padded[offset : offset + n])
        if offset == 0:  # a word shorter than n is counted once, whole
            break
    return grams


# --------------------------------------------------------------------------------------------
# Input checks shared by every classifier


def check_texts(X: Any, *, allow_empty: bool = True) -> list[str]:
    """``X`` as a list of strings, or a ``TypeError``/``ValueError`` naming the problem."""
    if isinstance(X, str | bytes):
        raise TypeError(ERR_SINGLE_STRING)
    if hasattr(X, "ndim") and getattr(X, "ndim", 1) != 1:
        raise ValueError(ERR_X_SHAPE.format(shape=getattr(X, "shape", "?")))
    try:
        texts = list(X)
    except TypeError:
        raise TypeError(ERR_NOT_SEQUENCE.format(kind=type(X).__name__)) from None
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(ERR_NOT_TEXT.format(index=index, kind=type(text).__name__))
    if not texts and not allow_empty:
        raise ValueError(ERR_EMPTY)
    return texts


def check_targets(y: Any, n_texts: int) -> tuple[np.ndarray, bool]:
    """``y`` as an ``(n, L)`` int8 0/1 matrix and whether it was multi-label (2-D)."""
    if y is None:
        raise ValueError(ERR_Y_NONE)
    array = np.asarray(y)
    if array.ndim not in (1, 2) or (array.ndim == 2 and array.shape[1] == 0):
        raise ValueError(ERR_Y_SHAPE.format(shape=array.shape))
    if array.shape[0] != n_texts:
        raise ValueError(ERR_Y_LENGTH.format(n_y=array.shape[0], n_x=n_texts))
    if array.dtype.kind == "b":
        return _as_matrix(array.astype(np.int8))
    if array.dtype.kind in "iuf":
        outside = array[~np.isin(array, (0, 1))]
        if outside.size == 0:
            return _as_matrix(array.astype(np.int8))
        values = ", ".join(map(str, np.unique(array)[:6].tolist()))
        if np.all(np.isfinite(outside)) and np.all(outside == np.round(outside)):
            raise ValueError(ERR_Y_MULTICLASS.format(values=values))
        raise ValueError(ERR_Y_VALUES.format(values=values))
    found = list(dict.fromkeys(array.ravel().tolist()))[:6]
    raise ValueError(ERR_Y_VALUES.format(values=", ".join(map(repr, found))))


def _as_matrix(values: np.ndarray) -> tuple[np.ndarray, bool]:
    multilabel = values.ndim == 2
    return (values if multilabel else values[:, None]), multilabel


def _param_error(name: str, value: Any, expected: str) -> ValueError:
    return ValueError(ERR_PARAM.format(name=name, value=value, expected=expected))


def _check_range(name: str, value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    ok = (
        isinstance(value, tuple | list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        and 1 <= value[0] <= value[1]
    )
    if not ok:
        raise _param_error(name, value, "a pair (low, high) of integers with 1 <= low <= high")
    return int(value[0]), int(value[1])


# --------------------------------------------------------------------------------------------
# Logistic regression: scikit-learn's objective, minimised on a linear operator


class _MatrixDesign:
    """A design matrix held explicitly (dense or sparse)."""

    def __init__(self, matrix: np.ndarray | sp.csr_matrix) -> None:
        self.matrix = matrix
        self.n_rows, self.n_features = matrix.shape

    def matvec(self, w: np.ndarray) -> np.ndarray:
        return np.asarray(self.matrix @ w.astype(self.matrix.dtype, copy=False), dtype=np.float64)

    def rmatvec(self, g: np.ndarray) -> np.ndarray:
        grad = self.matrix.T @ g.astype(self.matrix.dtype, copy=False)
        return np.asarray(grad, dtype=np.float64)

    def take(self, rows: np.ndarray) -> _MatrixDesign:
        return _MatrixDesign(self.matrix[rows])


class _TfidfDesign:
    """``[word block | row_scale ⊙ (tokens @ char_map)]`` without forming the char block."""

    def __init__(
        self,
        word: sp.csr_matrix | None,
        tokens: sp.csr_matrix | None,
        char_map: sp.csr_matrix | None,
        row_scale: np.ndarray | None,
        n_rows: int,
    ) -> None:
        self.word, self.tokens, self.char_map, self.row_scale = word, tokens, char_map, row_scale
        self.n_words = 0 if word is None else word.shape[1]
        self.n_chars = 0 if char_map is None else char_map.shape[1]
        self.n_rows, self.n_features = n_rows, self.n_words + self.n_chars

    def matvec(self, w: np.ndarray) -> np.ndarray:
        w = w.astype(_FEATURE_DTYPE)
        z = np.zeros(self.n_rows, dtype=np.float64)
        if self.word is not None:
            z += self.word @ w[: self.n_words]
        if self.tokens is not None:
            z += self.row_scale * (self.tokens @ (self.char_map @ w[self.n_words :]))
        return z

    def rmatvec(self, g: np.ndarray) -> np.ndarray:
        g = g.astype(_FEATURE_DTYPE)
        parts = []
        if self.word is not None:
            parts.append(self.word.T @ g)
        if self.tokens is not None:
            parts.append(self.char_map.T @ (self.tokens.T @ (self.row_scale * g)))
        return np.concatenate(parts).astype(np.float64)

    def take(self, rows: np.ndarray) -> _TfidfDesign:
        return _TfidfDesign(
            None if self.word is None else self.word[rows],
            None if self.tokens is None else self.tokens[rows],
            self.char_map,
            None if self.row_scale is None else self.row_scale[rows],
            len(rows),
        )


@dataclass(frozen=True, slots=True)
class LogisticFit:
    """The result of :func:`fit_logistic`."""

    coef: np.ndarray
    intercept: float
    n_iter: int
    converged: bool


def _lbfgs(
    fun: Callable[[np.ndarray], tuple[float, np.ndarray]],
    x0: np.ndarray,
    *,
    tol: float,
    max_iter: int,
    memory: int = 10,
) -> tuple[np.ndarray, int, bool]:
    """Limited-memory BFGS with a backtracking (Armijo) line search, for a convex smooth ``fun``.

    Stops when the largest gradient component is at most ``tol`` (scikit-learn's ``gtol``) or the
    objective stops moving in float64. Written here because SciPy's L-BFGS-B spends more time in its
    own bookkeeping than in our matrix products at a few hundred thousand variables.
    """
    x = x0.astype(np.float64, copy=True)
    f, g = fun(x)
    steps: list[np.ndarray] = []
    changes: list[np.ndarray] = []
    rhos: list[float] = []
    for n_iter in range(max_iter):
        if np.max(np.abs(g), initial=0.0) <= tol:
            return x, n_iter, True
        q = g.copy()
        alphas = []
        for s, y, rho in zip(reversed(steps), reversed(changes), reversed(rhos), strict=True):
            alpha = rho * (s @ q)
            q -= alpha * y
            alphas.append(alpha)
        if steps:
            q *= (steps[-1] @ changes[-1]) / (changes[-1] @ changes[-1])
        else:
            q *= min(1.0, 1.0 / max(np.abs(g).sum(), 1e-12))
        for s, y, rho, alpha in zip(steps, changes, rhos, reversed(alphas), strict=True):
            q += (alpha - rho * (y @ q)) * s
        direction = -q
        slope = g @ direction
        if not slope < 0:  # not a descent direction: forget the curvature pairs
            steps, changes, rhos = [], [], []
            direction, slope = -g, -(g @ g)
        step = 1.0
        for _ in range(30):
            x_new = x + step * direction
            f_new, g_new = fun(x_new)
            if f_new <= f + 1e-4 * step * slope:
                break
            # minimum of the quadratic through f, the slope and f_new, kept within [0.1, 0.5]
            curvature = f_new - f - slope * step
            guess = -slope * step * step / (2 * curvature) if curvature > 0 else 0.5 * step
            step = min(max(guess, 0.1 * step), 0.5 * step)
        else:
            return x, n_iter + 1, False
        s, y = x_new - x, g_new - g
        sy = s @ y
        if sy > 1e-10 * math.sqrt((s @ s) * (y @ y)):
            steps.append(s)
            changes.append(y)
            rhos.append(1.0 / sy)
            if len(steps) > memory:
                del steps[0], changes[0], rhos[0]
        moved = f - f_new
        x, f, g = x_new, f_new, g_new
        if moved <= 64 * np.finfo(float).eps * max(abs(f), 1.0):
            return x, n_iter + 1, True  # no further progress is possible in float64
    return x, max_iter, bool(np.max(np.abs(g), initial=0.0) <= tol)


def fit_logistic(
    design: Any,
    y: np.ndarray,
    *,
    C: float = 1.0,
    sample_weight: np.ndarray | None = None,
    tol: float = 1e-4,
    max_iter: int = 500,
    start: np.ndarray | None = None,
) -> LogisticFit:
    """L2-penalised logistic regression, scikit-learn's objective and stopping rule.

    Minimises ``Σ s_i log(1 + exp(-ỹ_i z_i)) / S + ‖w‖² / (2 C S)`` with ``z = Xw + b``,
    ``S = Σ s_i`` and an unpenalised intercept — ``LogisticRegression(C=C)`` scaled by ``1/(C S)``,
    so the minimiser is the same. ``design`` is anything with ``matvec``, ``rmatvec``, ``n_rows``
    and ``n_features`` (:class:`_MatrixDesign`, :class:`_TfidfDesign`); ``start`` is
    ``[coef..., intercept]`` to warm-start from.
    """
    targets = y.astype(np.float64)
    signs = 2.0 * targets - 1.0
    weights = np.ones_like(targets) if sample_weight is None else sample_weight
    total = float(weights.sum())
    alpha = 1.0 / (C * total)

    def objective(params: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = params[:-1], params[-1]
        z = design.matvec(w) + b
        loss = -float(weights @ log_expit(signs * z)) / total + 0.5 * alpha * float(w @ w)
        residual = weights * (expit(z) - targets) / total
        grad = np.empty_like(params)
        grad[:-1] = design.rmatvec(residual) + alpha * w
        grad[-1] = residual.sum()
        return loss, grad

    x0 = np.zeros(design.n_features + 1) if start is None else start
    params, n_iter, converged = _lbfgs(objective, x0, tol=tol, max_iter=max_iter)
    return LogisticFit(params[:-1].copy(), float(params[-1]), n_iter, converged)


# --------------------------------------------------------------------------------------------
# Calibration: monotone maps from the margin to a probability


class SigmoidCalibration:
    """Platt scaling ``p = sigmoid(a z + b)`` with ``a >= 0``, so it never reverses the ranking."""

    def __init__(self) -> None:
        self.slope = 1.0
        self.offset = 0.0

    def fit(self, z: np.ndarray, y: np.ndarray) -> SigmoidCalibration:
        positives = float(y.sum())
        negatives = float(len(y) - positives)
        # Platt's smoothed targets, as scikit-learn's _SigmoidCalibration uses.
        targets = np.where(y == 1, (positives + 1) / (positives + 2), 1 / (negatives + 2))
        scale = max(float(np.std(z)), 1e-12)
        u = z / scale

        def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
            t = params[0] * u + params[1]
            value = -float(np.sum(targets * log_expit(t) + (1 - targets) * log_expit(-t)))
            residual = expit(t) - targets
            return value, np.array([float(residual @ u), float(residual.sum())])

        result = minimize(
            loss,
            np.array([1.0, 0.0]),
            jac=True,
            method="L-BFGS-B",
            bounds=[(0, None), (None, None)],
        )
        self.slope = float(result.x[0]) / scale
        self.offset = float(result.x[1])
        return self

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return expit(self.slope * np.asarray(z, dtype=np.float64) + self.offset)

    def describe(self) -> str:
        return f"sigmoid(a·z + b), a={self.slope:.4g}, b={self.offset:.4g}"


class IsotonicCalibration:
    """A non-decreasing step function of the margin (scikit-learn's isotonic regression)."""

    def __init__(self) -> None:
        self.regression = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")

    def fit(self, z: np.ndarray, y: np.ndarray) -> IsotonicCalibration:
        self.regression.fit(z, y)
        return self

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(self.regression.predict(np.asarray(z, dtype=np.float64)))

    def describe(self) -> str:
        return f"isotonic, {len(self.regression.X_thresholds_)} thresholds"


class NoCalibration:
    """The logistic regression's own probability, ``sigmoid(z)``."""

    def fit(self, z: np.ndarray, y: np.ndarray) -> NoCalibration:
        return self

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return expit(np.asarray(z, dtype=np.float64))

    def describe(self) -> str:
        return "none: sigmoid(z)"


_CALIBRATORS: dict[str, type] = {
    "sigmoid": SigmoidCalibration,
    "isotonic": IsotonicCalibration,
    "none": NoCalibration,
}


def _class_weights(y: np.ndarray, class_weight: Any) -> np.ndarray:
    if class_weight is None:
        return np.ones(len(y))
    if class_weight == "balanced":
        counts = np.bincount(y, minlength=2).astype(np.float64)
        return (len(y) / (2.0 * counts))[y]
    return np.where(y == 1, float(class_weight[1]), float(class_weight[0]))


@dataclass(frozen=True, slots=True)
class _LabelModel:
    coef: np.ndarray
    intercept: float
    calibrator: Any
    n_iter: int
    seconds: float


# --------------------------------------------------------------------------------------------
# The shared classifier


class _LinearTextClassifier(ScoresClassifierMixin, ClassifierMixin, BaseEstimator):
    """What both linear classifiers share: targets, per-label fits, calibration and outputs.

    Subclasses build the features (``_fit_design``, ``_features``), name them
    (``_feature_names``) and split a text's contributions over spans (``_token_weights``).
    """

    _explain_chunk: ClassVar[int] = _PREDICT_CHUNK

    # -- hooks -------------------------------------------------------------------------------
    def _check_own_params(self) -> None:
        raise NotImplementedError

    def _fit_design(self, texts: list[str]) -> Any:
        raise NotImplementedError

    def _features(self, texts: list[str]) -> np.ndarray | sp.csr_matrix:
        raise NotImplementedError

    def _feature_names(self) -> Sequence[str]:
        raise NotImplementedError

    def _token_weights(
        self, texts: list[str], rows: np.ndarray | sp.csr_matrix, coef: np.ndarray
    ) -> list[list[TokenAttribution]]:
        raise NotImplementedError

    # -- scikit-learn plumbing ------------------------------------------------------------------
    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = True
        tags.target_tags.two_d_labels = True
        tags.target_tags.multi_output = True
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.multi_label = True
        return tags

    def _check_common_params(self) -> None:
        if not isinstance(self.C, int | float) or isinstance(self.C, bool) or not self.C > 0:
            raise _param_error("C", self.C, "a positive number")
        if self.calibration not in CALIBRATIONS:
            raise _param_error("calibration", self.calibration, f"one of {CALIBRATIONS}")
        if self.calibration != "none" and (
            not isinstance(self.cv, int) or isinstance(self.cv, bool) or self.cv < 2
        ):
            raise _param_error("cv", self.cv, "an integer >= 2 (folds for calibration)")
        weight = self.class_weight
        if not (
            weight is None
            or weight == "balanced"
            or (isinstance(weight, dict) and set(weight) == {0, 1} and min(weight.values()) > 0)
        ):
            raise _param_error(
                "class_weight", weight, "None, 'balanced' or {0: w0, 1: w1} with positive weights"
            )
        if not isinstance(self.tol, int | float) or not self.tol > 0:
            raise _param_error("tol", self.tol, "a positive number")
        if not isinstance(self.max_iter, int) or self.max_iter < 1:
            raise _param_error("max_iter", self.max_iter, "a positive integer")
        if self.n_jobs is not None and (not isinstance(self.n_jobs, int) or self.n_jobs == 0):
            raise _param_error("n_jobs", self.n_jobs, "None, a positive integer or -1")

    def _label_names(self, n_labels: int, multilabel: bool) -> tuple[str, ...]:
        if self.label_names is None:
            if not multilabel:
                return ("positive",)
            return tuple(f"label_{j}" for j in range(n_labels))
        names = (self.label_names,) if isinstance(self.label_names, str) else self.label_names
        names = tuple(names)
        if len(names) != n_labels:
            raise ValueError(ERR_LABEL_NAMES.format(given=len(names), needed=n_labels))
        if len(set(names)) != len(names) or not all(isinstance(n, str) and n for n in names):
            raise _param_error("label_names", self.label_names, "distinct non-empty strings")
        return tuple(str(n) for n in names)

    # -- fit ---------------------------------------------------------------------------------
    def fit(self, X: Sequence[str], y: Any) -> _LinearTextClassifier:
        """Fit the features, one logistic regression per label and its calibrator."""
        self._check_common_params()
        self._check_own_params()
        texts = check_texts(X, allow_empty=False)
        targets, multilabel = check_targets(y, len(texts))
        labels = self._label_names(targets.shape[1], multilabel)
        for j, label in enumerate(labels):
            column = targets[:, j]
            positives = int(column.sum())
            if positives in (0, len(column)):
                raise ValueError(ERR_SINGLE_CLASS.format(label=label, value=int(column[0])))
            if self.calibration != "none":
                for count, kind in ((positives, "positive"), (len(column) - positives, "negative")):
                    if count < self.cv:
                        raise ValueError(
                            ERR_TOO_FEW_FOR_CV.format(
                                label=label, count=count, kind=kind, cv=self.cv
                            )
                        )
        start = time.perf_counter()
        design = self._fit_design(texts)
        logger.info(
            "features: %d texts x %d features in %.1fs",
            design.n_rows,
            design.n_features,
            time.perf_counter() - start,
        )

        def fit_one(j: int) -> _LabelModel:
            return self._fit_label(design, targets[:, j], labels[j])

        workers = 1 if self.n_jobs is None else self.n_jobs
        workers = min(len(labels), (_cpu_count() if workers < 0 else workers))
        # The solver's vector products are small: a multi-threaded BLAS spends longer waking its
        # threads than computing (measured 10-150x slower on a busy 2-core machine).
        with threadpool_limits(limits=1, user_api="blas"):
            if workers > 1:
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    models = list(pool.map(fit_one, range(len(labels))))
            else:
                models = [fit_one(j) for j in range(len(labels))]
        self.labels_ = labels
        self.multilabel_ = multilabel
        self.classes_ = np.array([0, 1])  # the values of every label's column
        self.coef_ = np.vstack([m.coef for m in models])
        self.intercept_ = np.array([m.intercept for m in models])
        self.calibrators_ = tuple(m.calibrator for m in models)
        self.n_iter_ = np.array([m.n_iter for m in models])
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def _fit_label(self, design: Any, y: np.ndarray, label: str) -> _LabelModel:
        start = time.perf_counter()
        weights = _class_weights(y, self.class_weight)
        options = {"C": float(self.C), "tol": float(self.tol), "max_iter": self.max_iter}
        full = fit_logistic(design, y, sample_weight=weights, **options)
        if not full.converged:
            warnings.warn(
                f"label {label!r}: logistic regression stopped after {full.n_iter} iterations "
                "before converging; raise max_iter or lower C",
                ConvergenceWarning,
                stacklevel=3,
            )
        calibrator = _CALIBRATORS[self.calibration]()
        if self.calibration != "none":
            held_out = np.empty(design.n_rows)
            warm = np.append(full.coef, full.intercept)
            folds = StratifiedKFold(n_splits=self.cv, shuffle=True, random_state=self.random_state)
            for train, test in folds.split(np.zeros((len(y), 1)), y):
                part = fit_logistic(
                    design.take(train),
                    y[train],
                    sample_weight=weights[train],
                    start=warm,
                    **options,
                )
                held_out[test] = design.take(test).matvec(part.coef) + part.intercept
            calibrator.fit(held_out, y)
        seconds = time.perf_counter() - start
        logger.info("label %s: %d iterations, %.1fs", label, full.n_iter, seconds)
        return _LabelModel(full.coef, full.intercept, calibrator, full.n_iter, seconds)

    # -- outputs -----------------------------------------------------------------------------
    def _margins(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "coef_")
        texts = check_texts(X)
        out = np.empty((len(texts), len(self.labels_)))
        for first in range(0, len(texts), _PREDICT_CHUNK):
            rows = self._features(texts[first : first + _PREDICT_CHUNK])
            out[first : first + _PREDICT_CHUNK] = rows @ self.coef_.T + self.intercept_
        return out

    def _calibrated(self, margins: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [cal(margins[:, j]) for j, cal in enumerate(self.calibrators_)]
        ).reshape(margins.shape)

    def decision_function(self, X: Sequence[str]) -> np.ndarray:
        """Raw margins: ``(n,)`` for one label (binary), ``(n, L)`` for multi-label."""
        margins = self._margins(X)
        return margins if self.multilabel_ else margins[:, 0]

    def predict_scores(self, X: Sequence[str]) -> np.ndarray:
        """Calibrated positive-class probabilities, always ``(n, L)``."""
        return self._calibrated(self._margins(X))

    def _label_index(self, label: str | None) -> int:
        check_is_fitted(self, "coef_")
        if label is None:
            return 0
        if label not in self.labels_:
            raise ValueError(ERR_UNKNOWN_LABEL.format(label=label, labels=", ".join(self.labels_)))
        return self.labels_.index(label)

    def explain(self, X: Sequence[str], label: str | None = None) -> list[Explanation]:
        """One exact explanation per text for ``label`` (default: the first label).

        ``base`` is the intercept, ``output`` the decision function, and the token weights are the
        feature contributions shared out over character spans of each text.
        """
        j = self._label_index(label)
        texts = check_texts(X)
        coef, intercept = self.coef_[j], float(self.intercept_[j])
        out: list[Explanation] = []
        for first in range(0, len(texts), self._explain_chunk):
            chunk = texts[first : first + self._explain_chunk]
            rows = self._features(chunk)
            outputs = np.asarray(rows @ coef).ravel() + intercept
            for tokens, output in zip(self._token_weights(chunk, rows, coef), outputs, strict=True):
                out.append(Explanation(self.labels_[j], intercept, float(output), tuple(tokens)))
        return out

    def global_importance(self, top_k: int = 20) -> dict[str, dict[str, list[tuple[str, float]]]]:
        """Per label, the ``top_k`` features pushing towards it and the ``top_k`` pushing away.

        ``{label: {"positive": [(feature, coefficient), ...], "negative": [...]}}``, largest
        magnitude first; only features with a coefficient of that sign are listed.
        """
        check_is_fitted(self, "coef_")
        if not isinstance(top_k, int) or top_k < 1:
            raise _param_error("top_k", top_k, "a positive integer")
        names = self._feature_names()
        out: dict[str, dict[str, list[tuple[str, float]]]] = {}
        for label, coef in zip(self.labels_, self.coef_, strict=True):
            entry = {}
            for sign, order in (("positive", -coef), ("negative", coef)):
                k = min(top_k, len(coef))
                best = np.argpartition(order, k - 1)[:k] if k < len(coef) else np.arange(len(coef))
                best = best[np.argsort(order[best], kind="stable")]
                keep = best[(coef[best] > 0) if sign == "positive" else (coef[best] < 0)]
                entry[sign] = [(names[i], float(coef[i])) for i in keep]
            out[label] = entry
        return out

    def calibration_summary(self) -> dict[str, str]:
        """Per label, the calibrator in words (for model cards)."""
        check_is_fitted(self, "coef_")
        return {
            label: cal.describe()
            for label, cal in zip(self.labels_, self.calibrators_, strict=True)
        }


def _cpu_count() -> int:
    import os

    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


# --------------------------------------------------------------------------------------------
# TF-IDF over word and char_wb n-grams of one tokenisation


def _prune(
    df: np.ndarray, n_docs: int, min_df: int | float, max_df: int | float, max_features: int | None
) -> np.ndarray:
    """Kept candidate ids, ascending: ``min_df <= df <= max_df``, then the ``max_features``
    with the highest document frequency (ties: the earlier candidate)."""
    low = min_df if isinstance(min_df, int) else math.ceil(min_df * n_docs)
    high = max_df if isinstance(max_df, int) else math.floor(max_df * n_docs)
    kept = np.flatnonzero((df >= low) & (df <= high))
    if max_features is not None and len(kept) > max_features:
        order = np.lexsort((kept, -df[kept]))[:max_features]
        kept = np.sort(kept[order])
    return kept


def _select_columns(matrix: sp.csr_matrix, column_of: np.ndarray, n_columns: int) -> sp.csr_matrix:
    """Keep and renumber columns by a monotone map (``-1`` drops the column)."""
    matrix = matrix.tocsr()
    new = column_of[matrix.indices]
    keep = new >= 0
    row_of = np.repeat(np.arange(matrix.shape[0], dtype=np.int32), np.diff(matrix.indptr))
    indptr = np.zeros(matrix.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(row_of[keep], minlength=matrix.shape[0]), out=indptr[1:])
    return sp.csr_matrix(
        (matrix.data[keep], new[keep].astype(np.int32), indptr), shape=(matrix.shape[0], n_columns)
    )


def _idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    return np.log((1.0 + n_docs) / (1.0 + df)) + 1.0  # scikit-learn's smooth idf


def _row_squares(matrix: sp.csr_matrix) -> np.ndarray:
    """Σ value² per row, without copying the indices."""
    squared = sp.csr_matrix((matrix.data**2, matrix.indices, matrix.indptr), shape=matrix.shape)
    return np.asarray(squared @ np.ones(matrix.shape[1]))


def _row_scale(squares: np.ndarray, weight: float) -> np.ndarray:
    norms = np.sqrt(squares)
    scale = np.zeros_like(norms)
    np.divide(weight, norms, out=scale, where=norms > 0)
    return scale


def _counts(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """A CSR matrix counting the ``(row, col)`` pairs (float64, canonical)."""
    ones = np.ones(len(rows), dtype=np.float64)
    if len(rows) and np.any(rows[1:] < rows[:-1]):
        matrix = sp.csr_matrix((ones, (rows, cols)), shape=shape, dtype=np.float64)
    else:  # rows already in order (the usual case): no COO copy of the pairs
        indptr = np.zeros(shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
        matrix = sp.csr_matrix((ones, np.asarray(cols), indptr), shape=shape)
    matrix.sum_duplicates()
    return matrix


class _WordNgrams:
    """Word n-gram ids from integer token-type codes (no string joins), fitted on a corpus.

    Level ``k`` ids chain: a k-gram is (its (k-1)-gram prefix id, its last token type), coded
    ``prefix * n_types + type`` and looked up in the sorted codes seen in training.
    """

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high
        self.n_types = 0
        self.tables: list[np.ndarray] = []  # sorted codes of levels 2..high
        self.offsets: list[int] = []  # candidate id of the first id of each level 1..high
        self.column_of = np.zeros(0, dtype=np.int64)
        self.names: list[str] = []

    def _levels(self, types: np.ndarray, doc_of: np.ndarray, fit: bool) -> list[np.ndarray]:
        levels = [types]
        prev = types
        for n in range(2, self.high + 1):
            size = len(types) - (n - 1)
            ids = np.full(len(types), -1, dtype=np.int64)
            if size > 0:
                valid = (doc_of[:size] == doc_of[n - 1 :]) & (prev[:size] >= 0)
                valid &= types[n - 1 :] >= 0
                codes = prev[:size][valid] * self.n_types + types[n - 1 :][valid]
                where = np.flatnonzero(valid)
                if fit:
                    table = np.unique(codes)
                    self.tables.append(table)
                    ids[where] = np.searchsorted(table, codes)
                else:
                    table = self.tables[n - 2]
                    pos = np.searchsorted(table, codes)
                    found = pos < len(table)
                    found[found] = table[pos[found]] == codes[found]
                    ids[where[found]] = pos[found]
            elif fit:
                self.tables.append(np.zeros(0, dtype=np.int64))
            levels.append(ids)
            prev = ids
        return levels

    def _occurrences(self, levels: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        positions, sizes, ids = [], [], []
        for n, level in enumerate(levels, start=1):
            if n < self.low:
                continue
            where = np.flatnonzero(level >= 0)
            positions.append(where)
            sizes.append(np.full(len(where), n, dtype=np.int64))
            ids.append(level[where] + self.offsets[n - 1])
        return np.concatenate(positions), np.concatenate(sizes), np.concatenate(ids)

    def occurrences(
        self, types: np.ndarray, doc_of: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(position, n, candidate id)`` of every known n-gram occurrence, low <= n <= high."""
        return self._occurrences(self._levels(types, doc_of, fit=False))

    def fit(
        self, types: np.ndarray, doc_of: np.ndarray, type_names: Sequence[str]
    ) -> sp.csr_matrix:
        """Learn the level tables; return the documents × candidates count matrix."""
        self.n_types = len(type_names)
        self.tables = []
        levels = self._levels(types, doc_of, fit=True)
        sizes = [self.n_types] + [len(t) for t in self.tables]
        self.offsets = [int(v) for v in np.concatenate([[0], np.cumsum(sizes)[:-1]])]
        # the first position of every id of every level: an n-gram's name is read from there
        self._first = []
        for level, size in zip(levels, sizes, strict=True):
            where = np.flatnonzero(level >= 0)
            first = np.full(size, len(types), dtype=np.int64)
            np.minimum.at(first, level[where], where)
            self._first.append(first)
        self._type_names = type_names
        self._types = types
        # counted level by level: all levels' occurrences at once would cost several times the
        # memory of the tokens
        shape = (int(doc_of[-1]) + 1 if len(doc_of) else 0, int(sum(sizes)))
        counts = sp.csr_matrix(shape, dtype=np.float64)
        for n, level in enumerate(levels, start=1):
            if n >= self.low:
                where = np.flatnonzero(level >= 0)
                counts += _counts(doc_of[where], level[where] + self.offsets[n - 1], shape)
        return counts

    def keep(self, kept: np.ndarray, n_candidates: int) -> None:
        """Keep these candidates as columns (in candidate order) and name them."""
        self.column_of = np.full(n_candidates, -1, dtype=np.int64)
        self.column_of[kept] = np.arange(len(kept))
        starts = np.asarray([*self.offsets, n_candidates])
        level = np.searchsorted(starts, kept, side="right")  # 1-based level of each candidate
        names = []
        for candidate, n in zip(kept.tolist(), level.tolist(), strict=True):
            position = int(self._first[n - 1][candidate - self.offsets[n - 1]])
            names.append(
                " ".join(self._type_names[t] for t in self._types[position : position + n])
            )
        self.names = names
        del self._first, self._type_names, self._types


class WordCharTfidf:
    """TF-IDF over word n-grams and ``char_wb`` n-grams of the tokens of :data:`TOKEN_PATTERN`.

    Columns are ``word__<n-gram>`` then ``char__<n-gram>``; each block is L2-normalised and
    weighted ``1/√blocks``, so a row has unit norm. Document frequencies, ``min_df``, ``max_df``
    and ``max_features`` (the most frequent per block) are scikit-learn's; idf is the smooth one.
    Not an estimator in itself: :class:`TfidfLogisticClassifier` fits and owns one.
    """

    def __init__(
        self,
        word_ngram_range: tuple[int, int] | None,
        char_ngram_range: tuple[int, int] | None,
        min_df: int | float,
        max_df: int | float,
        max_features: int | None,
    ) -> None:
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df, self.max_df, self.max_features = min_df, max_df, max_features
        self.block_weight = 1.0 / math.sqrt(
            (word_ngram_range is not None) + (char_ngram_range is not None)
        )
        self.type_index: dict[str, int] = {}
        self.words: _WordNgrams | None = None
        self.word_idf = np.zeros(0)
        self.char_index: dict[str, int] = {}
        self.char_names: list[str] = []
        self.char_idf = np.zeros(0)

    @property
    def n_words(self) -> int:
        return len(self.word_idf)

    @property
    def n_features(self) -> int:
        return len(self.word_idf) + len(self.char_idf)

    @property
    def feature_names(self) -> list[str]:
        words = [] if self.words is None else self.words.names
        return [f"word__{n}" for n in words] + [f"char__{n}" for n in self.char_names]

    # -- fitting -------------------------------------------------------------------------------
    def fit_design(self, texts: Sequence[str]) -> _TfidfDesign:
        """Learn vocabularies and idf from ``texts``; return their training design (factored)."""
        n_docs = len(texts)
        index: dict[str, int] = {}
        sizes: list[int] = []

        def type_ids() -> Iterable[int]:  # one text's tokens at a time: no list of all tokens
            for text in texts:
                tokens = _tokens(text)
                sizes.append(len(tokens))
                for token in tokens:
                    yield index.setdefault(token, len(index))

        types = np.fromiter(type_ids(), dtype=np.int64)
        doc_of = np.repeat(np.arange(n_docs, dtype=np.int64), sizes)
        type_names = list(index)
        self.type_index = index
        word = tokens = char_map = row_scale = None
        if self.word_ngram_range is not None:
            word = self._fit_words(types, doc_of, n_docs, type_names)
        if self.char_ngram_range is not None:
            tokens, char_map, row_scale = self._fit_chars(types, doc_of, n_docs, type_names)
        return _TfidfDesign(word, tokens, char_map, row_scale, n_docs)

    def _fit_words(
        self, types: np.ndarray, doc_of: np.ndarray, n_docs: int, type_names: list[str]
    ) -> sp.csr_matrix:
        low, high = self.word_ngram_range  # type: ignore[misc]
        self.words = _WordNgrams(low, high)
        counts = self.words.fit(types, doc_of, type_names)
        counts.resize((n_docs, counts.shape[1]))  # texts without tokens at the end
        n_candidates = counts.shape[1]
        df = np.bincount(counts.indices, minlength=n_candidates)
        kept = _prune(df, n_docs, self.min_df, self.max_df, self.max_features)
        self.words.keep(kept, n_candidates)
        self.word_idf = _idf(df[kept], n_docs)
        counts = self._weigh(
            _select_columns(counts, self.words.column_of, len(kept)), self.word_idf
        )
        counts.data = counts.data.astype(_FEATURE_DTYPE)
        return counts

    def _fit_chars(
        self, types: np.ndarray, doc_of: np.ndarray, n_docs: int, type_names: list[str]
    ) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray]:
        low, high = self.char_ngram_range  # type: ignore[misc]
        candidates: dict[str, int] = {}
        cols: list[int] = []
        lengths = []
        for name in type_names:
            grams = char_wb_ngrams(name, low, high)
            cols.extend(candidates.setdefault(g, len(candidates)) for g in grams)
            lengths.append(len(grams))
        rows = np.repeat(np.arange(len(type_names)), lengths)
        grams_of = _counts(
            rows, np.asarray(cols, dtype=np.int64), (len(type_names), len(candidates))
        )
        token_counts = _counts(doc_of, types, (n_docs, len(type_names)))
        df = np.zeros(len(candidates), dtype=np.int64)
        block = 1024  # documents per product: bounds the memory of the char n-gram counts
        for first in range(0, n_docs, block):
            part = token_counts[first : first + block] @ grams_of
            df += np.bincount(part.indices, minlength=len(candidates))
        kept = _prune(df, n_docs, self.min_df, self.max_df, self.max_features)
        column_of = np.full(len(candidates), -1, dtype=np.int64)
        column_of[kept] = np.arange(len(kept))
        names = list(candidates)
        self.char_names = [names[c] for c in kept.tolist()]
        self.char_index = {name: j for j, name in enumerate(self.char_names)}
        self.char_idf = _idf(df[kept], n_docs)
        char_map = _select_columns(grams_of, column_of, len(kept))
        char_map.data *= self.char_idf[char_map.indices]
        squares = np.zeros(n_docs)
        for first in range(0, n_docs, block):
            squares[first : first + block] = _row_squares(
                token_counts[first : first + block] @ char_map
            )
        scale = _row_scale(squares, self.block_weight)
        return (
            sp.csr_matrix(token_counts, dtype=_FEATURE_DTYPE),
            sp.csr_matrix(char_map, dtype=_FEATURE_DTYPE),
            scale.astype(_FEATURE_DTYPE),
        )

    # -- transforming --------------------------------------------------------------------------
    def _word_types(self, docs: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        get = self.type_index.get
        lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
        types = np.fromiter(
            (get(tok, -1) for doc in docs for tok in doc), dtype=np.int64, count=int(lengths.sum())
        )
        return types, np.repeat(np.arange(len(docs), dtype=np.int64), lengths)

    def _char_factors(
        self, docs: Sequence[Sequence[str]]
    ) -> tuple[sp.csr_matrix, sp.csr_matrix, list[int]]:
        """Documents × local token types, local types × char columns, and each token's type."""
        local: dict[str, int] = {}
        flat = [local.setdefault(tok, len(local)) for doc in docs for tok in doc]
        lengths = [len(d) for d in docs]
        cache = self._columns_cache()
        cols: list[int] = []
        rows: list[int] = []
        for t, name in enumerate(local):
            known = cache.get(name)
            if known is None:
                known = self._char_columns(name)
                if len(cache) < _CHAR_CACHE_SIZE:
                    cache[name] = known
            cols.extend(known)
            rows.extend([t] * len(known))
        grams_of = _counts(
            np.asarray(rows, dtype=np.int64),
            np.asarray(cols, dtype=np.int64),
            (len(local), len(self.char_idf)),
        )
        doc_of = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
        token_counts = _counts(doc_of, np.asarray(flat, dtype=np.int64), (len(docs), len(local)))
        return token_counts, grams_of, flat

    def _char_columns(self, token: str) -> list[int]:
        low, high = self.char_ngram_range  # type: ignore[misc]
        get = self.char_index.get
        return [c for c in map(get, char_wb_ngrams(token, low, high)) if c is not None]

    def _columns_cache(self) -> dict[str, list[int]]:
        # token -> its char columns, filled as texts are transformed; not pickled
        cache = self.__dict__.get("_cache")
        if cache is None:
            cache = self.__dict__["_cache"] = {}
        return cache

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_cache", None)
        return state

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The explicit float64 TF-IDF rows of ``texts``."""
        return self._transform([_tokens(text) for text in texts])

    def _transform(self, docs: Sequence[Sequence[str]]) -> sp.csr_matrix:
        blocks = []
        if self.words is not None:
            types, doc_of = self._word_types(docs)
            positions, _, candidates = self.words.occurrences(types, doc_of)
            columns = self.words.column_of[candidates]
            keep = columns >= 0
            counts = _counts(doc_of[positions[keep]], columns[keep], (len(docs), self.n_words))
            blocks.append(self._weigh(counts, self.word_idf))
        if self.char_ngram_range is not None:
            token_counts, grams_of, _ = self._char_factors(docs)
            blocks.append(self._weigh((token_counts @ grams_of).tocsr(), self.char_idf))
        out = blocks[0] if len(blocks) == 1 else sp.hstack(blocks, format="csr")
        return sp.csr_matrix(out, dtype=np.float64)

    def _weigh(self, counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
        """Counts → TF-IDF in place: times idf, then each row scaled to norm ``block_weight``."""
        counts.sort_indices()
        counts.data *= idf[counts.indices]
        squares = _row_squares(counts)
        counts.data *= np.repeat(_row_scale(squares, self.block_weight), np.diff(counts.indptr))
        return counts

    # -- explaining ----------------------------------------------------------------------------
    def token_weights(self, text: str, contribution: np.ndarray) -> list[TokenAttribution]:
        """Split ``contribution`` (one value per feature of ``text``'s row, dense) over tokens.

        Word n-grams: equally over occurrences, then over the tokens of an occurrence. Char
        n-grams: over the token occurrences containing them, by how often each contains them.
        The weights sum to ``contribution.sum()`` (every non-zero feature of a text has tokens).
        """
        spans = token_spans(text)
        if not spans:
            return []
        doc = [s[2] for s in spans]
        weights = np.zeros(len(doc))
        if self.words is not None:
            types, doc_of = self._word_types([doc])
            positions, sizes, candidates = self.words.occurrences(types, doc_of)
            columns = self.words.column_of[candidates]
            keep = columns >= 0
            positions, sizes, columns = positions[keep], sizes[keep], columns[keep]
            per_column = np.bincount(columns, minlength=self.n_words)
            share = contribution[columns] / (per_column[columns] * sizes)
            for offset in range(int(sizes.max(initial=0))):
                inside = sizes > offset
                np.add.at(weights, positions[inside] + offset, share[inside])
        if self.char_ngram_range is not None:
            token_counts, grams_of, flat = self._char_factors([doc])
            totals = (token_counts @ grams_of).tocsr()  # 1 x char columns: each n-gram's count
            ratio = np.zeros(len(self.char_idf))
            columns = totals.indices
            ratio[columns] = contribution[self.n_words + columns] / totals.data
            per_type = grams_of @ ratio  # each token type's share of the char contributions
            weights += per_type[np.asarray(flat, dtype=np.int64)]
        return [
            TokenAttribution(start, end, float(w))
            for (start, end, _), w in zip(spans, weights, strict=True)
        ]


class TfidfLogisticClassifier(_LinearTextClassifier):
    """TF-IDF (word and ``char_wb`` n-grams) + one calibrated logistic regression per label.

    Parameters
    ----------
    word_ngram_range, char_ngram_range:
        ``(low, high)`` n-gram sizes; ``None`` leaves that block out (at least one is needed).
    min_df, max_df:
        Document-frequency bounds for both blocks (an int counts texts, a float is a share).
    max_features:
        At most this many columns per block, the most frequent by document frequency.
    C, class_weight, tol, max_iter:
        As :class:`sklearn.linear_model.LogisticRegression` (``class_weight`` is None,
        ``"balanced"`` or ``{0: w0, 1: w1}``, applied per label). The calibrator is learned
        without class weights, so probabilities keep the data's prevalence.
    calibration, cv, random_state:
        ``"sigmoid"`` (Platt), ``"isotonic"`` or ``"none"``; calibration uses ``cv`` stratified
        folds shuffled with ``random_state``.
    label_names:
        Names of the columns of ``y``; default ``("positive",)`` or ``("label_0", ...)``.
    n_jobs:
        Labels fitted in parallel threads (the matrix products release the GIL); -1 = all CPUs.
    """

    def __init__(
        self,
        *,
        word_ngram_range: tuple[int, int] | None = (1, 2),
        char_ngram_range: tuple[int, int] | None = (2, 5),
        min_df: int | float = 2,
        max_df: int | float = 1.0,
        max_features: int | None = 200_000,
        C: float = 4.0,
        class_weight: str | dict[int, float] | None = None,
        calibration: str = "sigmoid",
        cv: int = 3,
        tol: float = 1e-4,
        max_iter: int = 500,
        random_state: int | None = 0,
        label_names: tuple[str, ...] | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.C = C
        self.class_weight = class_weight
        self.calibration = calibration
        self.cv = cv
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.label_names = label_names
        self.n_jobs = n_jobs

    def _check_own_params(self) -> None:
        word = _check_range("word_ngram_range", self.word_ngram_range)
        char = _check_range("char_ngram_range", self.char_ngram_range)
        if word is None and char is None:
            raise _param_error("word_ngram_range", None, "a range (char_ngram_range is None too)")
        for name in ("min_df", "max_df"):
            value = getattr(self, name)
            ok = (isinstance(value, int) and not isinstance(value, bool) and value >= 1) or (
                isinstance(value, float) and 0.0 < value <= 1.0
            )
            if not ok:
                raise _param_error(name, value, "an integer >= 1 or a share in (0, 1]")
        if self.max_features is not None and (
            not isinstance(self.max_features, int) or self.max_features < 1
        ):
            raise _param_error("max_features", self.max_features, "None or a positive integer")

    def _fit_design(self, texts: list[str]) -> _TfidfDesign:
        vectorizer = WordCharTfidf(
            _check_range("word_ngram_range", self.word_ngram_range),
            _check_range("char_ngram_range", self.char_ngram_range),
            self.min_df,
            self.max_df,
            self.max_features,
        )
        design = vectorizer.fit_design(texts)
        if vectorizer.n_features == 0:
            raise ValueError(
                "no feature survived min_df/max_df/max_features: lower min_df or raise max_df"
            )
        self.vectorizer_ = vectorizer
        self.n_features_ = vectorizer.n_features
        return design

    def _features(self, texts: list[str]) -> sp.csr_matrix:
        return self.vectorizer_.transform(texts)

    def _feature_names(self) -> list[str]:
        return self.vectorizer_.feature_names

    def get_feature_names_out(self) -> np.ndarray:
        """``word__<n-gram>`` and ``char__<n-gram>`` column names, in coefficient order."""
        check_is_fitted(self, "coef_")
        return np.asarray(self.vectorizer_.feature_names, dtype=object)

    def vocabulary_terms(self) -> list[str]:
        """The word n-grams the model stores (tokens joined by spaces), for privacy checks.

        Character n-grams are 2-5 letter fragments, not words; they are in
        :meth:`get_feature_names_out`.
        """
        check_is_fitted(self, "coef_")
        return [] if self.vectorizer_.words is None else list(self.vectorizer_.words.names)

    def _token_weights(
        self, texts: list[str], rows: sp.csr_matrix, coef: np.ndarray
    ) -> list[list[TokenAttribution]]:
        out = []
        for i, text in enumerate(texts):
            row = rows.getrow(i)
            contribution = np.zeros(self.vectorizer_.n_features)
            contribution[row.indices] = row.data * coef[row.indices]
            out.append(self.vectorizer_.token_weights(text, contribution))
        return out


# --------------------------------------------------------------------------------------------
# The glass box: counts of extracted mentions by category and qualifier

QUALIFIERS: tuple[str, ...] = (
    "affirmed_current_parent",
    "affirmed_current_child",
    "affirmed_current_other",
    "possible_or_hypothetical",
    "historical",
    "negated",
)
"""The six qualifier groups of a category; every mention counts towards exactly one."""

QUALIFIER_MEANINGS: dict[str, str] = {
    "affirmed_current_parent": "stated as current, about a parent, carer or household adult",
    "affirmed_current_child": "stated as current, about the child or young person (or a sibling)",
    "affirmed_current_other": "stated as current, about someone outside the household",
    "possible_or_hypothetical": "suspected or alleged, or only conditional or in the future",
    "historical": "in the past or resolved (not negated)",
    "negated": "said not to be the case",
}


def qualifier_of(mention: Mention) -> str:
    """The qualifier group of a mention: negated, then historical, then possible/hypothetical."""
    if mention.negated:
        return "negated"
    if mention.temporality is Temporality.HISTORICAL:
        return "historical"
    if mention.temporality is Temporality.HYPOTHETICAL or mention.certainty is Certainty.POSSIBLE:
        return "possible_or_hypothetical"
    return f"affirmed_current_{mention.subject.value}"


MENTION_FEATURES: tuple[str, ...] = tuple(
    f"{category.value}:{qualifier}" for category in RiskLabel for qualifier in QUALIFIERS
)
_MENTION_FEATURE_INDEX = {name: j for j, name in enumerate(MENTION_FEATURES)}


def mention_feature(mention: Mention) -> str:
    """The feature a mention counts towards, e.g. ``domestic_abuse:affirmed_current_parent``."""
    return f"{mention.label.value}:{qualifier_of(mention)}"


def mention_counts(mentions: Iterable[tuple[Mention, ...]]) -> np.ndarray:
    """Rows of feature counts (``MENTION_FEATURES`` order), one per text's mentions."""
    rows = [
        np.bincount(
            [_MENTION_FEATURE_INDEX[mention_feature(m)] for m in found],
            minlength=len(MENTION_FEATURES),
        )
        for found in mentions
    ]
    if not rows:
        return np.zeros((0, len(MENTION_FEATURES)))
    return np.vstack(rows).astype(np.float64)


class MentionFeaturizer(TransformerMixin, BaseEstimator):
    """Texts → counts of the risk extractor's mentions per category × qualifier.

    The spaCy pipeline (:func:`casenotes.extract.pipeline.build_pipeline`) is built on first use
    in ``fit``/``transform``, never at import or in ``__init__``, and is left out of the pickle
    (rebuilt on demand). ``fit`` records the rule sets' names, versions and digests
    (``rule_sets_``); ``transform`` warns if the rules it now runs differ from those.
    """

    def __init__(self, settings: Any = None) -> None:
        self.settings = settings

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_nlp", None)  # a spaCy pipeline: rebuilt from the settings on demand
        state.pop("_checked_rules", None)
        return state

    def _pipeline(self) -> Any:
        nlp = getattr(self, "_nlp", None)
        if nlp is None:
            from casenotes.extract.pipeline import build_pipeline

            nlp = build_pipeline(self.settings)
            self._nlp = nlp
        return nlp

    def _rule_sets(self) -> tuple[tuple[str, str, str], ...]:
        from casenotes.extract.pipeline import rule_sets

        return tuple((r["name"], r["version"], r["digest"]) for r in rule_sets(self._pipeline()))

    def fit(self, X: Sequence[str], y: Any = None) -> MentionFeaturizer:
        """Build the pipeline and record which rules it runs (no learning happens)."""
        check_texts(X)
        self.rule_sets_ = self._rule_sets()
        self.n_features_out_ = len(MENTION_FEATURES)
        return self

    def mentions(self, X: Sequence[str]) -> list[tuple[Mention, ...]]:
        """The extractor's mentions of each text, offsets into that text."""
        check_is_fitted(self, "rule_sets_")
        texts = check_texts(X)
        nlp = self._pipeline()
        if getattr(self, "_checked_rules", False) is False:
            now = self._rule_sets()
            if now != self.rule_sets_:
                warnings.warn(
                    f"extraction rules changed since fit: fitted with {self.rule_sets_}, now "
                    f"running {now}; the features may no longer mean what the model learned",
                    UserWarning,
                    stacklevel=2,
                )
            self._checked_rules = True
        from casenotes.extract.pipeline import doc_mentions

        batch = getattr(self.settings, "batch_size", 256)
        return [doc_mentions(doc) for doc in nlp.pipe(texts, batch_size=batch)]

    def transform(self, X: Sequence[str]) -> np.ndarray:
        """Counts, shape ``(n, len(MENTION_FEATURES))``, float64."""
        return mention_counts(self.mentions(X))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(MENTION_FEATURES, dtype=object)


@dataclass(frozen=True, slots=True)
class ModelRow:
    """One row of the glass-box model: a feature's coefficient for a label.

    ``odds_ratio`` is ``exp(coefficient)``: how one more such mention multiplies the odds of the
    label under the logistic regression (before calibration, which rescales every log-odds effect
    of a label by the same positive factor for ``sigmoid`` and keeps only the order for
    ``isotonic``). The intercept row's odds ratio is the odds of a note with no mentions.
    """

    label: str
    feature: str
    meaning: str
    coefficient: float
    odds_ratio: float

    def to_record(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "feature": self.feature,
            "meaning": self.meaning,
            "coefficient": self.coefficient,
            "odds_ratio": self.odds_ratio,
        }


class MentionLinearClassifier(_LinearTextClassifier):
    """The glass box: mention counts per category × qualifier + one logistic regression per label.

    Sixty readable features (:data:`MENTION_FEATURES`); :meth:`model_table` lists every
    coefficient. An explanation puts each mention's coefficient on the mention's span. Parameters
    are those of :class:`TfidfLogisticClassifier` that concern the regression, plus ``settings``
    (an :class:`~casenotes.extract.config.ExtractConfig`, default the packaged rules).
    """

    _explain_chunk: ClassVar[int] = 256

    def __init__(
        self,
        *,
        settings: Any = None,
        C: float = 1.0,
        class_weight: str | dict[int, float] | None = None,
        calibration: str = "sigmoid",
        cv: int = 3,
        tol: float = 1e-6,
        max_iter: int = 1000,
        random_state: int | None = 0,
        label_names: tuple[str, ...] | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.settings = settings
        self.C = C
        self.class_weight = class_weight
        self.calibration = calibration
        self.cv = cv
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.label_names = label_names
        self.n_jobs = n_jobs

    def _check_own_params(self) -> None:
        from casenotes.extract.config import ExtractConfig

        if self.settings is not None and not isinstance(self.settings, ExtractConfig):
            raise _param_error("settings", self.settings, "None or an ExtractConfig")

    def _fit_design(self, texts: list[str]) -> _MatrixDesign:
        self.featurizer_ = MentionFeaturizer(self.settings).fit(texts)
        self.n_features_ = len(MENTION_FEATURES)
        return _MatrixDesign(self.featurizer_.transform(texts))

    def _features(self, texts: list[str]) -> np.ndarray:
        return self.featurizer_.transform(texts)

    def _feature_names(self) -> tuple[str, ...]:
        return MENTION_FEATURES

    def get_feature_names_out(self) -> np.ndarray:
        return np.asarray(MENTION_FEATURES, dtype=object)

    def vocabulary_terms(self) -> list[str]:
        """No words are stored: the features are category and qualifier names."""
        check_is_fitted(self, "coef_")
        return []

    def explain(self, X: Sequence[str], label: str | None = None) -> list[Explanation]:
        """One exact explanation per text: each mention's span carries its feature's coefficient."""
        j = self._label_index(label)
        texts = check_texts(X)
        coef, intercept = self.coef_[j], float(self.intercept_[j])
        out = []
        for first in range(0, len(texts), self._explain_chunk):
            found = self.featurizer_.mentions(texts[first : first + self._explain_chunk])
            outputs = mention_counts(found) @ coef + intercept
            for mentions, output in zip(found, outputs, strict=True):
                tokens = tuple(
                    TokenAttribution(
                        m.start, m.end, float(coef[_MENTION_FEATURE_INDEX[mention_feature(m)]])
                    )
                    for m in mentions
                )
                out.append(Explanation(self.labels_[j], intercept, float(output), tokens))
        return out

    def _token_weights(self, texts, rows, coef):  # pragma: no cover - explain is overridden
        raise NotImplementedError

    def model_table(self) -> list[ModelRow]:
        """The whole model: per label, the intercept then every feature's coefficient."""
        check_is_fitted(self, "coef_")
        rows = []
        for label, coef, intercept in zip(self.labels_, self.coef_, self.intercept_, strict=True):
            rows.append(
                ModelRow(
                    label,
                    INTERCEPT,
                    "log-odds of a note with no mentions",
                    float(intercept),
                    math.exp(float(intercept)),
                )
            )
            for name, value in zip(MENTION_FEATURES, coef, strict=True):
                meaning = f"{name.split(':')[0]} mentions {QUALIFIER_MEANINGS[name.split(':')[1]]}"
                rows.append(ModelRow(label, name, meaning, float(value), math.exp(float(value))))
        return rows


__all__ = [
    "MENTION_FEATURES",
    "QUALIFIERS",
    "QUALIFIER_MEANINGS",
    "TOKEN_PATTERN",
    "IsotonicCalibration",
    "LogisticFit",
    "MentionFeaturizer",
    "MentionLinearClassifier",
    "ModelRow",
    "NoCalibration",
    "SigmoidCalibration",
    "TfidfLogisticClassifier",
    "WordCharTfidf",
    "char_wb_ngrams",
    "check_targets",
    "check_texts",
    "fit_logistic",
    "mention_counts",
    "mention_feature",
    "normalise_token",
    "qualifier_of",
    "token_spans",
]
