r"""The t-SNE <-> UMAP spectrum: from the position ``s`` to loss parameters.

Damrich et al. (ICLR 2023) show that negative sampling (NEG) with a fixed
normalisation constant :math:`\bar Z` interpolates between t-SNE
(:math:`\bar Z` = the partition function of a t-SNE embedding) and UMAP
(:math:`\bar Z = n^2/m`).  The spectrum position ``s`` interpolates
:math:`\log \bar Z` linearly between the two ends and extrapolates beyond
them::

    log Zbar(s) = (1 - s) * log Z_tsne(n) + s * log Z_umap(n)
    Z_umap(n)   = n**2 / 5                       (s = 1, UMAP-like)
    nu(s)       = m * Zbar(s) / n**2             (the NEG noise ratio)

For InfoNCE the spectrum acts on the weight of the repulsive log-sum term,
``rho(s) = 4**s``.

The t-SNE end
-------------
The reference package uses ``Z_tsne = 100 n``.  That heuristic comes from
MNIST (n = 70 000, measured t-SNE partition function 116 n) and makes the
NEG range ``nu(1) / nu(0) = n / 500``: below 500 points the "t-SNE" end is
*more* attractive than the "UMAP" end and the slider runs backwards.

The quantity the heuristic approximates is the partition function
``Z = sum_{i != j} 1 / (1 + d_ij^2)`` of a t-SNE embedding.  Per point,
``Z / n`` is the summed similarity of a point to all others; it is
dominated by its few dozen close neighbours, and for small data sets it is
bounded by ``n - 1`` and in practice far smaller.  Measured values of
``Z / n`` grow with ``n`` and saturate: 44 for sklearn digits (n = 1 797,
InfoNCE t-SNE), 89-116 for MNIST (n = 70 000), 126-136 for zebrafish and
C. elegans (n = 63 530, 86 024).  We therefore model it as::

    Z_tsne(n) = 100 * n * n / (n + 2000)             ("auto", the default)

which predicts 47 n for digits and 97 n for MNIST, tends to the paper's
100 n for large n, and gives the NEG range
``nu(1) / nu(0) = (n + 2000) / 500 >= 4`` for *every* n, so the slider runs
the right way round from a handful of points to millions.  The reference
heuristic is available as ``tsne_z="reference"``; a number sets
``Z_tsne`` directly.

What the t-SNE end optimises
----------------------------
With the defaults ("auto") on a free layout, three more settings bring the
t-SNE end to t-SNE's loss on the kNN graph: the edges take part with
t-SNE's symmetrisation weights (a pair counts twice where each point is
among the other's nearest, once where one is: :func:`tsne_weight_power`),
the near and far fields repel every pair alike (:mod:`.fields`), and the
attraction is exaggerated 2 x (:func:`exaggeration_factor`) against a
fifth of the modelled normaliser (:data:`TSNE_Z_SHARE`). Each moves
linearly in ``s`` to UMAP's settings at ``s = 1``. Measured against
openTSNE in docs/performance.md.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

__all__ = [
    "SPECTRUM_LOSSES",
    "TSNE_EXAGGERATION",
    "TSNE_NOISE_FACTOR",
    "TSNE_Z_SHARE",
    "Z_TSNE_SATURATION",
    "EpochSpec",
    "SpectrumMap",
    "describe_s",
    "early_s",
    "edge_weight_power",
    "exaggeration_factor",
    "tsne_weight_power",
    "infonce_rho",
    "kernel_mix",
    "kernel_eps",
    "near_field_share",
    "noise_ratio",
    "neg_nu",
    "z_bar",
    "z_tsne",
    "z_umap",
]

#: ``n0`` in ``Z_tsne(n) = 100 n * n / (n + n0)``.
Z_TSNE_SATURATION = 2000.0


def z_tsne(n: int, tsne_z: str | float = "auto") -> float:
    """Return the normalisation constant of the t-SNE end (``s = 0``).

    Parameters
    ----------
    n : int
        Number of points.
    tsne_z : {"auto", "reference"} or float
        ``"auto"``: ``100 n^2 / (n + 2000)`` (see the module docstring);
        ``"reference"``: ``100 n`` as in contrastive-ne 0.4.0; a positive
        number is used as is.

    Returns
    -------
    float
    """
    n = float(n)
    if isinstance(tsne_z, str):
        if tsne_z == "auto":
            return 100.0 * n * n / (n + Z_TSNE_SATURATION)
        if tsne_z == "reference":
            return 100.0 * n
        raise ValueError(
            f"tsne_z must be 'auto', 'reference' or a positive number; got {tsne_z!r}"
        )
    value = float(tsne_z)
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"tsne_z must be a positive finite number; got {tsne_z!r}")
    return value


def z_umap(n: int) -> float:
    """Return the normalisation constant of the UMAP end (``s = 1``): ``n^2 / 5``."""
    return float(n) * float(n) / 5.0


def z_bar(s: float, n: int, tsne_z: str | float = "auto") -> float:
    """Return the NEG normalisation constant for spectrum position ``s``.

    Log-linear in ``s`` through ``z_tsne(n)`` at ``s = 0`` and ``n^2 / 5`` at
    ``s = 1``; any real ``s`` is allowed (``s < 0`` repels more than t-SNE,
    ``s > 1`` attracts more than UMAP).
    """
    lt = math.log(z_tsne(n, tsne_z))
    lu = math.log(z_umap(n))
    return math.exp((1.0 - s) * lt + s * lu)


def neg_nu(s: float, n: int, m: int, tsne_z: str | float = "auto") -> float:
    """Return the NEG noise ratio ``nu = m * Zbar(s) / n^2``."""
    return m * z_bar(s, n, tsne_z) / (float(n) * float(n))


def _towards_umap(s: float) -> float:
    """``s`` clipped to [0, 1]: how far the "auto" settings are from t-SNE's."""
    return min(1.0, max(0.0, float(s)))


#: NEG's noise ratio at the t-SNE end, in units of ``negative_samples``.
TSNE_NOISE_FACTOR = 1000.0


def noise_ratio(s: float, m: int, setting: str | float = "auto") -> float:
    """Return the noise ratio of the NEG objective at spectrum position ``s``.

    NEG with ``m`` noise samples per positive pair has the posterior
    ``q / (q + m Zbar / n^2)``; as the noise ratio grows at fixed ``Zbar``
    it turns into t-SNE's loss with the normaliser held at ``Zbar``
    (attraction ``q``, repulsion ``n^2 q^2 / (m Zbar)`` per negative), which
    is the NCE-to-MLE limit of the paper. The noise ratio of the objective
    need not equal the number of negatives drawn: drawing ``m`` and giving
    each the weight ``noise_ratio / m`` is an unbiased estimate of the same
    gradient.

    Parameters
    ----------
    s : float
        Spectrum position.
    m : int
        Negatives drawn per positive pair (``negative_samples``).
    setting : "auto" or float
        ``"auto"``: ``m * 1000**(1 - s)`` clipped to ``[m, 1000 m]``, i.e.
        the large-ratio limit at ``s <= 0`` (t-SNE-like), exactly ``m`` at
        ``s >= 1`` (UMAP's loss, ``nu = 1``), log-linear between. A number
        is used at every ``s``; ``noise_ratio=negative_samples`` is the
        reference package's NEG.

    Returns
    -------
    float
    """
    if isinstance(setting, str):
        if setting != "auto":
            raise ValueError(
                f"noise_ratio must be 'auto' or a positive number; got {setting!r}"
            )
        return m * TSNE_NOISE_FACTOR ** (1.0 - _towards_umap(s))
    value = float(setting)
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(
            f"noise_ratio must be a positive finite number; got {setting!r}"
        )
    return value


#: Kernel offset at the UMAP end (``eps="auto"``).
UMAP_EPS = 1e-3


def kernel_eps(s: float) -> float:
    """Return the kernel offset ``eps`` of ``q = 1 / (eps + d^2)`` at ``s``.

    ``eps="auto"``: 1 at ``s <= 0`` (t-SNE's Cauchy kernel), ``1e-3`` at
    ``s >= 1`` (UMAP's similarity is ``1 / (1 + a d^2b)`` with ``a ~ 1.6``,
    ``b ~ 0.9``, close to ``1 / d^2b``: the paper's eps -> 0; for the
    exponent see :func:`kernel_mix`), log-linear between. It sharpens the
    UMAP end without moving the spread much (measurements: docs/engine.md).
    """
    return UMAP_EPS ** _towards_umap(s)


#: Kernel exponent at the UMAP end (``b="auto"``).
UMAP_B = 0.875


def kernel_mix(s: float) -> float:
    """Return the weight ``t`` of the heavy tail at ``s`` (``b="auto"``).

    The kernel is ``1 / (eps + (1 - t) d^2 + t d^(2 UMAP_B))``: t-SNE's
    Cauchy kernel at ``s <= 0`` (``t = 0``), ``1 / (eps + d^(7/4))`` at
    ``s >= 1``, linear in ``s`` between, so the layout moves continuously.
    umap-learn's similarity ``1 / (1 + a d^2b)`` has ``b = 0.895`` at its
    defaults (``min_dist=0.1``); 7/8 is as close and is three square roots
    in the kernels instead of a ``pow`` (which would cost a third of the
    epoch; a blend of the two terms costs no more at any ``s``). The
    heavier tail keeps more neighbours at the UMAP end (docs/engine.md).
    """
    return _towards_umap(s)


def edge_weight_power(s: float) -> float:
    """Return ``p``: an edge of fuzzy weight ``w`` takes part with ``w**p``.

    ``edge_weights="auto"``: 0 at ``s <= 0`` (every edge, the binary graph
    of t-SNE's end), 1 at ``s >= 1`` (umap-learn's sampling), linear between.
    """
    return _towards_umap(s)


def tsne_weight_power(s: float) -> float:
    """Return the power of an edge's t-SNE weight in its participation.

    ``edge_weights="auto"``: 1 at ``s <= 0`` (an edge takes part with its
    t-SNE weight, 1 or 1/2: :func:`.graph.tsne_weights`), 0 at ``s >= 1``,
    linear between (the complement of :func:`edge_weight_power`).
    """
    return 1.0 - _towards_umap(s)


#: Attraction factor at the t-SNE end (``exaggeration="auto"``).
TSNE_EXAGGERATION = 2.0
#: ``tsne_z="auto"`` with ``exaggeration="auto"`` on a free NEG layout: the
#: normaliser of the t-SNE end as a share of :func:`z_tsne` (the pair of
#: :data:`TSNE_EXAGGERATION`; either set by hand leaves both out);
#: the share moves log-linearly to 1 at ``s = 1``, and ``s < 0`` keeps it
#: (beyond the ends the normaliser moves as before, from the new t-SNE end).
TSNE_Z_SHARE = 0.2


def exaggeration_factor(s: float, setting: str | float = "auto") -> float:
    """Return the factor on the attraction of a run towards ``s``.

    ``"auto"``: :data:`TSNE_EXAGGERATION` at ``s <= 0``, 1 at ``s >= 1``,
    log-linear between; a number is used at every ``s``.
    """
    if isinstance(setting, str):
        if setting != "auto":
            raise ValueError(
                f"exaggeration must be 'auto' or a positive number; got {setting!r}"
            )
        return TSNE_EXAGGERATION ** (1.0 - _towards_umap(s))
    number = isinstance(setting, numbers.Real) and not isinstance(setting, bool)
    if not (number and setting > 0 and math.isfinite(setting)):
        raise ValueError(
            f"exaggeration must be 'auto' or a positive number; got {setting!r}"
        )
    return float(setting)


def near_field_share(s: float) -> float:
    """Return the share of NEG's close-pair repulsion computed exactly.

    ``near_field``: 1 at ``s <= 0`` (the drawn negatives stand for many and
    their close hits are clipped), 0 at ``s >= 1`` (umap-learn's estimate),
    linear between, so the layout moves continuously with ``s``.
    """
    return 1.0 - _towards_umap(s)


def infonce_rho(s: float) -> float:
    """Return InfoNCE's repulsion down-weighting ``rho = 4**s``."""
    return 4.0**s


def describe_s(s: float) -> str:
    """Plain-language position on the spectrum (0 = t-SNE, 1 = UMAP)."""
    s = float(s)
    if s < -0.25:
        return "beyond t-SNE: more repulsion"
    if s <= 0.2:
        return "t-SNE-like"
    if s < 0.8:
        return "between t-SNE and UMAP"
    if s <= 1.25:
        return "UMAP-like"
    return "beyond UMAP: tighter clusters"


#: The losses whose constants follow ``s`` (the others ignore it).
SPECTRUM_LOSSES = ("neg", "infonce")


def early_s(s: float, loss: str) -> float:
    """Return the spectrum position of the early-exaggeration phase.

    ``max(s, 1)`` for the losses that follow the spectrum (algorithm.md §7),
    ``s`` otherwise.
    """
    return max(s, 1.0) if loss in SPECTRUM_LOSSES else s


@dataclass(frozen=True)
class EpochSpec:
    """What one epoch at spectrum position ``s`` computes, resolved once.

    The kernel is ``q = 1 / (eps + (1 - blend) d^2 + blend d^(2 b))``
    (``b`` and ``blend`` matter for NEG and NCE only).

    Attributes
    ----------
    s : float
        Spectrum position.
    eps, b, blend : float
        Kernel offset, exponent and the exponent's weight.
    edge_power, tsne_power : float
        An edge of fuzzy weight ``w`` and t-SNE weight ``w_t`` takes part
        in the epoch with probability ``w ** edge_power * w_t **
        tsne_power`` (both 0: every edge).
    nu : float or None
        NEG's fixed noise ratio ``nu = noise_ratio * Zbar / n^2``; None for
        NCE, whose ``nu`` is learned (:class:`~.losses.NceNormaliser`); 1
        for the other losses (unused).
    neg_weight : float
        Weight of each drawn negative (NEG: ``noise_ratio / m``; else 1).
    near_share : float
        NEG: share of the close-pair repulsion computed exactly by the near
        field (0 elsewhere).
    rho : float
        InfoNCE's repulsion down-weighting ``4**s`` (1 elsewhere).
    z_bar : float or None
        NEG's normaliser ``Zbar(s)``.
    noise_ratio : float or None
        NEG's noise ratio of the objective.
    """

    s: float
    eps: float
    b: float = 1.0
    blend: float = 1.0
    edge_power: float = 0.0
    tsne_power: float = 0.0
    nu: float | None = 1.0
    neg_weight: float = 1.0
    near_share: float = 0.0
    rho: float = 1.0
    z_bar: float | None = None
    noise_ratio: float | None = None


@dataclass(frozen=True)
class SpectrumMap:
    """How one model's settings turn a spectrum position into an :class:`EpochSpec`.

    The "auto" settings follow ``s`` for NEG on a free layout only: InfoNCE
    and UMAP clamp ``q`` at 1 (they need ``eps ~ 1``), NCE ignores ``s``,
    and the parametric network learned worse with them.

    Parameters
    ----------
    loss : str
        Loss mode.
    n : int
        Number of points.
    negative_samples : int
        Negatives drawn per edge (``m``).
    parametric : bool
        Whether a network makes the layout.
    noise_ratio, tsne_z, eps, b, exaggeration : "auto" or float
        The estimator's parameters of the same names.
    edge_weights : {"auto", "fuzzy", "binary"}
        The estimator's parameter.
    """

    loss: str
    n: int
    negative_samples: int
    parametric: bool = False
    noise_ratio: str | float = "auto"
    tsne_z: str | float = "auto"
    eps: str | float = "auto"
    b: str | float = "auto"
    edge_weights: str = "auto"
    exaggeration: str | float = "auto"

    @classmethod
    def of(cls, params: dict, n: int) -> SpectrumMap:
        """Return the map of estimator parameters (``get_params()``) for n rows."""
        return cls(
            loss=params["loss"],
            n=n,
            negative_samples=int(params["negative_samples"]),
            parametric=bool(params["parametric"]),
            noise_ratio=params["noise_ratio"],
            tsne_z=params["tsne_z"],
            eps=params["eps"],
            b=params["b"],
            edge_weights=params["edge_weights"],
            exaggeration=params["exaggeration"],
        )

    @property
    def _sharp(self) -> bool:
        # the "auto" settings follow s (see the class docstring)
        return self.loss == "neg" and not self.parametric

    @property
    def _tsne_pair(self) -> bool:
        # the t-SNE end's exaggeration and normaliser share: a pair, both "auto"
        auto = self.tsne_z == "auto" and self.exaggeration == "auto"
        return self._sharp and auto

    def exaggeration_at(self, s: float, setting: str | float | None = None) -> float:
        """Return the attraction factor of a run towards ``s`` (all its epochs).

        ``setting``: "auto" or a number, for this run (None: the model's).

        ``"auto"`` follows ``s`` (:func:`exaggeration_factor`) where the other
        "auto" settings do and ``tsne_z`` is "auto" too (the exaggeration and
        :data:`TSNE_Z_SHARE` are a pair), and is 1 elsewhere.
        """
        setting = self.exaggeration if setting is None else setting
        if setting == "auto" and not self._tsne_pair:
            return 1.0
        return exaggeration_factor(s, setting)

    def at(self, s: float) -> EpochSpec:
        """Return the epoch specification at spectrum position ``s``."""
        m = int(self.negative_samples)
        sharp = self._sharp
        eps = self.eps
        if isinstance(eps, str):  # "auto"
            eps = kernel_eps(s) if sharp else 1.0
        b, blend = self.b, 1.0
        if isinstance(b, str):  # "auto": as eps
            b, blend = (UMAP_B, kernel_mix(s)) if sharp else (1.0, 1.0)
        tsne_power = 0.0
        if self.edge_weights == "fuzzy":
            edge_power = 1.0
        elif not sharp:
            # the other losses ignore s or were not measured with weights, and
            # thinning the edges costs the network Adam steps
            edge_power = 0.0
        else:  # binary: every edge every epoch (the graph's weights are all 1)
            edge_power = edge_weight_power(s)
            if self.edge_weights == "auto":
                tsne_power = tsne_weight_power(s)
        common = {"s": s, "eps": float(eps), "b": float(b), "blend": float(blend)}
        common["edge_power"], common["tsne_power"] = edge_power, tsne_power
        if self.loss == "neg":
            ratio = noise_ratio(s, m, self.noise_ratio)
            zb = z_bar(s, self.n, self.tsne_z)
            if self._tsne_pair:  # the t-SNE end's share (with its exaggeration)
                zb *= TSNE_Z_SHARE ** (1.0 - _towards_umap(s))
            return EpochSpec(
                **common,
                nu=ratio * zb / (float(self.n) * float(self.n)),
                neg_weight=ratio / m,
                near_share=near_field_share(s),
                z_bar=zb,
                noise_ratio=ratio,
            )
        if self.loss == "infonce":
            return EpochSpec(**common, rho=infonce_rho(s))
        if self.loss == "nce":
            return EpochSpec(**common, nu=None)
        return EpochSpec(**common)
