"""The pretraining lab's math against independent references: the RBM's formulas by hand and by
enumerating its joint distribution, CD-k against autograd of the free energy, the sparse
autoencoder against autograd, backpropagation and the update rules against torch, logistic
regression and the RBM against scikit-learn."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.pretrain import autoencoder as A
from engine.pretrain import classify
from engine.pretrain import net as N
from engine.pretrain import rbm as R
from engine.pretrain import table as T
from engine.pretrain.data import bars_and_stripes, load_digits

# A tiny RBM, 4 visible × 3 hidden, with numbers small enough to follow by hand.
W4 = np.array([[0.5, -1.0, 0.25, 0.0], [1.5, 0.5, -0.5, 2.0], [-0.75, 0.0, 1.0, -1.25]])
B4 = np.array([0.1, -0.2, 0.3, 0.0])
C4 = np.array([-0.5, 0.25, 0.0])


def tiny() -> R.RBM:
    return R.RBM(W4.copy(), B4.copy(), C4.copy())


def states(n: int):
    return [np.array(s, dtype=float) for s in itertools.product((0, 1), repeat=n)]


def joint(rbm: R.RBM) -> dict[tuple, float]:
    """Unnormalised exp(hᵀW x + bᵀx + cᵀh) for every (x, h): the lecture's P(x, h) ∝ … literally."""
    return {(tuple(x), tuple(h)): math.exp(h @ rbm.W @ x + rbm.b @ x + rbm.c @ h)
            for x in states(rbm.visible) for h in states(rbm.hidden)}


# --- the RBM --------------------------------------------------------------------------------

def test_tiny_rbm_conditionals_by_hand():
    m = tiny()
    x = np.array([1.0, 0.0, 1.0, 1.0])
    # P(h_1 = 1 | x) = σ(c_1 + W_10 + W_12 + W_13) = σ(0.25 + 1.5 − 0.5 + 2.0) = σ(3.25)
    assert R.hidden_probs(m, x[None])[0, 1] == pytest.approx(1 / (1 + math.exp(-3.25)), abs=1e-15)
    by_hand = [1 / (1 + math.exp(-(C4[i] + sum(W4[i, j] * x[j] for j in range(4))))) for i in range(3)]
    np.testing.assert_allclose(R.hidden_probs(m, x[None])[0], by_hand, atol=1e-15)
    h = np.array([1.0, 0.0, 1.0])
    by_hand = [1 / (1 + math.exp(-(B4[j] + sum(W4[i, j] * h[i] for i in range(3))))) for j in range(4)]
    np.testing.assert_allclose(R.visible_probs(m, h[None])[0], by_hand, atol=1e-15)


def test_conditionals_match_the_joint_distribution():
    """P(h_i = 1 | x) summed out of P(x, h) ∝ exp(hᵀWx + bᵀx + cᵀh) equals the σ formula."""
    m = tiny()
    p = joint(m)
    for x in states(4):
        total = sum(v for (xx, _), v in p.items() if xx == tuple(x))
        for i in range(3):
            on = sum(v for (xx, hh), v in p.items() if xx == tuple(x) and hh[i] == 1)
            assert R.hidden_probs(m, x[None])[0, i] == pytest.approx(on / total, rel=1e-12)
    for h in states(3):
        total = sum(v for (_, hh), v in p.items() if hh == tuple(h))
        for j in range(4):
            on = sum(v for (xx, hh), v in p.items() if hh == tuple(h) and xx[j] == 1)
            assert R.visible_probs(m, h[None])[0, j] == pytest.approx(on / total, rel=1e-12)


def test_exact_log_likelihood_by_enumeration():
    m = tiny()
    p = joint(m)
    Z = sum(p.values())
    assert R.log_partition(m) == pytest.approx(math.log(Z), rel=1e-13)
    assert R.log_partition_hidden(m) == pytest.approx(R.log_partition_visible(m), rel=1e-13)
    data = np.array([[1, 0, 1, 1], [0, 1, 0, 0], [1, 1, 1, 1]], dtype=float)
    marginal = [sum(v for (xx, _), v in p.items() if xx == tuple(x)) / Z for x in data]
    assert R.log_likelihood(m, data) == pytest.approx(np.mean(np.log(marginal)), rel=1e-12)


def test_bars_and_stripes_reference_values():
    x = bars_and_stripes()
    assert len(x) == 14
    assert R.best_log_likelihood(x) == pytest.approx(-math.log(14))  # −2.64
    zero = R.RBM(np.zeros((6, 9)), np.zeros(9), np.zeros(6))
    assert R.log_likelihood(zero, x) == pytest.approx(-9 * math.log(2))  # −6.24


@pytest.mark.parametrize("k", [1, 3, 10])
def test_cd_k_is_the_difference_of_free_energy_gradients(k):
    rng = np.random.default_rng(k)
    m = R.RBM(rng.normal(0, 0.5, (5, 7)), rng.normal(0, 0.5, 7), rng.normal(0, 0.5, 5))
    x = (rng.random((6, 7)) < 0.5).astype(float)
    chain = R.gibbs_chain(m, x, k, rng)
    g = R.cd_gradient(chain)
    Wt, bt, ct = (torch.tensor(a, requires_grad=True) for a in (m.W, m.b, m.c))

    def free(v):
        v = torch.from_numpy(v)
        return -(v @ bt) - F.softplus(v @ Wt.T + ct).sum(dim=1)

    (free(chain.xk).mean() - free(chain.x0).mean()).backward()
    np.testing.assert_allclose(g.W, Wt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(g.b, bt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(g.c, ct.grad.numpy(), atol=1e-12)
    # and written as the lecture writes it: ⟨x hᵀ⟩_data − ⟨x hᵀ⟩_model
    np.testing.assert_allclose(g.W, chain.ph0.T @ chain.x0 / 6 - chain.phk.T @ chain.xk / 6, atol=1e-15)


def test_log_likelihood_rises_under_cd1_on_a_seeded_toy_set():
    x = bars_and_stripes()
    rng = np.random.default_rng(0)
    m = R.init(9, 6, rng)
    start = R.log_likelihood(m, x)
    history = []
    for _ in range(6):
        for _ in range(100):
            m = R.epoch(m, x, 1, 0.5, 14, rng)
        history.append(R.log_likelihood(m, x))
    assert history[-1] > start + 1.5
    assert history[-1] > history[2] > start


def test_unrolled_net_is_the_stack():
    rng = np.random.default_rng(0)
    rbms = [R.init(64, 20, rng), R.init(20, 10, rng)]
    rbms = [R.RBM(m.W + rng.normal(0, 0.3, m.W.shape), m.b, m.c + 0.1) for m in rbms]
    layers = R.unroll(rbms)
    assert np.array_equal(layers[0][0], rbms[0].W) and np.array_equal(layers[0][1], rbms[0].c)
    x = load_digits(0, True).train.x[:5]
    outs = N.forward(layers + [N.init_layer(10, 10, "default", rng)], x)
    np.testing.assert_allclose(outs[1], R.hidden_probs(rbms[0], x), atol=1e-15)
    np.testing.assert_allclose(outs[2], R.hidden_probs(rbms[1], R.hidden_probs(rbms[0], x)), atol=1e-15)


def test_cd1_reconstruction_within_1_5x_of_scikit_learn():
    """BernoulliRBM trains with persistent CD-1 and reports pseudo-likelihood; its mean-field
    reconstruction error is computed here by hand from its parameters."""
    from sklearn.neural_network import BernoulliRBM

    d = load_digits(0, True)
    sk = BernoulliRBM(n_components=100, learning_rate=0.1, batch_size=10, n_iter=20, random_state=0).fit(d.train.x)
    ph = 1 / (1 + np.exp(-(d.test.x @ sk.components_.T + sk.intercept_hidden_)))
    recon = 1 / (1 + np.exp(-(ph @ sk.components_ + sk.intercept_visible_)))
    theirs = float(np.mean((recon - d.test.x) ** 2))
    assert 0.03 < theirs < 0.08  # about 0.05
    rng = np.random.default_rng(0)
    m = R.init(64, 100, rng)
    for _ in range(20):
        m = R.epoch(m, d.train.x, 1, 0.1, 10, rng)
    ours = R.recon_error(m, d.test.x)
    assert ours <= 1.5 * theirs, (ours, theirs)


# --- sparse autoencoders --------------------------------------------------------------------

@pytest.mark.parametrize("loss", A.LOSSES)
def test_sparsity_penalty_and_gradient_match_autograd(loss):
    rng = np.random.default_rng(3)
    ae = A.init(9, 5, rng)
    ae = A.AE(ae.W, rng.normal(0, 0.5, 5), ae.V, rng.normal(0, 0.5, 9))
    x = rng.random((12, 9))
    s = A.Settings(beta=3.0, rho=0.1, decay=1e-3, loss=loss)
    p = A.forward_backward(ae, x, s)
    W, b, V, d = (torch.tensor(a, requires_grad=True) for a in (ae.W, ae.b, ae.V, ae.d))
    xt = torch.from_numpy(x)
    a = torch.sigmoid(xt @ W.T + b)
    xh = torch.sigmoid(a @ V.T + d)
    recon = (0.5 * ((xh - xt) ** 2).sum() if loss == "squared"
             else F.binary_cross_entropy(xh, xt, reduction="sum")) / 12
    rho_hat = a.mean(dim=0)
    kl = (0.1 * torch.log(0.1 / rho_hat) + 0.9 * torch.log(0.9 / (1 - rho_hat))).sum()
    J = recon + 3.0 * kl + 0.5e-3 * ((W ** 2).sum() + (V ** 2).sum())
    J.backward()
    assert p.sparsity == pytest.approx(3.0 * kl.item(), rel=1e-12)
    assert p.recon == pytest.approx(recon.item(), rel=1e-12)
    assert p.loss == pytest.approx(J.item(), rel=1e-12)
    np.testing.assert_allclose(p.rho_hat, rho_hat.detach().numpy(), atol=1e-15)
    for ours, ref in ((p.grads.W, W), (p.grads.b, b), (p.grads.V, V), (p.grads.d, d)):
        np.testing.assert_allclose(ours, ref.grad.numpy(), atol=1e-12)


def test_sparsity_pulls_mean_activation_to_rho():
    x = load_digits(0, False).train.x
    rng = np.random.default_rng(0)
    ae = A.init(64, 32, rng)
    s = A.Settings(beta=3.0, rho=0.05)
    for _ in range(30):
        ae = A.epoch(ae, x, s, 1.0, 20, rng)
    rho_hat = A.forward_backward(ae, x, s).rho_hat
    assert abs(rho_hat.mean() - 0.05) < 0.02
    free = A.init(64, 32, np.random.default_rng(0))
    for _ in range(30):
        free = A.epoch(free, x, A.Settings(beta=0.0), 1.0, 20, rng)
    assert A.forward_backward(free, x, s).rho_hat.mean() > 2 * rho_hat.mean()


# --- supervised nets ------------------------------------------------------------------------

@pytest.mark.parametrize("activation", N.ACTIVATIONS)
def test_backprop_matches_autograd(activation):
    rng = np.random.default_rng(1)
    layers = N.init_layers([7, 6, 5, 4], "glorot", rng)
    layers = [(W, rng.normal(0, 0.2, c.shape)) for W, c in layers]
    x, y = rng.random((9, 7)), rng.integers(0, 4, 9)
    loss, grads = N.gradients(layers, x, y, activation)
    params = [torch.tensor(a, requires_grad=True) for layer in layers for a in layer]
    h = torch.from_numpy(x)
    for i in range(3):
        h = h @ params[2 * i].T + params[2 * i + 1]
        if i < 2:
            h = torch.sigmoid(h) if activation == "sigmoid" else torch.relu(h)
    ref = F.cross_entropy(h, torch.from_numpy(y))
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    for i, (gW, gc) in enumerate(grads):
        np.testing.assert_allclose(gW, params[2 * i].grad.numpy(), atol=1e-13)
        np.testing.assert_allclose(gc, params[2 * i + 1].grad.numpy(), atol=1e-13)
    _, top = N.gradients(layers, x, y, activation, down_to=2)
    assert top[0] is None and top[1] is None and np.array_equal(top[2][0], grads[2][0])


@pytest.mark.parametrize("rule", ["sgd", "adam"])
def test_update_rules_match_torch_optim(rule):
    rng = np.random.default_rng(2)
    layers = N.init_layers([5, 4, 3], "default", rng)
    x, y = rng.random((8, 5)), rng.integers(0, 3, 8)
    params = [torch.tensor(a, requires_grad=True) for layer in layers for a in layer]
    opt = torch.optim.Adam(params, lr=0.01) if rule == "adam" else torch.optim.SGD(params, lr=0.3)
    ours = N.Optimizer(N.Fit(lr=0.01 if rule == "adam" else 0.3, optimizer=rule))
    for _ in range(5):
        _, grads = N.gradients(layers, x, y)
        layers = ours.update(layers, grads)
        h = torch.sigmoid(torch.from_numpy(x) @ params[0].T + params[1]) @ params[2].T + params[3]
        opt.zero_grad()
        F.cross_entropy(h, torch.from_numpy(y)).backward()
        opt.step()
    for mine, ref in zip([a for layer in layers for a in layer], params):
        np.testing.assert_allclose(mine, ref.detach().numpy(), atol=1e-12)


def test_frozen_layers_stay_bit_identical():
    d = load_digits(0, False)
    rng = np.random.default_rng(0)
    start = N.init_layers([64, 30, 20, 10], "default", rng)
    fits = list(N.fit(N.copy(start), d, N.Fit(lr=0.5, batch=10, frozen=2), 3, "sigmoid", rng))
    end = fits[-1][1]
    for (W0, c0), (W1, c1) in zip(start[:2], end[:2]):
        assert np.array_equal(W0, W1) and np.array_equal(c0, c1)
    assert not np.array_equal(start[2][0], end[2][0])
    assert N.change_norms(start, end)[:2] == [0.0, 0.0]


def test_logistic_regression_matches_scikit_learn():
    from sklearn.linear_model import LogisticRegression

    d = load_digits(0, True)
    ours = classify.fit(d.train.x, d.train.y)
    theirs = LogisticRegression(max_iter=10_000, tol=1e-10).fit(d.train.x, d.train.y)
    np.testing.assert_allclose(ours.W, theirs.coef_, atol=1e-3)
    np.testing.assert_allclose(ours.c, theirs.intercept_, atol=1e-3)
    assert ours.error(d.test.x, d.test.y) == pytest.approx(1 - theirs.score(d.test.x, d.test.y), abs=1e-12)


def test_binarised_and_scaled_pixel_baselines_over_seeds():
    """The issue's measurements: about 7.7% test error on binarised pixels, 3.4% in [0, 1]."""
    binary = [classify.fit((d := load_digits(s, True)).train.x, d.train.y).error(d.test.x, d.test.y) for s in range(3)]
    scaled = [classify.fit((d := load_digits(s, False)).train.x, d.train.y).error(d.test.x, d.test.y) for s in range(3)]
    assert 0.05 < np.mean(binary) < 0.09
    assert 0.02 < np.mean(scaled) < 0.05
    assert np.mean(scaled) < np.mean(binary)


def test_gradient_dilution_matches_the_measured_ratios():
    """8×100 net on the digits at initialisation: about 1e−6 (σ, torch default), 3e−5 (σ,
    Glorot), 0.5 (ReLU, He) from the first hidden layer's ‖∂L/∂W‖ to the last one's."""
    d = load_digits(0, False)
    sizes = [64] + [100] * 8 + [10]
    ratios = {}
    for act, how in (("sigmoid", "default"), ("sigmoid", "glorot"), ("relu", "he")):
        norms = N.weight_norms(N.gradients(N.init_layers(sizes, how, np.random.default_rng(0)), d.train.x,
                                           d.train.y, act)[1])
        ratios[how] = norms[0] / norms[-2]
    assert 1e-7 < ratios["default"] < 1e-5
    assert 5e-6 < ratios["glorot"] < 2e-4
    assert 0.1 < ratios["he"] < 5


# --- the table -----------------------------------------------------------------------------

SMALL = T.Budget(hidden=(20, 20), pre_epochs=1, pre_lr=0.1, k=1, epochs=2, lr=0.5, batch=20)


@pytest.mark.parametrize("row", T.ROWS)
def test_table_runs_are_seeded_and_repeat(row):
    d = load_digits(1, False)
    a, b = T.run(row, d, SMALL, 1), T.run(row, d, SMALL, 1)
    assert a == b
    assert 0 <= a.test <= 1 and a.epoch >= 0


def test_supervised_pretraining_keeps_only_the_hidden_layer():
    d = load_digits(0, False)
    layers = T.pretrain_supervised(d.train.x, d.train.y, SMALL, np.random.default_rng(0))
    assert [W.shape for W, _ in layers] == [(20, 64), (20, 20)]


def test_summary_means_and_sample_sd():
    rs = [T.Result("deep", s, 0.0, 0.1, t, 3) for s, t in enumerate([0.1, 0.2, 0.9])]
    entry = next(e for e in T.summary(rs) if e["row"] == "deep")
    assert entry["test_error"] == pytest.approx(0.4)
    assert entry["test_error_sd"] == pytest.approx(np.std([0.1, 0.2, 0.9], ddof=1))
    assert T.stuck(T.Result("deep", 0, 0.88, 0.9, 0.9, 0)) and not T.stuck(rs[0])
