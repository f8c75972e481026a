"""Classes for every object from a few named examples.

Two ways to go from a handful of annotated objects to all of them:

* ``"spreading"``: label spreading on the fit's own kNN graph (Zhou et al.,
  "Learning with local and global consistency", NIPS 2003). With ``W`` the
  symmetric graph and ``S = D^-1/2 W D^-1/2``, the class scores ``F`` solve
  ``(I - alpha S) F = Y``, the fixed point of the iteration
  ``F <- alpha S F + (1 - alpha) Y`` (up to a constant factor). ``Y`` holds
  the examples, each class's column scaled to sum 1, so that a class with
  more examples does not outweigh the others. The system is solved by
  conjugate gradients (it is symmetric positive definite for
  ``alpha < 1``), one class column at a time. scikit-learn's
  ``LabelSpreading`` builds its own graph and cannot take the fit's.
* ``"classifier"``: a scikit-learn logistic regression on the features.

``"auto"`` measures both on the annotations themselves and keeps the
better: the held-out balanced accuracy of each (:func:`held_out_accuracy`),
a tie broken by the mean share of the true class in the held-out scores.
With too few annotations to measure, it is spreading. The rule comes from
the benchmark (``benchmarks/predict.py``; figures in docs/performance.md):
spreading won by far on MNIST-20k with 10 examples per digit (its classes
are manifolds the kNN graph follows), the classifier on the mitosis sample
with 5 + 5 (its class is a threshold on one feature, and a class of 15
objects cannot stand apart in a 15-neighbour graph); the measurement on
the annotations picked the winner on both, and where it cannot be made
spreading loses less when it is the wrong choice.

The confidence of an object is the share of its class in its scores, so it
is 1 for an object only one class reaches and ``1 / n_classes`` for a tie;
an object no example reaches (a graph component without one) gets no class
and confidence 0. The held-out accuracy is a stratified cross-validation
over the annotations (:data:`MIN_PER_CLASS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import cg

__all__ = [
    "ALPHA",
    "METHODS",
    "MIN_PER_CLASS",
    "HeldOut",
    "Prediction",
    "check_method",
    "classifier_scores",
    "held_out_accuracy",
    "least_confident",
    "predict_classes",
    "spreading_operator",
    "spreading_scores",
]

#: the ways classes are predicted
METHODS = ("auto", "spreading", "classifier")
#: how far labels spread (Zhou et al.'s alpha: 0 keeps them at the examples)
ALPHA = 0.99
#: conjugate-gradient iterations at most, and the relative tolerance
MAX_ITER, TOL = 1000, 1e-5
#: examples every class needs for the held-out accuracy
MIN_PER_CLASS = 3
#: folds of the held-out accuracy, at most
MAX_FOLDS = 5


@dataclass
class HeldOut:
    """Accuracy on annotations left out of the prediction (cross-validation).

    Attributes
    ----------
    accuracy, balanced_accuracy : float or None
        Pooled over the folds; balanced: the mean of the per-class recalls.
        None: too few annotations (:data:`MIN_PER_CLASS`).
    true_share : float or None
        The mean share of the true class in the held-out objects' scores
        (a soft accuracy: breaks ties between methods).
    n_folds : int
        Folds (0: none).
    note : str
        How it was measured, or why not.
    """

    accuracy: float | None = None
    balanced_accuracy: float | None = None
    true_share: float | None = None
    n_folds: int = 0
    note: str = ""

    def rank(self) -> tuple:
        """Order of merit: balanced accuracy, then the true class's share."""
        return (self.balanced_accuracy or 0.0, self.true_share or 0.0)


@dataclass
class Prediction:
    """Predicted classes of every object.

    Attributes
    ----------
    predicted : pandas.Categorical
        The class of every object (categories: the class names; missing
        where no example reaches an object).
    confidence : ndarray of float
        In [0, 1]: the share of the predicted class in the object's scores.
    method : str
        ``"spreading"`` or ``"classifier"`` (``"auto"`` resolved).
    held_out : HeldOut
        The held-out accuracy of ``method``.
    compared : dict of str to HeldOut
        ``"auto"``: the held-out accuracy of each method it compared.
    """

    predicted: pd.Categorical
    confidence: np.ndarray
    method: str
    held_out: HeldOut = field(default_factory=HeldOut)
    compared: dict = field(default_factory=dict)

    @property
    def accuracy(self) -> float | None:
        """Held-out accuracy (None: too few annotations)."""
        return self.held_out.accuracy

    @property
    def balanced_accuracy(self) -> float | None:
        """Held-out balanced accuracy (None: too few annotations)."""
        return self.held_out.balanced_accuracy


def check_method(method: str, has_graph: bool, has_features: bool) -> str:
    """Check the method asked for against the inputs; return it.

    Raises
    ------
    ValueError
        For an unknown method or one whose input is missing.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if method == "spreading" and not has_graph:
        raise ValueError("label spreading needs the fit's kNN graph")
    if method in ("classifier", "auto") and not has_features:
        if method == "auto" and has_graph:
            return method
        raise ValueError("the classifier needs the features")
    return method


def spreading_operator(graph, alpha: float = ALPHA) -> sp.csr_matrix:
    """Return ``I - alpha S`` with ``S = D^-1/2 W D^-1/2`` (self-loops dropped).

    Parameters
    ----------
    graph : scipy.sparse matrix (n, n)
        Symmetric, non-negative edge weights ``W``.
    alpha : float
        In (0, 1): how far labels spread.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}")
    W = sp.csr_matrix(graph, dtype=np.float64)
    W = (W - sp.diags(W.diagonal())).tocsr()
    W.eliminate_zeros()
    deg = np.asarray(W.sum(axis=1)).ravel()
    inv = np.zeros_like(deg)
    inv[deg > 0] = 1.0 / np.sqrt(deg[deg > 0])
    S = sp.diags(inv) @ W @ sp.diags(inv)
    return (sp.identity(W.shape[0], format="csr") - alpha * S).tocsr()


def spreading_scores(
    graph, codes: np.ndarray, n_classes: int, alpha: float = ALPHA
) -> np.ndarray:
    """Return label-spreading scores (n, n_classes) on a symmetric graph.

    Parameters
    ----------
    graph : scipy.sparse matrix (n, n)
        Symmetric, non-negative edge weights (or the operator
        :func:`spreading_operator` made of them, given as ``graph`` with
        ``alpha=None``).
    codes : int array (n,)
        The class of each example, ``-1`` where there is none.
    n_classes : int
    alpha : float
        In (0, 1): how far labels spread.

    Returns
    -------
    ndarray (n, n_classes)
        Non-negative scores; rows no example reaches are 0.
    """
    A = graph if alpha is None else spreading_operator(graph, alpha)
    codes = np.asarray(codes, np.int64)
    F = np.zeros((A.shape[0], n_classes))
    for c in range(n_classes):
        seeds = np.flatnonzero(codes == c)
        if not len(seeds):
            continue
        y = np.zeros(A.shape[0])
        y[seeds] = 1.0 / len(seeds)
        F[:, c], _ = cg(A, y, rtol=TOL, atol=0.0, maxiter=MAX_ITER)
    # the exact scores are >= 0 (a sum of powers of alpha S); rows of a graph
    # component without an example stay exactly 0 (CG's Krylov space)
    return np.maximum(F, 0.0)


def classifier_scores(
    X: np.ndarray, codes: np.ndarray, n_classes: int, random_state=0
) -> np.ndarray:
    """Return class probabilities (n, n_classes) from a logistic regression.

    Trained on the rows with ``codes >= 0`` (standardised features expected,
    as the fit's matrix is); classes without an example get 0.
    """
    from sklearn.linear_model import LogisticRegression

    X = np.asarray(X, np.float64)
    known = codes >= 0
    present = np.unique(codes[known])
    out = np.zeros((len(X), n_classes))
    if len(present) == 1:
        out[:, present[0]] = 1.0
        return out
    model = LogisticRegression(max_iter=1000, random_state=random_state)
    model.fit(X[known], codes[known])
    out[:, model.classes_] = model.predict_proba(X)
    return out


def _scores(method, codes, n_classes, X, operator, random_state) -> np.ndarray:
    if method == "spreading":
        return spreading_scores(operator, codes, n_classes, alpha=None)
    return classifier_scores(X, codes, n_classes, random_state)


def _decide(F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each row's class code (-1: none) and confidence from scores."""
    total = F.sum(axis=1)
    reached = total > 0
    codes = np.where(reached, F.argmax(axis=1), -1)
    conf = np.zeros(len(F))
    conf[reached] = F[reached].max(axis=1) / total[reached]
    return codes, np.clip(conf, 0.0, 1.0)


def _codes_of(labels, n: int) -> tuple[np.ndarray, list]:
    cat = pd.Categorical(labels)
    if len(cat) != n:
        raise ValueError(f"got {len(cat)} labels for {n} objects")
    codes = np.asarray(cat.codes, np.int64)
    names = [str(c) for c in cat.categories]
    present = np.unique(codes[codes >= 0])
    if len(present) < 2:
        raise ValueError(
            "predicting classes needs examples of at least two classes; "
            f"got {len(present)}"
        )
    return codes, names


def predict_classes(
    labels,
    *,
    X: np.ndarray | None = None,
    graph=None,
    method: str = "auto",
    random_state: int | None = 0,
    cross_validate: bool = True,
) -> Prediction:
    """Predict the class of every object from a few annotated ones.

    Parameters
    ----------
    labels : pandas.Categorical or array-like (n,)
        The class name of each annotated object, missing (NaN/None) for the
        others; the categories (all of them, also unused ones) are the
        classes.
    X : ndarray (n, n_features), optional
        The features (the fit's matrix); needed by ``"classifier"``.
    graph : scipy.sparse matrix (n, n), optional
        The fit's kNN graph (``model.graph_``); needed by ``"spreading"``.
    method : {"auto", "spreading", "classifier"}
    random_state : int, optional
        The seed of the classifier and of the folds.
    cross_validate : bool
        Measure the held-out accuracy (:func:`held_out_accuracy`).

    Returns
    -------
    Prediction

    Raises
    ------
    ValueError
        For fewer than two annotated classes, mismatched sizes or a method
        whose input is missing.
    """
    n = graph.shape[0] if graph is not None else (None if X is None else len(X))
    if n is None:
        raise ValueError("predicting classes needs the features or the kNN graph")
    if X is not None and len(X) != n:
        raise ValueError(f"the features have {len(X)} rows; the graph {n}")
    codes, names = _codes_of(labels, n)
    check_method(method, graph is not None, X is not None)
    operator = None if graph is None else spreading_operator(graph)
    tried = ["spreading", "classifier"] if method == "auto" else [method]
    tried = [m for m in tried if (X if m == "classifier" else graph) is not None]
    compared = {}
    if cross_validate or len(tried) > 1:
        for m in tried:
            compared[m] = _cross_validate(codes, m, X, operator, random_state)
    chosen = max(tried, key=lambda m: compared[m].rank()) if compared else tried[0]
    if compared and compared[chosen].n_folds == 0:
        chosen = tried[0]  # too few annotations to compare: spreading first
    F = _scores(chosen, codes, len(names), X, operator, random_state)
    pred, conf = _decide(F)
    return Prediction(
        pd.Categorical.from_codes(pred, categories=names),
        conf,
        chosen,
        compared.get(chosen, HeldOut(note="not measured")),
        compared if method == "auto" else {},
    )


def held_out_accuracy(
    codes: np.ndarray,
    method: str,
    *,
    X: np.ndarray | None = None,
    graph=None,
    random_state: int | None = 0,
) -> HeldOut:
    """Return the accuracy on annotations left out of the prediction.

    The rule: every annotated class needs :data:`MIN_PER_CLASS` examples;
    then a stratified ``k``-fold cross-validation over the annotations,
    ``k = min(5, the smallest class's examples)``: each fold's annotations
    are predicted from the others' (with the same method and graph), and
    the accuracy is pooled over all of them.

    Returns
    -------
    HeldOut
    """
    codes = np.asarray(codes, np.int64)
    operator = spreading_operator(graph) if method == "spreading" else None
    return _cross_validate(codes, method, X, operator, random_state)


def _cross_validate(codes, method, X, operator, random_state) -> HeldOut:
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import StratifiedKFold

    known = np.flatnonzero(codes >= 0)
    present, counts = np.unique(codes[known], return_counts=True)
    if len(present) < 2 or counts.min() < MIN_PER_CLASS:
        return HeldOut(
            note=f"held-out accuracy needs {MIN_PER_CLASS} examples of each "
            f"class; the smallest has {int(counts.min(initial=0))}"
        )
    k = int(min(MAX_FOLDS, counts.min()))
    folds = StratifiedKFold(k, shuffle=True, random_state=random_state)
    n_classes = int(codes.max()) + 1
    truth, guess, share = [], [], []
    for train, test in folds.split(known, codes[known]):
        part = np.full_like(codes, -1)
        part[known[train]] = codes[known[train]]
        F = _scores(method, part, n_classes, X, operator, random_state)[known[test]]
        pred, _ = _decide(F)
        true = codes[known[test]]
        total = F.sum(axis=1)
        share.append(
            np.divide(
                F[np.arange(len(F)), true], total, where=total > 0, out=np.zeros(len(F))
            )
        )
        truth.append(true)
        guess.append(pred)
    truth, guess = np.concatenate(truth), np.concatenate(guess)
    return HeldOut(
        float(np.mean(truth == guess)),
        float(balanced_accuracy_score(truth, guess)),
        float(np.concatenate(share).mean()),
        k,
        f"{k}-fold cross-validation over {len(known)} annotated objects",
    )


def least_confident(
    confidence: np.ndarray, n: int, exclude: np.ndarray | None = None
) -> np.ndarray:
    """Return the rows of the ``n`` least confident objects (the next to annotate).

    Parameters
    ----------
    confidence : array (n_objects,)
    n : int
        How many (fewer when fewer are left).
    exclude : bool array (n_objects,), optional
        Rows never returned (the annotated objects).

    Returns
    -------
    int array
        Rows, least confident first (ties: the lower row first).
    """
    conf = np.asarray(confidence, float).ravel()
    if int(n) < 0:
        raise ValueError(f"n must be at least 0; got {n}")
    rows = np.arange(len(conf))
    if exclude is not None:
        exclude = np.asarray(exclude, bool).ravel()
        if len(exclude) != len(conf):
            raise ValueError(
                f"exclude has {len(exclude)} entries for {len(conf)} objects"
            )
        rows = rows[~exclude]
    order = np.argsort(conf[rows], kind="stable")
    return rows[order[: int(n)]]
