"""The learning experiment (issue 9; THEORY.md §6.1 scaled to a CPU): the MLP's backpropagation,
the data and worker splits, the minibatch oracle, a short training run, reproducibility, the
verdict logic and the ``lowerbounds learn`` command. The full table is not a test."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from constructions import digits
from lowerbounds import cli, learning


# ----------------------------------------------------------------------------- the network
def fd_grad(mlp: digits.MLP, W: np.ndarray, X: np.ndarray, y: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central finite differences of every row's loss, every coordinate: (k, d)."""
    G = np.zeros_like(W)
    for j in range(W.shape[1]):
        E = np.zeros_like(W)
        E[:, j] = h
        G[:, j] = (mlp.loss_and_grad(W + E, X, y)[0] - mlp.loss_and_grad(W - E, X, y)[0]) / (2 * h)
    return G


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_mlp_gradient_matches_central_finite_differences(weight_decay):
    mlp = digits.MLP(hidden=5, weight_decay=weight_decay)
    rng = np.random.default_rng(0)
    k, B = 3, 7
    W = 0.5 * rng.standard_normal((k, mlp.d))
    X = rng.random((k, B, mlp.n_in))
    y = rng.integers(0, mlp.n_out, size=(k, B))
    loss, G = mlp.loss_and_grad(W, X, y)
    # Central differences: truncation h²·|f'''|/6 ≈ 1e-10 and rounding ε·|f|/h ≈ 1e-11 here, so
    # 1e-7 leaves three orders of margin while a wrong term (a missing tanh', a transposed W2,
    # a dropped 1/B) is off by O(|G|) ≈ 1e-2 or more.
    assert np.max(np.abs(G - fd_grad(mlp, W, X, y))) <= 1e-7 * max(1.0, float(np.max(np.abs(G))))
    # Batched over k parameter vectors = one at a time (each row on its own batch).
    for i in range(k):
        li, gi = mlp.loss_and_grad(W[i:i + 1], X[i:i + 1], y[i:i + 1])
        assert li[0] == pytest.approx(loss[i], rel=1e-13)
        assert np.allclose(gi[0], G[i], rtol=1e-12, atol=1e-15)
    # The loss is the mean cross-entropy of the softmax of the logits (+ (λ/2)‖w‖²).
    Z = mlp.logits(W, X)
    p = np.exp(Z - Z.max(axis=2, keepdims=True))
    p /= p.sum(axis=2, keepdims=True)
    ce = -np.log(np.take_along_axis(p, y[..., None], axis=2)[..., 0]).mean(axis=1)
    assert np.allclose(loss, ce + 0.5 * weight_decay * (W * W).sum(axis=1), rtol=1e-12)


def test_mlp_rejects_bad_sizes():
    with pytest.raises(ValueError, match="hidden"):
        digits.MLP(hidden=0)
    with pytest.raises(ValueError, match="weight_decay"):
        digits.MLP(weight_decay=-1.0)


def small_problem(seed=0, skew=0.0, subset=400):
    rng = np.random.default_rng(seed)
    return digits.make_problem(rng, n=4, skew=skew, hidden=8, subset=subset)


def test_problem_gradients_are_each_workers_shard_gradient():
    p = small_problem()
    X = 0.3 * np.random.default_rng(1).standard_normal((p.n, p.d))
    G = p.grads(X)
    losses = []
    for i in range(p.n):
        idx = p.shards[i]
        li, gi = p.mlp.loss_and_grad(X[i:i + 1], p.data.X_train[idx][None], p.data.y_train[idx][None])
        assert np.allclose(G[i], gi[0], rtol=1e-12, atol=1e-15)
        losses.append(p.mlp.loss_and_grad(X[:1], p.data.X_train[idx][None], p.data.y_train[idx][None])[0][0])
    # f is the mean of the local losses (equal shards), evaluated at one point.
    assert p.f(X[0]) == pytest.approx(float(np.mean(losses)), rel=1e-12)


def test_minibatch_oracle_is_unbiased_and_samples_within_the_shard():
    p = small_problem()
    B = 10
    oracle = digits.MinibatchOracle(p, B)
    rng = np.random.default_rng(2)
    X = 0.3 * np.random.default_rng(3).standard_normal((p.n, p.d))
    idx = oracle.sample(rng)
    assert idx.shape == (p.n, B)
    for i in range(p.n):
        assert len(set(idx[i])) == B and set(idx[i]) <= set(p.shards[i])  # without replacement, own shard
    K = 400
    draws = np.stack([oracle.query(X, rng) for _ in range(K)])
    mean, se = draws.mean(axis=0), draws.std(axis=0, ddof=1) / math.sqrt(K)
    exact = p.grads(X)
    live = se > 1e-12  # coordinates of always-blank pixels have exactly zero gradient and variance
    assert np.all(np.abs(mean - exact)[~live] < 1e-12)
    # ~n·d z-scores; the largest of a few thousand standard normals stays below 5 with probability
    # > 0.99, and a biased oracle (e.g. the sum instead of the mean) would put them in the hundreds.
    assert np.max(np.abs(mean - exact)[live] / se[live]) < 6.0
    with pytest.raises(ValueError, match="batch"):
        digits.MinibatchOracle(p, p.m + 1)


# ----------------------------------------------------------------------------- the splits
def test_train_test_split_sizes_and_stratification():
    data = digits.load_digits_split(np.random.default_rng(0))
    assert (data.n_train, data.n_test) == (1440, 357) and data.n_train == 8 * 180
    all_counts = np.bincount(np.concatenate([data.y_train, data.y_test]), minlength=10)
    assert all_counts.sum() == digits.N_IMAGES
    # Stratified by largest remainders: each class's test count is its exact quota rounded up or down.
    quota = all_counts * 357 / digits.N_IMAGES
    test_counts = np.bincount(data.y_test, minlength=10)
    assert np.all(np.abs(test_counts - quota) < 1)
    # Train and test are disjoint images (no row of the test set appears in the training set).
    train_rows = {r.tobytes() for r in data.X_train}
    dup_within = len(data.X_train) - len(train_rows)  # the digits hold a few identical images
    assert sum(r.tobytes() in train_rows for r in data.X_test) <= dup_within + 5
    shards = digits.partition(data.y_train, 8, 0.0, np.random.default_rng(1))
    assert shards.shape == (8, 180)
    assert sorted(shards.ravel().tolist()) == list(range(1440))  # every image, exactly once


def _tv(skew, seeds=range(5)):
    out = []
    for s in seeds:
        data = digits.load_digits_split(np.random.default_rng(s))
        shards = digits.partition(data.y_train, 8, skew, np.random.default_rng(100 + s))
        out.append((digits.label_skew(data.y_train, shards), data, shards))
    return out


def test_label_skew_knob_balanced_at_zero_and_very_skewed_at_one():
    # skew 0: a uniformly random shard of m = 180 of N = 1440 images. Its class frequencies are
    # hypergeometric, so E|p̂_c − p_c| ≤ √(p_c(1 − p_c)/m · (N − m)/(N − 1)) (Jensen), and
    # E[TV] ≤ ½ Σ_c of that ≈ 0.105. The 5-seed mean of the TV has a standard deviation of about
    # 0.004 (measured: 0.0074 per seed), well inside the gap to the bound (mean ≈ 0.086).
    zero = _tv(0.0)
    y = zero[0][1].y_train
    p = np.bincount(y, minlength=10) / len(y)
    N, m = len(y), 180
    bound = 0.5 * np.sum(np.sqrt(p * (1 - p) / m * (N - m) / (N - 1)))
    assert np.mean([t for t, _, _ in zero]) <= bound
    # skew 1: sorted by label, so a 180-image shard spans at most 3 classes (each has ≥ 140
    # training images), and TV = 1 − Σ_c min(local_c, p_c) ≥ 1 − (three largest p_c) ≈ 0.69.
    for tv, data, shards in _tv(1.0):
        assert max(len(np.unique(data.y_train[s])) for s in shards) <= 3
        assert tv >= 1 - np.sort(p)[-3:].sum()
        assert tv >= 0.75 > 5 * bound  # far from balanced
    # In between, the knob moves monotonically (5-seed means; steps of ≥ 0.06 measured against
    # standard deviations ≤ 0.004 of each mean).
    means = [np.mean([t for t, _, _ in _tv(s)]) for s in (0.0, 0.25, 0.5, 0.75, 1.0)]
    assert all(a < b for a, b in zip(means, means[1:]))


def test_partition_drops_the_remainder_at_random_not_the_largest_labels():
    y = np.repeat(np.arange(10), 3)[:23]  # 23 images, n = 4 workers: 3 left out
    dropped_labels = set()
    for s in range(40):
        shards = digits.partition(y, 4, 1.0, np.random.default_rng(s))
        assert shards.shape == (4, 5) and len(set(shards.ravel())) == 20
        dropped_labels |= set(y[np.setdiff1d(np.arange(23), shards.ravel())].tolist())
    # Cutting the end of the label order would always drop labels 7 (and 6); a uniform drop reaches
    # every label in 40 draws with probability > 0.99.
    assert len(dropped_labels) >= 8


@pytest.mark.parametrize("bad", [-0.1, 1.5, "x", float("nan")])
def test_partition_rejects_bad_skew(bad):
    with pytest.raises(ValueError, match="skew"):
        digits.partition(np.arange(20) % 10, 4, bad, np.random.default_rng(0))


# ----------------------------------------------------------------------------- training
QUICK = learning.quick_config(seeds=1, checkpoints=4)


def test_a_few_rounds_on_a_subset_decrease_the_loss_and_beat_chance():
    rows = {a: learning.execute(learning.LearningRunSpec(QUICK, 0.0, "none" if a == "psgd" else "qsgd-4bit", a))
            for a in learning.METHODS}
    for a, rs in rows.items():
        assert rs[0]["round"] == 0 and rs[-1]["minibatches"] == QUICK.rounds, a
        assert all(r["status"] == "ok" for r in rs), a
        # Cross-entropy starts near ln 10 ≈ 2.3 (Glorot weights, small logits) and must drop.
        assert rs[-1]["train_loss"] < 0.5 * rs[0]["train_loss"], a
    ps = rows["psgd"]
    n_test = ps[-1]["n_test"]
    # Chance is 10%; under chance the accuracy's standard deviation is √(0.09/n_test) ≈ 0.028
    # for 114 test images. Demand 8 of them above chance (≈ 32%); PSGD measures ≈ 90%.
    assert ps[-1]["test_acc"] >= 0.1 + 8 * math.sqrt(0.09 / n_test)
    assert ps[-1]["test_acc"] > ps[0]["test_acc"]
    # The budget is the same minibatches for every method; NEOLITHIC spends 2 rounds per minibatch.
    assert rows["neolithic-nc"][-1]["round"] == 2 * QUICK.rounds
    assert rows["qsgd"][-1]["round"] == QUICK.rounds
    # Bits: compressed uplinks cost less than PSGD's dense ones; 4-bit QSGD messages are 64 + 5d.
    d = ps[-1]["d"]
    assert rows["qsgd"][-1]["bits_up"] == QUICK.rounds * QUICK.n * (64 + 5 * d)
    assert ps[-1]["bits_up"] == QUICK.rounds * QUICK.n * 64 * d


def test_same_seed_same_numbers_other_seed_other_numbers():
    spec = learning.LearningRunSpec(QUICK, 1.0, "top-k", "doublesqueeze", seed_index=0)
    a, b = learning.execute(spec), learning.execute(spec)
    assert a == b
    other = learning.execute(learning.LearningRunSpec(QUICK, 1.0, "top-k", "doublesqueeze", seed_index=1))
    assert [r["train_loss"] for r in other] != [r["train_loss"] for r in a]


def test_config_rejects_bad_values_naming_the_parameter():
    for kw, word in [(dict(rounds=7), "rounds"), (dict(seeds=0), "seeds"), (dict(gamma=-1), "gamma"),
                     (dict(batch=500), "batch"), (dict(skews=(0.0, 2.0)), "skew"),
                     (dict(topk_ratio=1.5), "topk_ratio"), (dict(subset=5), "subset")]:
        with pytest.raises(ValueError, match=word):
            learning.LearningConfig(**kw)
    with pytest.raises(ValueError, match="unbiased"):
        learning.LearningRunSpec(QUICK, 0.0, "top-k", "qsgd")


def fake_rows(acc: dict[str, list[float]], skew=0.0) -> list[dict]:
    """Final rows only, with the given test accuracies per method and seed (4-bit runs)."""
    rows = []
    for alg, accs in acc.items():
        for s, a in enumerate(accs):
            rows.append(dict(skew=skew, label_tv=0.1, compressor="none" if alg == "psgd" else "qsgd-4bit",
                             algorithm=alg, seed_index=s, round=100, minibatches=100, epoch=10.0, bits_up=1,
                             bits_down=1, train_loss=0.1, train_acc=1.0, test_acc=a, status="ok"))
    return rows


def test_ordering_verdict_is_computed_from_the_numbers():
    psgd = [0.97, 0.96, 0.98, 0.97, 0.96]
    holds = fake_rows({"psgd": psgd, "neolithic-nc": [a + e for a, e in zip(psgd, [.003, -.003, 0, .003, -.003])],
                       "qsgd": [a - 0.02 + e for a, e in zip(psgd, [.003, -.003, 0, .003, -.003])],
                       "memsgd": psgd, "doublesqueeze": psgd})
    v = learning.summarize(holds)["verdicts"]["i.i.d."]
    assert v["talk_ordering_holds"] and v["neolithic_within_noise_of_psgd"] and v["qsgd_vs_psgd"] == "below"
    assert v["paired_differences_pp"]["qsgd"]["mean"] == pytest.approx(-2.0)
    fails = fake_rows({"psgd": psgd, "neolithic-nc": [a - 0.03 for a in psgd], "qsgd": psgd,
                       "memsgd": psgd, "doublesqueeze": psgd})
    v = learning.summarize(fails)["verdicts"]["i.i.d."]
    assert not v["talk_ordering_holds"] and not v["neolithic_within_noise_of_psgd"]
    assert v["qsgd_vs_psgd"] == "not below"


# ----------------------------------------------------------------------------- the command
def test_learn_quick_end_to_end(tmp_path, capsys):
    out = tmp_path / "learn"
    assert cli.main(["learn", "--quick", "--output", str(out), "--jobs", "1", "--quiet"]) == 0
    for f in ("README.md", "report.html", "learning.csv", "summary.json"):
        assert (out / f).is_file(), f
    figs = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert len(figs) == 4 and all((out / "figures" / f).stat().st_size > 10_000 for f in figs)
    md = (out / "README.md").read_text()
    assert "93.99 ± 0.52" in md and "Does the talk's ordering hold here?" in md and "figures/" in md
    header = (out / "learning.csv").read_text().splitlines()[0].split(",")
    assert header == list(learning.COLUMNS)
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["verdicts"]) == {"i.i.d.", "label skew 1"}
    assert summary["config"]["subset"] == 600 and summary["config"]["seeds"] == 2
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--rounds", "7"], ["--skews", "0,2"], ["--seeds", "0"], ["--gamma", "abc"]])
def test_learn_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv):
    out = tmp_path / "never"
    assert cli.main(["learn", "--quick", "--output", str(out), "--quiet", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("lowerbounds: error:")
    assert argv[0] in err  # the message names the parameter
    assert not out.exists()
