"""Reading knowledge files, with errors that name the file the way the user wrote it."""

from __future__ import annotations

from pathlib import Path

import yaml

from livehost.errors import LivehostError


def shown(path: Path) -> str:
    """The path relative to the working folder when it is inside it: short, and still findable."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_text(path: Path) -> str:
    try:
        # utf-8-sig: spreadsheets save CSV with a byte-order mark.
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LivehostError(f"{shown(path)}: file does not exist") from None
    except UnicodeDecodeError:
        raise LivehostError(f"{shown(path)}: not UTF-8 text") from None
    except OSError as exc:
        raise LivehostError(f"{shown(path)}: cannot be read ({exc.strerror})") from None


def read_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(read_text(path))
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" line {where.line + 1}:" if where is not None else ""
        raise LivehostError(f"{shown(path)}:{line} not valid YAML ({getattr(exc, 'problem', exc)})") from None
