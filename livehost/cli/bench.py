"""``livehost bench <part> [--json]``: figures for one part of the system."""

from __future__ import annotations

import argparse
import importlib
import json

from livehost.bench import PARTS


def register(subparsers) -> None:
    p = subparsers.add_parser("bench", help="measure a part (say, ...) and print its figures")
    parts = p.add_subparsers(dest="part", required=True, metavar="PART")
    for name, module_name in PARTS.items():
        module = importlib.import_module(module_name)
        sub = parts.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
        sub.add_argument("--json", action="store_true", help="one JSON object on stdout")
        module.add_arguments(sub)
        sub.set_defaults(func=run, bench_module=module)


def run(args: argparse.Namespace) -> int:
    figures = args.bench_module.run(args)
    if args.json:
        print(json.dumps(figures))
    else:
        width = max(len(k) for k in figures)
        for key, value in figures.items():
            print(f"{key:<{width}}  {value}")
    return 0
