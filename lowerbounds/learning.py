"""The talk's learning experiment scaled to a CPU: an MLP on scikit-learn's digits, trained by the
toolkit's own algorithms (THEORY.md §6.1; issue 9).

**What the talk shows** (THEORY.md §6.1): ResNet-18/20 on CIFAR-10, 8 workers, minibatch 128 per
worker, NEOLITHIC with R = 2 against PSGD, QSGD, MEM-SGD and DoubleSqueeze; 4-bit unbiased
quantisation in a table (ResNet-18: PSGD 93.99, QSGD 92.86, MEM-SGD 94.47, DoubleSqueeze 93.35,
NEOLITHIC 93.87) and top-k at 1% in curves. Its claim: NEOLITHIC keeps the accuracy of uncompressed
training while plain QSGD loses some.

**What runs here** (:mod:`constructions.digits`): the 1797 8×8 digits, a stratified split into
1440 training and 357 test images, the training images dealt to n = 8 workers (180 each) i.i.d.
(skew 0) and label-skewed (skew 1 by default: two or three classes per worker), a 64 → 32 → 10
tanh MLP (d = 2410 parameters), minibatch B = 32 per worker per query (the talk's 128 would be
71% of a 180-image shard; 32 is 18%, about 5.6 minibatches per epoch). Methods, all through the
algorithms' round protocol (:mod:`algorithms.base`), by their registered names:

* ``psgd``: parallel SGD, uncompressed (64 bits per value both ways);
* ``qsgd``: QSGD, x⁺ = x − γ·mean C(g_i), dense broadcast;
* ``memsgd``: MEM-SGD (error feedback per worker), dense broadcast;
* ``doublesqueeze``: DoubleSqueeze, error feedback on both links, compressed broadcast;
* ``neolithic-nc``: NEOLITHIC for NC (THEORY.md §5.2), R = 2, bidirectional with error feedback on
  both links (the §5.2 box), the R minibatches of an iteration averaged.

Compressors, independent randomness across workers:

* ``qsgd-4bit``: QSGD with s = 15 levels (a sign and a 4-bit level per coordinate plus one 64-bit
  norm: 64 + 5d bits per message, 12.7× fewer than dense), unbiased with ω = min(d/s², √d/s)
  = 3.27 at d = 2410. The error-feedback methods and NEOLITHIC's MSC use it as C/(1+ω), the
  toolkit's rule for an unbiased compressor in a contractive slot (THEORY.md §1.2, §9 (f)).
* ``top-k``: k = round(0.01·d) = 24 of 2410 coordinates (0.996%: the talk's 1% is already a
  sensible ratio at this size, 24 values per message, not a degenerate k = 1 or 2), contractive with δ = k/d; values and
  12-bit indices, 24·(64 + 12) = 1824 bits per message (85× fewer than dense). QSGD's theorem
  needs an unbiased compressor, so QSGD is left out of the top-k runs.

**Fair budget and step.** Every method gets the same number of minibatches per worker (the same
epochs, as in the talk's table) and the same constant step γ (no schedule, no tuning per method;
the algorithms' default steps need the smoothness L, which is unknown for a network). The default
γ = 1 was chosen by a pilot on *uncompressed PSGD's training loss* (:func:`gamma_pilot`:
γ ∈ {0.1, 0.3, 0.5, 1, 2}, 3 seeds, i.i.d. split, the default budget; the test set is not
consulted): the largest step whose final training loss beats every smaller step's on every seed
(γ = 2 loses to γ = 1 on some seeds: too large). PSGD, QSGD, MEM-SGD and DoubleSqueeze spend one round per minibatch. NEOLITHIC averages
R = 2 minibatches per update and, without pipelining its uplink and downlink MSC (THEORY.md §5.2:
pipelining changes only constants), spends 2R = 4 rounds per update: on the same minibatches it
makes half the updates and uses twice the rounds. The figures show rounds and bits on their
x-axes, so that cost is visible, not hidden.

A :class:`LearningRunSpec` is one run; :func:`execute` returns rows at checkpoint minibatch counts
(training loss over all training images, training and test accuracy, cumulative bits per
direction). :func:`run` runs a :class:`LearningConfig`; :func:`section` writes the figures and
returns the Markdown and a summary line; :func:`summarize` gives the same numbers as JSON.
Seeds: the train/test split, the split across workers and the initial weights of seed i come
from ``SeedSequence(master_seed, spawn_key=(9, i, ·))`` and are shared by every method (a paired
comparison); each method's own randomness (minibatches, compressors) from ``(9, i, 3)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from constructions import digits
from constructions import registry as comp_registry
from constructions.compressors import Compressor
from lowerbounds import algorithm_factory as factory
from lowerbounds import validate

ROWS_VERSION = 1
METHODS = ("psgd", "qsgd", "memsgd", "doublesqueeze", "neolithic-nc")
LABELS = {"psgd": "PSGD (uncompressed)", "qsgd": "QSGD", "memsgd": "MEM-SGD",
          "doublesqueeze": "DoubleSqueeze", "neolithic-nc": "NEOLITHIC (R = 2)"}
COMPRESSORS = ("qsgd-4bit", "top-k")
# THEORY.md §6.1: the talk's Table 2, CIFAR-10, ResNet-18, test accuracy % (mean ± std).
TALK_RESNET18 = {"psgd": (93.99, 0.52), "qsgd": (92.86, 0.34), "memsgd": (94.47, 0.27),
                 "doublesqueeze": (93.35, 0.39), "neolithic-nc": (93.87, 0.46)}
PRACTITIONER_ACCURACY = 0.95  # issue 9: "above 95% is usual for the digits with an MLP"
COLUMNS = ("skew", "label_tv", "compressor", "algorithm", "seed_index", "master_seed", "round",
           "minibatches", "epoch", "bits_up", "bits_down", "train_loss", "train_acc", "test_acc",
           "status", "diverged_at", "n", "n_train", "n_test", "d", "hidden", "batch", "gamma", "R", "qsgd_s",
           "topk_k", "budget")


@dataclass(frozen=True)
class LearningConfig:
    """The experiment's settings (module docstring). ``rounds`` is the budget in minibatches per
    worker, i.e. the rounds of the one-round-per-minibatch methods; NEOLITHIC gets the same
    minibatches in 2× the rounds. ``subset`` keeps that many images (stratified) for fast runs."""

    rounds: int = 1000
    seeds: int = 5
    gamma: float = 1.0
    batch: int = 32
    hidden: int = 32
    n: int = 8
    R: int = 2
    qsgd_levels: int = 15
    topk_ratio: float = 0.01
    skews: tuple[float, ...] = (0.0, 1.0)
    checkpoints: int = 50
    master_seed: int = 0
    subset: int | None = None

    def __post_init__(self) -> None:
        validate.integer(self.rounds, "rounds", minimum=1)
        validate.integer(self.seeds, "seeds", minimum=1)
        validate.positive(self.gamma, "gamma")
        validate.integer(self.batch, "batch", minimum=1)
        validate.integer(self.hidden, "hidden", minimum=1)
        validate.integer(self.n, "n (workers)", minimum=1)
        validate.integer(self.R, "R", minimum=1)
        validate.integer(self.qsgd_levels, "qsgd_levels", minimum=1)
        validate.integer(self.checkpoints, "checkpoints", minimum=1)
        validate.integer(self.master_seed, "master_seed", minimum=0)
        r = validate.positive(self.topk_ratio, "topk_ratio")
        if r > 1:
            raise ValueError(f"topk_ratio must lie in (0, 1] (got {self.topk_ratio!r})")
        if self.rounds % self.R:
            raise ValueError(f"rounds must be a multiple of R = {self.R}, so that NEOLITHIC gets exactly the "
                             f"same minibatches as the other methods (got {self.rounds!r})")
        if not self.skews or len(set(self.skews)) != len(self.skews):
            raise ValueError(f"skews must be a non-empty list of distinct values in [0, 1] (got {self.skews!r})")
        for s in self.skews:
            v = validate.nonnegative(s, "skew")
            if v > 1:
                raise ValueError(f"skew must lie in [0, 1] (got {s!r})")
        total = digits.N_IMAGES if self.subset is None else validate.integer(
            self.subset, "subset", minimum=2 * digits.N_CLASSES, maximum=digits.N_IMAGES)
        shard = (total - _test_size(self.subset)) // self.n
        if shard < 1:
            raise ValueError(f"n (workers) = {self.n} leaves no training image per worker for {total} images")
        if self.batch > shard:
            raise ValueError(f"batch must be at most the {shard} training images each of the {self.n} workers "
                             f"holds (got {self.batch!r})")

    @property
    def d(self) -> int:
        return digits.MLP(hidden=self.hidden).d

    @property
    def topk_k(self) -> int:
        return max(1, round(self.topk_ratio * self.d))


def _test_size(subset: int | None) -> int:
    if subset is None:
        return digits.TEST_SIZE
    return max(digits.N_CLASSES, int(round(subset * digits.TEST_SIZE / digits.N_IMAGES)))


def quick_config(**overrides: object) -> LearningConfig:
    """A few seconds: 600 images, 60 minibatches, 2 seeds (a smoke run, not evidence)."""
    kw: dict = dict(subset=600, rounds=60, seeds=2, checkpoints=6)
    kw.update(overrides)
    return LearningConfig(**kw)


@dataclass(frozen=True)
class LearningRunSpec:
    config: LearningConfig
    skew: float
    compressor: str  # "none" (PSGD) or one of COMPRESSORS
    algorithm: str
    seed_index: int = 0

    def __post_init__(self) -> None:
        validate.choice(self.algorithm, "algorithm", METHODS)
        validate.choice(self.compressor, "compressor", ("none",) + COMPRESSORS)
        if (self.algorithm == "psgd") != (self.compressor == "none"):
            raise ValueError("compressor must be 'none' exactly for psgd (the uncompressed reference)")
        if self.algorithm == "qsgd" and self.compressor == "top-k":
            raise ValueError("qsgd needs an unbiased compressor: it does not run with top-k")

    def seq(self, part: int) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.config.master_seed, spawn_key=(9, self.seed_index, part))


def specs(config: LearningConfig) -> list[LearningRunSpec]:
    """Every run: per skew and seed, PSGD and each method × compressor its theorem allows."""
    out = []
    for skew in config.skews:
        for i in range(config.seeds):
            out.append(LearningRunSpec(config, float(skew), "none", "psgd", i))
            for comp in COMPRESSORS:
                for alg in METHODS[1:]:
                    if not (alg == "qsgd" and comp == "top-k"):
                        out.append(LearningRunSpec(config, float(skew), comp, alg, i))
    return out


def make_problem(spec: LearningRunSpec) -> tuple[digits.DigitsProblem, np.ndarray]:
    """The data, the workers' shards and the initial weights of ``spec``'s seed (shared by every
    method and, for the split and the weights, by every skew)."""
    c = spec.config
    data = digits.load_digits_split(np.random.default_rng(spec.seq(0)), test_size=_test_size(c.subset),
                                    subset=c.subset)
    shards = digits.partition(data.y_train, c.n, spec.skew, np.random.default_rng(spec.seq(1)))
    prob = digits.DigitsProblem(data=data, shards=shards, mlp=digits.MLP(hidden=c.hidden))
    return prob, prob.mlp.init(np.random.default_rng(spec.seq(2)))


def make_compressor(name: str, config: LearningConfig) -> Compressor:
    d = config.d
    if name == "qsgd-4bit":
        return comp_registry.make("qsgd", d, s=config.qsgd_levels, shared=False)
    return comp_registry.make("top-k", d, k=config.topk_k)


def make_algorithm(spec: LearningRunSpec):
    c = spec.config
    # γ is given, so L (unknown for a network) never enters a step size; the factory requires it.
    if spec.algorithm == "psgd":
        return factory.make("psgd", None, L=1.0, d=c.d, gamma=c.gamma)
    comp = make_compressor(spec.compressor, c)
    extra = dict(R=c.R, bidirectional=True) if spec.algorithm == "neolithic-nc" else {}
    return factory.make(spec.algorithm, comp, L=1.0, d=c.d, gamma=c.gamma, **extra)


def rounds_per_minibatch(spec: LearningRunSpec, alg: object) -> int:
    """1, except NEOLITHIC: 2R rounds (bidirectional) or R rounds per R minibatches."""
    if spec.algorithm == "neolithic-nc":
        return alg.rounds_per_iteration // spec.config.R  # type: ignore[attr-defined]
    return 1


def checkpoint_minibatches(config: LearningConfig) -> list[int]:
    """0, the budget, ``checkpoints`` evenly spaced counts and as many log-spaced ones (the early
    phase, where the methods differ most, is short), all multiples of R: the only counts at which
    NEOLITHIC has an iterate of its own."""
    R, T, k = config.R, config.rounds, config.checkpoints
    grid = np.concatenate([np.linspace(0, T, k + 1), np.geomspace(R, T, k)])
    return sorted({int(m) * R for m in np.round(grid / R)} | {0, T})


def execute(spec: LearningRunSpec) -> list[dict]:
    """One run (module docstring), with one BLAS thread: its matrices are tiny (at most 1440 × 64),
    so threads only add synchronisation (measured 4× slower per gradient on 2 busy cores), and
    :func:`run` parallelises across runs instead."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _execute(spec)


def _execute(spec: LearningRunSpec) -> list[dict]:
    c = spec.config
    prob, x0 = make_problem(spec)
    alg = make_algorithm(spec)
    oracle = digits.MinibatchOracle(prob, c.batch)
    rng = np.random.default_rng(spec.seq(3))
    state = alg.init(prob.n, prob.d, x0, rng)
    rpm = rounds_per_minibatch(spec, alg)
    marks = set(checkpoint_minibatches(c))
    tv = digits.label_skew(prob.data.y_train, prob.shards)
    const = dict(skew=spec.skew, label_tv=tv, compressor=spec.compressor, algorithm=spec.algorithm,
                 seed_index=spec.seed_index, master_seed=c.master_seed)
    setting = dict(n=c.n, n_train=prob.n * prob.m, n_test=prob.data.n_test, d=prob.d, hidden=c.hidden,
                   batch=c.batch, gamma=c.gamma, R=c.R, qsgd_s=c.qsgd_levels, topk_k=c.topk_k, budget=c.rounds)
    rows: list[dict] = []
    up = down = calls = 0
    status = "ok"

    def record(t: int, x: np.ndarray) -> None:
        finite = bool(np.all(np.isfinite(x)))
        mb = calls // prob.n  # measured: oracle calls per worker
        rows.append(dict(const, round=t, minibatches=mb, epoch=mb * c.batch / prob.m, bits_up=up,
                         bits_down=down, train_loss=prob.f(x) if finite else math.inf,
                         train_acc=prob.accuracy(x, "train") if finite else math.nan,
                         test_acc=prob.accuracy(x, "test") if finite else math.nan,
                         status=status, diverged_at=t if status == "diverged" else None, **setting))

    record(0, alg.output(state))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(1, c.rounds * rpm + 1):
            state, st = alg.step(state, oracle, rng)
            up += st.bits_up
            down += st.bits_down
            calls += st.oracle_calls
            x = alg.output(state)
            if not np.all(np.isfinite(x)):
                status = "diverged"
                record(t, x)
                break
            if t % rpm == 0 and t // rpm in marks:
                record(t, x)
    return rows


def gamma_pilot(config: LearningConfig, gammas: Sequence[float] = (0.1, 0.3, 0.5, 1.0, 2.0),
                seeds: int = 3) -> dict[float, list[float]]:
    """Uncompressed PSGD's final training loss per seed for each step γ on the i.i.d. split: the
    pilot behind the default γ (module docstring). Seeds are those of the experiment itself."""
    import dataclasses

    out = {}
    for g in gammas:
        c = dataclasses.replace(config, gamma=float(g), checkpoints=1)
        out[float(g)] = [float(execute(LearningRunSpec(c, 0.0, "none", "psgd", i))[-1]["train_loss"])
                         for i in range(seeds)]
    return out


def run(config: LearningConfig, *, jobs: int = 1, progress: bool = True,
        store: str | Path | None = None, fresh: bool = False) -> list[dict]:
    """Every run of ``config`` (on ``jobs`` local processes, optionally through a results store):
    the rows of all runs, in a fixed order whatever ``jobs``."""
    from lowerbounds import sweep

    sp = specs(config)
    res = sweep.run_all(execute, sp, jobs=jobs, progress=progress, store=store, fresh=fresh,
                        desc=f"learning on digits ({len(sp)} runs)")
    return sweep.flatten(res)


# ------------------------------------------------------------------------------ statistics
def _finals(rows: Sequence[dict]) -> dict[tuple, dict[int, dict]]:
    """(skew, compressor, algorithm) -> seed -> the run's last row."""
    out: dict[tuple, dict[int, dict]] = {}
    for r in rows:
        key = (float(r["skew"]), r["compressor"], r["algorithm"])
        s = int(r["seed_index"])
        cell = out.setdefault(key, {})
        if s not in cell or int(r["round"]) > int(cell[s]["round"]):
            cell[s] = r
    return out


def _t95(dof: int) -> float:
    from scipy.stats import t

    return float(t.ppf(0.975, dof))


@dataclass(frozen=True)
class Paired:
    """method − PSGD test accuracy over the seeds both finished (percentage points)."""

    mean: float
    half_width: float  # 95% Student-t half-width of the mean paired difference (nan below 2 seeds)
    seeds: int

    @property
    def lo(self) -> float:
        return self.mean - self.half_width

    @property
    def hi(self) -> float:
        return self.mean + self.half_width

    def text(self) -> str:
        if not math.isfinite(self.half_width):
            return f"{self.mean:+.2f} pp ({self.seeds} seed)"
        return f"{self.mean:+.2f} pp, 95% CI [{self.lo:+.2f}, {self.hi:+.2f}]"


def paired(a: dict[int, dict], b: dict[int, dict]) -> Paired:
    """Paired difference of final test accuracy a − b (same seed: same split and initial weights)."""
    common = sorted(s for s in set(a) & set(b) if a[s]["status"] == "ok" and b[s]["status"] == "ok")
    diff = np.array([100 * (float(a[s]["test_acc"]) - float(b[s]["test_acc"])) for s in common])
    if len(diff) == 0:
        return Paired(math.nan, math.nan, 0)
    if len(diff) < 2:
        return Paired(float(diff[0]), math.nan, 1)
    hw = _t95(len(diff) - 1) * float(diff.std(ddof=1)) / math.sqrt(len(diff))
    return Paired(float(diff.mean()), hw, len(diff))


def cell_stats(cell: dict[int, dict]) -> dict:
    ok = [r for r in cell.values() if r["status"] == "ok"]
    acc = np.array([100 * float(r["test_acc"]) for r in ok])
    loss = np.array([float(r["train_loss"]) for r in ok])
    full = ok or list(cell.values())  # a diverged run stopped early: its bits are not the budget's
    bits_up = [int(r["bits_up"]) for r in full]
    bits_down = [int(r["bits_down"]) for r in full]
    return dict(
        seeds=len(cell), diverged=len(cell) - len(ok),
        acc_mean=float(acc.mean()) if len(acc) else math.nan,
        acc_std=float(acc.std(ddof=1)) if len(acc) > 1 else math.nan,
        loss_mean=float(loss.mean()) if len(loss) else math.nan,
        loss_std=float(loss.std(ddof=1)) if len(loss) > 1 else math.nan,
        bits_up=float(np.mean(bits_up)), bits_down=float(np.mean(bits_down)),
        rounds=int(max(int(r["round"]) for r in full)),
        minibatches=int(max(int(r["minibatches"]) for r in full)),
        epochs=float(max(float(r["epoch"]) for r in full)),
        label_tv=float(np.mean([float(r["label_tv"]) for r in cell.values()])))


def ordering(finals: dict, skew: float) -> dict:
    """The talk's claims on the 4-bit runs of one split, decided from the paired differences:
    NEOLITHIC within the noise of PSGD (the 95% CI of the paired difference contains 0) and QSGD
    below PSGD (the CI lies below 0: "below"; mean below but CI contains 0: "below, within the
    noise"; mean not below: "not below")."""
    ref = finals.get((skew, "none", "psgd"), {})
    comp = "qsgd-4bit"
    diffs = {a: paired(finals.get((skew, comp, a), {}), ref) for a in METHODS[1:]}
    neo, q = diffs["neolithic-nc"], diffs["qsgd"]
    neo_in = bool(neo.seeds >= 2 and neo.lo <= 0 <= neo.hi)
    if q.seeds < 2:
        q_kind = "undecided"
    elif q.hi < 0:
        q_kind = "below"
    elif q.mean < 0:
        q_kind = "below, within the noise"
    else:
        q_kind = "not below"
    nq = paired(finals.get((skew, comp, "neolithic-nc"), {}), finals.get((skew, comp, "qsgd"), {}))
    means = {a: cell_stats(finals[(skew, comp, a)])["acc_mean"] for a in METHODS[1:]
             if (skew, comp, a) in finals}
    if ref:
        means["psgd"] = cell_stats(ref)["acc_mean"]
    ours = sorted(means, key=lambda a: -means[a])
    talk = sorted(TALK_RESNET18, key=lambda a: -TALK_RESNET18[a][0])
    return dict(neolithic_vs_psgd=neo, qsgd_vs_psgd=q, neolithic_vs_qsgd=nq, diffs=diffs,
                neolithic_within_noise=neo_in, qsgd_below=q_kind,
                holds=bool(neo_in and q_kind == "below"), ours_order=ours, talk_order=talk)


def split_name(skew: float) -> str:
    return "i.i.d." if skew == 0 else f"label skew {skew:g}"


def summarize(rows: Sequence[dict]) -> dict:
    """The table's numbers and the ordering verdicts, as plain JSON values."""
    finals = _finals(rows)
    skews = sorted({k[0] for k in finals})
    cells = []
    for (skew, comp, alg), cell in sorted(finals.items()):
        cells.append(dict(skew=skew, compressor=comp, algorithm=alg, **cell_stats(cell)))
    verdicts = {}
    for skew in skews:
        o = ordering(finals, skew)
        verdicts[split_name(skew)] = dict(
            skew=skew, talk_ordering_holds=o["holds"], neolithic_within_noise_of_psgd=o["neolithic_within_noise"],
            qsgd_vs_psgd=o["qsgd_below"],
            paired_differences_pp={a: dict(mean=p.mean, ci95=[p.lo, p.hi], seeds=p.seeds)
                                   for a, p in o["diffs"].items()},
            neolithic_minus_qsgd_pp=dict(mean=o["neolithic_vs_qsgd"].mean,
                                         ci95=[o["neolithic_vs_qsgd"].lo, o["neolithic_vs_qsgd"].hi]),
            order_by_mean_accuracy=o["ours_order"], talk_order=o["talk_order"])
    psgd = {split_name(s): cell_stats(finals[(s, "none", "psgd")])["acc_mean"]
            for s in skews if (s, "none", "psgd") in finals}
    return dict(cells=cells, verdicts=verdicts, psgd_accuracy_pct=psgd,
                talk_resnet18_pct={a: list(v) for a, v in TALK_RESNET18.items()},
                practitioner_threshold_pct=100 * PRACTITIONER_ACCURACY)


# ------------------------------------------------------------------------------ presentation
COLORS = {"psgd": "tab:green", "qsgd": "tab:orange", "memsgd": "tab:red", "doublesqueeze": "tab:pink",
          "neolithic-nc": "tab:blue"}


def _curve(rows: Sequence[dict], skew: float, comp: str, alg: str):
    """Per checkpoint (minibatch count): rounds, total bits, mean and std over seeds of the training
    loss and the test accuracy (runs that stopped early drop out of later checkpoints)."""
    sel = [r for r in rows if float(r["skew"]) == skew and r["compressor"] == comp and r["algorithm"] == alg
           and r["status"] == "ok"]
    by: dict[int, list[dict]] = {}
    for r in sel:
        by.setdefault(int(r["minibatches"]), []).append(r)
    out = []
    for mb in sorted(by):
        rs = by[mb]
        loss = np.array([float(r["train_loss"]) for r in rs])
        acc = np.array([100 * float(r["test_acc"]) for r in rs])
        out.append((float(np.mean([int(r["round"]) for r in rs])),
                    float(np.mean([int(r["bits_up"]) + int(r["bits_down"]) for r in rs])),
                    loss.mean(), loss.std(), acc.mean(), acc.std()))
    return np.array(out).reshape(-1, 6)


def figure(rows: Sequence[dict], skew: float, comp: str, path: str | Path) -> None:
    """Training loss and test accuracy against rounds and against bits sent (mean ± std over seeds),
    the 4 methods with ``comp`` and uncompressed PSGD."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), dpi=100)
    finals = []
    for alg in METHODS:
        c = "none" if alg == "psgd" else comp
        cv = _curve(rows, skew, c, alg)
        cv = cv[cv[:, 0] > 0]  # both x-axes are logarithmic: the start (round 0, no bits) is off-axis
        if len(cv) == 0:
            continue
        rnd, bits, lm, ls, am, as_ = cv.T
        finals.append(am[-1])
        for j, x in enumerate((rnd, bits)):
            for i, (m, s) in enumerate(((lm, ls), (am, as_))):
                ax = axes[i, j]
                ax.plot(x, m, color=COLORS[alg], label=LABELS[alg], lw=1.4)
                ax.fill_between(x, m - s, m + s, color=COLORS[alg], alpha=0.15, lw=0)
    for i, ylab in enumerate(("training loss (all training images)", "test accuracy (%)")):
        for j, xlab in enumerate(("communication rounds", "bits sent (uplink, all workers + downlink)")):
            ax = axes[i, j]
            ax.set_xlabel(xlab)
            ax.set_ylabel(ylab)
            ax.grid(alpha=0.25, which="both")
            ax.set_xscale("log")
            if i == 0:
                ax.set_yscale("log")
            elif finals:  # zoom on the plateau, where the methods are compared
                ax.set_ylim(max(0.0, min(finals) - 20.0), min(100.0, max(finals) + 2.0))
    axes[1, 0].legend(fontsize=8, loc="lower right")
    fig.suptitle(f"MLP on digits, {split_name(skew)} split, {comp_title(comp, rows[0])} — mean ± std over "
                 "seeds", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _loss_ratio(finals: dict, skew: float) -> str:
    a, b = finals.get((skew, "qsgd-4bit", "neolithic-nc")), finals.get((skew, "none", "psgd"))
    if not a or not b:
        return ""
    ratio = cell_stats(a)["loss_mean"] / cell_stats(b)["loss_mean"]
    return (f" NEOLITHIC's final training loss is {ratio:.2g}× PSGD's (it made half as many updates, each on "
            "two minibatches).")


def plateau_drift(rows: Sequence[dict]) -> tuple[float, str]:
    """Largest |mean test accuracy at the end − at half the budget| over all cells (pp), and where."""
    by: dict[tuple, dict[int, list[float]]] = {}
    for r in rows:
        if r["status"] == "ok":
            key = (float(r["skew"]), r["compressor"], r["algorithm"])
            by.setdefault(key, {}).setdefault(int(r["minibatches"]), []).append(100 * float(r["test_acc"]))
    worst, where = math.nan, ""
    for (skew, comp, alg), curve in by.items():
        end = max(curve)
        half = min(curve, key=lambda m: abs(m - end / 2))
        if half in (0, end):
            continue
        dv = abs(float(np.mean(curve[end])) - float(np.mean(curve[half])))
        if not dv <= worst:
            worst = dv
            where = f"{LABELS[alg]}, {'uncompressed' if comp == 'none' else comp}, {split_name(skew)}"
    return worst, where


def comp_title(comp: str, row: dict) -> str:
    """The compressor as the rows ran it (s and k are settings, not constants)."""
    if comp == "qsgd-4bit":
        s = int(row["qsgd_s"])
        return f"{math.ceil(math.log2(s + 1))}-bit quantisation (QSGD, s = {s}; unbiased)"
    k, d = int(row["topk_k"]), int(row["d"])
    return f"top-k at {100 * k / d:.2g}% (k = {k} of {d}; contractive)"


def _pm(m: float, s: float, digits_: int = 2) -> str:
    if not math.isfinite(m):
        return "—"
    return f"{m:.{digits_}f}" + (f" ± {s:.{digits_}f}" if math.isfinite(s) else "")


def _bits(b: float) -> str:
    for unit, scale in (("Gbit", 1e9), ("Mbit", 1e6), ("kbit", 1e3)):
        if b >= scale:
            return f"{b / scale:.3g} {unit}"
    return f"{b:.0f} bit"


def section(rows: Sequence[dict], figures_dir: str | Path,
            rel_prefix: str = "") -> tuple[list[str], tuple[str, str]]:
    """Write the figures into ``figures_dir`` (created if needed) and return the section's Markdown
    lines (images linked as ``rel_prefix + file name``) and its summary line (status, text):
    status "pass" when every run finished and uncompressed PSGD reaches 95% test accuracy on every
    split, "fail" when PSGD does not (the experiment would then say nothing), "inconclusive" when
    runs are missing or diverged. Whether the talk's ordering holds is stated in the text; it is
    a finding, not a check."""
    if not rows:
        raise ValueError("rows must hold at least one run of the learning experiment (got none)")
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    finals = _finals(rows)
    skews = sorted({k[0] for k in finals})
    r0 = rows[0]
    n, d, hidden, batch, gamma, R = (int(r0["n"]), int(r0["d"]), int(r0["hidden"]), int(r0["batch"]),
                                     float(r0["gamma"]), int(r0["R"]))
    s_lv, k, budget = int(r0["qsgd_s"]), int(r0["topk_k"]), int(r0["budget"])
    n_train, n_test = int(r0["n_train"]), int(r0["n_test"])
    seeds = max(len(c) for c in finals.values())
    ref_cells = {s: finals.get((s, "none", "psgd"), {}) for s in skews}
    m_epochs = {s: cell_stats(c)["epochs"] for s, c in ref_cells.items() if c}
    epochs = max(m_epochs.values()) if m_epochs else math.nan

    figs = {}
    for s in skews:
        for comp in COMPRESSORS:
            if any(key[0] == s and key[1] == comp for key in finals):
                name = f"learning-{'iid' if s == 0 else f'skew{s:g}'}-{comp}.png"
                figure(rows, s, comp, figures_dir / name)
                figs[(s, comp)] = rel_prefix + name

    tv = {s: cell_stats(c)["label_tv"] for s, c in ref_cells.items() if c}
    body = [
        "The talk's deep-learning experiment (THEORY.md §6.1: ResNet-18 on CIFAR-10, 8 workers, "
        "minibatch 128 per worker, NEOLITHIC with R = 2) cannot run here (no GPU, no download). This "
        "is the same protocol scaled to a CPU, on real data that ships with scikit-learn: the 1797 "
        f"handwritten 8×8 digits, a stratified train/test split, the training images dealt to n = {n} "
        f"workers (equal shards), a 64 → {hidden} → 10 tanh MLP (d = {d} parameters, numpy, "
        "hand-written backpropagation), trained by the toolkit's own algorithms through the same "
        "round protocol as every other experiment. **The scale differs by orders of magnitude** "
        "(d ≈ 11·10⁶ parameters and 50 000 training images there; "
        f"d = {d} and {n_train} training images, {n_test} test images here): "
        "the talk's numbers are beside ours for the layout, not to be compared digit by digit.",
        "",
        f"- Splits across workers: " + "; ".join(
            f"{split_name(s)} (mean total-variation distance of a worker's label histogram from the "
            f"global one {tv[s]:.2f})" for s in skews if s in tv) + ".",
        f"- Budget: {budget} minibatches of {batch} images per worker for every method "
        f"(≈ {epochs:.0f} epochs of a {n_train // n}-image shard, where the talk's 128 would be most of "
        "the shard). "
        f"PSGD, QSGD, MEM-SGD and DoubleSqueeze spend one round per minibatch; NEOLITHIC averages "
        f"R = {R} minibatches per update and spends 2R rounds per update (bidirectional MSC, not "
        "pipelined): the same samples, half the updates, twice the rounds.",
        f"- Step: the same constant γ = {gamma:g} for every method (no schedule, no per-method tuning), "
        "chosen from uncompressed PSGD's training loss in a pilot (the test set was not consulted). "
        "Last iterate reported; no early stopping.",
        f"- Compressors (independent across workers): 4-bit = QSGD with s = {s_lv} levels (a sign and a "
        f"{math.ceil(math.log2(s_lv + 1))}-bit level per coordinate and a 64-bit norm, unbiased, "
        f"ω = {min(d / s_lv**2, math.sqrt(d) / s_lv):.2f}; "
        "error-feedback methods and MSC use it as C/(1+ω)); top-k keeps "
        f"k = {k} of {d} coordinates ({100 * k / d:.3g}%, the nearest integer k to the talk's 1%), values and "
        "indices sent. QSGD needs an unbiased compressor and does not run with top-k.",
        f"- {seeds} seeds; seed i fixes the train/test split, the shards and the initial weights for "
        "every method (a paired comparison), and the minibatches and compressor draws. Mean ± std "
        "(sample standard deviation) over seeds; differences to PSGD are paired by seed with a "
        "Student-t 95% interval.", ""]

    # The talk's table, ours beside it.
    ref_acc = {s: cell_stats(c)["acc_mean"] for s, c in ref_cells.items() if c}
    head = "| Method | talk: ResNet-18, CIFAR-10 (%) | " + " | ".join(
        f"ours: MLP, digits, {split_name(s)} (%)" for s in skews) + " | bits sent per run (up + down) | rounds |"
    body += [f"### Test accuracy with {comp_title('qsgd-4bit', r0)}", "", head,
             "|---|---|" + "---|" * len(skews) + "---|---|"]
    for alg in METHODS:
        comp = "none" if alg == "psgd" else "qsgd-4bit"
        cells = [finals.get((s, comp, alg)) for s in skews]
        st = [cell_stats(c) if c else None for c in cells]
        accs = " | ".join(_pm(x["acc_mean"], x["acc_std"]) + (f" ({x['diverged']} diverged)" if x and x["diverged"]
                                                               else "") if x else "—" for x in st)
        any_st = next((x for x in st if x), None)
        bits = _bits(any_st["bits_up"] + any_st["bits_down"]) if any_st else "—"
        rnd = str(any_st["rounds"]) if any_st else "—"
        talk = _pm(*TALK_RESNET18[alg])
        body.append(f"| {LABELS[alg]} | {talk} | {accs} | {bits} | {rnd} |")
    body += ["", "The talk's column is its Table 2 (ResNet-18; THEORY.md §6.1), copied, not recomputed.", ""]

    body += [f"### Test accuracy with {comp_title('top-k', r0)}", "",
             "The talk shows this case only as curves; no talk numbers to set beside ours.", "",
             "| Method | " + " | ".join(f"{split_name(s)} (%)" for s in skews) + " | bits sent per run | rounds |",
             "|---|" + "---|" * len(skews) + "---|---|"]
    for alg in METHODS:
        if alg == "qsgd":
            continue
        comp = "none" if alg == "psgd" else "top-k"
        st = [cell_stats(finals[(s, comp, alg)]) if (s, comp, alg) in finals else None for s in skews]
        any_st = next((x for x in st if x), None)
        if any_st is None:
            continue
        accs = " | ".join(_pm(x["acc_mean"], x["acc_std"]) if x else "—" for x in st)
        body.append(f"| {LABELS[alg]} | {accs} | {_bits(any_st['bits_up'] + any_st['bits_down'])} "
                    f"| {any_st['rounds']} |")
    body += ["", "| final training loss | " + " | ".join(
        f"{comp_}, {split_name(s)}" for comp_ in ("4-bit", "top-k") for s in skews) + " |",
             "|---|" + "---|" * (2 * len(skews))]
    for alg in METHODS:
        vals = []
        for comp_ in COMPRESSORS:
            for s in skews:
                key = (s, "none" if alg == "psgd" else comp_, alg)
                vals.append(_pm(cell_stats(finals[key])["loss_mean"], cell_stats(finals[key])["loss_std"], 4)
                            if key in finals else "—")
        body.append(f"| {LABELS[alg]} | " + " | ".join(vals) + " |")
    body.append("")

    # The ordering, decided from the numbers.
    body += ["### Does the talk's ordering hold here?", "",
             "The talk's claim: NEOLITHIC within the noise of PSGD, QSGD below it (4-bit). Decided per split "
             "from the paired differences in test accuracy (method − PSGD, same seed): *within the noise* "
             "means the 95% interval contains 0; *below* means it lies entirely below 0.", ""]
    verdicts = []
    for s in skews:
        if (s, "none", "psgd") not in finals:
            continue
        o = ordering(finals, s)
        neo, q, nq = o["neolithic_vs_psgd"], o["qsgd_vs_psgd"], o["neolithic_vs_qsgd"]
        word = "holds" if o["holds"] else "does not hold"
        body.append(f"- **{split_name(s)}: the ordering {word}.** NEOLITHIC − PSGD {neo.text()} "
                    f"({'within' if o['neolithic_within_noise'] else 'outside'} the noise); QSGD − PSGD "
                    f"{q.text()} ({o['qsgd_below']}); NEOLITHIC − QSGD {nq.text()}. Order by mean accuracy: "
                    + " > ".join(LABELS[a].split(" (")[0] for a in o["ours_order"]) + " (talk: "
                    + " > ".join(LABELS[a].split(" (")[0] for a in o["talk_order"]) + ")."
                    + _loss_ratio(finals, s))
        verdicts.append((s, o))
    body.append("")
    body += ["Bits: QSGD and MEM-SGD compress the uplink only and broadcast densely (64 bits per value); "
             "DoubleSqueeze and NEOLITHIC compress both links.", ""]
    for s in skews:
        for comp in COMPRESSORS:
            if (s, comp) in figs:
                body += [f"![{split_name(s)}, {comp}]({figs[(s, comp)]})", ""]
    drift = plateau_drift(rows)
    if math.isfinite(drift[0]):
        body += [f"Plateau: between half the budget and its end the mean test accuracy of every method and "
                 f"split moved by at most {drift[0]:.2f} pp ({drift[1]}): "
                 + ("the table compares plateaus, not speeds; the figures show the speeds."
                                if drift[0] <= 1.0 else "some methods were still improving at the end of the "
                                "budget, so the table mixes plateaus and speeds."), ""]
    body += ["What this does not show: the digits are easy (scikit-learn's logistic regression reaches about "
             "96% on these splits) and the network is tiny; differences of a few test images (one image = "
             f"{100 / n_test:.2f} pp) are what is being resolved, about the size of the talk's own "
             "differences (≈ 1 pp). A task this easy may leave no room for compression to cost accuracy, so "
             "agreement or disagreement here does not transfer to ResNets on CIFAR-10 either way.", ""]

    missing = sum(c["diverged"] for c in (cell_stats(v) for v in finals.values()))
    low = [s for s, a in ref_acc.items() if a < 100 * PRACTITIONER_ACCURACY]
    psgd_text = ", ".join(f"{ref_acc[s]:.2f}% ({split_name(s)})" for s in skews if s in ref_acc)
    order_text = "; ".join(f"{split_name(s)}: talk's ordering {'holds' if o['holds'] else 'does not hold'} "
                           f"(NEOLITHIC − PSGD {o['neolithic_vs_psgd'].mean:+.2f} pp, "
                           f"QSGD − PSGD {o['qsgd_vs_psgd'].mean:+.2f} pp)" for s, o in verdicts)
    text = f"uncompressed PSGD reaches {psgd_text} test accuracy; {order_text}"
    incomplete = missing or len({len(c) for c in finals.values()}) > 1
    status = "fail" if low else ("inconclusive" if incomplete else "pass")
    if low:
        text += (f" — PSGD below the {100 * PRACTITIONER_ACCURACY:.0f}% a practitioner expects, so the "
                 "table says little")
    return body, (status, text)

