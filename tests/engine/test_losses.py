"""Closed-form gradients against autograd of the formulas in algorithm.md §5."""

import math

import numpy as np
import pytest
import torch

from napari_cne.engine.losses import pair_gradients

LO, HI = 1e-4, 1.0


def c(x):
    return x.clamp(LO, HI)


def reference_loss(loss, d2p, d2n, nu=1.0, rho=1.0, eps=1.0, b=1.0, bt=1.0):
    """The losses written exactly as algorithm.md states them (and NEG's
    kernel exponent b with weight bt: q = 1 / (eps + (1-bt) d2 + bt d2**b))."""
    if loss in ("neg", "nce"):
        dp, dn = (1 - bt) * d2p + bt * d2p**b, (1 - bt) * d2n + bt * d2n**b
        sp = 1.0 / (1.0 + nu * (dp + eps))
        sn = 1.0 / (1.0 + nu * (dn + eps))
        return -torch.log(c(sp)).sum() - torch.log(c(1 - sn)).sum()
    if loss == "umap":
        qp, qn = 1.0 / (eps + d2p), 1.0 / (eps + d2n)
        return -torch.log(c(qp)).sum() - torch.log(c(1 - qn)).sum()
    qp, qn = 1.0 / (eps + d2p), 1.0 / (eps + d2n)
    return 0.5 * (-torch.log(c(qp)).sum() + torch.log(c(qp) + c(qn).sum(1)).sum() / rho)


def random_d2(b=64, m=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    # mix of tiny, moderate and very large distances (clamps active somewhere)
    scale = torch.tensor([1e-3, 1.0, 30.0, 300.0], dtype=torch.float64)
    d2p = (
        torch.rand(b, generator=g, dtype=torch.float64)
        * scale[torch.randint(0, 4, (b,), generator=g)]
    )
    d2n = (
        torch.rand(b, m, generator=g, dtype=torch.float64)
        * scale[torch.randint(0, 4, (b, m), generator=g)]
    )
    return d2p, d2n


@pytest.mark.parametrize(
    "loss,kw",
    [
        ("neg", {"nu": 1.0}),
        ("neg", {"nu": 0.0071}),
        ("neg", {"nu": 18.0}),
        ("neg", {"nu": 1.0, "b": 0.875, "eps": 1e-3}),  # the UMAP end
        ("neg", {"nu": 18.0, "b": 0.8}),
        ("neg", {"nu": 3.0, "b": 0.875, "bt": 0.4}),  # between the ends
        ("nce", {"nu": 5 * 0.2}),
        ("nce", {"nu": 5 * 0.2, "b": 0.9}),
        ("umap", {}),
        ("infonce", {"rho": 1.0}),
        ("infonce", {"rho": 4.0}),
    ],
)
def test_values_and_gradients_match_autograd(loss, kw):
    d2p, d2n = random_d2()
    d2p.requires_grad_(True)
    d2n.requires_grad_(True)
    ref = reference_loss(loss, d2p, d2n, **kw)
    ref.backward()
    out = pair_gradients(loss, d2p.detach(), d2n.detach(), **kw)
    torch.testing.assert_close(out.loss, ref.detach(), rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(out.g_pos, d2p.grad, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(out.g_neg, d2n.grad, rtol=1e-9, atol=1e-12)


def test_gradients_with_eps_zero_umap_kernel():
    # eps = 0: q = 1/d^2 can exceed the upper clamp -> no gradient there
    d2p, d2n = random_d2(seed=3)
    d2p = d2p + 1e-3
    d2n = d2n + 1e-3
    d2p.requires_grad_(True)
    d2n.requires_grad_(True)
    ref = reference_loss("neg", d2p, d2n, nu=1.0, eps=0.0)
    ref.backward()
    out = pair_gradients("neg", d2p.detach(), d2n.detach(), nu=1.0, eps=0.0)
    torch.testing.assert_close(out.g_pos, d2p.grad)
    torch.testing.assert_close(out.g_neg, d2n.grad)


def test_nce_log_z_gradient_matches_autograd():
    d2p, d2n = random_d2(seed=1)
    m = d2n.shape[1]
    theta = torch.tensor(math.log(0.3), dtype=torch.float64, requires_grad=True)
    nu = m * torch.exp(theta)
    sp = 1.0 / (1.0 + nu * (d2p + 1.0))
    sn = 1.0 / (1.0 + nu * (d2n + 1.0))
    ref = -torch.log(c(sp)).sum() - torch.log(c(1 - sn)).sum()
    ref.backward()
    out = pair_gradients("nce", d2p, d2n, nu=float(nu.detach()))
    assert float(out.d_theta) == pytest.approx(float(theta.grad), rel=1e-9)


def test_exaggeration_scales_only_attraction():
    d2p, d2n = random_d2(seed=2)
    base = pair_gradients("neg", d2p, d2n, nu=0.5)
    ex = pair_gradients("neg", d2p, d2n, nu=0.5, exaggeration=4.0)
    torch.testing.assert_close(ex.g_pos, 4.0 * base.g_pos)
    torch.testing.assert_close(ex.g_neg, base.g_neg)
    assert (base.g_pos >= 0).all() and (base.g_neg <= 0).all()


def test_unknown_loss_is_a_clear_error():
    d2p, d2n = random_d2()
    with pytest.raises(ValueError, match="unknown loss 'tsne'"):
        pair_gradients("tsne", d2p, d2n)


@pytest.mark.parametrize(
    "b,bt", [(1.0, 1.0), (0.875, 1.0), (0.8, 1.0), (1.3, 1.0), (0.875, 0.3), (0.8, 0.6)]
)
def test_cpu_kernel_power_matches_its_formula(b, bt):
    from napari_cne.engine.kernels.common import kernel_term as _kpow

    d2 = np.array([0.0, 1e-3, 0.7, 5.0, 400.0], dtype=np.float32)
    f32 = np.float32
    out = np.array([_kpow(f32(x), f32(b), f32(bt)) for x in d2], dtype=np.float64)
    assert np.isfinite(out).all()
    x = d2.astype(np.float64)
    np.testing.assert_allclose(
        out[:, 0], (1 - bt) * x + bt * x**b, rtol=1e-5, atol=1e-6
    )
    slope = (1 - bt) + bt * b * x[1:] ** (b - 1)
    np.testing.assert_allclose(out[1:, 1], slope, rtol=1e-5)


@pytest.mark.parametrize("code,loss", [(0, "neg"), (1, "nce")])
@pytest.mark.parametrize("b,bt", [(1.0, 1.0), (0.875, 1.0), (0.8, 1.0), (0.875, 0.5)])
def test_cpu_kernel_attraction_matches_the_closed_form(code, loss, b, bt):
    """One edge through the CPU kernel (no negatives): the step of both ends
    and the loss are those of ``pair_gradients`` for the same kernel."""
    from napari_cne.engine.kernels.sgd import sgd_window

    nu, eps, lr = 0.7, 1e-3, 1e-3
    Y0 = np.array([[0.3, -1.2], [2.0, 0.5]], dtype=np.float32)
    Y = Y0.copy()
    H, T = np.array([0], np.int32), np.array([1], np.int32)
    loss_cpu, _ = sgd_window(
        Y, H, T, 0, 1, 5, 0, 0, code, nu, 1.0, eps, 1.0, 1.0, lr, 1e9,
        True, 1, 0.0, 1.0, b, bt,
    )  # fmt: skip
    e = (Y0[0] - Y0[1]).astype(np.float64)
    pg = pair_gradients(
        loss,
        torch.tensor([float(e @ e)], dtype=torch.float64),
        torch.zeros((1, 0), dtype=torch.float64),
        nu=nu,
        eps=eps,
        b=b,
        bt=bt,
    )
    step = lr * 2 * float(pg.g_pos[0]) * e  # the tail moves towards the head
    np.testing.assert_allclose(Y[1] - Y0[1], step, rtol=1e-3)
    np.testing.assert_allclose(Y[0] - Y0[0], -step, rtol=1e-3)
    assert loss_cpu == pytest.approx(float(pg.loss), rel=1e-5)


@pytest.mark.parametrize("b,bt", [(1.0, 1.0), (0.875, 1.0), (0.8, 0.6)])
def test_cpu_force_factors_are_the_closed_form_and_the_tables(b, bt):
    """The numba kernels' one pull and one push (``neg_pull``, ``neg_push``)
    are ``pair_gradients``' gradients in ``d2``, scaled by their weight, and
    the tables NEG reads are the same factors."""
    from napari_cne.engine.kernels.common import force_table, neg_pull, neg_push

    nu, eps, f32 = 0.7, 1e-3, np.float32
    d2 = np.array([1e-3, 0.05, 0.7, 5.0, 400.0])
    pull = np.array([neg_pull(f32(x), f32(nu), f32(eps), f32(b), f32(bt), f32(3.0))
                     for x in d2])  # fmt: skip
    push = np.array([neg_push(f32(x), f32(nu), f32(eps), f32(b), f32(bt), f32(-2.0))
                     for x in d2])  # fmt: skip
    pg = pair_gradients(
        "neg",
        torch.tensor(d2),
        torch.tensor(d2)[:, None],
        nu=nu,
        eps=eps,
        b=b,
        bt=bt,
    )
    D = (1 - bt) * d2 + bt * d2**b
    for out in (pull, push):  # NEG's a = nu (D + eps)
        np.testing.assert_allclose(out[:, 0], nu * (D + eps), rtol=1e-5)
    np.testing.assert_allclose(pull[:, 1], 3.0 * pg.g_pos.numpy(), rtol=1e-4)
    np.testing.assert_allclose(push[:, 1], 2.0 * pg.g_neg[:, 0].numpy(), rtol=1e-4)
    table = force_table(nu, eps, b, bt)
    from napari_cne.engine.kernels.common import lookup

    at = np.array([[lookup(table, row, f32(x)) for x in d2] for row in (0, 1)])
    np.testing.assert_allclose(at[0], pull[:, 1] / 3.0, rtol=2e-3)
    np.testing.assert_allclose(at[1], push[:, 1] / 2.0, rtol=2e-3)
