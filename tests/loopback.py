"""Helpers for tests that start servers on loopback: a free port, and polling with a deadline
(shared with the benchmarks)."""

from livehost.bench.loopback import free_port, wait_for

__all__ = ["free_port", "wait_for"]
