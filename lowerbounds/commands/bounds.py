"""Evaluate, tabulate and compare the registered bounds (THEORY.md §4, §7).

Forms:

  lowerbounds bounds [--setting sc --compressor unbiased --omega 3 --L 1 --mu 0.01 --sigma 0 --n 8 --eps 1e-6]
      the lower bound and NEOLITHIC's upper bound at one point (formula and value), the dominant
      term, the exponents along the rays of (1+ω) or 1/δ, κ (SC) or L, 1/ε, σ²/n and n with the
      other parameters held at the point, the local log-log slopes there, and the gap verdict.
  lowerbounds bounds table [--format markdown|latex]
      the talk's two 2×3 tables (lower bound and NEOLITHIC per setting and compressor class).
  lowerbounds bounds compare --setting gc --compressor unbiased
      every registered algorithm's rate next to the lower bound, with the gap factor at the point
      and the verdict (which says when a rate assumes compressors independent across workers).
  lowerbounds bounds regime --setting sc --x sigma --y omega [--out regime.png]
      which term of the bound dominates where, over a log grid of two parameters, as a PNG.

--json prints the same content as JSON. Accuracy: E‖∇f‖² ≤ ε for NC, E f − f* ≤ ε otherwise;
Δ_x = ‖x⁰ − x*‖². Hidden logarithmic factors of Õ bounds are the toolkit's declared ones.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np

from lowerbounds import bound_ops as ops
from lowerbounds import bounds as B
from lowerbounds import validate

NAME = "bounds"
HELP = "evaluate, tabulate and compare the lower and upper bounds"

FORMS = ("show", "table", "compare", "regime")
_PARAMS = (  # (option, dest, default, validator)
    ("--omega", "omega", "1", validate.omega),
    ("--delta", "delta", "0.5", validate.delta),
    ("--L", "L", "1", validate.positive),
    ("--mu", "mu", "0.01", validate.positive),
    ("--Delta", "Delta", "1", validate.positive),
    ("--Delta-x", "Delta_x", "1", validate.positive),
    ("--sigma", "sigma", "1", validate.nonnegative),
    ("--n", "n", "8", None),
    ("--eps", "eps", "1e-3", validate.eps),
    ("--d", "d", "1000", None),
    ("--zeta", "zeta", "0", validate.nonnegative),
    ("--G", "G", "1", validate.positive),
    ("--eps-c", "eps_c", "0", validate.nonnegative),
)
_DEFAULT_RANGES = {"sigma": (1e-3, 1e3), "omega": (1e-2, 1e3), "delta": (1e-3, 1.0), "eps": (1e-9, 1e-2),
                   "kappa": (2.0, 1e6), "n": (1.0, 1e4), "L": (1e-2, 1e4), "mu": (1e-6, 1e-1),
                   "Delta": (1e-2, 1e4), "Delta_x": (1e-2, 1e4), "d": (2.0, 1e6), "zeta": (1e-3, 1e3),
                   "G": (1e-3, 1e3), "eps_c": (1e-9, 1e-1)}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("form", nargs="?", default="show", choices=FORMS, help="what to print (default: show)")
    p.add_argument("--setting", default="sc", help="nc, gc or sc (default sc)")
    p.add_argument("--compressor", default="unbiased", help="unbiased or contractive (default unbiased)")
    for opt, dest, default, _ in _PARAMS:
        p.add_argument(opt, dest=dest, default=default, metavar="X", help=f"(default {default})")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--format", default="markdown", help="table: markdown or latex")
    p.add_argument("--x", default="sigma", help="regime: parameter on the x axis (or kappa)")
    p.add_argument("--y", default="omega", help="regime: parameter on the y axis (or kappa)")
    p.add_argument("--x-range", default=None, help="regime: 'lo,hi' (log grid)")
    p.add_argument("--y-range", default=None, help="regime: 'lo,hi' (log grid)")
    p.add_argument("--points", default="200", help="regime: grid points per axis (default 200)")
    p.add_argument("--which", default="lower", help="regime: lower or upper (NEOLITHIC, logs explicit)")
    p.add_argument("--out", default="regime.png", help="regime: PNG path (default regime.png)")


# ------------------------------------------------------------------------------ input
def point(args: argparse.Namespace) -> dict[str, float]:
    """Validated parameter values; one ValueError sentence per bad value (THEORY.md §1.2, §4)."""
    vals: dict[str, float] = {}
    for opt, dest, _, check in _PARAMS:
        raw = getattr(args, dest)
        if dest == "n":
            vals[dest] = float(validate.integer(raw, "n", minimum=1))
        elif dest == "d":
            vals[dest] = float(validate.integer(raw, "d", minimum=1))
        else:
            vals[dest] = check(raw, opt.lstrip("-").replace("-", "_"))
    validate.kappa(vals["L"] / vals["mu"], name=f"kappa = L/mu (L = {vals['L']:g}, mu = {vals['mu']:g})")
    setting = getattr(args, "setting", "sc")
    scale, what = {"sc": (vals["mu"] * vals["Delta_x"], "mu*Delta_x"),
                   "gc": (vals["L"] * vals["Delta_x"], "L*Delta_x"),
                   "nc": (vals["L"] * vals["Delta"], "L*Delta")}[setting]
    if vals["eps"] >= scale:
        raise ValueError(f"eps must be < {what} = {scale:g} in {setting.upper()}, where the bounds' "
                         f"logarithms are positive (got {vals['eps']:g})")
    return vals


def _setting(args) -> tuple[str, str]:
    return (validate.choice(args.setting, "--setting", ("nc", "gc", "sc")),
            validate.choice(args.compressor, "--compressor", ("unbiased", "contractive")))


def _num(x: float) -> str:
    return f"{x:.6g}"


def _bound_dict(b: B.Bound, vals: dict[str, float]) -> dict[str, Any]:
    out = dict(name=b.name, kind=b.kind, algorithm=b.algorithm, text=b.text(), latex=b.latex(),
               value=b.evaluate(vals), source=b.source, confidence=b.confidence,
               conditions=list(b.conditions), independent_compressors=b.independent_compressors,
               convention=b.convention)
    if any(b.term_logs):
        out.update(value_with_logs=b.evaluate(vals, with_logs=True), text_with_logs=b.text(with_logs=True),
                   latex_with_logs=b.latex(with_logs=True),
                   hidden_logs=[B.readable(f) for f in b.log_factors])
    return out


# ------------------------------------------------------------------------------ forms
def _rays(setting: str, compressor: str) -> list[str]:
    return ["1+omega" if compressor == "unbiased" else "1/delta", "kappa" if setting == "sc" else "L",
            "1/eps", "sigma^2/n", "n"]


def show(args) -> dict[str, Any]:
    setting, comp = _setting(args)
    vals = point(args)
    lo, up = B.get(f"{setting}-{comp}-lower"), B.get(f"{setting}-{comp}-neolithic")
    rays = _rays(setting, comp)
    ex = ops.exponents(lo, rays, base=vals)
    ux = ops.exponents(up, rays, base=vals, with_logs=True)
    verdict = ops.gap(up, lo)
    return {
        "setting": setting, "compressor": comp, "convention": lo.convention, "point": vals,
        "lower_bound": _bound_dict(lo, vals),
        "upper_bound": _bound_dict(up, vals),
        "dominant_term": ops.dominant_term(lo, vals).as_dict(),
        "upper_dominant_term": ops.dominant_term(up, vals, with_logs=True).as_dict(),
        "exponents": {k: float(v) for k, v in ex.items()},
        "exponents_exact": {k: ops.fmt_exponent(v) for k, v in ex.items()},
        "upper_exponents": {k: float(v) for k, v in ux.items()},
        "local_slopes": {k: ops.local_slope(lo, vals, k) for k in rays},
        "gap_factor": ops.gap_factor(up, lo, vals),
        "gap": verdict.as_dict(),
    }


def _print_show(r: dict) -> None:
    print(f"{r['setting'].upper()}, {r['compressor']} compressors; accuracy {r['convention']}")
    print("point: " + " ".join(f"{k}={_num(v)}" for k, v in r["point"].items()))
    for key, title in (("lower_bound", "lower bound"), ("upper_bound", "upper bound (NEOLITHIC)")):
        b = r[key]
        sym = B.KIND_SYMBOL[b["kind"]]
        print(f"\n{title}: {b['name']}  {sym}({b['text']})  {b['confidence']}")
        print(f"  value            {_num(b['value'])} rounds")
        if "value_with_logs" in b:
            print(f"  with hidden logs {_num(b['value_with_logs'])} rounds  = {b['text_with_logs']}")
        print(f"  latex            {b['latex']}")
        print(f"  source           {b['source']}")
        print(f"  conditions       {'; '.join(b['conditions'])}")
    dt = r["dominant_term"]
    print(f"\ndominant term (lower bound): {dt['label']}: {dt['text']} = {_num(dt['value'])} "
          f"({100 * dt['share']:.1f}% of the bound)")
    print("exponents along rays (others fixed at the point): "
          + ", ".join(f"{ops.RAYS[k].display} {v}" for k, v in r["exponents_exact"].items()))
    print("local log-log slopes at the point: "
          + ", ".join(f"{ops.RAYS[k].display} {v:.3f}" for k, v in r["local_slopes"].items()))
    print(f"\ngap factor at the point: {_num(r['gap_factor'])}")
    print(f"verdict: {r['gap']['verdict']}")


def table(args) -> dict[str, Any]:
    fmt = validate.choice(args.format, "--format", ("markdown", "latex"))
    out: dict[str, Any] = {"format": fmt, "tables": {}}
    lines: list[str] = []
    for comp, title in (("unbiased", "Unbiased compressors U_ω"), ("contractive", "Contractive compressors C_δ")):
        rows = {}
        for what, label in (("lower", "Lower bound"), ("neolithic", "NEOLITHIC")):
            rows[label] = {s: B.get(f"{s}-{comp}-{what}") for s in ("nc", "gc", "sc")}
        out["tables"][comp] = {label: {s: dict(name=b.name, kind=b.kind, text=b.text(), latex=b.latex(),
                                              hidden_logs=[B.readable(f) for f in b.log_factors])
                                       for s, b in row.items()} for label, row in rows.items()}
        if fmt == "markdown":
            lines += [f"**{title}**", "", "| | NC | GC | SC |", "|---|---|---|---|"]
            for label, row in rows.items():
                lines.append(f"| {label} | " + " | ".join(f"{B.KIND_SYMBOL[b.kind]}({b.text()})"
                                                         for b in row.values()) + " |")
        else:
            kinds = {"Omega": r"\Omega", "O": "O", "O~": r"\tilde O", "Theta": r"\Theta"}
            lines += [f"% {title}", r"\begin{tabular}{llll}", r"\hline", r" & NC & GC & SC \\", r"\hline"]
            for label, row in rows.items():
                lines.append(f"{label} & " + " & ".join(f"${kinds[b.kind]}\\left({b.latex()}\\right)$"
                                                       for b in row.values()) + r" \\")
            lines += [r"\hline", r"\end{tabular}"]
        hidden = [f"{s.upper()}: {', '.join(B.readable(f) for f in b.log_factors)}"
                  for s, b in rows["NEOLITHIC"].items() if b.log_factors]
        note = "Õ hides (declared by the toolkit, compression term only): " + "; ".join(hidden)
        lines += ["", note if fmt == "markdown" else "% " + note, ""]
    out["text"] = "\n".join(lines)
    return out


def compare(args) -> dict[str, Any]:
    setting, comp = _setting(args)
    vals = point(args)
    lo = B.get(f"{setting}-{comp}-lower")
    rows = []
    for b in B.REGISTRY.values():
        if b.setting != setting or b.algorithm is None or b.compressor not in (comp, "any"):
            continue
        v = ops.gap(b, lo)
        row = dict(name=b.name, algorithm=b.algorithm, kind=b.kind, text=b.text(with_logs=True),
                   value=b.evaluate(vals, with_logs=True), gap_factor=ops.gap_factor(b, lo, vals),
                   gap_at_sigma_zero=ops.full_gradients(b),
                   independent_compressors=b.independent_compressors, confidence=b.confidence,
                   conditions=list(b.conditions), matched=v.matched, verdict=v.text)
        if B.eps_c in b.expr.free_symbols:
            # DoubleSqueeze's analysis bounds the *absolute* compression error by ε_c: a different
            # class from U_ω / C_δ, one the lower bound's rand-s adversary is not in.
            row.update(gap_factor=None, matched=None,
                       verdict="not comparable: the rate assumes a bounded absolute compression error "
                               "E‖C(x) − x‖² ≤ ε_c, a class that excludes the lower bound's rand-s adversary")
        rows.append(row)
    return {"setting": setting, "compressor": comp, "point": vals, "lower_bound": _bound_dict(lo, vals),
            "algorithms": rows}


def _print_compare(r: dict) -> None:
    lo = r["lower_bound"]
    print(f"{r['setting'].upper()}, {r['compressor']}: lower bound {lo['name']} Ω({lo['text']}) "
          f"= {_num(lo['value'])} rounds at " + " ".join(f"{k}={_num(v)}" for k, v in r["point"].items()))
    print("(upper bounds with their declared hidden logs made explicit; gap = upper/lower at the point)\n")
    for a in r["algorithms"]:
        ind = "independent compressors" if a["independent_compressors"] else "shared randomness allowed"
        print(f"{a['algorithm']:<12} {B.KIND_SYMBOL[a['kind']]}({a['text']})  {a['confidence']}, {ind}")
        gf = "n/a" if a["gap_factor"] is None else _num(a["gap_factor"]) + (
            " (against the lower bound at σ = 0, the rate's condition)" if a["gap_at_sigma_zero"] else "")
        print(f"{'':12} value {_num(a['value'])}, gap factor {gf}"
              + (f"; conditions: {'; '.join(a['conditions'])}" if a["conditions"] else ""))
        print(f"{'':12} {a['verdict']}\n")


def regime(args) -> dict[str, Any]:
    setting, comp = _setting(args)
    vals = point(args)
    which = validate.choice(args.which, "--which", ("lower", "upper"))
    b = B.get(f"{setting}-{comp}-{'lower' if which == 'lower' else 'neolithic'}")
    free = {str(s) for s in b.with_logs().free_symbols}
    names = {k for k, s in B.SYMBOLS.items() if str(s) in free} | ({"kappa"} if "mu" in free else set())
    x = validate.choice(args.x, "--x", sorted(names))
    y = validate.choice(args.y, "--y", sorted(names))
    if x == y or {x, y} == {"kappa", "L"}:
        raise ValueError(f"--x and --y must be different parameters (got {x!r} and {y!r})")
    m = validate.integer(args.points, "--points", minimum=2, maximum=2000)
    _check_png(args.out)
    xs = np.geomspace(*_range(args.x_range, "--x-range", x), m)
    ys = np.geomspace(*_range(args.y_range, "--y-range", y), m)
    idx = ops.regime_map(b, x, y, xs, ys, vals, with_logs=(which == "upper"))
    terms = b.explicit_terms() if which == "upper" else b.terms
    shares = {B.readable(t): float(np.mean(idx == i)) for i, t in enumerate(terms)}
    _plot(args.out, b, x, y, xs, ys, idx, [B.readable(t) for t in terms])
    return {"bound": b.name, "x": x, "y": y, "x_range": [xs[0], xs[-1]], "y_range": [ys[0], ys[-1]],
            "points": m, "point": vals, "shares": shares, "png": args.out}


def _check_png(out: str) -> None:
    """--out must name a .png file in an existing folder (checked before any work)."""
    from pathlib import Path

    p = Path(out)
    if out.endswith(("/", "\\")) or p.is_dir():
        raise ValueError(f"--out must be a file path ending in .png, not a folder (got {out!r})")
    if p.suffix.lower() != ".png":
        raise ValueError(f"--out must end in .png (got {out!r})")
    parent = p.absolute().parent
    if not parent.is_dir():
        raise ValueError(f"--out: the folder {str(parent)!r} does not exist (got {out!r})")


def _range(text: str | None, name: str, param: str) -> tuple[float, float]:
    if text is None:
        return _DEFAULT_RANGES[param]
    parts = validate.float_list(text, name, validate.positive)
    if len(parts) != 2 or not parts[0] < parts[1]:
        raise ValueError(f"{name} must be two positive numbers 'lo,hi' with lo < hi (got {text!r})")
    return parts[0], parts[1]


def _plot(path: str, b: B.Bound, x: str, y: str, xs, ys, idx, labels: list[str]) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    colors = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3"][: len(labels)]
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    ax.pcolormesh(xs, ys, idx, cmap=ListedColormap(colors), vmin=-0.5, vmax=len(labels) - 0.5, shading="auto")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"dominant term of {b.name}", fontsize=10)
    ax.legend(handles=[Patch(color=c, label=l) for c, l in zip(colors, labels)], fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def run(args: argparse.Namespace) -> int:
    form = args.form
    if form == "table":
        r = table(args)
        print(json.dumps(r, indent=2, ensure_ascii=False) if args.json else r["text"])
        return 0
    if form == "compare":
        r = compare(args)
        if args.json:
            print(json.dumps(r, indent=2, ensure_ascii=False))
        else:
            _print_compare(r)
        return 0
    if form == "regime":
        r = regime(args)
        if args.json:
            print(json.dumps(r, indent=2, ensure_ascii=False))
        else:
            print(f"wrote {r['png']}: dominant term of {r['bound']} over {r['x']} × {r['y']}")
            for k, v in r["shares"].items():
                print(f"  {100 * v:5.1f}% of the grid: {k}")
        return 0
    r = show(args)
    if args.json:
        print(json.dumps(r, indent=2, ensure_ascii=False))
    else:
        _print_show(r)
    sys.stdout.flush()
    return 0
