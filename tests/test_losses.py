"""Closed-form gradients against autograd of the formulas in algorithm.md §5."""

import math

import pytest
import torch

from napari_cne.losses import pair_gradients

LO, HI = 1e-4, 1.0


def c(x):
    return x.clamp(LO, HI)


def reference_loss(loss, d2p, d2n, nu=1.0, rho=1.0, eps=1.0, b=1.0):
    """The losses written exactly as algorithm.md states them (and NEG's
    kernel exponent b: q = 1 / (eps + d2**b))."""
    if loss in ("neg", "nce"):
        sp = 1.0 / (1.0 + nu * (d2p**b + eps))
        sn = 1.0 / (1.0 + nu * (d2n**b + eps))
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
