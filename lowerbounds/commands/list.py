"""List the registered names: compressors, algorithms, instances and bounds.

  lowerbounds list [compressors|algorithms|instances|bounds] [--json]

Read at call time from constructions.registry, algorithms.registry,
constructions.instances_registry and lowerbounds.bounds, so whatever those registries hold is shown.
"""

from __future__ import annotations

import argparse
import json

NAME = "list"
HELP = "list the registered compressors, algorithms, instances and bounds"
KINDS = ("compressors", "algorithms", "instances", "bounds")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", nargs="?", choices=KINDS, help="only this kind (default: all)")
    p.add_argument("--json", action="store_true", help="print as JSON")


def collect() -> dict[str, list[dict[str, str]]]:
    from algorithms import registry as algs
    from constructions import instances_registry as insts
    from constructions import registry as comps
    from lowerbounds import bounds

    out: dict[str, list[dict[str, str]]] = {}
    out["compressors"] = [
        {"name": e.name, "summary": e.summary,
         "params": ", ".join(f"{p.name}={p.default}" for p in e.params)}
        for e in comps.REGISTRY.values()
    ]
    out["algorithms"] = [{"name": e.name, "summary": e.summary, "target": e.target}
                         for e in algs.ALGORITHMS.values()]
    out["instances"] = [{"name": e.name, "summary": e.summary, "target": e.target}
                        for e in insts.INSTANCES.values()]
    out["bounds"] = [{"name": b.name, "summary": f"{b.kind} {b.setting} {b.compressor}"
                      + (f" ({b.algorithm})" if b.algorithm else "") + f": {b.expr}"}
                     for b in bounds.REGISTRY.values()]
    return out


def run(args: argparse.Namespace) -> int:
    data = collect()
    if args.kind:
        data = {args.kind: data[args.kind]}
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    for kind, rows in data.items():
        print(f"{kind}:")
        width = max((len(r["name"]) for r in rows), default=0)
        for r in rows:
            extra = f"  [{r['params']}]" if r.get("params") else ""
            print(f"  {r['name']:{width}s}  {r['summary']}{extra}")
        if kind == "compressors":
            print("  (prefixes: contractive:NAME gives C/(1+ω); msc:NAME with R=... gives MSC(C, R))")
    return 0
