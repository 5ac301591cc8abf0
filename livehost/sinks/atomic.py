"""Outputs appear whole or not at all: write beside the target, rename on success."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from livehost.errors import LivehostError


class AtomicOutput:
    def __init__(self, target: Path) -> None:
        self.target = Path(target)
        check_writable(self.target)
        # Same folder, so the final rename is atomic; same suffix, so muxers pick the format;
        # the process id, so two processes writing the same file do not share a partial.
        self.partial = self.target.with_name(f".{self.target.stem}.{os.getpid()}.partial{self.target.suffix}")

    def commit(self) -> None:
        os.replace(self.partial, self.target)

    def discard(self) -> None:
        self.partial.unlink(missing_ok=True)

    def settle(self, ok: bool) -> None:
        self.commit() if ok and self.partial.exists() else self.discard()


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A path to write ``target`` through: renamed onto it when the block succeeds, removed
    when it fails."""
    output = AtomicOutput(target)
    try:
        yield output.partial
    except BaseException:
        output.discard()
        raise
    output.commit()


def write_atomic(target: Path, data: bytes | str) -> None:
    with atomic_path(target) as partial:
        if isinstance(data, str):
            partial.write_text(data, encoding="utf-8")
        else:
            partial.write_bytes(data)


def check_writable(target: Path) -> None:
    """Fail early, naming the path, when an output cannot be written there."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise LivehostError(f"output {target} is a folder; give a file name")
    if not folder.is_dir():
        raise LivehostError(f"output folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise LivehostError(f"output folder {folder} is not writable")
    if target.exists() and not os.access(target, os.W_OK):
        raise LivehostError(f"output {target} exists and is not writable")
