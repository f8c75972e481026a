"""The spectrum mapping s -> Zbar / nu / rho, and NCE's learned normaliser."""

import math

import numpy as np
import pytest

from napari_cne import ContrastiveEmbedding, infonce_rho, neg_nu, z_bar
from napari_cne.engine import spectrum
from napari_cne.engine.metrics import neighbor_preservation

from .._data import digits_graph, mnist_pca


@pytest.mark.parametrize("n", [300, 1797, 70_000, 1_000_000])
def test_reference_mapping_ends_and_log_linearity(n):
    assert z_bar(0.0, n, "reference") == pytest.approx(100.0 * n)
    assert z_bar(1.0, n, "reference") == pytest.approx(n * n / 5.0)
    mid = math.sqrt(100.0 * n * n * n / 5.0)
    assert z_bar(0.5, n, "reference") == pytest.approx(mid)
    # beyond the ends: straight continuation of the line in log space
    ratio = (n * n / 5.0) / (100.0 * n)
    assert z_bar(2.0, n, "reference") == pytest.approx(n * n / 5.0 * ratio)
    assert z_bar(-1.0, n, "reference") == pytest.approx(100.0 * n / ratio)
    assert z_bar(-1.0, n, "reference") == pytest.approx(5e4)  # algorithm.md §6
    s = np.linspace(-2, 3, 11)
    logs = np.log([z_bar(v, n, "reference") for v in s])
    np.testing.assert_allclose(np.diff(logs, 2), 0.0, atol=1e-9)


def test_nu_table_of_algorithm_md():
    # algorithm.md §6, m = 5
    assert neg_nu(0.0, 1797, 5, "reference") == pytest.approx(0.278, abs=1e-3)
    assert neg_nu(1.0, 1797, 5, "reference") == pytest.approx(1.0)
    assert neg_nu(2.0, 1797, 5, "reference") == pytest.approx(3.59, abs=1e-2)
    assert neg_nu(0.0, 70_000, 5, "reference") == pytest.approx(0.00714, abs=1e-5)
    assert neg_nu(-1.0, 70_000, 5, "reference") == pytest.approx(5.1e-5, abs=1e-6)
    # s = 1 is Zbar = n^2/5 for any m (nu = m / 5)
    assert neg_nu(1.0, 1000, 10, "reference") == pytest.approx(2.0)


@pytest.mark.parametrize("n", [10, 20, 300, 499, 500, 1797, 20_000, 10**7])
def test_auto_normaliser_runs_the_right_way_round_for_every_n(n):
    nu = [neg_nu(s, n, 5) for s in (-1.0, 0.0, 0.5, 1.0, 2.0)]
    assert all(a < b for a, b in zip(nu, nu[1:]))
    assert nu[3] / nu[1] == pytest.approx((n + spectrum.Z_TSNE_SATURATION) / 500.0)
    assert nu[3] == pytest.approx(1.0)  # the UMAP end is unchanged
    # the reference heuristic runs backwards below 500 points
    if n < 500:
        assert neg_nu(0.0, n, 5, "reference") > neg_nu(1.0, n, 5, "reference")


def test_auto_normaliser_tends_to_the_paper_value_for_large_n():
    n = 10**7
    assert spectrum.z_tsne(n) / (100.0 * n) == pytest.approx(1.0, rel=1e-3)
    # digits: measured t-SNE partition function 44 n (algorithm.md §16)
    assert spectrum.z_tsne(1797) / 1797 == pytest.approx(47.3, abs=0.1)


def test_tsne_z_validation():
    with pytest.raises(ValueError, match="tsne_z"):
        spectrum.z_tsne(100, "paper")
    with pytest.raises(ValueError, match="tsne_z"):
        spectrum.z_tsne(100, -3.0)
    assert spectrum.z_tsne(100, 1234.0) == 1234.0


def test_infonce_rho():
    assert infonce_rho(0) == 1.0
    assert infonce_rho(1) == 4.0
    assert infonce_rho(0.5) == pytest.approx(2.0)
    assert infonce_rho(-1) == pytest.approx(0.25)


def test_fitted_attributes_follow_s():
    G = digits_graph()
    kw = {"s": 0.0, "n_epochs": 3, "random_state": 0, "tsne_z": "reference"}
    m = ContrastiveEmbedding(noise_ratio=5, **kw).fit(graph=G)
    assert m.z_bar_ == pytest.approx(100 * 1797)
    assert m.nu_ == pytest.approx(0.278, abs=1e-3)  # the reference's NEG
    m.optimize(2, s=1.0)
    assert m.s_ == 1.0 and m.nu_ == pytest.approx(1.0)
    # "auto": 1000 x the negatives at s <= 0, the negatives at s >= 1
    m = ContrastiveEmbedding(**kw).fit(graph=G)
    assert m.noise_ratio_ == 5000 and m.nu_ == pytest.approx(278.2, abs=0.1)
    assert m.z_bar_ == pytest.approx(100 * 1797)  # the spectrum position stays
    m.optimize(2, s=0.5)
    assert m.noise_ratio_ == pytest.approx(5 * 1000**0.5)
    m.optimize(2, s=1.0)
    assert m.noise_ratio_ == 5 and m.nu_ == pytest.approx(1.0)
    m.optimize(2, s=2.0)
    assert m.noise_ratio_ == 5
    inf = ContrastiveEmbedding(loss="infonce", s=0.5, n_epochs=2, random_state=0)
    assert inf.fit(graph=G).rho_ == pytest.approx(2.0)


def test_nce_learns_its_normaliser():
    """NCE's log Z moves from 1 by at most 0.001 * 4 per step (algorithm.md §5.2)."""
    G = digits_graph()
    # the reference's batch (our CPU default takes smaller steps on small graphs)
    m = ContrastiveEmbedding(loss="nce", n_epochs=200, batch_size=32768, random_state=0)
    m.fit(graph=G)
    steps = 200 * math.ceil(G.nnz / 32768)
    # digits: Z decreases and hits the rate limit exp(-0.004 * steps) = 0.20
    assert m.z_ < 1.0
    assert m.z_ == pytest.approx(math.exp(-0.004 * steps), rel=0.05)
    # on a larger graph with more steps Z can settle below the limit
    m2 = ContrastiveEmbedding(loss="nce", n_epochs=100, batch_size=4096, random_state=0)
    m2.fit(graph=G)
    steps2 = 100 * math.ceil(G.nnz / 4096)
    assert m2.z_ > math.exp(-0.004 * steps2) * 1.5  # not pinned at the limit
    assert 0.01 < m2.z_ < 0.5


def test_kernel_exponent_follows_s_for_neg_only():
    assert spectrum.kernel_mix(-1.0) == spectrum.kernel_mix(0.0) == 0.0
    assert spectrum.kernel_mix(1.0) == spectrum.kernel_mix(2.0) == 1.0
    assert spectrum.kernel_mix(0.5) == 0.5
    G = digits_graph()
    m = ContrastiveEmbedding(s=0.0, n_epochs=2, random_state=0).fit(graph=G)
    assert (m.b_, m.b_weight_) == (0.875, 0.0)  # t-SNE's kernel
    m.optimize(2, s=1.0)
    assert (m.b_, m.b_weight_) == (0.875, 1.0)
    m.optimize(2, s=0.5)
    assert (m.b_, m.b_weight_) == (0.875, 0.5)
    for kw in ({"loss": "nce"}, {"loss": "infonce"}, {"loss": "umap"}):
        assert ContrastiveEmbedding(s=1.0, n_epochs=2, **kw).fit(graph=G).b_ == 1.0


def test_kernel_exponent_reaches_the_kernel():
    # the same start, one epoch: the heavy tail moves the layout differently,
    # a fixed b acts at every s, and b = 1 is the Cauchy kernel whatever s
    G = digits_graph()
    # (one thread: lock-free threads would differ run to run)
    kw = {"n_epochs": 1, "random_state": 0, "early_exaggeration": False, "n_jobs": 1}

    def run(**more):
        return ContrastiveEmbedding(**kw, **more).fit(graph=G).embedding_

    assert not np.allclose(run(s=1.0), run(s=1.0, b=1.0))
    assert not np.allclose(run(s=0.0, b=0.875), run(s=0.0))
    np.testing.assert_array_equal(run(s=0.0), run(s=0.0, b=1.0))


@pytest.mark.parametrize(
    "kw,match",
    [
        ({"b": 0}, "b must be"),
        ({"b": -0.5}, "b must be"),
        ({"b": float("nan")}, "b must be"),
        ({"b": "fast"}, "b must be"),
        ({"b": 0.9, "loss": "infonce"}, "b applies to the 'neg' and 'nce'"),
    ],
)
def test_bad_kernel_exponent_is_a_clear_error(kw, match):
    with pytest.raises(ValueError, match=match):
        ContrastiveEmbedding(n_epochs=2, **kw).fit(graph=digits_graph())


def test_heavier_tail_keeps_more_neighbours_at_the_umap_end():
    # MNIST-10k, s = 1: NP@15 0.329 with b = 7/8 ("auto"), 0.305 with the
    # Cauchy kernel (70k: 0.14 vs 0.12, umap-learn 0.125)
    X, _ = mnist_pca(10000)
    np15 = {}
    for b in ("auto", 1.0):
        Y = ContrastiveEmbedding(s=1.0, b=b, random_state=0).fit_transform(X)
        np15[b] = neighbor_preservation(X, Y, 15, n_queries=2000)
    assert np15["auto"] > np15[1.0] + 0.01, np15
