"""Certify a registered compressor's declared constant by Monte Carlo.

  lowerbounds certify NAME [--d D] [--param key=value ...] [--trials N] [--seed S] [--z Z] [--json]

Over a battery of test vectors (Gaussian, sparse, one-hot, equal magnitudes, heavy-tailed,
power-law, two-level, the compressor's own hard vectors and an adversarial search) it estimates
the relative bias, the variance ratio E‖C(x) − x‖²/‖x‖² (ω for unbiased, 1 − δ for contractive
compressors) with mean ± z·SE intervals, and gives per property a verdict: holds, violated or
not tight, the worst vector and whether the declared constant is attained (tight).

Names: see `lowerbounds list`; prefixes contractive:NAME (C/(1+ω)) and msc:NAME (with R=...).
Example: lowerbounds certify rand-k --d 1000 --param k=10 --json
Exit code: 0 if nothing is violated, 1 if some property is violated, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json

from constructions import registry
from lowerbounds import certify as cert
from lowerbounds import validate

NAME = "certify"
HELP = "check a compressor's declared ω or δ (bias, variance ratio, contraction) by Monte Carlo"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="compressor name (see `lowerbounds list`)")
    p.add_argument("--d", default="100", help="dimension (default 100)")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="compressor parameter, repeatable (e.g. k=10, s=4, p=0.1, shared=false, R=3)")
    p.add_argument("--trials", default=str(cert.DEFAULT_TRIALS),
                   help=f"compressions per test vector (default {cert.DEFAULT_TRIALS})")
    p.add_argument("--seed", default="0", help="seed of the generator (default 0)")
    p.add_argument("--z", default=str(cert.DEFAULT_Z), help=f"interval half-width in standard errors (default {cert.DEFAULT_Z})")
    p.add_argument("--no-search", action="store_true", help="skip the adversarial search")
    p.add_argument("--json", action="store_true", help="print the certificate as JSON")


def parse_params(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--param must look like key=value (got {item!r})")
        if key.strip() in out:
            raise ValueError(f"--param {key.strip()} is given twice ({out[key.strip()]!r} and {value.strip()!r})")
        out[key.strip()] = value.strip()
    return out


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.6g}"


def render(c: cert.Certificate) -> str:
    dcl = c.declared
    lines = [f"compressor {c.compressor}  d = {c.d}  trials = {c.trials}  seed = {c.seed}  z = {c.z:g}",
             f"  declared: {'unbiased ω = ' + _fmt(dcl.omega) + ' (' + str(dcl.omega_expr) + ')' if dcl.unbiased else ''}"
             f"{'  ' if dcl.unbiased and dcl.contractive else ''}"
             f"{'contractive δ = ' + _fmt(dcl.delta) + ' (' + str(dcl.delta_expr) + ')' if dcl.contractive else ''}"
             f"{'nothing' if not (dcl.unbiased or dcl.contractive) else ''}"
             f"; tightness τ = {_fmt(dcl.tightness)}; "
             f"{'shared' if dcl.shared else 'independent'} randomness",
             f"  bits: {dcl.bits_rule} = {_fmt(dcl.bits_per_message)} per message",
             f"  {'property':8s} {'declared':>10s} {'estimate':>10s} {'interval':>25s}  {'verdict':10s} tight  worst vector"]
    for p in c.properties:
        ci = "" if p.ci is None else f"[{p.ci[0]:.6g}, {p.ci[1]:.6g}]"
        tight = "—" if p.tight is None else ("yes" if p.tight else "no")
        lines.append(f"  {p.name:8s} {_fmt(p.declared):>10s} {_fmt(p.estimate):>10s} {ci:>25s}  "
                     f"{p.verdict:10s} {tight:5s}  {p.worst_vector}")
        if p.note:
            lines.append(f"           {p.note}")
        if p.attained_by:
            lines.append(f"           attained on: {', '.join(p.attained_by)}")
    lines.append("  verdict: " + ("OK" if c.ok else "VIOLATED"))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    d = validate.integer(args.d, "d", minimum=1)
    trials = validate.integer(args.trials, "trials", minimum=4)
    seed = validate.integer(args.seed, "seed", minimum=0)
    z = validate.positive(args.z, "z")
    C = registry.make(args.name, d, **parse_params(args.param))
    c = cert.certify(C, d, trials=trials, seed=seed, z=z, search=not args.no_search)
    if args.json:
        out = c.to_dict()
        out["name"] = args.name
        print(json.dumps(out, indent=2, default=str))
    else:
        print(f"{args.name}: " + render(c))
    return 0 if c.ok else 1
