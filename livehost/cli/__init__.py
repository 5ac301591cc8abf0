"""``livehost``: one entry point, one module per subcommand.

Every subcommand module has ``register(subparsers)``, which adds its parser and sets
``func``. A LivehostError becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from livehost import __version__
from livehost.errors import LivehostError

COMMANDS = ("run", "say", "ask", "persona", "doctor", "bench", "face", "voice")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="livehost", description="A long-running AI host for live streams and video calls.")
    parser.add_argument("--version", action="version", version=f"livehost {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"livehost.cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return int(args.func(args) or 0)
    except LivehostError as exc:
        print(f"livehost: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("livehost: interrupted", file=sys.stderr)
        return 130
