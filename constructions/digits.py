"""A real distributed learning problem: scikit-learn's handwritten digits and a small MLP
(THEORY.md §6.1, the talk's deep-learning experiment scaled to a CPU; issue 9).

**Data.** The 1797 8×8 grey-level images of :func:`sklearn.datasets.load_digits` (they ship inside
scikit-learn, nothing is downloaded), pixels scaled to [0, 1]. A stratified split gives 1440
training images (8 workers × 180, so every worker holds the same number and the per-worker
computation is one batched array operation) and 357 test images.

**Split across workers** (:func:`partition`), one knob ``skew`` ∈ [0, 1]: the training images are
sorted by the key ``skew·y + (1 − skew)·10·u`` (u uniform, y the label) and dealt to the workers in
contiguous blocks. ``skew = 0`` is an i.i.d. split (a uniformly random shard of 180 images: its
label histogram deviates from the global one by sampling noise only, mean TV ≈ 0.09), ``skew = 1``
sorts by label (a worker sees two or three classes of the ten, mean TV ≈ 0.8), values in between
move continuously from one to the other (TV ≈ 0.15, 0.31, 0.62 at 0.25, 0.5, 0.75).
:func:`label_skew` measures the result as the mean total-variation distance between a worker's
label distribution and the global one (0 for a perfectly balanced split).

**Network** (:class:`MLP`): 64 → h → 10 with tanh hidden units and softmax cross-entropy, plus an
optional (λ/2)‖w‖² term. **Why numpy rather than PyTorch:** the network has d = 2410 parameters, so
a framework's per-call overhead would exceed the arithmetic; the algorithms exchange flat (n, d)
numpy arrays (constructions/base.py), which a PyTorch model would have to flatten and unflatten
every round; PyTorch is a large dependency the toolkit does not otherwise need (and is not
installed here); and hand-written backpropagation for two layers is short enough to check line
by line and against finite differences. tanh rather than ReLU keeps every f_i twice
differentiable, hence L-smooth on bounded sets: the NC class of THEORY.md §1.1 the NEOLITHIC-NC
analysis (§5.2) assumes.
Parameters are one flat vector w ∈ R^d, d = 64h + h + 10h + 10 (h = 32: d = 2410), laid out as
[W1 (64×h, row-major), b1 (h), W2 (h×10), b2 (10)]. The gradient is hand-written backpropagation,
vectorised over any number k of parameter vectors at once ((k, d) arrays, one per worker;
STYLE.md), and checked against central finite differences in ``tests/test_learning.py``.

**Oracle** (:class:`MinibatchOracle`): worker i draws a minibatch of B of its own images uniformly
without replacement and returns the minibatch gradient of its loss at row i of X: an unbiased
estimate of ∇f_i (THEORY.md §1.1's oracle class, with a variance we do not bound a priori).

This module never imports ``algorithms`` or ``lowerbounds`` (STYLE.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
IntArray = NDArray[np.intp]

N_FEATURES = 64
N_CLASSES = 10
N_IMAGES = 1797
TEST_SIZE = 357  # leaves 1440 = 8·180 training images: equal shards for 8 workers


@dataclass(frozen=True)
class DigitsData:
    """Train and test images (pixels in [0, 1]) with their labels."""

    X_train: Array = field(repr=False)
    y_train: IntArray = field(repr=False)
    X_test: Array = field(repr=False)
    y_test: IntArray = field(repr=False)

    @property
    def n_train(self) -> int:
        return int(self.y_train.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.y_test.shape[0])


def load_digits_split(rng: np.random.Generator, test_size: int = TEST_SIZE,
                      subset: int | None = None) -> DigitsData:
    """The digits, split into train and test, stratified by class, with the generator given.

    ``subset`` (optional) keeps only that many images (stratified) before splitting, for fast
    tests; ``test_size`` is then the number of test images among them.
    """
    X, y = _digits()
    total = X.shape[0]
    if subset is not None:
        if not (isinstance(subset, (int, np.integer)) and N_CLASSES * 2 <= subset <= total):
            raise ValueError(f"subset must be an integer in [{2 * N_CLASSES}, {total}] (got {subset!r})")
        keep = _stratified_take(y, int(subset), rng)
        X, y = X[keep], y[keep]
        total = int(subset)
    if not (isinstance(test_size, (int, np.integer)) and N_CLASSES <= test_size <= total - N_CLASSES):
        raise ValueError(f"test_size must be an integer in [{N_CLASSES}, {total - N_CLASSES}] "
                         f"for {total} images (got {test_size!r})")
    test = _stratified_take(y, int(test_size), rng)
    mask = np.zeros(total, dtype=bool)
    mask[test] = True
    return DigitsData(X[~mask], y[~mask], X[mask], y[mask])


@lru_cache(maxsize=1)
def _digits() -> tuple[Array, IntArray]:
    """The 1797 images (pixels / 16, in [0, 1]) and labels, read once per process (read-only)."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float64) / 16.0
    y = y.astype(np.intp)
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def _stratified_take(y: IntArray, count: int, rng: np.random.Generator) -> IntArray:
    """``count`` indices of y with every class represented in proportion (largest remainders)."""
    classes, sizes = np.unique(y, return_counts=True)
    quota = sizes * count / y.shape[0]
    take = np.floor(quota).astype(int)
    short = count - int(take.sum())
    take[np.argsort(-(quota - take), kind="stable")[:short]] += 1
    out = [rng.choice(np.flatnonzero(y == c), size=t, replace=False) for c, t in zip(classes, take)]
    return np.sort(np.concatenate(out))


def partition(y: IntArray, n: int, skew: float, rng: np.random.Generator) -> IntArray:
    """Deal the training images to n workers in equal shards: an (n, m) index array, m = ⌊N/n⌋.

    The images are ordered by ``skew·y + (1 − skew)·10·u`` with u ~ U(0, 1) i.i.d. and cut into n
    contiguous blocks (module docstring): skew = 0 is i.i.d., skew = 1 sorts by label. When n does
    not divide N, the N − n·⌊N/n⌋ images left out are drawn uniformly at random beforehand (cutting
    the end of the order would drop only the largest labels); with N = 1440 and n = 8 none is lost.
    """
    N = y.shape[0]
    if not (isinstance(n, (int, np.integer)) and not isinstance(n, bool) and 1 <= n <= N):
        raise ValueError(f"n (workers) must be an integer in [1, {N}] (got {n!r})")
    try:
        s = float(skew)
    except (TypeError, ValueError):
        s = float("nan")
    if not (0.0 <= s <= 1.0):
        raise ValueError(f"skew must be a number in [0, 1] (got {skew!r})")
    m = N // n
    keep = np.sort(rng.choice(N, size=n * m, replace=False)) if n * m < N else np.arange(N)
    key = s * y[keep] + (1.0 - s) * N_CLASSES * rng.random(keep.shape[0])
    # ties (skew = 1) broken at random, not by position
    order = np.lexsort((rng.random(keep.shape[0]), key))
    return keep[order].reshape(n, m)


def label_skew(y: IntArray, shards: IntArray) -> float:
    """Mean over workers of TV(worker's label distribution, global label distribution) ∈ [0, 1)."""
    glob = np.bincount(y, minlength=N_CLASSES) / y.shape[0]
    local = np.stack([np.bincount(y[s], minlength=N_CLASSES) / s.shape[0] for s in shards])
    return float(0.5 * np.abs(local - glob).sum(axis=1).mean())


@dataclass(frozen=True)
class MLP:
    """64 → hidden (tanh) → 10 softmax classifier on flat parameter vectors (module docstring)."""

    hidden: int = 32
    weight_decay: float = 0.0
    n_in: int = N_FEATURES
    n_out: int = N_CLASSES

    def __post_init__(self) -> None:
        if not (isinstance(self.hidden, (int, np.integer)) and not isinstance(self.hidden, bool)
                and self.hidden >= 1):
            raise ValueError(f"hidden must be an integer ≥ 1 (got {self.hidden!r})")
        if not (isinstance(self.weight_decay, (int, float, np.number)) and np.isfinite(self.weight_decay)
                and self.weight_decay >= 0):
            raise ValueError(f"weight_decay must be a finite number ≥ 0 (got {self.weight_decay!r})")

    @property
    def d(self) -> int:
        h = self.hidden
        return self.n_in * h + h + h * self.n_out + self.n_out

    def unpack(self, W: Array) -> tuple[Array, Array, Array, Array]:
        """Views (k, in, h), (k, h), (k, h, out), (k, out) of a (k, d) parameter array."""
        k, h, i, o = W.shape[0], self.hidden, self.n_in, self.n_out
        a, b, c = i * h, i * h + h, i * h + h + h * o
        return (W[:, :a].reshape(k, i, h), W[:, a:b], W[:, b:c].reshape(k, h, o), W[:, c:])

    def init(self, rng: np.random.Generator) -> Array:
        """Glorot-uniform weights (limits √(6/(fan_in + fan_out))), zero biases: a (d,) vector."""
        w = np.zeros((1, self.d))
        W1, _, W2, _ = self.unpack(w)
        l1 = np.sqrt(6.0 / (self.n_in + self.hidden))
        l2 = np.sqrt(6.0 / (self.hidden + self.n_out))
        W1[...] = rng.uniform(-l1, l1, size=W1.shape)
        W2[...] = rng.uniform(-l2, l2, size=W2.shape)
        return w[0]

    def logits(self, W: Array, X: Array) -> Array:
        """(k, B, out) logits of k parameter vectors on inputs X of shape (k, B, in) or (B, in)."""
        W1, b1, W2, b2 = self.unpack(np.atleast_2d(W))
        H = np.tanh(np.matmul(X, W1) + b1[:, None, :])
        return np.matmul(H, W2) + b2[:, None, :]

    def loss(self, W: Array, X: Array, y: IntArray) -> Array:
        """The losses of :meth:`loss_and_grad` without the backward pass (evaluation)."""
        W = np.atleast_2d(W)
        Z = self.logits(W, X)
        Z = Z - Z.max(axis=2, keepdims=True)
        logp = Z - np.log(np.exp(Z).sum(axis=2, keepdims=True))
        loss = -np.take_along_axis(logp, y[..., None], axis=2)[..., 0].mean(axis=1)
        if self.weight_decay:
            loss = loss + 0.5 * self.weight_decay * np.einsum("kd,kd->k", W, W)
        return loss

    def loss_and_grad(self, W: Array, X: Array, y: IntArray) -> tuple[Array, Array]:
        """Mean cross-entropy (+ (λ/2)‖w‖²) of each of k parameter vectors on its own batch, and its
        gradient by backpropagation.

        W: (k, d); X: (k, B, in); y: (k, B). Returns losses (k,) and gradients (k, d).
        """
        W = np.atleast_2d(W)
        k, B = y.shape
        W1, b1, W2, b2 = self.unpack(W)
        H = np.tanh(np.matmul(X, W1) + b1[:, None, :])  # (k, B, h)
        Z = np.matmul(H, W2) + b2[:, None, :]  # (k, B, out)
        Z = Z - Z.max(axis=2, keepdims=True)
        logp = Z - np.log(np.exp(Z).sum(axis=2, keepdims=True))
        rows, cols = np.arange(k)[:, None], np.arange(B)[None, :]
        loss = -logp[rows, cols, y].mean(axis=1)
        dZ = np.exp(logp)  # softmax
        dZ[rows, cols, y] -= 1.0
        dZ /= B  # ∂loss/∂Z
        G = np.empty_like(W)
        gW1, gb1, gW2, gb2 = self.unpack(G)
        gW2[...] = np.matmul(H.transpose(0, 2, 1), dZ)
        gb2[...] = dZ.sum(axis=1)
        dA = np.matmul(dZ, W2.transpose(0, 2, 1)) * (1.0 - H * H)  # through tanh' = 1 − tanh²
        gW1[...] = np.matmul(X.transpose(0, 2, 1), dA)
        gb1[...] = dA.sum(axis=1)
        if self.weight_decay:
            loss = loss + 0.5 * self.weight_decay * np.einsum("kd,kd->k", W, W)
            G += self.weight_decay * W
        return loss, G


@dataclass(frozen=True)
class DigitsProblem:
    """f(w) = (1/n) Σ_i f_i(w), f_i = worker i's mean loss on its shard (equal shards, so f is the
    mean loss over all its training images). Exposes the exact local gradients, the loss and the
    accuracy; the algorithms see it only through :class:`MinibatchOracle` (constructions/base.py).
    """

    data: DigitsData = field(repr=False)
    shards: IntArray = field(repr=False)  # (n, m) indices into the training set
    mlp: MLP = MLP()

    @property
    def n(self) -> int:
        return int(self.shards.shape[0])

    @property
    def d(self) -> int:
        return self.mlp.d

    @property
    def m(self) -> int:
        return int(self.shards.shape[1])

    @cached_property
    def _shard_data(self) -> tuple[Array, IntArray]:
        """(n, m, 64) images and (n, m) labels of the workers' shards, gathered once (evaluation
        runs every checkpoint; copying 1440 images each time cost more than the forward pass)."""
        return self.data.X_train[self.shards], self.data.y_train[self.shards]

    def grads(self, X: Array) -> Array:
        """Row i: ∇f_i(X[i]) on worker i's whole shard."""
        _, G = self.mlp.loss_and_grad(X, *self._shard_data)
        return G

    def f(self, x: Array) -> float:
        """Training loss at x over every image the workers hold."""
        Xs, ys = self._shard_data
        return float(self.mlp.loss(x[None, :], Xs.reshape(1, -1, Xs.shape[2]), ys.reshape(1, -1))[0])

    def accuracy(self, x: Array, which: str = "test") -> float:
        """Fraction of correctly classified images of the test set or of the workers' training images."""
        if which == "test":
            X, y = self.data.X_test, self.data.y_test
        elif which == "train":
            Xs, ys = self._shard_data
            X, y = Xs.reshape(-1, Xs.shape[2]), ys.ravel()
        else:
            raise ValueError(f"which must be 'test' or 'train' (got {which!r})")
        pred = self.mlp.logits(x, X)[0].argmax(axis=1)
        return float(np.mean(pred == y))


class MinibatchOracle:
    """Worker i's minibatch gradient at X[i]: B of its m images drawn without replacement."""

    deterministic = False

    def __init__(self, problem: DigitsProblem, batch: int) -> None:
        if not (isinstance(batch, (int, np.integer)) and 1 <= batch <= problem.m):
            raise ValueError(f"batch must be an integer in [1, {problem.m}] (the shard size) (got {batch!r})")
        self.problem = problem
        self.batch = int(batch)

    def sample(self, rng: np.random.Generator) -> IntArray:
        """(n, B) training-set indices: a uniformly random B-subset of each worker's shard."""
        p = self.problem
        pick = np.argsort(rng.random((p.n, p.m)), axis=1)[:, : self.batch]
        return np.take_along_axis(p.shards, pick, axis=1)

    def query(self, X: Array, rng: np.random.Generator) -> Array:
        idx = self.sample(rng)
        d = self.problem.data
        _, G = self.problem.mlp.loss_and_grad(np.asarray(X), d.X_train[idx], d.y_train[idx])
        return G


def make_problem(rng: np.random.Generator, n: int = 8, skew: float = 0.0, hidden: int = 32,
                 weight_decay: float = 0.0, subset: int | None = None,
                 test_size: int | None = None) -> DigitsProblem:
    """Load, split into train/test and across n workers, with one generator (module docstring)."""
    if test_size is None:
        test_size = TEST_SIZE if subset is None else max(N_CLASSES, int(round(subset * TEST_SIZE / N_IMAGES)))
    data = load_digits_split(rng, test_size=test_size, subset=subset)
    shards = partition(data.y_train, n, skew, rng)
    return DigitsProblem(data=data, shards=shards, mlp=MLP(hidden=hidden, weight_decay=weight_decay))
